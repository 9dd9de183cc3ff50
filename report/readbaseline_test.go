package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/secret"
)

const baselineCanary = "CANARY-baseline-Tt5Yy6Uu7Ii8Oo9Pp0"

func TestReadBaselineRefusesWhatIsNotAReport(t *testing.T) {
	head := `{"schema": "` + Schema + `", `
	// full holds every required field but secrets and schema.
	full := `"result": "pass", "fingerprint_scope": "per-run", "findings": [], "summary": {}`
	tests := []struct{ name, data, want string }{
		{"empty", ``, "the file is empty"},
		{"not JSON", baselineCanary + "=1\n", "not JSON (syntax error at byte 1)"},
		{"broken JSON", `{"schema": "` + baselineCanary + `", x}`, "syntax error at byte"},
		{"cut short", `{"schema": "` + baselineCanary, "ends too early"},
		{"another schema", `{"schema": "` + baselineCanary + `"}`, "its schema is not " + Schema},
		{"no schema", `{"secrets": []}`, "missing schema"},
		{"no secrets", head + full + `}`, "not a JSON report: missing secrets"},
		{"null secrets", head + full + `, "secrets": null}`, "not a JSON report: missing secrets"},
		{"no result", head + `"fingerprint_scope": "stable", "secrets": [], "findings": [], "summary": {}}`, "missing result"},
		{"no fingerprint_scope", head + `"result": "pass", "secrets": [], "findings": [], "summary": {}}`, "missing fingerprint_scope"},
		{"no findings", head + `"result": "pass", "fingerprint_scope": "stable", "secrets": [], "summary": {}}`, "missing findings"},
		{"no summary", head + `"result": "pass", "fingerprint_scope": "stable", "secrets": [], "findings": []}`, "missing summary"},
		{"an array", `["` + baselineCanary + `"]`, "the document is a JSON array"},
		{"a string", `"` + baselineCanary + `"`, "the document is a JSON string"},
		{"a number where a list goes", head + `"secrets": 12345` + `}`, "secrets is a JSON number"},
		{"a huge number", head + `"secrets": [{"name": "s", "consumers": [{"id": "c", "traffic_percent": 98765432109876543210}]}]}`, "secrets.consumers.traffic_percent is a JSON number"},
		{"null secret", head + `"secrets": [null]}`, "secrets[0] is null or has no name"},
		{"nameless secret", head + `"secrets": [{"name": ""}]}`, "secrets[0] is null or has no name"},
		{"null consumer", head + `"secrets": [{"name": "s", "consumers": [null]}]}`, "secrets[0].consumers[0] is null or has no id"},
		{"null finding", head + `"secrets": [], "findings": [null]}`, "findings[0] is null or has no code"},
		{"trailing data", head + `"secrets": []} {"` + baselineCanary + `": 1}`, "more data after the report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadBaseline(strings.NewReader(tt.data))
			if err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), baselineCanary) || strings.Contains(err.Error(), "98765") {
				t.Errorf("error quotes the file: %q", err)
			}
		})
	}
}

func TestReadBaselineReadsAReport(t *testing.T) {
	want := state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"}, "SP130:runner")
	var b bytes.Buffer
	if err := (JSON{}).Write(&b, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBaseline(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Secrets[0].Consumers[0].Fingerprint != "hmac-sha256:aaaaaaaaaaaa" || got.Findings[0].Code != "SP130" {
		t.Errorf("read back %+v", got)
	}
}

// Compare is exported: a report built by hand with null entries must not
// make it panic either.
func TestCompareSkipsNullEntries(t *testing.T) {
	cur := state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"})
	base := &Report{Schema: Schema, Secrets: []*Secret{nil, {Name: "jwt-signing", Consumers: []*Consumer{nil}}}, Findings: []*Finding{nil}}
	Compare(cur, base)
	if len(cur.Changes) != 1 || cur.Changes[0].Kind != ConsumerAppeared {
		t.Errorf("changes %+v", cur.Changes)
	}
}

// The baseline is a file from a previous run, possibly from a pull
// request's artifacts: whatever it holds, reading and comparing it never
// panics, and a refusal never quotes it.
func FuzzReadBaseline(f *testing.F) {
	var b bytes.Buffer
	(JSON{}).Write(&b, state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6", "cloudrun:api@api-1/c=hmac-sha256:bbbbbbbbbbbb@7"}, "SP100:runner,cloudrun:api@api-1/c"))
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema": "` + Schema + `", "secrets": [null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		base, err := ReadBaseline(bytes.NewReader(data))
		if err != nil {
			if strings.Contains(err.Error(), "FUZZCANARY") {
				t.Errorf("error quotes the input: %q", err)
			}
			return
		}
		cur := state(secret.ScopeStable, []string{"runner=hmac-sha256:cccccccccccc@8"}, "SP130:runner")
		Compare(cur, base)
		for _, format := range Formats() {
			w, _ := For(format)
			if err := w.Write(&bytes.Buffer{}, cur); err != nil {
				t.Errorf("%s: %v", format, err)
			}
		}
	})
}

package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/secret-preflight/secret-preflight/secret"
)

// The official SARIF 2.1.0 schema (OASIS, errata 01), from
// oasis-tcs/sarif-spec sarif-2.1/schema/sarif-schema-2.1.0.json, compiled
// offline.
var sarifSchemaCompiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(sarifSchema, doc); err != nil {
		return nil, err
	}
	return c.Compile(sarifSchema)
})

// validateSARIF fails the test when out is not a valid SARIF 2.1.0 log.
func validateSARIF(t *testing.T, out []byte) map[string]any {
	t.Helper()
	sch, err := sarifSchemaCompiled()
	if err != nil {
		t.Fatalf("compiling the SARIF schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v\n%s", err, out)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("SARIF output does not validate against the 2.1.0 schema: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSARIFGoldenAndSchema(t *testing.T) {
	out := write(t, SARIF{ToolVersion: "v1.2.3"}, incidentReport(secret.ScopeRun))
	validateSARIF(t, out)
	golden(t, "incident.sarif.golden", out)
}

// The schema check is not vacuous: it rejects a log that breaks it.
func TestSARIFSchemaRejectsInvalid(t *testing.T) {
	sch, err := sarifSchemaCompiled()
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"no runs":        `{"version": "2.1.0"}`,
		"wrong version":  `{"version": "2.0.0", "runs": []}`,
		"bad level":      `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
		"line zero":      `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 0}}}]}]}]}`,
		"bad suppressed": `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "suppressions": [{"kind": "ignored"}]}]}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(inst) == nil {
			t.Errorf("%s: the schema accepted an invalid log", name)
		}
	}
}

func TestSARIFEmptyAndEdgeReportsValidate(t *testing.T) {
	empty := &Report{}
	empty.Finish("error")
	out := write(t, SARIF{}, empty)
	m := validateSARIF(t, out)
	run := m["runs"].([]any)[0].(map[string]any)
	if res := run["results"].([]any); len(res) != 0 {
		t.Errorf("results of an empty report: %v", res)
	}
	// Live probes ride in the run's property bag.
	validateSARIF(t, write(t, SARIF{}, probeReport()))

	// A code the catalog does not know, a finding with no file and no
	// config, a ##[ sequence and an absolute path outside the base.
	r := &Report{Result: Incomplete, Notes: []string{"##[set-env name=X]y"}, Findings: []*Finding{
		{Code: "SP999", Severity: SevWarning, Secret: "s", Message: "new ##[add-mask]kind"},
		{Code: "SP100", Severity: SevError, Secret: "s", Message: "m", File: "/elsewhere/x y.yaml", Line: 4},
	}}
	out = write(t, SARIF{BaseDir: "/work/repo"}, r)
	if bytes.Contains(out, []byte("##[")) {
		t.Errorf("SARIF output holds a legacy workflow command:\n%s", out)
	}
	m = validateSARIF(t, out)
	run = m["runs"].([]any)[0].(map[string]any)
	results := run["results"].([]any)
	first := results[0].(map[string]any)
	if got := first["message"].(map[string]any)["text"]; got != "new ##[add-mask]kind" {
		t.Errorf("message does not decode back: %q", got)
	}
	if _, ok := first["locations"]; ok {
		t.Errorf("a finding with no file and a report with no config has a location: %v", first["locations"])
	}
	rules := run["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
	idx := int(first["ruleIndex"].(float64))
	if rules[idx].(map[string]any)["id"] != "SP999" {
		t.Errorf("ruleIndex %d of an unknown code is %v", idx, rules[idx])
	}
	if got := uriOf(results[1]); got != "file:///elsewhere/x%20y.yaml" {
		t.Errorf("a file outside the base: uri %q", got)
	}
	// Two findings of one code, secret and consumers stay two alerts.
	twice := &Report{Findings: []*Finding{
		{Code: "SP141", Severity: SevError, Secret: "s", Consumers: []string{"cloudrun:api@api-1/app"}, Message: "E2E_TESTING is set"},
		{Code: "SP141", Severity: SevError, Secret: "s", Consumers: []string{"cloudrun:api@api-1/app"}, Message: "E2E_OAUTH_SIMULATION_KEY is set"},
	}}
	d := decodeSARIF(t, write(t, SARIF{}, twice))
	a, b := d.Runs[0].Results[0].PartialFingerprints, d.Runs[0].Results[1].PartialFingerprints
	if a["secretPreflightFinding/v1"] == b["secretPreflightFinding/v1"] {
		t.Errorf("two SP141 of one consumer share a partial fingerprint: %v", a)
	}
	inv := run["invocations"].([]any)[0].(map[string]any)
	if inv["executionSuccessful"] != false {
		t.Errorf("an incomplete run is reported as a successful execution")
	}
}

func uriOf(result any) string {
	locs, _ := result.(map[string]any)["locations"].([]any)
	if len(locs) == 0 {
		return ""
	}
	return locs[0].(map[string]any)["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"].(string)
}

type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct {
					ID, Name                                string
					ShortDescription, FullDescription, Help struct{ Text string }
					DefaultConfiguration                    struct{ Level string }
				}
			}
		}
		Results []struct {
			RuleID              string
			RuleIndex           int
			Level               string
			Message             struct{ Text string }
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, Status, Justification string }
			Locations           []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
					Region           struct{ StartLine int }
				}
			}
		}
	}
}

func decodeSARIF(t *testing.T, out []byte) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(d.Runs))
	}
	return d
}

func TestSARIFResults(t *testing.T) {
	base := t.TempDir()
	r := incidentReport(secret.ScopeRun)
	for _, f := range r.Findings {
		if f.File == cfgFile {
			f.File = filepath.Join(base, "sub dir", "secret-preflight.yaml")
		}
	}
	r.Config = filepath.Join(base, "sub dir", "secret-preflight.yaml")
	out := write(t, SARIF{BaseDir: base, ToolVersion: "v9"}, r)
	for _, v := range forbidden() {
		if bytes.Contains(out, []byte(v)) {
			t.Errorf("a value (or an encoding of it) in the SARIF log: %q", v)
		}
	}
	d := decodeSARIF(t, out)
	run := d.Runs[0]
	if run.Tool.Driver.Name != "secret-preflight" || run.Tool.Driver.Version != "v9" || run.Tool.Driver.InformationURI == "" {
		t.Errorf("driver: %+v", run.Tool.Driver)
	}
	// One rule per code, each with its help and the level of its severity.
	var ids []string
	for _, ru := range run.Tool.Driver.Rules {
		ids = append(ids, ru.ID)
		if ru.Name == "" || ru.ShortDescription.Text == "" || ru.FullDescription.Text == "" || !strings.Contains(ru.Help.Text, "Fix: ") {
			t.Errorf("rule %s lacks a name, description or help: %+v", ru.ID, ru)
		}
	}
	want := []string{"SP100", "SP101", "SP102", "SP110", "SP111", "SP120", "SP121", "SP122", "SP130", "SP131", "SP132", "SP140", "SP141", "SP150", "SP160", "SP162", "SP163", "SP170"}
	if !slices.Equal(ids, want) {
		t.Errorf("rules %v, want %v", ids, want)
	}
	levels := map[string]string{}
	for _, ru := range run.Tool.Driver.Rules {
		levels[ru.ID] = ru.DefaultConfiguration.Level
	}
	for code, lvl := range map[string]string{"SP100": "error", "SP120": "warning", "SP130": "note", "SP131": "warning", "SP140": "warning", "SP170": "error"} {
		if levels[code] != lvl {
			t.Errorf("%s default level %q, want %q", code, levels[code], lvl)
		}
	}

	// One result per finding, ignored ones suppressed with their reason.
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	for i, res := range run.Results {
		f := r.Findings[i]
		if res.RuleID != f.Code || run.Tool.Driver.Rules[res.RuleIndex].ID != f.Code {
			t.Errorf("result %d: ruleId %s, rule index %d; want %s", i, res.RuleID, res.RuleIndex, f.Code)
		}
		if want := map[string]string{SevError: "error", SevWarning: "warning", SevInfo: "note"}[f.Severity]; res.Level != want {
			t.Errorf("%s: level %q, want %q", f.Code, res.Level, want)
		}
		if !strings.HasPrefix(res.Message.Text, f.Message) || !strings.Contains(res.Message.Text, "Fix: "+f.Hint) {
			t.Errorf("%s: message %q lacks the finding's message and fix", f.Code, res.Message.Text)
		}
		if f.Ignored != "" {
			if len(res.Suppressions) != 1 || res.Suppressions[0].Kind != "external" || res.Suppressions[0].Justification != f.Ignored {
				t.Errorf("%s ignored (%q): suppressions %+v", f.Code, f.Ignored, res.Suppressions)
			}
		} else if len(res.Suppressions) != 0 {
			t.Errorf("%s is not ignored but suppressed", f.Code)
		}
		if len(res.Locations) != 1 {
			t.Errorf("%s: %d locations, want 1", f.Code, len(res.Locations))
			continue
		}
		loc := res.Locations[0].PhysicalLocation
		switch {
		case f.File == "":
			// No file: the config itself.
			if loc.ArtifactLocation.URI != "sub%20dir/secret-preflight.yaml" || loc.Region.StartLine != 1 {
				t.Errorf("%s without a file: %+v", f.Code, loc)
			}
		case strings.HasPrefix(f.File, base):
			if loc.ArtifactLocation.URI != "sub%20dir/secret-preflight.yaml" || loc.Region.StartLine != f.Line {
				t.Errorf("%s: location %+v, want the config relative to the base at line %d", f.Code, loc, f.Line)
			}
		}
	}

	// partialFingerprints: stable across runs, whatever the fingerprint
	// scope or key, the message, and the serving revision.
	again := incidentReport(secret.ScopeStable)
	for _, f := range again.Findings {
		f.Message = strings.ReplaceAll(f.Message, "hmac-sha256:c45b32da18cb", "hmac-sha256:0123456789ab")
		for i, id := range f.Consumers {
			f.Consumers[i] = strings.Replace(id, "00042-abc", "00043-new", 1)
		}
	}
	d2 := decodeSARIF(t, write(t, SARIF{}, again))
	seen := map[string]bool{}
	for i, res := range run.Results {
		fp := res.PartialFingerprints["secretPreflightFinding/v1"]
		if fp == "" || fp != d2.Runs[0].Results[i].PartialFingerprints["secretPreflightFinding/v1"] {
			t.Errorf("%s: partial fingerprint %q changed across runs to %q", res.RuleID, fp, d2.Runs[0].Results[i].PartialFingerprints["secretPreflightFinding/v1"])
		}
		if seen[fp] {
			t.Errorf("%s: two findings share the partial fingerprint %s", res.RuleID, fp)
		}
		seen[fp] = true
	}
}

func TestStripRevision(t *testing.T) {
	for in, want := range map[string]string{
		"cloudrun:api@api-00042-abc/app": "cloudrun:api/app",
		"cloudrun:api@api-00042-abc":     "cloudrun:api",
		"runner":                         "runner",
		"manifest:deploy/a.yaml/app":     "manifest:deploy/a.yaml/app",
	} {
		if got := stripRevision(in); got != want {
			t.Errorf("stripRevision(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every code the program can report has a rule, so code scanning shows
// its help: the codes are read from the sources that build findings.
func TestSARIFRulesCoverEveryCode(t *testing.T) {
	code := regexp.MustCompile(`"(SP1\d\d)"`)
	known := map[string]bool{}
	for _, ru := range rules {
		known[ru.code] = true
	}
	files, _ := filepath.Glob(filepath.Join("..", "*", "*.go"))
	more, _ := filepath.Glob(filepath.Join("..", "cmd", "*", "*.go"))
	found := 0
	for _, p := range append(files, more...) {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range code.FindAllStringSubmatch(string(b), -1) {
			found++
			if !known[m[1]] {
				t.Errorf("%s reports %s, which has no SARIF rule", p, m[1])
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d finding codes in the sources; the scan is broken", found)
	}
}

func TestSARIFFormatRegistered(t *testing.T) {
	w, err := For("sarif")
	if err != nil || w != (SARIF{}) {
		t.Errorf("For(sarif) = %#v, %v", w, err)
	}
	if !slices.Contains(Formats(), "sarif") {
		t.Errorf("Formats() = %v lacks sarif", Formats())
	}
}

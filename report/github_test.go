package report

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/internal/ghactions"
	"github.com/secret-preflight/secret-preflight/internal/ghactions/runnertest"
	"github.com/secret-preflight/secret-preflight/secret"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The values of the incident. Tests prove that none of them reaches any
// output except the ::add-mask:: lines of the github format.
const (
	runnerValue  = "staging-jwt-secret-key"
	serviceValue = "k3y%0A:with,100%-odd-chars_0123456789abcdef"
	pemValue     = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIH3pUf2bbNOvZw1lLsz0Uq8SJmwZwq\n\n-----END PRIVATE KEY-----\n"
)

// valueLines are the strings that must be masked and never shown.
var valueLines = []string{
	runnerValue, serviceValue,
	"-----BEGIN PRIVATE KEY-----", "MC4CAQAwBQYDK2VwBCIEIH3pUf2bbNOvZw1lLsz0Uq8SJmwZwq", "-----END PRIVATE KEY-----",
}

const cfgFile = "examples/staging-incident/secret-preflight.yaml"

// incidentReport mirrors the demo's incident: the runner falls back to a
// literal while three Secret Manager consumers agree. A second secret
// carries a multi-line (PEM) value, an unreadable consumer, a finding whose
// message and file need escaping, and an ignored finding.
func incidentReport(scope secret.Scope) *Report {
	const backend = "cloudrun:netra-backend-staging@netra-backend-staging-00042-abc/backend"
	const auth = "cloudrun:netra-auth-service-staging@netra-auth-service-staging-00017-xyz/auth"
	const manifest = "manifest:examples/staging-incident/backend.service.yaml/backend"
	const worker = "cloudrun:netra-worker-staging@netra-worker-staging-00003-def/worker"
	const smRef = "JWT_SECRET_STAGING -> projects/481516234200/secrets/jwt-secret-staging/versions/2"
	const smName = "projects/481516234200/secrets/jwt-secret-staging/versions/2"
	svc := func(id, target, rev, container string) *Consumer {
		return &Consumer{
			ID: id, Kind: "cloudrun", Target: target, Revision: rev, TrafficPercent: 100, Container: container,
			Resolved: true, Link: 0, Via: "env", Ref: smRef, Version: "2",
			Fingerprint: "hmac-sha256:c45b32da18cb", Value: secret.FromString(serviceValue),
			SecretVersion: smName, Requested: "latest", File: cfgFile, Line: 22,
		}
	}
	man := svc(manifest, "examples/staging-incident/backend.service.yaml", "", "backend")
	man.Kind, man.TrafficPercent, man.Line = "manifest", 0, 26
	r := &Report{
		FingerprintScope: scope,
		Config:           cfgFile,
		Secrets: []*Secret{{
			Name:    "jwt-signing",
			Verdict: Mismatch,
			Consumers: []*Consumer{
				{
					ID: "runner", Kind: "runner", Resolved: true, Link: 3, Via: "literal", Ref: "literal",
					Fingerprint: "hmac-sha256:fc662a9d1521", Value: secret.FromString(runnerValue),
					Skipped: []Skipped{
						{Link: 0, Via: "env", Ref: "STAGING_JWT_SECRET", Why: "unset"},
						{Link: 1, Via: "env", Ref: "JWT_SECRET_STAGING", Why: "unset"},
						{Link: 2, Via: "env", Ref: "JWT_SECRET_KEY", Why: "unset"},
					},
					File: cfgFile, Line: 10,
				},
				svc(backend, "projects/netra-staging/locations/us-central1/services/netra-backend-staging", "netra-backend-staging-00042-abc", "backend"),
				svc(auth, "projects/netra-staging/locations/us-central1/services/netra-auth-service-staging", "netra-auth-service-staging-00017-xyz", "auth"),
				man,
			},
		}, {
			Name:    "oidc-signing",
			Verdict: Unresolved,
			Consumers: []*Consumer{
				{
					ID: "runner", Kind: "runner", Resolved: true, Link: 0, Via: "secretmanager",
					Ref:     "projects/netra-staging/secrets/oidc-key/versions/latest -> projects/481516234200/secrets/oidc-key/versions/5",
					Version: "5", Fingerprint: "hmac-sha256:5a1d0c3e9b77", Value: secret.FromString(pemValue),
					SecretVersion: "projects/481516234200/secrets/oidc-key/versions/5", Requested: "latest",
				},
				{
					ID: auth, Kind: "cloudrun", Target: "projects/netra-staging/locations/us-central1/services/netra-auth-service-staging",
					Revision: "netra-auth-service-staging-00017-xyz", TrafficPercent: 100, Container: "auth",
					Resolved: true, Link: 1, Via: "file", Ref: "/secrets/oidc/key -> projects/481516234200/secrets/oidc-key/versions/5",
					Version: "5", Fingerprint: "hmac-sha256:5a1d0c3e9b77", Value: secret.FromString(pemValue),
					SecretVersion: "projects/481516234200/secrets/oidc-key/versions/5", Requested: "5",
					Skipped: []Skipped{{Link: 0, Via: "env", Ref: "OIDC_KEY", Why: "not set on container | auth"}},
				},
				{
					ID: worker, Kind: "cloudrun", Target: "projects/netra-staging/locations/us-central1/services/netra-worker-staging",
					Revision: "netra-worker-staging-00003-def", TrafficPercent: 100, Container: "worker",
					Link:      0,
					Error:     "rpc error: code = PermissionDenied desc = Permission 'secretmanager.versions.access' denied\nfor resource projects/netra-staging/secrets/oidc-key",
					ErrorCode: "PermissionDenied",
				},
			},
		}},
		Findings: []*Finding{
			{
				Code: "SP130", Severity: SevInfo, Secret: "jwt-signing", Consumers: []string{backend, auth, manifest},
				Message: "3 service consumers read version latest: " + backend + " (now 2), " + auth + " (now 2), " + manifest + " (now 2)",
				Hint:    "pin a version number so a rotation is a deploy you can see; Cloud Run reads latest when an instance starts, so instances may disagree after a rotation",
				File:    cfgFile, Line: 22,
			},
			{
				Code: "SP100", Severity: SevError, Secret: "jwt-signing", Consumers: []string{"runner", backend, auth, manifest},
				Message: "4 consumers resolve 2 different values: " + backend + ", " + auth + ", " + manifest +
					" hold hmac-sha256:c45b32da18cb (secret jwt-secret-staging version 2); runner holds hmac-sha256:fc662a9d1521 (literal fallback, link 3). " +
					"Cause: runner fell back to the literal at link 3 because STAGING_JWT_SECRET, JWT_SECRET_STAGING, JWT_SECRET_KEY are not set.",
				Hint: "make the literal unreachable: set STAGING_JWT_SECRET for runner from the same Secret Manager secret the others read " +
					"(e.g. google-github-actions/get-secretmanager-secrets in the E2E job, exported as an env var), and remove the hard-coded default from the test helper",
				File: cfgFile, Line: 10,
			},
			{
				Code: "SP120", Severity: SevWarning, Secret: "jwt-signing", Consumers: []string{"runner"},
				Message: "runner resolved through the literal at link 3: [0] env STAGING_JWT_SECRET: unset; [1] env JWT_SECRET_STAGING: unset; [2] env JWT_SECRET_KEY: unset",
				Hint:    "a hard-coded fallback hides a missing variable; set the earlier link in this environment and delete the literal from the code",
				File:    cfgFile, Line: 15,
			},
			{
				Code: "SP122", Severity: SevError, Secret: "jwt-signing", Consumers: []string{"runner"},
				Message: "runner: the HS256 key is 22 bytes; HS256 needs at least 32 (RFC 7518 section 3.2)",
				Hint:    "rotate to a key of the full strength: an HMAC key at least as long as the hash output, RSA keys of 2048 bits or more",
				File:    cfgFile, Line: 15,
			},
			{
				Code: "SP102", Severity: SevError, Secret: "oidc-signing", Consumers: []string{worker},
				Message: worker + ": link 0 (OIDC_KEY): PermissionDenied",
				Hint:    "grant roles/secretmanager.secretAccessor on the secret to the identity running the check",
			},
			{
				Code: "SP140", Severity: SevWarning, Secret: "oidc-signing", Consumers: []string{auth},
				Message: "100% of traffic: reads OIDC_DEBUG, a plain value\nsecond line <b>*bold*</b> | `tick` [x](y) $x$ &amp;",
				Hint:    "move it to Secret Manager: --set-secrets OIDC_DEBUG=oidc-debug:1",
				File:    "deploy/odd:name,v2.yaml", Line: 7,
			},
			{
				Code: "SP130", Severity: SevInfo, Secret: "oidc-signing", Consumers: []string{"runner"},
				Message: "runner reads version latest (now 5)",
				Hint:    "pin a version number",
				Ignored: "pinning tracked in INFRA-123",
			},
		},
	}
	r.Finish("error")
	return r
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./report -update after checking the change):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func write(t *testing.T, w Writer, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := w.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// forbidden lists every form of the values no output may contain: the
// raw lines and the escaped, base64 and hex forms of each.
func forbidden() []string {
	var out []string
	for _, v := range append([]string{pemValue}, valueLines...) {
		out = append(out, v, escapeData(v), mdText(v),
			base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)), hex.EncodeToString([]byte(v)))
	}
	return out
}

func TestGitHubGolden(t *testing.T) {
	golden(t, "incident.github.golden", write(t, GitHub{Masks: true}, incidentReport(secret.ScopeRun)))
}

func TestGitHubMasksFirstAndOnly(t *testing.T) {
	out := lines(write(t, GitHub{Masks: true}, incidentReport(secret.ScopeRun)))
	var masks []string
	for i, l := range out {
		if m, ok := strings.CutPrefix(l, "::add-mask::"); ok {
			if i != len(masks) {
				t.Fatalf("line %d is a mask after other output: %q", i+1, l)
			}
			masks = append(masks, m)
		}
	}
	// One mask per distinct non-empty line: the PEM value of two consumers
	// is masked once, line by line, and its blank line is skipped.
	want := []string{
		runnerValue,
		strings.ReplaceAll(serviceValue, "%", "%25"),
		"-----BEGIN PRIVATE KEY-----", "MC4CAQAwBQYDK2VwBCIEIH3pUf2bbNOvZw1lLsz0Uq8SJmwZwq", "-----END PRIVATE KEY-----",
	}
	if strings.Join(masks, "\n") != strings.Join(want, "\n") {
		t.Errorf("masks:\n%s\nwant:\n%s", strings.Join(masks, "\n"), strings.Join(want, "\n"))
	}
	rest := strings.Join(out[len(masks):], "\n")
	for _, v := range forbidden() {
		if strings.Contains(rest, v) {
			t.Errorf("a value (or an encoding of it) appears outside the mask lines: %q", v)
		}
	}
}

func TestGitHubWithoutMasksHoldsNoValue(t *testing.T) {
	out := string(write(t, GitHub{}, incidentReport(secret.ScopeRun)))
	if strings.Contains(out, "add-mask") {
		t.Error("GitHub{} wrote masks; only GitHub{Masks: true} may")
	}
	for _, v := range forbidden() {
		if strings.Contains(out, v) {
			t.Errorf("value in output: %q", v)
		}
	}
	if w, _ := For("github"); w != (GitHub{}) {
		t.Errorf("For(github) = %#v, want GitHub{} without masks", w)
	}
}

func TestGitHubEscaping(t *testing.T) {
	out := lines(write(t, GitHub{}, incidentReport(secret.ScopeRun)))
	want := "::warning title=SP140 oidc-signing,file=deploy/odd%3Aname%2Cv2.yaml,line=7::" +
		"100%25 of traffic: reads OIDC_DEBUG, a plain value%0Asecond line <b>*bold*</b> | `tick` [x](y) $x$ &amp;" +
		"%0Afix: move it to Secret Manager: --set-secrets OIDC_DEBUG=oidc-debug:1"
	found := false
	for _, l := range out {
		if strings.HasPrefix(l, "::warning title=SP140") {
			found = true
			if l != want {
				t.Errorf("annotation:\n%s\nwant:\n%s", l, want)
			}
		}
	}
	if !found {
		t.Errorf("no SP140 annotation in:\n%s", strings.Join(out, "\n"))
	}
	for _, l := range out {
		if strings.Contains(l, "SP130 oidc-signing") && strings.HasPrefix(l, "::") {
			t.Errorf("ignored finding annotated: %s", l)
		}
	}
	if got := escapeProperty("a%b\r\nc:d,e"); got != "a%25b%0D%0Ac%3Ad%2Ce" {
		t.Errorf("escapeProperty = %q", got)
	}
	if got := escapeData("a%b\r\nc:d,e"); got != "a%25b%0D%0Ac:d,e" {
		t.Errorf("escapeData = %q", got)
	}
}

// TestGitHubGroupsStopCommands proves that text from the config or the
// cloud shown in a group cannot run a workflow command.
func TestGitHubGroupsStopCommands(t *testing.T) {
	r := &Report{Secrets: []*Secret{{Name: "s\n::error::name", Verdict: Match, Consumers: []*Consumer{{
		ID: "runner", Resolved: true, Via: "env", Ref: "X", Fingerprint: "hmac-sha256:000000000000",
		Skipped: []Skipped{{Via: "env", Ref: "A", Why: "unset\n::add-mask::x\n  ::error::pwned"}},
	}}}}}
	r.Finish("error")
	out := lines(write(t, GitHub{}, r))
	active := true
	token := ""
	for _, l := range out {
		trimmed := strings.TrimLeft(l, " \t")
		switch {
		case active && strings.HasPrefix(trimmed, "::stop-commands::"):
			token = strings.TrimPrefix(trimmed, "::stop-commands::")
			active = false
		case !active && trimmed == "::"+token+"::":
			active = true
		case active && (strings.HasPrefix(trimmed, "::error") || strings.HasPrefix(trimmed, "::add-mask")):
			t.Errorf("injected command is live: %q", l)
		}
	}
	if token == "" || !active {
		t.Errorf("groups do not stop and resume commands:\n%s", strings.Join(out, "\n"))
	}
	if out[0] != "::group::secret s%0A::error::name (MATCH)" {
		t.Errorf("group title not escaped: %q", out[0])
	}
}

// Written through a ghactions.Writer (the CLI in Actions), the groups
// open no stop-commands block: the runner's stop state is shared with
// stderr, where masks may be written, and the body is inert already. The
// text that could inject a command is made inert instead.
func TestGitHubGroupsInActionsOpenNoStopBlock(t *testing.T) {
	r := &Report{Secrets: []*Secret{{Name: "s", Verdict: Match, Consumers: []*Consumer{{
		ID: "runner", Resolved: true, Via: "env", Ref: "X", Fingerprint: "hmac-sha256:000000000000",
		Skipped: []Skipped{{Via: "env", Ref: "A", Why: "unset\n::add-mask::x\n  ::error::pwned ##[set-env name=A;]b"}},
	}}}}}
	r.Finish("error")
	var b bytes.Buffer
	gw := ghactions.NewWriter(&b)
	if err := (GitHub{}).Write(gw, r); err != nil {
		t.Fatal(err)
	}
	if err := gw.Flush(); err != nil {
		t.Fatal(err)
	}
	var run runnertest.Runner
	run.Feed(b.String())
	var names []string
	for _, c := range run.Commands {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "group endgroup" {
		t.Errorf("the runner would run %q, want the group alone:\n%s", got, b.String())
	}
	if len(run.Suspicious) > 0 {
		t.Errorf("lines read like commands: %q", run.Suspicious)
	}
}

func TestGitHubOutputs(t *testing.T) {
	r := incidentReport(secret.ScopeRun)
	var b bytes.Buffer
	if err := WriteGitHubOutputs(&b, r, "out/report.json"); err != nil {
		t.Fatal(err)
	}
	if want := "result=fail\nerrors=3\nwarnings=2\nreport=out/report.json\n"; b.String() != want {
		t.Errorf("outputs:\n%s\nwant:\n%s", b.String(), want)
	}

	// A value with a line break uses the delimiter syntax, with a
	// delimiter that does not occur in the value: the first candidate from
	// this reader is in it, so the second is used.
	first := "ghadelimiter_" + strings.Repeat("01", 16)
	path := "dir\n" + first + "\nresult=pass"
	rnd := bytes.NewReader(append(bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16)...))
	b.Reset()
	if err := writeGitHubOutputs(&b, r, path, rnd); err != nil {
		t.Fatal(err)
	}
	second := "ghadelimiter_" + strings.Repeat("02", 16)
	want := "result=fail\nerrors=3\nwarnings=2\nreport<<" + second + "\n" + path + "\n" + second + "\n"
	if b.String() != want {
		t.Errorf("outputs:\n%s\nwant:\n%s", b.String(), want)
	}
	got := parseGitHubOutput(t, b.String())
	if got["report"] != path || got["result"] != "fail" || len(got) != 4 {
		t.Errorf("parsed outputs = %q", got)
	}

	// With the real random source the file still parses back.
	b.Reset()
	if err := WriteGitHubOutputs(&b, r, path); err != nil {
		t.Fatal(err)
	}
	if got := parseGitHubOutput(t, b.String()); got["report"] != path || got["warnings"] != "2" {
		t.Errorf("parsed outputs = %q", got)
	}

	// A reader that runs dry is an error, not a fixed delimiter.
	if err := writeGitHubOutputs(&b, r, path, bytes.NewReader(nil)); err == nil {
		t.Error("no error when no delimiter could be chosen")
	}
}

// parseGitHubOutput reads a GITHUB_OUTPUT file the way the runner does.
func parseGitHubOutput(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ls := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		if name, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for i++; i < len(ls) && ls[i] != delim; i++ {
				val = append(val, ls[i])
			}
			if i == len(ls) {
				t.Fatalf("delimiter %q never closes", delim)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("bad output line %q", l)
		}
		out[name] = val
	}
	return out
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/examples"
	"github.com/secret-preflight/secret-preflight/internal/ghactions/runnertest"
	"github.com/secret-preflight/secret-preflight/report"
)

// hostileNames are what a pull request could put in a name, a value
// quoted in an error, or an API answer, each trying to run a workflow
// command whose data or property holds PWN. None has a "/", so each can
// also be a Cloud Run service or revision name in the fake.
var hostileNames = []string{
	"::set-output name=PWN::PWN",
	"##[add-mask]PWN",
	"##[set-env name=PWN;]PWN",
	"  ::warning::PWN",
	"x\r::set-env name=PWN::PWN",
	"x\n::add-path::PWN",
	"x\r\n\t::error::PWN",
	"x\u2028::set-output name=PWN::PWN",
	"x\u0085\u00a0::save-state name=PWN::PWN",
	"x ##[error]PWN ##[debug]PWN",
	"::stop-commands::PWN",
	"\u200b::notice::PWN",
}

// hostileValue is a Secret Manager value shaped like commands: the tool
// masks it line by line, and the masks must not become anything else.
const hostileValue = "::set-output name=v::PWN-value-0123456789abcdef0123456789\n##[add-mask]PWN-value-second-line-0123456789"

// q quotes s for a YAML double-quoted scalar (Go escapes are YAML escapes).
func q(s string) string { return strconv.Quote(s) }

// hostileWorld is a fake cloud, a config, a manifest and an environment
// whose every name is h.
type hostileWorld struct {
	*harness
	h                              string
	cfg, badCfg, probeCfg, fixture string
	badFixture                     string
	values                         []string // every value the tool may mask
}

func newHostileWorld(t *testing.T, h string) *hostileWorld {
	const v1 = "hostile-world-key-1-0123456789abcdef0123456789"
	fixture := `
projects: {stg: "111111111111"}
secrets:
  - name: projects/stg/secrets/jwt
    versions:
      - {value: "` + v1 + `"}
  - name: projects/stg/secrets/odd
    versions:
      - {value: ` + q(hostileValue) + `}
services:
  - name: projects/stg/locations/us-central1/services/api
    trafficStatuses:
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: ` + q(h) + `, percent: 50}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-1, percent: 50}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-1, tag: ` + q(h) + `}
    template:
      containers:
        - name: ` + q(h) + `
          env:
            - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: latest}}}
  - name: projects/stg/locations/us-central1/services/denied
  - name: ` + q("projects/stg/locations/us-central1/services/"+h) + `
    template:
      containers:
        - name: ` + q(h) + `
          env:
            - {name: ` + q(h) + `, valueSource: {secretKeyRef: {secret: jwt, version: latest}}}
jobs:
  - name: projects/stg/locations/us-central1/jobs/migrate
    template:
      template:
        containers:
          - name: ` + q(h) + `
            env:
              - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: latest}}}
              - {name: ` + q(h) + `, value: "x"}
revisions:
  - name: ` + q("projects/stg/locations/us-central1/services/api/revisions/"+h) + `
    containers:
      - name: ` + q(h) + `
        ports: [{containerPort: 8080}]
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: latest}}}
          - {name: ` + q(h) + `, value: "x"}
          - {name: ODD, valueSource: {secretKeyRef: {secret: odd, version: latest}}}
          - {name: GONE, valueSource: {secretKeyRef: {secret: ` + q(h) + `, version: latest}}}
  - name: projects/stg/locations/us-central1/services/api/revisions/api-1
    containers:
      - name: app
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "1"}}}
          - {name: GONE, valueSource: {secretKeyRef: {secret: jwt, version: "9"}}}
          - {name: ODD, valueSource: {secretKeyRef: {secret: odd, version: latest}}}
`
	w := &hostileWorld{harness: newHarness(t, fixture), h: h, values: []string{v1, hostileValue, "runner-literal-0123456789abcdef0123456789"}}
	w.srv.SetFaultMessage("GetService", "projects/stg/locations/us-central1/services/denied", codes.PermissionDenied, "denied: "+h+"\n"+h)
	w.srv.SetFaultMessage("AccessSecretVersion", "projects/stg/secrets/jwt/versions/9", codes.NotFound, h)
	w.fixture = w.write("fixture.yaml", fixture)
	w.badFixture = w.write("bad-fixture.yaml", "secrets:\n  - name: "+q(h)+"\n    "+q(h)+": 1\n")
	manifest := w.write(h+".yaml", `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: `+q(h)+`}
spec:
  template:
    spec:
      containers:
        - name: `+q(h)+`
          env:
            - {name: JWT_SECRET, valueFrom: {secretKeyRef: {name: jwt, key: "1"}}}
            - {name: `+q(h)+`, value: "x"}
`)
	// Every probe is refused: valid ones included (SP162).
	probe := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusForbidden) }))
	t.Cleanup(probe.Close)
	w.write("broken.yaml", "spec:\n  template: {{ "+q(h)+" }\n")
	w.cfg = w.write("secret-preflight.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: `+q(h)+`
    jwt: {algorithm: HS256}
    probes:
      - url: `+q(probe.URL+"/api")+`
        bypass_headers: {X-Test: "true"}
    must_differ_from: [other]
    runner: {chain: [{env: RUNNER_KEY}, {literal: "runner-literal-0123456789abcdef0123456789"}]}
    services:
      - {cloudrun: api, chain: [JWT_SECRET, ODD, GONE]}
      - {cloudrun: api, container: `+q(h)+`, chain: [JWT_SECRET]}
      - {cloudrun: denied, chain: [JWT_SECRET]}
      - {cloudrun: api, tag: e2e, chain: [JWT_SECRET]}
      - {cloudrun_job: migrate, chain: [JWT_SECRET]}
      - {cloudrun_job: migrate, container: `+q(h)+`, chain: [JWT_SECRET]}
      - {manifest: `+q(manifest)+`, chain: [JWT_SECRET]}
      - {manifest: `+q(filepath.Join(w.dir, "broken.yaml"))+`, chain: [JWT_SECRET]}
      - {set_secrets: "JWT_SECRET=jwt:1", name: `+q(h)+`, chain: [JWT_SECRET]}
  - name: other
    runner: {chain: [{env: RUNNER_KEY}]}
    services:
      - {cloudrun: api, chain: [ODD]}
      - {cloudrun: api, chain: [GONE]}
`)
	// A probe URL that holds h: a config error or a probe, whichever the
	// URL makes it.
	w.probeCfg = w.write("probe.yaml", `version: 1
secrets:
  - name: `+q(h)+`
    jwt: {algorithm: HS256}
    probes: [{url: `+q(probe.URL+"/x?q="+h)+`}, {url: `+q(probe.URL+"/"+h)+`}]
    runner: {chain: [{env: RUNNER_KEY}]}
`)
	w.badCfg = w.write("bad.yaml", `version: 1
gcp: {project: `+q(h)+`, region: `+q(h)+`}
secrets:
  - name: `+q(h)+`
    `+q(h)+`: 1
    must_differ_from: [`+q(h)+`]
    runner: {chain: [`+q(h)+`, {literal: `+q(h)+`}, {secretmanager: `+q(h)+`}]}
    services:
      - {cloudrun: `+q(h)+`, chain: [`+q(h)+`]}
      - {set_secrets: `+q(h)+`, chain: [X]}
`)
	w.env["RUNNER_KEY"] = v1
	w.env["TOKEN"] = signHS256(t, v1, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()})
	w.env["GITHUB_ACTIONS"] = "true"
	w.env["GITHUB_WORKSPACE"] = w.dir
	return w
}

// actionsCases are the ways of running the tool that the Actions test
// drives with hostile names. To cover a new command, format or output path
// (SARIF, merge, probes...), add one entry here; a new report format is
// covered for check and demo as soon as report.Formats lists it.
var actionsCases = []actionsCase{
	{"check default format", func(w *hostileWorld) []string { return []string{"check", "-c", w.cfg} }},
	{"check with every output", func(w *hostileWorld) []string {
		args := []string{"check", "-c", w.cfg, "--format", "json"}
		for _, f := range report.Formats() {
			args = append(args, "--output", f+"="+filepath.Join(w.dir, "out."+f))
		}
		return args
	}},
	{"check --baseline", func(w *hostileWorld) []string {
		return []string{"check", "-c", w.cfg, "--baseline", filepath.Join(w.dir, "out.json")}
	}},
	{"merge", func(w *hostileWorld) []string {
		args := []string{"merge", filepath.Join(w.dir, "out.json")}
		for _, f := range report.Formats() {
			args = append(args, "--output", f+"="+filepath.Join(w.dir, "merged."+f))
		}
		return args
	}},
	{"merge shards keyed differently", func(w *hostileWorld) []string {
		// Two run-scoped reports: refused, naming both files.
		return []string{"merge", filepath.Join(w.dir, "out.json"), filepath.Join(w.dir, "out.json")}
	}},
	{"merge not a report", func(w *hostileWorld) []string { return []string{"merge", w.badCfg, filepath.Join(w.dir, w.h)} }},
	{"merge bad flags", func(w *hostileWorld) []string {
		return []string{"merge", filepath.Join(w.dir, "out.json"), "--fail-on", w.h, "--" + w.h}
	}},
	{"check json with github on stdout too", func(w *hostileWorld) []string {
		return []string{"check", "-c", w.cfg, "--format", "json", "--output", "github=-"}
	}},
	{"check --only", func(w *hostileWorld) []string { return []string{"check", "-c", w.cfg, "--only", w.h} }},
	{"check with probes", func(w *hostileWorld) []string { return []string{"check", "-c", w.probeCfg} }},
	{"check bad config", func(w *hostileWorld) []string { return []string{"check", "-c", w.badCfg} }},
	{"check bad flags", func(w *hostileWorld) []string {
		return []string{"check", "-c", w.cfg, "--fail-on", w.h, "--output", w.h + "=x", "--" + w.h}
	}},
	{"check bad output format", func(w *hostileWorld) []string { return []string{"check", "-c", w.cfg, "--output", w.h + "=x"} }},
	{"check bad fail-on", func(w *hostileWorld) []string { return []string{"check", "-c", w.cfg, "--fail-on", w.h} }},
	{"check missing config", func(w *hostileWorld) []string { return []string{"check", "-c", filepath.Join(w.dir, w.h)} }},
	{"check baseline not JSON", func(w *hostileWorld) []string { return []string{"check", "-c", w.cfg, "--baseline", w.badCfg} }},
	{"validate", func(w *hostileWorld) []string { return []string{"validate", "-c", w.cfg} }},
	{"validate bad config", func(w *hostileWorld) []string { return []string{"validate", "-c", w.badCfg} }},
	{"init", func(w *hostileWorld) []string { return []string{"init", "--project", "stg", "--region", "us-central1"} }},
	{"init every region", func(w *hostileWorld) []string { return []string{"init", "--project", "stg", "--region", "-"} }},
	{"init bad flags", func(w *hostileWorld) []string { return []string{"init", "--project", w.h, "--region", w.h} }},
	{"token", func(w *hostileWorld) []string {
		return []string{"token", "-c", w.cfg, "--secret", w.h, "--token-env", "TOKEN"}
	}},
	{"token unknown secret", func(w *hostileWorld) []string {
		return []string{"token", "-c", w.cfg, "--secret", w.h + "?", "--token-env", "TOKEN"}
	}},
	{"token not a JWT", func(w *hostileWorld) []string { return []string{"token", "-c", w.cfg, "--secret", w.h, "--token", w.h} }},
	{"emulator", func(w *hostileWorld) []string { return []string{"emulator", "--fixture", w.fixture} }},
	{"emulator bad fixture", func(w *hostileWorld) []string { return []string{"emulator", "--fixture", w.badFixture} }},
	{"version", func(w *hostileWorld) []string { return []string{"version"} }},
	{"help", func(w *hostileWorld) []string { return []string{"help"} }},
	{"unknown command", func(w *hostileWorld) []string { return []string{w.h} }},
	{"unknown flag", func(w *hostileWorld) []string { return []string{"validate", "--" + w.h} }},
}

// actionsCase is one run of the tool: a name and its arguments.
type actionsCase struct {
	name string
	args func(w *hostileWorld) []string
}

// everyActionsCase is actionsCases plus every command that has --format
// (check, check with probes, demo, merge) in every format on stdout. The
// merge cases read the out.json that "check with every output" wrote, so
// they come after actionsCases.
func everyActionsCase() []actionsCase {
	cases := append([]actionsCase(nil), actionsCases...)
	for _, f := range report.Formats() {
		cases = append(cases,
			actionsCase{"check --format " + f, func(w *hostileWorld) []string { return []string{"check", "-c", w.cfg, "--format", f} }},
			actionsCase{"check with probes --format " + f, func(w *hostileWorld) []string {
				return []string{"check", "-c", w.probeCfg, "--format", f}
			}},
			actionsCase{"demo --format " + f, func(w *hostileWorld) []string { return []string{"demo", "--format", f} }},
			actionsCase{"merge --format " + f, func(w *hostileWorld) []string {
				return []string{"merge", filepath.Join(w.dir, "out.json"), "--format", f}
			}})
	}
	return cases
}

// Every command that takes --format runs in every format in the Actions
// test: a format added to report.Formats, or a command given --format, is
// driven with the hostile names without anyone remembering to add it.
func TestEveryActionsCaseCoversEveryFormat(t *testing.T) {
	w := &hostileWorld{harness: &harness{dir: t.TempDir()}, cfg: "c.yaml", probeCfg: "p.yaml"}
	seen := map[string]bool{}
	for _, c := range everyActionsCase() {
		args := c.args(w)
		for i, a := range args {
			if a == "--format" && i+1 < len(args) {
				seen[args[0]+" "+args[i+1]] = true
				if args[0] == "check" && slices.Contains(args, w.probeCfg) {
					seen["probes "+args[i+1]] = true
				}
			}
		}
	}
	for _, cmd := range []string{"check", "probes", "demo", "merge"} {
		for _, f := range report.Formats() {
			if !seen[cmd+" "+f] {
				t.Errorf("%s --format %s is not among the Actions cases", cmd, f)
			}
		}
	}
}

// ownTitle is the title of an annotation the tool writes.
var ownTitle = regexp.MustCompile(`(?s)^(SP\d{3}( .*)?|secret-preflight note|secret-preflight findings not enforced|changes since baseline(: [a-z_]+)?)$`)

// ownGroups are the title prefixes of the tool's own ::group:: commands;
// a new group in the github format adds its prefix here.
var ownGroups = []string{"secret ", "ignored findings", "live probes"}

// In GitHub Actions, every byte the tool prints on stdout and stderr, for
// every command and format, is inert for the runner except its own masks,
// annotations and groups: hostile names in the config, the manifests, the
// fake cloud's answers and its error messages run no command.
func TestActionsOutputRunsOnlyOwnCommands(t *testing.T) {
	for i, h := range hostileNames {
		w := newHostileWorld(t, h)
		allowedMasks := map[string]bool{}
		for _, v := range append(w.values, w.env["TOKEN"]) {
			for _, line := range runnertest.Lines(v) {
				allowedMasks[strings.TrimSpace(line)] = true
			}
		}
		for _, c := range everyActionsCase() {
			args := c.args(w)
			allowedMasks := allowedMasks
			if args[0] == "demo" {
				allowedMasks = demoMasks(t, allowedMasks)
			}
			name := fmt.Sprintf("%s/hostile-%d", c.name, i)
			ctx, cancel := context.WithCancel(context.Background())
			if args[0] == "emulator" {
				cancel() // serve, print the address, and return at once
			}
			var out, errb bytes.Buffer
			code := run(ctx, args, &env{lookup: func(k string) (string, bool) { v, ok := w.env[k]; return v, ok }}, &out, &errb)
			cancel()
			if strings.Contains(errb.String(), "internal error: panic") {
				t.Errorf("%s: exit %d with an internal error:\n%s", name, code, errb.String())
			}
			for stream, text := range map[string]string{"stdout": out.String(), "stderr": errb.String()} {
				assertOnlyOwnCommands(t, name+" "+stream, text, allowedMasks)
			}
			assertMasksInEveryInterleaving(t, name, out.String(), errb.String())
			// The probe config is a config error for most hostile names
			// (exit 2, nothing on stdout): only the main config's report.
			if args[0] == "check" && slices.Contains(args, w.cfg) && args[len(args)-1] == "json" {
				assertLosslessJSON(t, name, out.Bytes(), h)
			}
		}
	}
}

// assertLosslessJSON checks that the inert JSON report still decodes, to
// the names as they were: the escapes Inert uses are JSON's own.
func assertLosslessJSON(t *testing.T, where string, out []byte, h string) {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Errorf("%s: stdout is not JSON: %v", where, err)
		return
	}
	if len(r.Secrets) == 0 || r.Secrets[0].Name != h {
		t.Errorf("%s: the first secret is not named %q: %+v", where, h, r.Secrets)
	}
}

// assertMasksInEveryInterleaving feeds stdout and stderr to one runner
// model, as the runner shares one command state between them, in every
// order it may read them (runnertest.Interleavings): each mask the tool
// wrote must be registered in every order, none may fall inside a
// stop-commands block opened on the other stream, and no block may stay
// open.
func assertMasksInEveryInterleaving(t *testing.T, where, stdout, stderr string) {
	t.Helper()
	want := map[string]bool{}
	for _, text := range []string{stdout, stderr} {
		var r runnertest.Runner
		r.Feed(text)
		for _, c := range r.Commands {
			if c.Name == "add-mask" {
				want[c.Data] = true
			}
		}
	}
	for _, order := range runnertest.Interleavings(stdout, stderr) {
		var r runnertest.Runner
		for _, line := range order {
			r.Line(line)
		}
		got := map[string]bool{}
		for _, c := range r.Commands {
			if c.Name == "add-mask" {
				got[c.Data] = true
			}
		}
		for m := range want {
			if !got[m] {
				t.Errorf("%s: with stdout and stderr read in this order, a mask is not registered:\n%s", where, strings.Join(order, "\n"))
				return
			}
		}
		if r.Stopped() {
			t.Errorf("%s: with stdout and stderr read in this order, a stop-commands block never ends:\n%s", where, strings.Join(order, "\n"))
			return
		}
	}
}

func assertOnlyOwnCommands(t *testing.T, where, text string, allowedMasks map[string]bool) {
	t.Helper()
	var r runnertest.Runner
	r.Feed(text)
	for _, line := range r.Suspicious {
		t.Errorf("%s: a line reads like a workflow command: %q", where, line)
	}
	if r.Stopped() {
		t.Errorf("%s: a stop-commands block never ends", where)
	}
	for _, c := range r.Commands {
		ok := false
		switch {
		case c.Legacy:
		case c.Name == "add-mask":
			ok = allowedMasks[c.Data]
		case c.Name == "error" || c.Name == "warning" || c.Name == "notice":
			ok = ownTitle.MatchString(c.Props["title"])
		case c.Name == "group":
			ok = slices.ContainsFunc(ownGroups, func(p string) bool { return strings.HasPrefix(c.Data, p) })
		case c.Name == "endgroup":
			ok = c.Data == ""
		}
		if !ok {
			t.Errorf("%s: the runner would run %q (legacy %v) from line %q", where, c.Name, c.Legacy, c.Line)
		}
	}
}

// The other half of the Actions guarantee: the tool's own commands do
// reach the runner, whatever the hostile names. The masks come first on
// their stream and register in every order the runner may read stdout and
// stderr; each finding not ignored has its annotation; with --fail-on
// never the "findings not enforced" warning runs.
func TestActionsOwnCommandsReachTheRunner(t *testing.T) {
	for i, h := range hostileNames {
		w := newHostileWorld(t, h)
		wantMasks := map[string]bool{}
		for _, v := range []string{w.values[0], hostileValue} {
			for _, line := range runnertest.Lines(v) {
				wantMasks[strings.TrimSpace(line)] = true
			}
		}
		jsonPath := filepath.Join(w.dir, "reach.json")
		for _, c := range []struct {
			label string
			args  []string
		}{
			{"github on stdout", []string{"check", "-c", w.cfg, "--fail-on", "never", "--output", "json=" + jsonPath}},
			{"json on stdout, github=-", []string{"check", "-c", w.cfg, "--fail-on", "never", "--output", "json=" + jsonPath, "--format", "json", "--output", "github=-"}},
		} {
			args := c.args
			name := fmt.Sprintf("%s/hostile-%d", c.label, i)
			code, out, errs := w.run(args...)
			rep := readReport(t, jsonPath)
			if !rep.NotEnforced() {
				t.Fatalf("%s: exit %d, result %s: the world must fail with findings not enforced", name, code, rep.Result)
			}
			maskStream := out
			if slices.Contains(args, "github=-") {
				maskStream = errs
			}
			var first runnertest.Runner
			first.Feed(maskStream)
			masksDone := false
			for _, c := range first.Commands {
				if c.Name != "add-mask" {
					masksDone = true
				} else if masksDone {
					t.Errorf("%s: a mask comes after another command: %q", name, c.Line)
				}
			}
			for _, order := range runnertest.Interleavings(out, errs) {
				var r runnertest.Runner
				for _, line := range order {
					r.Line(line)
				}
				if msg := missingOwnCommands(&r, rep, wantMasks); msg != "" {
					t.Errorf("%s: %s, with stdout and stderr read in this order:\n%s", name, msg, strings.Join(order, "\n"))
					break
				}
			}
		}
	}
}

// missingOwnCommands says which of the tool's commands the runner did not
// run, or "" when all of them ran.
func missingOwnCommands(r *runnertest.Runner, rep *report.Report, wantMasks map[string]bool) string {
	masks := map[string]bool{}
	titles := map[string]int{}
	for _, c := range r.Commands {
		switch c.Name {
		case "add-mask":
			masks[c.Data] = true
		case "error", "warning", "notice":
			titles[c.Name+" "+c.Props["title"]]++
		}
	}
	for m := range wantMasks {
		if !masks[m] {
			return fmt.Sprintf("the mask of %q is not registered", m)
		}
	}
	for _, f := range rep.Findings {
		if f.Ignored != "" {
			continue
		}
		title := f.Code
		if f.Secret != "" {
			title += " " + f.Secret
		}
		// What the runner reads back: the escapes it does not reverse stay.
		title = inertEscapes.Replace(title)
		cmd := map[string]string{report.SevError: "error", report.SevWarning: "warning"}[f.Severity]
		if cmd == "" {
			cmd = "notice"
		}
		if titles[cmd+" "+title] == 0 {
			return fmt.Sprintf("no ::%s annotation titled %q", cmd, title)
		}
		titles[cmd+" "+title]--
	}
	if titles["warning secret-preflight findings not enforced"] != 1 {
		return "the findings-not-enforced ::warning did not run"
	}
	return ""
}

// inertEscapes are the escapes ghactions applies to command data and
// properties that the runner does not reverse.
var inertEscapes = strings.NewReplacer("##[", `#\u0023[`, "\u0085", `\u0085`, "\u2028", `\u2028`, "\u2029", `\u2029`)

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal(mustRead(t, path), &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &r
}

// A manifest's container name with blank lines, in the job summary,
// stays inside its <details><summary>: it cannot end the HTML block and
// render a fake verdict heading and link of its own.
func TestStepSummaryHostileContainerName(t *testing.T) {
	const hostile = "x\n\n# ✅ secret-preflight: PASS\n\n[Re-run with debug](https://evil.example/x)\r\n\r\n<details>"
	h := newHarness(t, `
projects: {stg: "111111111111"}
secrets:
  - name: projects/stg/secrets/jwt
    versions: [{value: "summary-value-0123456789abcdef"}]
`)
	h.env["JWT_SECRET"] = "summary-value-0123456789abcdef"
	m := h.write("svc.yaml", `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: `+q(hostile)+`
          env:
            - {name: JWT_SECRET, valueFrom: {secretKeyRef: {name: jwt, key: "1"}}}
`)
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: s
    runner: {chain: [{env: JWT_SECRET}]}
    services: [{manifest: `+q(m)+`, chain: [UNSET_FIRST, JWT_SECRET]}]
`)
	sum := filepath.Join(h.dir, "summary.md")
	h.env["GITHUB_STEP_SUMMARY"] = sum
	h.env["GITHUB_ACTIONS"] = "true"
	if code, _, errs := h.run("check", "-c", cfg); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b := string(mustRead(t, sum))
	details := 0
	for _, l := range strings.FieldsFunc(b, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.Contains(l, "<details><summary>") {
			details++
			if !strings.HasSuffix(l, "</summary>") {
				t.Errorf("the <summary> spans lines: %q", l)
			}
		}
		if strings.HasPrefix(l, "# ") || strings.HasPrefix(l, "[Re-run") {
			t.Errorf("the container name renders as markdown of its own: %q", l)
		}
	}
	if details != 1 {
		t.Errorf("%d <details> blocks, want the one of the skipped link:\n%s", details, b)
	}
}

// demoMasks is allowed plus the values of the demo's fixture, which the
// demo masks in Actions.
func demoMasks(t *testing.T, allowed map[string]bool) map[string]bool {
	t.Helper()
	data, err := fs.ReadFile(examples.FS, "staging-incident/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := maps.Clone(allowed)
	out["staging-jwt-secret-key"] = true // the runner's literal
	for _, m := range regexp.MustCompile(`value: "([^"]+)"`).FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = true
	}
	return out
}

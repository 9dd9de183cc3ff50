package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/report"
)

func TestDemoCatchesIncidentAndPassesFix(t *testing.T) {
	h := &harness{t: t, env: map[string]string{}}
	code, out, errs := h.run("demo")
	if code != exitOK {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.HasPrefix(out, "=== 1/4 ") {
		t.Errorf("demo output does not start with act 1/4:\n%s", out)
	}
	incident, rest, ok := strings.Cut(out, "=== 2/4")
	if !ok {
		t.Fatalf("demo output has no second step:\n%s", out)
	}
	fixed, act3, ok := strings.Cut(rest, "=== 3/4")
	if !ok {
		t.Fatalf("demo output has no third act:\n%s", out)
	}
	bypass, secure, ok := strings.Cut(act3, "=== 4/4")
	if !ok {
		t.Fatalf("the third act has no secure endpoint:\n%s", act3)
	}
	for _, want := range []string{"SP163", "let in the bypass probe", "X-E2E-Test", "http://127.0.0.1:", "(exit code 1)"} {
		if !strings.Contains(bypass, want) {
			t.Errorf("the bypass endpoint's output lacks %q:\n%s", want, bypass)
		}
	}
	if strings.Contains(secure, "SP163") || strings.Contains(secure, "SP162") || !strings.Contains(secure, "(exit code 0)") ||
		!strings.Contains(secure, "bypass          401  refused") {
		t.Errorf("the secure endpoint must pass with the bypass refused:\n%s", secure)
	}
	for _, want := range []string{
		"FAIL",
		"SP100",
		"runner fell back to the literal at link 3 because STAGING_JWT_SECRET, JWT_SECRET_STAGING, JWT_SECRET_KEY are not set",
		"SP120",
		"(exit code 1)",
	} {
		if !strings.Contains(incident, want) {
			t.Errorf("incident output lacks %q", want)
		}
	}
	for _, want := range []string{"PASS", "MATCH", "(exit code 0)"} {
		if !strings.Contains(fixed, want) {
			t.Errorf("fixed output lacks %q", want)
		}
	}
	if strings.Contains(fixed, "SP100") {
		t.Error("the fixed configuration still reports SP100")
	}
}

// The demo in JSON prints one JSON array of its four reports (one
// document, so jq and json.load read it); decode it and check their
// verdicts and the runner's winning link.
func TestDemoJSON(t *testing.T) {
	h := &harness{t: t, env: map[string]string{}}
	code, out, errs := h.run("demo", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var reps []report.Report
	if err := json.Unmarshal([]byte(out), &reps); err != nil {
		t.Fatalf("stdout is not one JSON array of reports: %v", err)
	}
	if len(reps) != 4 {
		t.Fatalf("%d reports, want 4", len(reps))
	}
	if reps[0].Result != report.Fail || reps[1].Result != report.Pass || reps[2].Result != report.Fail || reps[3].Result != report.Pass {
		t.Fatalf("results %s, %s, %s, %s; want fail, pass, fail, pass", reps[0].Result, reps[1].Result, reps[2].Result, reps[3].Result)
	}
	if len(reps[2].Probes) != 8 || reps[2].Probes[7].Probe != "bypass" || !reps[2].Probes[7].LetIn || reps[3].Probes[7].LetIn {
		t.Errorf("act 3 probes: %+v then %+v", reps[2].Probes, reps[3].Probes)
	}
	runner := reps[0].Secrets[0].Consumers[0]
	if runner.ID != "runner" || runner.Via != "literal" || runner.Link != 3 || len(runner.Skipped) != 3 {
		t.Errorf("incident runner = %+v", runner)
	}
	for _, c := range reps[0].Secrets[0].Consumers[1:] {
		if c.Version != "2" || c.Via != "env" || !c.Resolved {
			t.Errorf("service consumer %s: version %q via %q", c.ID, c.Version, c.Via)
		}
	}
	if reps[0].Schema != report.Schema || reps[0].FingerprintScope != "run" {
		t.Errorf("schema %q scope %q", reps[0].Schema, reps[0].FingerprintScope)
	}
}

// In GitHub Actions the demo follows check's output rules: the github
// format by default, and every value any act resolved masked before
// anything else, on stdout, or on stderr when stdout carries another
// format.
func TestDemoInGitHubActions(t *testing.T) {
	values := []string{"demo-current-Jk4Rw8Tz2Qm6Xv1Pb9Lc5Hn3Ys7Dg0Fa", "staging-jwt-secret-key"}
	h := &harness{t: t, env: map[string]string{"GITHUB_ACTIONS": "true"}}
	code, out, errs := h.run("demo")
	if code != exitOK {
		t.Fatalf("demo exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "::error title=") || strings.Contains(out, "=== ") {
		t.Errorf("the default format in Actions is not github:\n%s", out)
	}
	assertMasksFirst(t, out, values)
	assertNoLeakInActions(t, "demo stdout in Actions", out, values)
	assertNoLeak(t, "demo stderr in Actions", errs, values)

	code, out, errs = h.run("demo", "--format", "text")
	if code != exitOK {
		t.Fatalf("demo --format text exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "=== ") {
		t.Errorf("--format text is not text:\n%s", out)
	}
	assertMasksFirst(t, errs, values)
	assertNoLeak(t, "demo --format text stdout in Actions", out, values)
}

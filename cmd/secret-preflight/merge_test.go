package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/report"
)

// shardsFixture has three services: api-a and api-c read version 2 of the
// JWT secret, api-b reads version 1.
func shardsFixture() string {
	return concat(secretsFixture,
		service("api-a", map[string]int{"api-a-00001-aaa": 100}, map[string]string{"api-a-00001-aaa": envVersion("2")}),
		service("api-b", map[string]int{"api-b-00001-bbb": 100}, map[string]string{"api-b-00001-bbb": envVersion("1")}),
		service("api-c", map[string]int{"api-c-00001-ccc": 100}, map[string]string{"api-c-00001-ccc": envVersion("2")}),
	)
}

const runnerEnvChain = "[JWT_SECRET]"

// shard runs check on a config and writes its JSON report, as one job of a
// matrix would; it returns the report's path.
func (h *harness) shard(name, cfg string, wantExit int, extra ...string) string {
	h.t.Helper()
	out := filepath.Join(h.dir, name+".json")
	args := append([]string{"check", "-c", h.write(name+".yaml", cfg), "--format", "text", "--output", "json=" + out}, extra...)
	code, _, errs := h.run(args...)
	if code != wantExit {
		h.t.Fatalf("shard %s: exit %d, want %d\n%s", name, code, wantExit, errs)
	}
	return out
}

func (h *harness) merge(args ...string) (int, *report.Report, string) {
	h.t.Helper()
	code, out, errs := h.run(append([]string{"merge", "--format", "json"}, args...)...)
	if code == exitUsage {
		return code, nil, errs
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		h.t.Fatalf("merge exit %d: stdout is not a JSON report: %v\n%s\n%s", code, err, out, errs)
	}
	return code, &r, errs
}

func consumerIDs(r *report.Report, secret string) []string {
	var ids []string
	for _, s := range r.Secrets {
		if s.Name == secret {
			for _, c := range s.Consumers {
				ids = append(ids, c.ID)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func newShardHarness(t *testing.T) *harness {
	h := newHarness(t, shardsFixture())
	h.env["SECRET_PREFLIGHT_FINGERPRINT_KEY"] = "a-shared-fingerprint-key-for-every-shard"
	h.env["JWT_SECRET"] = keyV2
	return h
}

func TestMergeAgreeingShards(t *testing.T) {
	h := newShardHarness(t)
	// One config per project, each with the runner: the runner is the same
	// consumer in both and is joined, not doubled.
	a := h.shard("a", cfgFor(runnerEnvChain, "{cloudrun: api-a, chain: [JWT_SECRET]}"), exitOK)
	c := h.shard("c", cfgFor(runnerEnvChain, "{cloudrun: api-c, chain: [JWT_SECRET]}"), exitOK)
	code, r, errs := h.merge(a, c)
	if code != exitOK || r.Result != report.Pass {
		t.Fatalf("merge of agreeing shards: exit %d, result %v\n%s", code, r, errs)
	}
	want := []string{"cloudrun:api-a@api-a-00001-aaa/app", "cloudrun:api-c@api-c-00001-ccc/app", "runner"}
	if got := consumerIDs(r, "jwt-signing"); !slices.Equal(got, want) {
		t.Errorf("consumers %v, want %v", got, want)
	}
	if len(r.Secrets) != 1 || r.Secrets[0].Verdict != report.Match {
		t.Errorf("secrets %+v, want one matching", r.Secrets)
	}
	if r.FingerprintScope != "stable" || r.FingerprintKeyID == "" || r.Summary != (report.Summary{}) {
		t.Errorf("scope %q key %q summary %+v", r.FingerprintScope, r.FingerprintKeyID, r.Summary)
	}
	// Flags after the reports, several outputs, and one report on its own.
	md := filepath.Join(h.dir, "merged.md")
	if code, _, errs := h.run("merge", a, c, "--format", "sarif", "--output", "markdown="+md); code != exitOK {
		t.Errorf("merge with flags after the reports: exit %d\n%s", code, errs)
	}
	if b := mustRead(t, md); !strings.Contains(string(b), "PASS") {
		t.Errorf("markdown of the merge:\n%s", b)
	}
	if code, r, _ := h.merge(a); code != exitOK || len(consumerIDs(r, "jwt-signing")) != 2 || !strings.HasSuffix(r.Config, "a.yaml") {
		t.Errorf("merge of one report: exit %d", code)
	}
	if r.Config != "" {
		t.Errorf("shards of two configs merged into config %q, want none", r.Config)
	}
}

// Shards split by --only: different secrets, one report.
func TestMergeShardsSplitByOnly(t *testing.T) {
	h := newShardHarness(t)
	cfg := cfgFor(runnerEnvChain, "{cloudrun: api-a, chain: [JWT_SECRET]}") +
		"  - name: other\n    runner: {chain: [JWT_SECRET]}\n    services:\n      - {cloudrun: api-b, chain: [JWT_SECRET]}\n"
	one := h.shard("only-jwt", cfg, exitOK, "--only", "jwt-signing")
	two := h.shard("only-other", cfg, exitFindings, "--only", "other")
	code, r, _ := h.merge(one, two)
	if code != exitFindings || r.Result != report.Fail || len(r.Secrets) != 2 {
		t.Fatalf("exit %d result %s secrets %d, want 1 fail 2", code, r.Result, len(r.Secrets))
	}
	if r.Secrets[0].Verdict != report.Match || r.Secrets[1].Verdict != report.Mismatch {
		t.Errorf("verdicts %s, %s", r.Secrets[0].Verdict, r.Secrets[1].Verdict)
	}
	if f := findingCodes(r)["SP100"]; f == nil || f.Secret != "other" {
		t.Errorf("SP100 of the shard: %+v", f)
	}
	if r.Summary.Errors != 1 {
		t.Errorf("summary %+v, want the one SP100", r.Summary)
	}
}

// must_differ_from across shards split by --only: neither shard can
// compare the pair; the merge does, by fingerprint, and drops the
// shards' "not checked" note.
func TestMergeChecksMustDifferAcrossShards(t *testing.T) {
	cfg := "version: 1\nsecrets:\n" +
		"  - name: stg\n    must_differ_from: [prod]\n    runner: {chain: [STG_KEY]}\n" +
		"  - name: prod\n    runner: {chain: [PROD_KEY]}\n"
	for _, tc := range []struct {
		name     string
		prod     string
		wantExit int
	}{{"equal", keyV2, exitFindings}, {"different", keyV1, exitOK}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newShardHarness(t)
			h.env["STG_KEY"], h.env["PROD_KEY"] = keyV2, tc.prod
			stg := h.shard("stg", cfg, exitOK, "--only", "stg")
			prod := h.shard("prod", cfg, exitOK, "--only", "prod")
			var shard report.Report
			if err := json.Unmarshal(mustRead(t, stg), &shard); err != nil {
				t.Fatal(err)
			}
			if want := []report.UncheckedPair{{Secret: "stg", MustDifferFrom: "prod", File: shard.UncheckedPairs[0].File, Line: 3}}; !slices.Equal(shard.UncheckedPairs, want) {
				t.Errorf("shard unchecked_pairs %+v, want %+v", shard.UncheckedPairs, want)
			}
			code, r, errs := h.merge(stg, prod)
			if code != tc.wantExit {
				t.Fatalf("merge: exit %d, want %d\n%s", code, tc.wantExit, errs)
			}
			f := findingCodes(r)["SP150"]
			if (f != nil) != (tc.wantExit == exitFindings) {
				t.Errorf("SP150 %+v, want one: %v", f, tc.wantExit == exitFindings)
			}
			if f != nil && (f.Secret != "stg" || !slices.Equal(f.Consumers, []string{"runner", "runner"}) || f.Line != 3) {
				t.Errorf("SP150 %+v", f)
			}
			for _, n := range r.Notes {
				if strings.Contains(n, "SP150 not checked") {
					t.Errorf("merged report keeps the note %q", n)
				}
			}
			if len(r.UncheckedPairs) != 0 {
				t.Errorf("merged unchecked_pairs %+v, want none", r.UncheckedPairs)
			}
			// One shard on its own still cannot tell.
			_, r, _ = h.merge(stg)
			if len(r.UncheckedPairs) != 1 || !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "SP150 not checked") }) {
				t.Errorf("one shard merged: pairs %+v notes %q", r.UncheckedPairs, r.Notes)
			}
		})
	}
}

// Each shard agrees on its own; together they do not. The merge compares
// the joined consumers again rather than concatenating verdicts.
func TestMergeDisagreementAcrossShards(t *testing.T) {
	h := newShardHarness(t)
	a := h.shard("a", cfgFor(runnerEnvChain, "{cloudrun: api-a, chain: [JWT_SECRET]}"), exitOK)
	b := h.shard("b", cfgFor("", "{cloudrun: api-b, chain: [JWT_SECRET]}"), exitOK)
	c := h.shard("c", cfgFor(runnerEnvChain, "{cloudrun: api-c, chain: [JWT_SECRET]}"), exitOK)
	code, r, errs := h.merge(a, b, c)
	if code != exitFindings || r.Result != report.Fail {
		t.Fatalf("exit %d, want 1\n%s", code, errs)
	}
	if v := r.Secrets[0].Verdict; v != report.Mismatch {
		t.Errorf("verdict %s, want mismatch", v)
	}
	sp100 := findingCodes(r)["SP100"]
	if sp100 == nil {
		t.Fatalf("no SP100 across shards: %+v", r.Findings)
	}
	if !strings.Contains(sp100.Message, "secret jwt version 2") || !strings.Contains(sp100.Message, "api-b-00001-bbb/app holds") ||
		!strings.Contains(sp100.Message, "secret jwt version 1") || len(sp100.Consumers) != 4 {
		t.Errorf("SP100 does not name the versions on each side or every consumer: %q %v", sp100.Message, sp100.Consumers)
	}
	if !strings.HasSuffix(sp100.File, "a.yaml") || sp100.Line == 0 {
		t.Errorf("SP100 location %s:%d, want a shard's config", sp100.File, sp100.Line)
	}
	if r.Summary.Errors != 1 || findingCodes(r)["SP110"] != nil {
		t.Errorf("summary %+v: only SP100 (no value is at hand for SP110/SP111)", r.Summary)
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "compared by fingerprint only") }) {
		t.Errorf("no note on what a merge cannot compare: %v", r.Notes)
	}
	// Shard b alone compared nothing (one consumer); joined, it did.
	if code, rb, _ := h.merge(b); code != exitOK || !slices.ContainsFunc(rb.Notes, func(n string) bool { return strings.Contains(n, "nothing was compared") }) {
		t.Errorf("shard b on its own: exit %d, notes %v", code, rb.Notes)
	}
	if slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "nothing was compared") }) {
		t.Errorf("a shard's stale note survives the merge: %v", r.Notes)
	}

	// Two matrix jobs whose runners hold different values: both runners
	// stay, the second named after its shard, and they disagree.
	h.env["JWT_SECRET"] = keyV1
	b2 := h.shard("b2", cfgFor(runnerEnvChain, "{cloudrun: api-b, chain: [JWT_SECRET]}"), exitOK)
	code, r, _ = h.merge(a, b2)
	if code != exitFindings {
		t.Fatalf("runners that disagree across shards: exit %d", code)
	}
	want := []string{"cloudrun:api-a@api-a-00001-aaa/app", "cloudrun:api-b@api-b-00001-bbb/app", "runner", "runner (shard 2)"}
	if got := consumerIDs(r, "jwt-signing"); !slices.Equal(got, want) {
		t.Errorf("consumers %v, want %v", got, want)
	}
	if sp := findingCodes(r)["SP100"]; sp == nil || !slices.Contains(sp.Consumers, "runner (shard 2)") {
		t.Errorf("SP100 %+v does not name the renamed runner", sp)
	}
}

func TestMergeRefusesReportsKeyedDifferently(t *testing.T) {
	h := newShardHarness(t)
	a := h.shard("a", cfgFor(runnerEnvChain, "{cloudrun: api-a, chain: [JWT_SECRET]}"), exitOK)
	h.env["SECRET_PREFLIGHT_FINGERPRINT_KEY"] = "another-key"
	other := h.shard("other", cfgFor(runnerEnvChain, "{cloudrun: api-c, chain: [JWT_SECRET]}"), exitOK)
	delete(h.env, "SECRET_PREFLIGHT_FINGERPRINT_KEY")
	perRun := h.shard("run", cfgFor(runnerEnvChain, "{cloudrun: api-c, chain: [JWT_SECRET]}"), exitOK)

	code, _, errs := h.merge(a, other)
	if code != exitUsage || !strings.Contains(errs, "keyed differently") || !strings.Contains(errs, "SECRET_PREFLIGHT_FINGERPRINT_KEY") {
		t.Errorf("different keys: exit %d, %s", code, errs)
	}
	code, _, errs = h.merge(a, perRun)
	if code != exitUsage || !strings.Contains(errs, `fingerprint_scope is "run"`) {
		t.Errorf("a run-scoped shard: exit %d, %s", code, errs)
	}
	// A stable report without fingerprint_key_id (an older version's, or
	// edited) is not a per-run one: say what it lacks.
	var m map[string]any
	if err := json.Unmarshal(mustRead(t, a), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "fingerprint_key_id")
	noKid, _ := json.Marshal(m)
	code, _, errs = h.merge(h.write("nokid.json", string(noKid)), other)
	if code != exitUsage || !strings.Contains(errs, "has no fingerprint_key_id") || strings.Contains(errs, "random per-run key") {
		t.Errorf("a stable shard without fingerprint_key_id: exit %d, %s", code, errs)
	}
	// A run-scoped report on its own is just re-rendered.
	if code, r, _ := h.merge(perRun); code != exitOK || r.FingerprintScope != "run" {
		t.Errorf("one run-scoped report: exit %d", code)
	}
}

func TestMergeIncompleteShard(t *testing.T) {
	h := newShardHarness(t)
	a := h.shard("a", cfgFor(runnerEnvChain, "{cloudrun: api-a, chain: [JWT_SECRET]}"), exitOK)
	h.srv.SetFault("GetService", "projects/stg/locations/us-central1/services/api-c", codesPermissionDenied)
	c := h.shard("c", cfgFor(runnerEnvChain, "{cloudrun: api-c, chain: [JWT_SECRET]}"), exitIncomplete)
	code, r, _ := h.merge(a, c)
	if code != exitIncomplete || r.Result != report.Incomplete {
		t.Fatalf("exit %d result %s, want 3 incomplete", code, r.Result)
	}
	if r.Secrets[0].Verdict != report.Unresolved {
		t.Errorf("verdict %s, want incomplete", r.Secrets[0].Verdict)
	}
	if f := findingCodes(r)["SP102"]; f == nil {
		t.Errorf("the shard's SP102 is lost: %+v", r.Findings)
	}
	// A finding elsewhere still fails the merged run (1, not 3).
	b := h.shard("b", cfgFor(runnerEnvChain, "{cloudrun: api-b, chain: [JWT_SECRET]}"), exitFindings)
	if code, _, _ := h.merge(a, c, b); code != exitFindings {
		t.Errorf("incomplete plus a mismatch: exit %d, want 1", code)
	}
	// --fail-on never: the unresolved consumer still makes it incomplete.
	if code, _, _ := h.merge(b, "--fail-on", "never"); code != exitOK {
		t.Errorf("--fail-on never on a mismatch: exit %d, want 0", code)
	}
	if code, _, _ := h.merge(c, "--fail-on", "never"); code != exitIncomplete {
		t.Errorf("--fail-on never on an incomplete shard: exit %d, want 3", code)
	}
}

func TestMergeBadInput(t *testing.T) {
	h := newShardHarness(t)
	a := h.shard("a", cfgFor(runnerEnvChain, "{cloudrun: api-a, chain: [JWT_SECRET]}"), exitOK)
	good := string(mustRead(t, a))
	for name, content := range map[string]string{
		"not-json":       "nope",
		"other-schema":   `{"schema": "something/else", "secrets": []}`,
		"null-secret":    `{"schema": "secret-preflight/report/v1", "secrets": [null]}`,
		"null-consumer":  `{"schema": "secret-preflight/report/v1", "secrets": [{"name": "s", "consumers": [null]}]}`,
		"null-finding":   `{"schema": "secret-preflight/report/v1", "findings": [null]}`,
		"null-probe":     `{"schema": "secret-preflight/report/v1", "probes": [null]}`,
		"no-fingerprint": strings.Replace(good, `"fingerprint": "hmac-sha256:`, `"fingerprint": "", "x": "`, 1),
		"truncated":      good[:len(good)/2],
		"no-brace":       good[1:],
	} {
		p := h.write(name+".json", content)
		code, _, errs := h.merge(a, p)
		if code != exitUsage || !strings.Contains(errs, p) {
			t.Errorf("%s: exit %d, want 2 naming the file: %s", name, code, errs)
		}
	}
	if code, _, errs := h.merge(filepath.Join(h.dir, "missing.json")); code != exitUsage || !strings.Contains(errs, "missing.json") {
		t.Errorf("a missing report: exit %d %s", code, errs)
	}
	for _, args := range [][]string{{}, {a, "--fail-on", "bogus"}, {a, "--output", "xml=x"}, {a, "--format", "yaml"}} {
		if code, _, _ := h.merge(args...); code != exitUsage {
			t.Errorf("merge %v: exit %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(filepath.Join(h.dir, "x")); err == nil {
		t.Errorf("a refused merge wrote an output")
	}
}

// Two shards read the same secret through the same variable; shard 2's
// runner holds another version. The merged SP100 names the versions, as
// check does for one shard, not a generic "different sources".
func TestMergeRunnerOnAnotherVersionIsDiagnosedByVersion(t *testing.T) {
	h := newShardHarness(t)
	a := h.shard("a", cfgFor(runnerEnvChain, "{cloudrun: api-a, chain: [JWT_SECRET]}"), exitOK)
	h.env["JWT_SECRET"] = keyV1
	c := h.shard("c", cfgFor(runnerEnvChain, "{cloudrun: api-c, chain: [JWT_SECRET]}"), exitFindings)
	code, r, errs := h.merge(a, c)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, errs)
	}
	sp := findingCodes(r)["SP100"]
	if sp == nil {
		t.Fatalf("no SP100: %+v", r.Findings)
	}
	for _, want := range []string{"version 2", "runner (shard 2)", "none of the versions"} {
		if !strings.Contains(sp.Message, want) {
			t.Errorf("SP100 %q lacks %q", sp.Message, want)
		}
	}
	if strings.Contains(sp.Message, "different sources") || strings.Contains(sp.Hint, "same Secret Manager secret") {
		t.Errorf("SP100 is the generic diagnosis: %q / %q", sp.Message, sp.Hint)
	}
	if !strings.Contains(sp.Hint, "JWT_SECRET") || !strings.Contains(sp.Hint, "version 2") {
		t.Errorf("SP100 fix %q does not say which variable to set to which version", sp.Hint)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/report"
)

// driftState renders the fixture of one night: the jwt secret's versions,
// which revision of api serves, and whether legacy still carries the key as
// a plain env value.
func driftState(versions []string, apiRevision string, legacyPlain bool) string {
	var b strings.Builder
	b.WriteString("projects: {stg: \"111111111111\"}\nsecrets:\n  - name: projects/stg/secrets/jwt\n    versions:\n")
	for i, v := range versions {
		b.WriteString("      - {value: \"" + v + "\", create_time: 2026-0" + string(rune('1'+i)) + "-01T00:00:00Z}\n")
	}
	legacy := envLatest
	if legacyPlain {
		legacy = strings.Replace(envLatest, "{name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: latest}}}",
			"{name: JWT_SECRET, value: \""+versions[len(versions)-1]+"\"}", 1)
	}
	return concat(b.String(),
		service("worker", map[string]int{"worker-1": 100}, map[string]string{"worker-1": envLatest}),
		service("api", map[string]int{apiRevision: 100}, map[string]string{apiRevision: envLatest}),
		service("legacy", map[string]int{"legacy-1": 100}, map[string]string{"legacy-1": legacy}))
}

func TestBaselineAcrossTwoFixtureStates(t *testing.T) {
	cfgText := cfgFor("[{secretmanager: jwt}]",
		"{cloudrun: worker, chain: [JWT_SECRET]}", "{cloudrun: api, chain: [JWT_SECRET]}", "{cloudrun: legacy, chain: [JWT_SECRET]}")

	// Night 1: version 2 is current, api-1 serves, legacy has a plain value.
	night1 := newHarness(t, driftState([]string{keyV1, keyV2}, "api-1", true))
	night1.env["SECRET_PREFLIGHT_FINGERPRINT_KEY"] = "nightly-drift-key"
	cfg := night1.write("c.yaml", cfgText)
	baseline := filepath.Join(night1.dir, "night1.json")
	if code, _, errs := night1.run("check", "-c", cfg, "--output", "json="+baseline); code != exitOK {
		t.Fatalf("night 1: exit %d: %s", code, errs)
	}

	// Night 2: the key was rotated (version 3), traffic moved to api-2,
	// and legacy now reads the secret from Secret Manager.
	const keyV3 = "jwt-key-version-three-aabbccddeeff0011"
	night2 := newHarness(t, driftState([]string{keyV1, keyV2, keyV3}, "api-2", false))
	night2.env["SECRET_PREFLIGHT_FINGERPRINT_KEY"] = "nightly-drift-key"
	cfg2 := night2.write("c.yaml", cfgText)
	code, r, errs := night2.checkJSON(cfg2, "--baseline", baseline)
	if code != exitOK {
		t.Fatalf("night 2: exit %d: %s", code, errs)
	}
	byKind := map[string][]report.Change{}
	for _, c := range r.Changes {
		byKind[c.Kind] = append(byKind[c.Kind], c)
	}
	has := func(kind, consumer string) bool {
		for _, c := range byKind[kind] {
			if c.Consumer == consumer {
				return true
			}
		}
		return false
	}
	if !has(report.FingerprintChanged, "cloudrun:worker@worker-1/app") || !has(report.FingerprintChanged, "runner") {
		t.Errorf("the rotation should change worker's and the runner's fingerprints: %+v", r.Changes)
	}
	if !has(report.VersionChanged, "cloudrun:worker@worker-1/app") {
		t.Errorf("worker's version went from 2 to 3: %+v", r.Changes)
	}
	if !has(report.ConsumerAppeared, "cloudrun:api@api-2/app") || !has(report.ConsumerDisappeared, "cloudrun:api@api-1/app") {
		t.Errorf("traffic moved from api-1 to api-2: %+v", r.Changes)
	}
	resolved := false
	for _, c := range byKind[report.FindingResolved] {
		resolved = resolved || c.Code == "SP140"
	}
	if !resolved {
		t.Errorf("legacy's plain value (SP140) is gone: %+v", r.Changes)
	}
	if r.BaselineNote != "" {
		t.Errorf("both runs are stable: no note expected, got %q", r.BaselineNote)
	}

	// The text report shows the section too.
	_, out, _ := night2.run("check", "-c", cfg2, "--baseline", baseline)
	if !strings.Contains(out, "Changes since baseline") || !strings.Contains(out, "fingerprint_changed") {
		t.Errorf("text report lacks the changes section:\n%s", out)
	}

	// A different stable key: fingerprints differ for every value, so they
	// are not compared, and the note says why.
	night2.env["SECRET_PREFLIGHT_FINGERPRINT_KEY"] = "a-rotated-drift-key"
	_, r, _ = night2.checkJSON(cfg2, "--baseline", baseline)
	for _, c := range r.Changes {
		if c.Kind == report.FingerprintChanged {
			t.Errorf("fingerprints compared across different keys: %+v", c)
		}
	}
	if !strings.Contains(r.BaselineNote, "different SECRET_PREFLIGHT_FINGERPRINT_KEY") || r.FingerprintKeyID == "" {
		t.Errorf("note %q key id %q", r.BaselineNote, r.FingerprintKeyID)
	}

	// Without a stable key this run's fingerprints mean nothing next to the
	// baseline's: versions only, and the report says so.
	delete(night2.env, "SECRET_PREFLIGHT_FINGERPRINT_KEY")
	_, r, _ = night2.checkJSON(cfg2, "--baseline", baseline)
	if len(r.Changes) == 0 || r.BaselineNote == "" {
		t.Fatalf("run-scoped comparison: changes %+v note %q", r.Changes, r.BaselineNote)
	}
	for _, c := range r.Changes {
		if c.Kind == report.FingerprintChanged {
			t.Errorf("fingerprints compared across different keys: %+v", c)
		}
	}

	// A baseline that is not a report is a usage error, not a silent pass.
	bogus := filepath.Join(night2.dir, "bogus.json")
	os.WriteFile(bogus, []byte("not json"), 0o644)
	if code, _, errs := night2.run("check", "-c", cfg2, "--baseline", bogus); code != exitUsage || !strings.Contains(errs, "not a JSON report") {
		t.Errorf("bogus baseline: exit %d, %s", code, errs)
	}
}

func TestBaselineMustBeAReport(t *testing.T) {
	h := newHarness(t, secretsFixture)
	cfg := h.write("c.yaml", "version: 1\nsecrets:\n  - name: s\n    runner: {chain: [{literal: x}]}\n")
	other := h.write("other.json", `{"name": "some other JSON"}`)
	code, _, errs := h.run("check", "-c", cfg, "--baseline", other)
	if code != exitUsage || !strings.Contains(errs, "not a JSON report") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// A --baseline that is not a valid report is exit 2 with a message that
// quotes nothing of the file, not a single character: a wrong path may
// name a file of secrets. Null entries are refused, not a panic.
func TestBaselineThatIsNotAReportQuotesNothing(t *testing.T) {
	h := newHarness(t, secretsFixture)
	cfg := h.write("c.yaml", "version: 1\nsecrets:\n  - name: s\n    runner: {chain: [{literal: x}]}\n")
	const mark = "ǂ" // a character no message of the tool holds
	const head = `{"schema": "secret-preflight/report/v1", `
	for name, content := range map[string]string{
		"a key":            mark + "secret-key-material",
		"JSON then a key":  "{" + mark + "secret",
		"a value in JSON":  `{"schema": "` + mark + `secret"}`,
		"a number":         head + `"summary": {"errors": 1` + mark + `}}`,
		"a key after JSON": head + `"secrets": []}` + mark,
		"null secret":      head + `"secrets": [null]}`,
		"null consumer":    head + `"secrets": [{"name": "s", "consumers": [null]}]}`,
		"null finding":     head + `"secrets": [], "findings": [null]}`,
	} {
		p := h.write("baseline.json", content)
		code, out, errs := h.run("check", "-c", cfg, "--baseline", p)
		if code != exitUsage || !strings.Contains(errs, "--baseline "+p+": not a") {
			t.Errorf("%s: exit %d, want 2 and a message naming the file:\n%s", name, code, errs)
		}
		if strings.Contains(out+errs, mark) {
			t.Errorf("%s: the output quotes the file: %s", name, errs)
		}
	}
}

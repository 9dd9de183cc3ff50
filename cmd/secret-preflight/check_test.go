package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/report"
)

const (
	keyV1 = "jwt-key-version-one-0123456789abcdef"
	keyV2 = "jwt-key-version-two-fedcba9876543210"
)

// secretsFixture is Secret Manager state shared by the Cloud Run tests; the
// services are appended per test.
var secretsFixture = `
projects: {stg: "111111111111", shared: "222222222222"}
secrets:
  - name: projects/stg/secrets/jwt
    aliases: {current: 2}
    versions:
      - {value: "` + keyV1 + `", create_time: 2026-10-01T00:00:00Z}
      - {value: "` + keyV2 + `", create_time: 2026-11-01T00:00:00Z}
  - name: projects/shared/secrets/jwt-shared
    versions:
      - {value: "` + keyV2 + `"}
  - name: projects/stg/secrets/other
    versions:
      - {value: "an-unrelated-value-0123456789abcdef"}
`

// service renders a Cloud Run service whose traffic goes to the given
// revisions (name: percent), each with the given containers YAML.
func service(name string, traffic map[string]int, revisions map[string]string) string {
	base := "projects/stg/locations/us-central1/services/" + name
	var b strings.Builder
	fmt.Fprintf(&b, "services:\n  - name: %s\n    trafficStatuses:\n", base)
	for rev, pct := range traffic {
		fmt.Fprintf(&b, "      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: %s, percent: %d}\n", rev, pct)
	}
	b.WriteString("revisions:\n")
	for rev, spec := range revisions {
		fmt.Fprintf(&b, "  - name: %s/revisions/%s\n%s\n", base, rev, spec)
	}
	return b.String()
}

// concat joins fixture parts, merging repeated top-level services: and
// revisions: lists.
func concat(parts ...string) string {
	var head, svcs, revs strings.Builder
	for _, p := range parts {
		cur := &head
		for _, line := range strings.Split(p, "\n") {
			switch line {
			case "services:":
				cur = &svcs
				continue
			case "revisions:":
				cur = &revs
				continue
			}
			cur.WriteString(line + "\n")
		}
	}
	return head.String() + "services:\n" + svcs.String() + "revisions:\n" + revs.String()
}

const envLatest = `    containers:
      - name: app
        ports: [{containerPort: 8080}]
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: latest}}}`

func envVersion(v string) string {
	return strings.Replace(envLatest, "version: latest", "version: \""+v+"\"", 1)
}

func cfgFor(chainRunner string, services ...string) string {
	var b strings.Builder
	b.WriteString("version: 1\ngcp: {project: stg, region: us-central1}\nsecrets:\n  - name: jwt-signing\n")
	if chainRunner != "" {
		b.WriteString("    runner:\n      chain: " + chainRunner + "\n")
	}
	b.WriteString("    services:\n")
	for _, s := range services {
		b.WriteString("      - " + s + "\n")
	}
	return b.String()
}

func TestTrafficSplitOverRevisionsReadingDifferentVersions(t *testing.T) {
	h := newHarness(t, concat(secretsFixture, service("api",
		map[string]int{"api-00002-new": 90, "api-00001-old": 10},
		map[string]string{"api-00002-new": envVersion("2"), "api-00001-old": envVersion("1")})))
	cfg := h.write("c.yaml", cfgFor("", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	if code != exitFindings || r.Result != report.Fail {
		t.Fatalf("exit %d result %s, want 1 fail", code, r.Result)
	}
	newC := consumerByID(t, r, "cloudrun:api@api-00002-new/app")
	oldC := consumerByID(t, r, "cloudrun:api@api-00001-old/app")
	if newC.TrafficPercent != 90 || oldC.TrafficPercent != 10 {
		t.Errorf("traffic %d/%d, want 90/10", newC.TrafficPercent, oldC.TrafficPercent)
	}
	if newC.Version != "2" || oldC.Version != "1" {
		t.Errorf("versions %q/%q, want 2/1", newC.Version, oldC.Version)
	}
	if newC.Revision != "api-00002-new" || newC.Target != "projects/stg/locations/us-central1/services/api" {
		t.Errorf("revision/target = %q %q", newC.Revision, newC.Target)
	}
	sp100 := findingCodes(r)["SP100"]
	if sp100 == nil || !strings.Contains(sp100.Message, "traffic is split") {
		t.Fatalf("want SP100 diagnosing a traffic split, got %+v", r.Findings)
	}
	if !strings.Contains(sp100.Hint, "update-traffic") {
		t.Errorf("hint should say how to move traffic: %q", sp100.Hint)
	}
	if r.Secrets[0].Verdict != report.Mismatch {
		t.Errorf("verdict %q", r.Secrets[0].Verdict)
	}
}

func TestServingRevisionNotTemplate(t *testing.T) {
	// The template reads version 1, but the revision that serves reads the
	// alias "current" (version 2): the consumer is what serves.
	fx := concat(secretsFixture, service("api", map[string]int{"api-00007-abc": 100},
		map[string]string{"api-00007-abc": envVersion("current")}))
	fx = strings.Replace(fx, "    trafficStatuses:", `    template:
      containers:
        - name: app
          env:
            - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "1"}}}
    trafficStatuses:`, 1)
	h := newHarness(t, fx)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: projects/stg/secrets/jwt/versions/2}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK {
		t.Fatalf("exit %d, want 0: %s %+v", code, errs, r.Findings)
	}
	c := consumerByID(t, r, "cloudrun:api@api-00007-abc/app")
	if c.Version != "2" || !strings.HasSuffix(c.Ref, "/versions/2") {
		t.Errorf("version %q ref %q: the alias must resolve to the numeric version", c.Version, c.Ref)
	}
	if r.Secrets[0].Verdict != report.Match {
		t.Errorf("verdict %q", r.Secrets[0].Verdict)
	}
}

func TestEnvAndSecretVolumeAgree(t *testing.T) {
	volume := `    containers:
      - name: worker
        volumeMounts: [{name: keys, mountPath: /secrets/jwt/}]
    volumes:
      - {name: keys, secret: {secret: jwt, items: [{path: key, version: "2"}]}}`
	defaultFile := `    containers:
      - name: cron
        volumeMounts: [{name: keys, mountPath: /etc/keys}]
    volumes:
      - {name: keys, secret: {secret: jwt}}`
	h := newHarness(t, concat(secretsFixture,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envLatest}),
		service("worker", map[string]int{"worker-1": 100}, map[string]string{"worker-1": volume}),
		service("cron", map[string]int{"cron-1": 100}, map[string]string{"cron-1": defaultFile})))
	cfg := h.write("c.yaml", cfgFor("",
		"{cloudrun: api, chain: [JWT_SECRET]}",
		"{cloudrun: worker, chain: [JWT_SECRET, {file: /secrets/jwt/key}]}",
		"{cloudrun: cron, chain: [{file: /etc/keys/jwt}]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	w := consumerByID(t, r, "cloudrun:worker@worker-1/worker")
	if w.Via != "file" || w.Link != 1 || w.Version != "2" {
		t.Errorf("worker resolved via %s link %d version %s, want file link 1 version 2", w.Via, w.Link, w.Version)
	}
	if len(w.Skipped) != 1 || w.Skipped[0].Why != "not set on the container" {
		t.Errorf("worker skipped = %+v", w.Skipped)
	}
	cron := consumerByID(t, r, "cloudrun:cron@cron-1/cron")
	if cron.Via != "file" || cron.Version != "2" {
		t.Errorf("cron: a volume without items is a file named after the secret at latest; got %+v", cron)
	}
	if consumerByID(t, r, "cloudrun:api@api-1/app").Fingerprint != w.Fingerprint {
		t.Error("env and volume consumers of the same version must share a fingerprint")
	}
}

func TestCrossProjectSecretName(t *testing.T) {
	cross := strings.Replace(envLatest, "secret: jwt,", "secret: projects/shared/secrets/jwt-shared,", 1)
	h := newHarness(t, concat(secretsFixture,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": cross})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	c := consumerByID(t, r, "cloudrun:api@api-1/app")
	if !strings.Contains(c.Ref, "projects/222222222222/secrets/jwt-shared/versions/1") {
		t.Errorf("ref %q should name the other project's secret as the API resolved it", c.Ref)
	}
}

func TestPlainEnvValue(t *testing.T) {
	plain := `    containers:
      - name: app
        env:
          - {name: JWT_SECRET, value: "` + keyV2 + `"}
          - {name: E2E_TESTING, value: "1"}`
	h := newHarness(t, concat(secretsFixture,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": plain})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, chain: [JWT_SECRET]}")+
		"policy:\n  forbid_service_env: [E2E_TESTING]\n")
	code, r, _ := h.checkJSON(cfg)
	c := consumerByID(t, r, "cloudrun:api@api-1/app")
	if !c.Resolved || c.Via != "env" || c.Version != "" {
		t.Errorf("plain value: %+v", c)
	}
	codes := findingCodes(r)
	if codes["SP140"] == nil || codes["SP140"].Severity != "warning" {
		t.Errorf("want SP140 warning, got %+v", r.Findings)
	}
	if f := codes["SP141"]; f == nil || !strings.Contains(f.Message, "E2E_TESTING") ||
		len(f.Consumers) != 1 || f.Consumers[0] != "cloudrun:api@api-1/app" || f.Secret != "jwt-signing" || f.Line == 0 {
		t.Errorf("want SP141 naming E2E_TESTING on consumer cloudrun:api@api-1/app, got %+v", f)
	}
	if code != exitFindings {
		t.Errorf("exit %d, want 1 (SP141 is an error)", code)
	}
}

func TestPermissionDeniedLeavesOthersReported(t *testing.T) {
	other := strings.Replace(envLatest, "secret: jwt,", "secret: other,", 1)
	h := newHarness(t, concat(secretsFixture,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envLatest}),
		service("billing", map[string]int{"billing-1": 100}, map[string]string{"billing-1": other})))
	h.srv.SetFault("AccessSecretVersion", "projects/stg/secrets/other/versions/latest", codesPermissionDenied)
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    runner: {chain: [{secretmanager: jwt}]}
    services: [{cloudrun: api, chain: [JWT_SECRET]}]
  - name: billing-key
    services: [{cloudrun: billing, chain: [JWT_SECRET]}]
`)
	code, r, _ := h.checkJSON(cfg)
	if code != exitIncomplete || r.Result != report.Incomplete {
		t.Fatalf("exit %d result %s, want 3 incomplete; findings %+v", code, r.Result, r.Findings)
	}
	if r.Secrets[0].Verdict != report.Match {
		t.Errorf("jwt-signing should still be checked: verdict %q", r.Secrets[0].Verdict)
	}
	b := consumerByID(t, r, "cloudrun:billing@billing-1/app")
	if b.Resolved || b.ErrorCode != "PermissionDenied" {
		t.Errorf("billing consumer: %+v", b)
	}
	sp102 := findingCodes(r)["SP102"]
	if sp102 == nil {
		t.Fatalf("no SP102: %+v", r.Findings)
	}
	for _, want := range []string{"projects/stg/secrets/other/versions/latest", "PermissionDenied", "secretmanager.versions.access"} {
		if !strings.Contains(sp102.Message, want) {
			t.Errorf("SP102 message %q lacks %q", sp102.Message, want)
		}
	}
	if !strings.Contains(sp102.Hint, "roles/secretmanager.secretAccessor") {
		t.Errorf("hint %q", sp102.Hint)
	}
}

func TestServiceNotFound(t *testing.T) {
	h := newHarness(t, secretsFixture)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{cloudrun: ghost, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want 3", code)
	}
	c := consumerByID(t, r, "cloudrun:ghost")
	if c.ErrorCode != "NotFound" || !strings.Contains(c.Error, "projects/stg/locations/us-central1/services/ghost") {
		t.Errorf("consumer %+v", c)
	}
}

func TestUnknownContainer(t *testing.T) {
	h := newHarness(t, concat(secretsFixture,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envLatest})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{cloudrun: api, container: backend, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want 3", code)
	}
	c := consumerByID(t, r, "cloudrun:api@api-1/backend")
	if !strings.Contains(c.Error, `container "backend" not found`) || !strings.Contains(c.Error, "containers: app") {
		t.Errorf("error %q should name the missing container and the ones that exist", c.Error)
	}
}

func TestSharedVersionIsAccessedOnce(t *testing.T) {
	const n = 6
	parts := []string{secretsFixture}
	var svcs []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc%d", i)
		rev := name + "-1"
		parts = append(parts, service(name, map[string]int{rev: 100}, map[string]string{rev: envLatest}))
		svcs = append(svcs, "{cloudrun: "+name+", chain: [JWT_SECRET]}")
	}
	h := newHarness(t, concat(parts...))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", svcs...))
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	if got := len(r.Secrets[0].Consumers); got != n+1 {
		t.Fatalf("%d consumers, want %d", got, n+1)
	}
	if got := h.srv.Calls("AccessSecretVersion"); got != 1 {
		t.Errorf("AccessSecretVersion called %d times for one shared version, want 1", got)
	}
	if got := h.srv.Calls("GetRevision"); got != n {
		t.Errorf("GetRevision called %d times, want %d", got, n)
	}
}

func TestDisabledLatestIsSP132(t *testing.T) {
	fx := strings.Replace(secretsFixture, `{value: "`+keyV2+`", create_time: 2026-11-01T00:00:00Z}`,
		`{value: "`+keyV2+`", create_time: 2026-11-01T00:00:00Z, state: DISABLED}`, 1)
	h := newHarness(t, concat(fx, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envLatest})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/1}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	f := findingCodes(r)["SP132"]
	if f == nil || !strings.Contains(f.Hint, "never falls back") {
		t.Fatalf("want SP132 for a disabled latest, got %+v", r.Findings)
	}
	if code != exitFindings {
		t.Errorf("exit %d, want 1", code)
	}
}

func TestRotationNewerThanServingRevision(t *testing.T) {
	// Version 2 was created on 2026-11-01; the revision dates from
	// 2026-10-15, so instances started before the rotation hold version 1.
	spec := "    createTime: 2026-10-15T00:00:00Z\n" + envLatest
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": spec})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	f := findingCodes(r)["SP131"]
	if f == nil || f.Severity != "warning" || !strings.Contains(f.Message, "version 2") || !strings.Contains(f.Hint, "new revision") {
		t.Fatalf("want SP131, got %+v", r.Findings)
	}
	if !strings.Contains(f.Message, "2026-10-15T00:00:00Z") {
		t.Errorf("SP131 %q does not name the revision's creation time", f.Message)
	}
	if code != exitOK {
		t.Errorf("exit %d: a warning does not fail at --fail-on error", code)
	}
	if code, _, _ := h.checkJSON(cfg, "--fail-on", "warning"); code != exitFindings {
		t.Errorf("exit %d at --fail-on warning, want 1", code)
	}

	// Without secretmanager.versions.get the check cannot run: a note
	// says so, even in a config that ignores SP130.
	h.srv.SetFault("GetSecretVersion", "", codesPermissionDenied)
	_, r, _ = h.checkJSON(cfg)
	if findingCodes(r)["SP131"] != nil {
		t.Error("SP131 reported without the version's creation time")
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "SP131") || !strings.Contains(r.Notes[0], "secretmanager.versions.get") ||
		!strings.Contains(r.Notes[0], "cloudrun:api@api-1/app") {
		t.Errorf("notes should say SP131 was not checked, for whom and why: %q", r.Notes)
	}
	if _, out, _ := h.run("check", "-c", cfg); !strings.Contains(out, "Notes\n  - SP131") {
		t.Errorf("the text report should show the note:\n%s", out)
	}

	// Volumes are read on access, and pinned versions do not move: no SP131.
	volume := "    createTime: 2026-10-15T00:00:00Z\n" + `    containers:
      - name: app
        volumeMounts: [{name: k, mountPath: /k}]
        env:
          - {name: PINNED, valueSource: {secretKeyRef: {secret: jwt, version: "2"}}}
    volumes:
      - {name: k, secret: {secret: jwt, items: [{path: key, version: latest}]}}`
	h2 := newHarness(t, concat(secretsFixture, service("vol", map[string]int{"vol-1": 100}, map[string]string{"vol-1": volume})))
	cfg2 := h2.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{cloudrun: vol, chain: [{file: /k/key}]}", "{cloudrun: vol, chain: [PINNED]}"))
	_, r, _ = h2.checkJSON(cfg2)
	if f := findingCodes(r)["SP131"]; f != nil {
		t.Errorf("SP131 for a volume or a pinned version: %+v", f)
	}
}

func TestCheckFlagErrors(t *testing.T) {
	h := newHarness(t, secretsFixture)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{set_secrets: \"JWT_SECRET=jwt:2\", chain: [JWT_SECRET]}"))
	for _, args := range [][]string{
		{"--timeout", "0s"}, {"--timeout", "-1s"}, {"--concurrency", "0"}, {"--fail-on", "sometimes"},
		{"--output", "json"}, {"--output", "xml=out.xml"}, {"--format", "yaml"}, {"--only", "nope"}, {"stray"},
	} {
		code, _, errs := h.run(append([]string{"check", "-c", cfg}, args...)...)
		if code != exitUsage || errs == "" {
			t.Errorf("check %v: exit %d, stderr %q; want 2 with a message", args, code, errs)
		}
	}
	if code, _, _ := h.run("check", "-c", filepath.Join(h.dir, "missing.yaml")); code != exitUsage {
		t.Errorf("missing config: exit %d, want 2", code)
	}
	if code, _, _ := h.run("frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
}

// A version named by project id and by project number is one version: once
// an answer has taught the number, the other spelling is not read again.
func TestProjectIDAndNumberShareOneAccess(t *testing.T) {
	numbered := strings.Replace(envVersion("2"), "secret: jwt,", "secret: projects/111111111111/secrets/jwt,", 1)
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": numbered})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: projects/stg/secrets/jwt/versions/2}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	// One at a time, so the runner's answer comes before the service asks.
	code, r, errs := h.checkJSON(cfg, "--concurrency", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	if got := h.srv.Calls("AccessSecretVersion"); got != 1 {
		t.Errorf("AccessSecretVersion called %d times for one version spelled two ways, want 1", got)
	}
	if c := consumerByID(t, r, "cloudrun:api@api-1/app"); c.Version != "2" || !c.Resolved {
		t.Errorf("service consumer %+v", c)
	}
}

// A secret with fewer than two resolved consumers compares nothing: its
// verdict stays match (DESIGN.md: nothing disagrees, nothing is
// unresolved), but the report says nothing was compared and never claims
// agreement; validate warns about a secret that has fewer than two
// consumers configured.
func TestOneConsumerComparesNothing(t *testing.T) {
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")})))
	cfg := h.write("c.yaml", cfgFor("", "{cloudrun: api, chain: [JWT_SECRET]}"))
	_, r, errs := h.checkJSON(cfg)
	if v := r.Secrets[0].Verdict; v != report.Match {
		t.Errorf("verdict %s with one resolved consumer, want match (nothing disagrees); stderr %s", v, errs)
	}
	want := "jwt-signing: only one consumer resolved; nothing was compared"
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, want) }) {
		t.Errorf("notes %q, want %q", r.Notes, want)
	}
	_, out, _ := h.run("check", "-c", cfg)
	if !strings.Contains(out, want) || strings.Contains(out, "every consumer resolves the same value") {
		t.Errorf("text report should say nothing was compared:\n%s", out)
	}

	code, out, errs := h.run("validate", "-c", cfg)
	if code != exitOK || !strings.Contains(out, "valid") {
		t.Errorf("validate: exit %d, stdout %q; want 0 and valid", code, out)
	}
	if !strings.Contains(errs, "warning: ") || !strings.Contains(errs, cfg+":4:") || !strings.Contains(errs, `"jwt-signing" has one consumer`) {
		t.Errorf("validate stderr %q: want a warning at the secret naming it", errs)
	}

	// A runner block that did not resolve: declaring one is not the
	// advice; the note points at why it did not resolve.
	cfg = h.write("c3.yaml", cfgFor("[UNSET_RUNNER_VAR]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	_, r, _ = h.checkJSON(cfg)
	wantRunner := "jwt-signing: only one consumer resolved; nothing was compared: the runner did not resolve (see SP101/SP102)"
	if !slices.Contains(r.Notes, wantRunner) {
		t.Errorf("notes %q, want %q", r.Notes, wantRunner)
	}

	// Two consumers: compared, no warning, no note.
	cfg = h.write("c2.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	if _, _, errs := h.run("validate", "-c", cfg); errs != "" {
		t.Errorf("validate of two consumers warns: %q", errs)
	}
	_, r, _ = h.checkJSON(cfg)
	if r.Secrets[0].Verdict != report.Match || len(r.Notes) != 0 {
		t.Errorf("two consumers: verdict %s, notes %q; want match, none", r.Secrets[0].Verdict, r.Notes)
	}
}

// An exec link refused for want of --allow-exec is SP102 with a code that
// says why (the table showed "could not read (Unknown)"), and SP150 names
// the secret of each side, whose consumers may share an id (runner).
func TestExecRefusedAndMustDifferSides(t *testing.T) {
	h := newHarness(t, secretsFixture)
	h.env["STG_KEY"], h.env["PROD_KEY"] = keyV2, keyV2
	cfg := h.write("c.yaml", "version: 1\nsecrets:\n"+
		"  - name: stg\n    must_differ_from: [prod]\n    runner: {chain: [STG_KEY]}\n"+
		"  - name: prod\n    runner: {chain: [PROD_KEY]}\n"+
		"  - name: tool\n    runner: {chain: [{exec: [echo, x]}]}\n")
	code, r, errs := h.checkJSON(cfg)
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var refused *report.Finding
	for _, f := range r.Findings {
		if f.Secret == "tool" {
			refused = f
		}
	}
	if refused == nil || refused.Code != "SP102" || !strings.Contains(refused.Hint, "--allow-exec") {
		t.Errorf("refused exec: %+v", refused)
	}
	if c := r.Secrets[2].Consumers[0]; c.ErrorCode != "FailedPrecondition" {
		t.Errorf("refused exec consumer: %+v", c)
	}
	_, out, _ := h.run("check", "-c", cfg, "--format", "text")
	if !strings.Contains(out, "could not read (FailedPrecondition)") || strings.Contains(out, "(Unknown)") {
		t.Errorf("text table:\n%s", out)
	}
	f := findingCodes(r)["SP150"]
	if f == nil || !strings.Contains(f.Message, "runner of stg (env STG_KEY, link 0) and runner of prod (env PROD_KEY, link 0)") {
		t.Errorf("SP150 must name each side's secret: %+v", f)
	}
}

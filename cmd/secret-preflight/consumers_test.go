package main

import (
	"strings"
	"testing"
)

// Scenario tests for the consumers E2E suites depend on beyond serving
// revisions (issue 9): a revision selected by traffic tag, Cloud Run jobs,
// and serving revisions that lack a container the config names.

// taggedFixture has api's traffic on api-2 (reading version 2), a revision
// api-3 deployed with --no-traffic --tag e2e (reading version 1) and api-1
// tagged blue at 0%; api-2 is also tagged stable.
var taggedFixture = concat(secretsFixture, `services:
  - name: projects/stg/locations/us-central1/services/api
    latestReadyRevision: projects/stg/locations/us-central1/services/api/revisions/api-2
    trafficStatuses:
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 100}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-2, tag: stable}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-3, percent: 0, tag: e2e}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-1, tag: blue}
revisions:
  - name: projects/stg/locations/us-central1/services/api/revisions/api-3
`+envVersion("1")+`
  - name: projects/stg/locations/us-central1/services/api/revisions/api-2
`+envVersion("2")+`
  - name: projects/stg/locations/us-central1/services/api/revisions/api-1
`+envVersion("1"))

const revPrefix = "projects/stg/locations/us-central1/services/api/revisions/"

func TestTaggedRevisionAtZeroTraffic(t *testing.T) {
	h := newHarness(t, taggedFixture)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, tag: e2e, chain: [JWT_SECRET]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitFindings || r.Result != "fail" {
		t.Fatalf("exit %d result %s, want 1 fail; stderr %s; findings %+v", code, r.Result, errs, r.Findings)
	}
	// The tagged revision, not the one serving traffic, is the consumer.
	if n := len(r.Secrets[0].Consumers); n != 2 {
		t.Errorf("%d consumers, want the runner and the tagged revision", n)
	}
	c := consumerByID(t, r, "cloudrun:api@api-3/app")
	if c.Revision != "api-3" || c.TrafficPercent != 0 || c.Tag != "e2e" || c.Version != "1" || c.Kind != "cloudrun" ||
		c.Target != "projects/stg/locations/us-central1/services/api" {
		t.Errorf("tagged consumer %+v", c)
	}
	if f := findingCodes(r)["SP100"]; f == nil || !strings.Contains(strings.Join(f.Consumers, ","), "cloudrun:api@api-3/app") {
		t.Errorf("want SP100 naming the tagged revision: %+v", r.Findings)
	}
	if h.srv.CallsFor("GetRevision", revPrefix+"api-2") != 0 || h.srv.CallsFor("GetRevision", revPrefix+"api-3") != 1 {
		t.Error("only the tagged revision should be read")
	}

	// A tag on the revision that also serves traffic: its actual share.
	cfg = h.write("c2.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, tag: stable, chain: [JWT_SECRET]}"))
	code, r, _ = h.checkJSON(cfg)
	if c := consumerByID(t, r, "cloudrun:api@api-2/app"); code != exitOK || c.TrafficPercent != 100 || c.Tag != "stable" {
		t.Errorf("exit %d, consumer %+v; want 0 and api-2 at 100%%", code, c)
	}
}

func TestTagThatDoesNotExist(t *testing.T) {
	h := newHarness(t, taggedFixture)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, tag: green, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	if code != exitIncomplete || r.Result != "incomplete" {
		t.Fatalf("exit %d result %s, want 3 incomplete", code, r.Result)
	}
	f := findingCodes(r)["SP102"]
	if f == nil {
		t.Fatalf("want SP102, got %+v", r.Findings)
	}
	for _, want := range []string{`traffic tag "green"`, "its tags are blue, e2e, stable", "projects/stg/locations/us-central1/services/api"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("SP102 message should say %q: %s", want, f.Message)
		}
	}
	if !strings.Contains(f.Hint, "--no-traffic --tag green") {
		t.Errorf("hint should say how to deploy the tag: %s", f.Hint)
	}
	if c := consumerByID(t, r, "cloudrun:api"); c.ErrorCode != "NotFound" || c.Tag != "green" {
		t.Errorf("consumer %+v", c)
	}
	if n := h.srv.Calls("GetRevision"); n != 0 {
		t.Errorf("%d GetRevision calls for a tag no revision has", n)
	}
}

// jobsFixture: db-migrate reads version 1 through an env var and has a
// test-bypass variable and a plain-text key; seed reads version 2 through
// a volume.
var jobsFixture = secretsFixture + `jobs:
  - name: projects/stg/locations/us-central1/jobs/db-migrate
    template:
      template:
        containers:
          - name: migrate
            env:
              - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "1"}}}
              - {name: E2E_TESTING, value: "true"}
              - {name: LEGACY_KEY, value: "` + keyV2 + `"}
  - name: projects/stg/locations/europe-west1/jobs/seed
    template:
      template:
        containers:
          - name: seed
            volumeMounts: [{name: k, mountPath: /keys}]
          - name: logger
        volumes:
          - {name: k, secret: {secret: jwt, items: [{path: jwt, version: "2"}]}}
`

func TestJobReadsAnOlderVersion(t *testing.T) {
	h := newHarness(t, jobsFixture)
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    runner: {chain: [{secretmanager: jwt/versions/2}]}
    services:
      - {cloudrun_job: db-migrate, chain: [JWT_SECRET]}
      - {cloudrun_job: projects/stg/locations/europe-west1/jobs/seed, chain: [{file: /keys/jwt}]}
      - {cloudrun_job: db-migrate, chain: [LEGACY_KEY]}
policy:
  forbid_service_env: [E2E_TESTING]
`)
	code, r, errs := h.checkJSON(cfg)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1; stderr %s", code, errs)
	}
	mig := consumerByID(t, r, "cloudrun_job:db-migrate/migrate")
	if mig.Kind != "cloudrun_job" || mig.Target != "projects/stg/locations/us-central1/jobs/db-migrate" ||
		!mig.Resolved || mig.Version != "1" || mig.Container != "migrate" || mig.Revision != "" {
		t.Errorf("job consumer %+v", mig)
	}
	// Only the container that has a link of the chain is a consumer.
	seed := consumerByID(t, r, "cloudrun_job:seed/seed")
	if !seed.Resolved || seed.Via != "file" || seed.Version != "2" {
		t.Errorf("volume consumer %+v", seed)
	}
	codes := findingCodes(r)
	if f := codes["SP100"]; f == nil || !strings.Contains(strings.Join(f.Consumers, ","), "cloudrun_job:db-migrate/migrate") {
		t.Errorf("want SP100 naming the job: %+v", r.Findings)
	}
	if f := codes["SP141"]; f == nil || f.Consumers[0] != "cloudrun_job:db-migrate/migrate" || !strings.Contains(f.Message, "E2E_TESTING") {
		t.Errorf("want SP141 for the job's test-bypass variable: %+v", f)
	}
	if f := codes["SP140"]; f == nil || !strings.Contains(f.Message, "LEGACY_KEY") {
		t.Errorf("want SP140 for the job's plain-text key: %+v", f)
	}
	// A job's hints name the jobs command and permission, not the services'.
	job := "gcloud run jobs update db-migrate --project stg --region us-central1 "
	for code, want := range map[string]string{
		"SP100": job + "--update-secrets VAR=jwt:2",
		"SP141": job + "--remove-env-vars E2E_TESTING",
		"SP140": job + "--set-secrets NAME=SECRET:VERSION",
	} {
		if f := codes[code]; f == nil || !strings.Contains(f.Hint, want) || strings.Contains(f.Hint+f.Message, "services") {
			t.Errorf("%s hint for a job: want %q, no services:\n%+v", code, want, f)
		}
	}
	if f := codes["SP140"]; f == nil || !strings.Contains(f.Message, "in the job config, visible to anyone with run.jobs.get") {
		t.Errorf("SP140 for a job names the jobs permission: %+v", f)
	}
	// Two consumers name db-migrate: it is read once.
	if n := h.srv.CallsFor("GetJob", "projects/stg/locations/us-central1/jobs/db-migrate"); n != 1 {
		t.Errorf("GetJob on db-migrate called %d times, want 1", n)
	}
}

func TestJobUnreadable(t *testing.T) {
	h := newHarness(t, jobsFixture)
	h.srv.SetFault("GetJob", "projects/stg/locations/us-central1/jobs/db-migrate", codesPermissionDenied)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]",
		"{cloudrun_job: db-migrate, chain: [JWT_SECRET]}", "{cloudrun_job: nightly, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	if code != exitIncomplete || r.Result != "incomplete" {
		t.Fatalf("exit %d result %s, want 3 incomplete", code, r.Result)
	}
	var denied, missing bool
	for _, f := range r.Findings {
		if f.Code != "SP102" {
			continue
		}
		switch f.Consumers[0] {
		case "cloudrun_job:db-migrate":
			denied = strings.Contains(f.Message, "PermissionDenied") && strings.Contains(f.Message, "run.jobs.get") &&
				strings.Contains(f.Hint, "run.jobs.get")
		case "cloudrun_job:nightly":
			missing = strings.Contains(f.Message, "projects/stg/locations/us-central1/jobs/nightly") &&
				strings.Contains(f.Message, "NotFound") && strings.Contains(f.Hint, "gcloud run jobs list")
		}
	}
	if !denied || !missing {
		t.Errorf("want SP102 naming run.jobs.get for db-migrate (%v) and NotFound for nightly (%v): %+v", denied, missing, r.Findings)
	}
}

// An older revision still at 10% from before the signer sidecar was added
// does not read the secret through it: not a consumer, and no SP102.
func TestServingRevisionWithoutTheNamedContainer(t *testing.T) {
	withSigner := `    containers:
      - name: app
        ports: [{containerPort: 8080}]
      - name: signer
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "2"}}}`
	appOnly := `    containers:
      - name: app
        ports: [{containerPort: 8080}]`
	h := newHarness(t, concat(secretsFixture, service("api",
		map[string]int{"api-2": 90, "api-1": 10},
		map[string]string{"api-2": withSigner, "api-1": appOnly})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, container: signer, chain: [JWT_SECRET]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK || r.Result != "pass" {
		t.Fatalf("exit %d result %s, want 0 pass; stderr %s; findings %+v", code, r.Result, errs, r.Findings)
	}
	if c := consumerByID(t, r, "cloudrun:api@api-2/signer"); !c.Resolved || c.TrafficPercent != 90 {
		t.Errorf("signer consumer %+v", c)
	}
	if n := len(r.Secrets[0].Consumers); n != 2 {
		t.Errorf("%d consumers, want the runner and api-2/signer", n)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], `revision api-1 (10% of traffic) has no container "signer"`) ||
		!strings.Contains(r.Notes[0], "not a consumer") {
		t.Errorf("a note should say why api-1 was left out: %q", r.Notes)
	}

	// When no serving revision has the container, the config is wrong.
	cfg = h.write("c2.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, container: sigher, chain: [JWT_SECRET]}"))
	code, r, _ = h.checkJSON(cfg)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want 3", code)
	}
	n := 0
	for _, f := range r.Findings {
		if f.Code == "SP102" && strings.Contains(f.Message, `container "sigher" not found`) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("want one SP102 per serving revision for a container none has, got %+v", r.Findings)
	}
}

// The text and markdown reports say which tag selected a revision, and
// its share even at 0%.
func TestTaggedRevisionLabel(t *testing.T) {
	h := newHarness(t, taggedFixture)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, tag: e2e, chain: [JWT_SECRET]}"))
	for _, format := range []string{"text", "markdown"} {
		_, out, _ := h.run("check", "-c", cfg, "--format", format)
		if !strings.Contains(out, "(tag e2e, 0%)") {
			t.Errorf("%s report should label the tagged revision:\n%s", format, out)
		}
	}
}

// A serving revision that lacks the named container but whose other
// container reads the secret through the chain (the container was renamed)
// is a consumer that was not checked: SP102 naming it, never a silent pass.
func TestServingRevisionWithRenamedContainer(t *testing.T) {
	named := func(name, version string) string {
		return `    containers:
      - name: ` + name + `
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "` + version + `"}}}`
	}
	h := newHarness(t, concat(secretsFixture, service("api",
		map[string]int{"api-2": 90, "api-1": 10},
		map[string]string{"api-2": named("api", "1"), "api-1": named("backend", "2")})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, container: backend, chain: [JWT_SECRET]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitIncomplete || r.Result != "incomplete" {
		t.Fatalf("exit %d result %s, want 3 incomplete; stderr %s; findings %+v", code, r.Result, errs, r.Findings)
	}
	f := findingCodes(r)["SP102"]
	if f == nil {
		t.Fatalf("want SP102 for api-2: %+v", r.Findings)
	}
	for _, want := range []string{"api-2", "90%", `"backend"`, `"api"`} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("SP102 message %q should name %s", f.Message, want)
		}
	}
	if !strings.Contains(f.Hint, "container:") || !strings.Contains(f.Hint, "twice") {
		t.Errorf("SP102 hint %q should say to update container: or list the consumer twice", f.Hint)
	}
	if c := consumerByID(t, r, "cloudrun:api@api-2/backend"); c.Resolved || c.TrafficPercent != 90 {
		t.Errorf("api-2 consumer %+v, want unresolved at 90%%", c)
	}
	for _, n := range r.Notes {
		if strings.Contains(n, "api-2") {
			t.Errorf("api-2 reads the secret: it must not be dropped with a note: %q", n)
		}
	}
}

package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
)

func TestLatestTrafficEntryAndSummedPercent(t *testing.T) {
	// A LATEST entry names no revision: it means latest_ready_revision
	// (a full name). A tag entry at the same revision adds to its share.
	fx := concat(secretsFixture, `services:
  - name: projects/stg/locations/us-central1/services/api
    latestReadyRevision: projects/stg/locations/us-central1/services/api/revisions/api-00003-new
    reconciling: true
    trafficStatuses:
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 60}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-00003-new, percent: 20, tag: canary}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-00002-old, percent: 20}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-00001-gone, percent: 0, tag: e2e}
revisions:
  - name: projects/stg/locations/us-central1/services/api/revisions/api-00003-new
`+envLatest+`
  - name: projects/stg/locations/us-central1/services/api/revisions/api-00002-old
`+envLatest)
	h := newHarness(t, fx)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	if got := consumerByID(t, r, "cloudrun:api@api-00003-new/app").TrafficPercent; got != 80 {
		t.Errorf("api-00003-new serves %d%%, want 60 (LATEST) + 20 (tag) = 80", got)
	}
	if got := consumerByID(t, r, "cloudrun:api@api-00002-old/app").TrafficPercent; got != 20 {
		t.Errorf("api-00002-old serves %d%%", got)
	}
	if n := len(r.Secrets[0].Consumers); n != 3 {
		t.Errorf("%d consumers: a 0%% revision does not serve and is not read", n)
	}
	if h.srv.CallsFor("GetRevision", "projects/stg/locations/us-central1/services/api/revisions/api-00001-gone") != 0 {
		t.Error("read a revision that serves no traffic")
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "reconciling") {
		t.Errorf("a reconciling service must be noted: %q", r.Notes)
	}
}

// A reconciling service's traffic_statuses may be stale: the revision its
// traffic spec is moving to is a consumer too, so a disagreement there is
// SP100 and not just a note.
func TestReconcilingServiceChecksTheRevisionItMovesTo(t *testing.T) {
	fx := concat(secretsFixture, `services:
  - name: projects/stg/locations/us-central1/services/api
    latestReadyRevision: projects/stg/locations/us-central1/services/api/revisions/api-00001-old
    latestCreatedRevision: projects/stg/locations/us-central1/services/api/revisions/api-00002-new
    reconciling: true
    trafficStatuses:
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 100}
    traffic:
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 100}
revisions:
  - name: projects/stg/locations/us-central1/services/api/revisions/api-00001-old
`+envVersion("2")+`
  - name: projects/stg/locations/us-central1/services/api/revisions/api-00002-new
`+envVersion("1"))
	h := newHarness(t, fx)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1: %s %+v", code, errs, r.Findings)
	}
	c := consumerByID(t, r, "cloudrun:api@api-00002-new/app")
	if c.TrafficPercent != 0 || c.Version != "1" {
		t.Errorf("the revision being rolled out: %+v", c)
	}
	if f := findingCodes(r)["SP100"]; f == nil || !slices.Contains(f.Consumers, c.ID) {
		t.Errorf("SP100 must name the revision being rolled out: %+v", f)
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "reconciling") }) {
		t.Errorf("a reconciling service must be noted: %q", r.Notes)
	}
}

func TestOneUnreadableRevisionLeavesTheOthers(t *testing.T) {
	h := newHarness(t, concat(secretsFixture, service("api",
		map[string]int{"api-2": 70, "api-1": 30},
		map[string]string{"api-2": envLatest, "api-1": envLatest})))
	h.srv.SetFault("GetRevision", "projects/stg/locations/us-central1/services/api/revisions/api-1", codesPermissionDenied)
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want 3", code)
	}
	ok := consumerByID(t, r, "cloudrun:api@api-2/app")
	if !ok.Resolved || ok.TrafficPercent != 70 {
		t.Errorf("the readable revision must still be checked: %+v", ok)
	}
	bad := consumerByID(t, r, "cloudrun:api@api-1")
	if bad.Resolved || bad.Revision != "api-1" || bad.TrafficPercent != 30 || bad.ErrorCode != "PermissionDenied" ||
		!strings.Contains(bad.Error, "run.revisions.get") {
		t.Errorf("unreadable revision: %+v", bad)
	}
}

func TestNoContainerHasTheChainIsUnresolved(t *testing.T) {
	other := strings.Replace(envLatest, "name: JWT_SECRET,", "name: SOMETHING_ELSE,", 1)
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": other})))
	// Even with a literal at the end, no container shows it runs this
	// chain: the revision is one unresolved consumer (DESIGN.md section 8).
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{cloudrun: api, chain: [JWT_SECRET, {literal: fallback}]}"))
	// SP101 is an error, so the run fails; with --fail-on never it is still
	// not a pass: the consumer was not compared (fail closed).
	for failOn, want := range map[string]int{"error": exitFindings, "never": exitIncomplete} {
		code, r, _ := h.checkJSON(cfg, "--fail-on", failOn)
		if code != want {
			t.Errorf("--fail-on %s: exit %d result %s, want %d", failOn, code, r.Result, want)
		}
		c := consumerByID(t, r, "cloudrun:api@api-1")
		if c.Resolved || c.Link != -1 || len(c.Skipped) != 2 || c.Container != "" {
			t.Errorf("consumer %+v", c)
		}
		if f := findingCodes(r)["SP101"]; f == nil || !strings.Contains(f.Message, "[1] literal") {
			t.Errorf("SP101 should list every link: %+v", f)
		}
	}
}

func TestSidecarOnlyTrimAndSetSecrets(t *testing.T) {
	sidecar := `    containers:
      - name: app
        ports: [{containerPort: 8080}]
        env: [{name: PORT_NAME, value: http}]
      - name: signer
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "2"}}}`
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": sidecar})))
	keyFile := h.write("key.txt", keyV2+"\n") // written with echo, not echo -n
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    runner: {trim: true, chain: [{file: `+keyFile+`}]}
    services:
      - {cloudrun: api, chain: [JWT_SECRET]}
      - {set_secrets: "JWT_SECRET=jwt:2,/secrets/jwt/key=jwt:1", name: worker, chain: [JWT_SECRET]}
`)
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	if n := len(r.Secrets[0].Consumers); n != 3 {
		t.Errorf("%d consumers: only the sidecar reads the secret", n)
	}
	if c := consumerByID(t, r, "cloudrun:api@api-1/signer"); c.Version != "2" {
		t.Errorf("sidecar consumer %+v", c)
	}
	if c := consumerByID(t, r, "set_secrets:worker"); c.Via != "env" || c.Version != "2" {
		t.Errorf("set_secrets consumer %+v", c)
	}
	// Without trim the newline is a different value, and SP110 says why.
	untrimmed := h.write("c2.yaml", strings.Replace(string(mustRead(t, cfg)), "trim: true, ", "", 1))
	_, r, _ = h.checkJSON(untrimmed)
	if findingCodes(r)["SP110"] == nil {
		t.Errorf("want SP110 for a trailing newline, got %+v", r.Findings)
	}
}

// With an asymmetric algorithm the runner signs with the private key and
// the services verify with the public one: they agree when the public
// halves are the same key, compared by RFC 7638 thumbprint.
func TestAsymmetricKeysCompareByPublicHalf(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}))
	pubDER, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	otherDER, _ := x509.MarshalPKIXPublicKey(&other.PublicKey)
	b64 := func(der []byte) string {
		return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	fx := `
projects: {stg: "111111111111"}
secrets:
  - name: projects/stg/secrets/jwt-public
    versions: [{value_base64: "` + b64(pubDER) + `"}]
  - name: projects/stg/secrets/jwt-other
    versions: [{value_base64: "` + b64(otherDER) + `"}]
`
	volume := func(secretID string) string {
		return `    containers:
      - name: app
        volumeMounts: [{name: k, mountPath: /keys}]
    volumes:
      - {name: k, secret: {secret: ` + secretID + `, items: [{path: jwt.pem, version: "1"}]}}`
	}
	h := newHarness(t, concat(fx,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": volume("jwt-public")}),
		service("billing", map[string]int{"billing-1": 100}, map[string]string{"billing-1": volume("jwt-other")})))
	keyFile := h.write("signing.pem", privPEM)
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    jwt: {algorithm: RS256}
    runner: {chain: [{file: `+keyFile+`}]}
    services:
      - {cloudrun: api, chain: [{file: /keys/jwt.pem}]}
`)
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	runner, api := consumerByID(t, r, "runner"), consumerByID(t, r, "cloudrun:api@api-1/app")
	if !strings.HasPrefix(runner.Fingerprint, "jwk-sha256:") || runner.Fingerprint != api.Fingerprint {
		t.Errorf("runner %s, api %s: the private key and its public key are one key pair", runner.Fingerprint, api.Fingerprint)
	}
	// A verifier holding another key pair's public key disagrees.
	cfg2 := h.write("c2.yaml", strings.Replace(string(mustRead(t, cfg)), "{cloudrun: api,", "{cloudrun: billing,", 1))
	code, r, _ = h.checkJSON(cfg2)
	if code != exitFindings || findingCodes(r)["SP100"] == nil {
		t.Errorf("exit %d findings %+v: a different key pair must be SP100", code, r.Findings)
	}
}

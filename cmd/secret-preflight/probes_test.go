package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// A runner holding a private JWK agrees with a service reading a JWKS from
// Secret Manager and one verifying with a jwks_url, each holding the
// runner's public key beside an older one; token verifies with them and
// shows revisions and traffic.
func TestJWKSConsumersEndToEnd(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	old, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustJSON := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jwks := mustJSON(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &old.PublicKey, KeyID: "2025", Use: "sig"}, {Key: &key.PublicKey, KeyID: "2026", Use: "sig"}}})
	privJWK := mustJSON(jose.JSONWebKey{Key: key, KeyID: "2026"})

	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	defer keys.Close()

	fx := `
projects: {stg: "111111111111"}
secrets:
  - name: projects/stg/secrets/jwks
    versions: [{value_base64: "` + base64.StdEncoding.EncodeToString(jwks) + `"}]
`
	volume := `    containers:
      - name: app
        volumeMounts: [{name: k, mountPath: /keys}]
    volumes:
      - {name: k, secret: {secret: jwks, items: [{path: jwks.json, version: "1"}]}}`
	h := newHarness(t, concat(fx,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": volume}),
		service("gateway", map[string]int{"gateway-7": 100}, map[string]string{"gateway-7": "    containers:\n      - name: gw"})))
	keyFile := h.write("runner.jwk", string(privJWK))
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    jwt: {algorithm: ES256, issuer: auth, audience: api}
    runner: {chain: [{exec: [cat, `+keyFile+`]}]}
    services:
      - {cloudrun: api, chain: [{file: /keys/jwks.json}]}
      - {cloudrun: gateway, jwt: {audience: gateway}, chain: [{jwks_url: "`+keys.URL+`/jwks.json"}]}
`)
	code, r, errs := h.checkJSON(cfg, "--allow-exec")
	if code != exitFindings {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	// The gateway expects another audience: SP160 says so, and nothing else
	// is wrong.
	if len(r.Findings) != 1 || r.Findings[0].Code != "SP160" || r.Findings[0].Reason != "audience" ||
		!strings.Contains(r.Findings[0].Hint, `set the helper's aud to "gateway"`) {
		t.Fatalf("findings %+v", r.Findings)
	}
	runner, api, gw := consumerByID(t, r, "runner"), consumerByID(t, r, "cloudrun:api@api-1/app"), consumerByID(t, r, "cloudrun:gateway@gateway-7/gw")
	if !strings.HasPrefix(runner.Fingerprint, "jwk-sha256:") || api.Fingerprint != runner.Fingerprint || gw.Fingerprint != runner.Fingerprint {
		t.Errorf("fingerprints runner %s api %s gateway %s", runner.Fingerprint, api.Fingerprint, gw.Fingerprint)
	}
	if len(api.Keys) != 2 || gw.Via != "jwks_url" || r.Secrets[0].Verdict != "match" {
		t.Errorf("api keys %v, gateway via %s, verdict %s", api.Keys, gw.Via, r.Secrets[0].Verdict)
	}

	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": "auth", "aud": "api", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "2026"
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	h.env["E2E_TOKEN"] = signed
	code, out, errs := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token-env", "E2E_TOKEN", "--allow-exec")
	if code != exitFindings {
		t.Fatalf("token: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"REVISION", "TRAFFIC", "api-1", "100%", "gateway-7", "accepts",
		`refuses: the audience (aud) does not include "gateway" (audience)`} {
		if !strings.Contains(out, want) {
			t.Errorf("token output lacks %q:\n%s", want, out)
		}
	}
	assertNoLeak(t, "token output", out+errs, []string{signed, string(privJWK)})
	// Without --allow-exec the runner cannot be read, and the flag the
	// message names exists.
	code, out, _ = h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token-env", "E2E_TOKEN")
	if code != exitFindings || !strings.Contains(out, "--allow-exec") {
		t.Errorf("token without --allow-exec: exit %d\n%s", code, out)
	}
}

// A live endpoint that honours X-E2E-Test fails the run with SP163 in every
// format; --no-probes skips the probes and says so.
func TestProbesEndToEnd(t *testing.T) {
	honourBypass := true
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if honourBypass && r.Header.Get("X-E2E-Test") == "true" {
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(keyV2), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("auth"), jwt.WithAudience("api")); err != nil {
			http.Error(w, "no", http.StatusUnauthorized)
		}
	}))
	defer api.Close()
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")})))
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    jwt: {algorithm: HS256, issuer: auth, audience: api}
    runner: {chain: [JWT_SECRET_KEY, {literal: staging-jwt-secret-key-hard-coded}]}
    services:
      - {cloudrun: api, chain: [JWT_SECRET]}
    probes:
      - url: `+api.URL+`/api/me
        bypass_headers: {X-E2E-Test: "true"}
`)
	h.env["JWT_SECRET_KEY"] = keyV2
	code, r, errs := h.checkJSON(cfg)
	if code != exitFindings {
		t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
	}
	if len(r.Findings) != 1 || r.Findings[0].Code != "SP163" || r.Findings[0].Reason != "bypass" {
		t.Fatalf("findings %+v", r.Findings)
	}
	if len(r.Probes) != 9 || r.Probes[0].Probe != "valid" || !r.Probes[0].LetIn || r.Probes[7].Probe != "bypass" || !r.Probes[7].LetIn {
		t.Errorf("probes %+v", r.Probes)
	}
	for format, want := range map[string]string{"text": "Probes (status codes only", "markdown": "#### Live probes", "github": "::group::live probes (9 requests)"} {
		code, out, _ := h.run("check", "-c", cfg, "--format", format)
		if code != exitFindings || !strings.Contains(out, want) || !strings.Contains(out, "bypass") {
			t.Errorf("%s: exit %d, lacks %q:\n%s", format, code, want, out)
		}
	}
	code, r, _ = h.checkJSON(cfg, "--no-probes")
	if code != exitOK || len(r.Probes) != 0 || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "--no-probes") {
		t.Errorf("--no-probes: exit %d, %d probes, notes %q", code, len(r.Probes), r.Notes)
	}
	honourBypass = false
	if code, r, _ := h.checkJSON(cfg); code != exitOK || len(r.Findings) != 0 {
		t.Errorf("secure endpoint: exit %d, findings %+v", code, r.Findings)
	}

	// A plain-text probe to anything but loopback is a config error, with
	// its position, before anything is sent.
	bad := h.write("bad.yaml", strings.Replace(string(mustRead(t, cfg)), api.URL, "http://api.staging.example.com", 1))
	code, out, errs := h.run("check", "-c", bad)
	if code != exitUsage || !strings.Contains(errs, "bad.yaml:10:14: probe url: plain http://") {
		t.Errorf("plain-text probe: exit %d\n%s%s", code, out, errs)
	}
}

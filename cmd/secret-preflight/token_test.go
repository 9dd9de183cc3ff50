package main

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func signHS256(t *testing.T, key string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenAgainstEachConsumer(t *testing.T) {
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")})))
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    jwt: {algorithm: HS256, issuer: auth, audience: backend}
    runner: {chain: [JWT_SECRET_KEY, {literal: staging-jwt-secret-key-that-is-long-enough}]}
    services:
      - {cloudrun: api, chain: [JWT_SECRET]}
  - name: no-jwt
    runner: {chain: [{literal: x}]}
`)
	future := time.Now().Add(time.Hour).Unix()
	good := signHS256(t, keyV2, jwt.MapClaims{"iss": "auth", "aud": "backend", "exp": future})
	h.env["E2E_TOKEN"] = good

	// Signed with the services' key: the service accepts, the runner's
	// literal fallback refuses: the token a test minted the other way round
	// would fail with 403.
	code, out, errs := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token-env", "E2E_TOKEN")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1: %s%s", code, out, errs)
	}
	for _, want := range []string{"✓  cloudrun:api@api-1/app", "accepts", "✗  runner", "refuses: the signature does not verify", "1 of 2 consumers of jwt-signing refuse"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// With the runner fixed, everyone accepts.
	h.env["JWT_SECRET_KEY"] = keyV2
	if code, out, _ := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token-env", "E2E_TOKEN"); code != exitOK || !strings.Contains(out, "every consumer of jwt-signing accepts") {
		t.Errorf("exit %d:\n%s", code, out)
	}

	for name, tc := range map[string]struct {
		claims jwt.MapClaims
		want   string
	}{
		"expired":        {jwt.MapClaims{"iss": "auth", "aud": "backend", "exp": time.Now().Add(-time.Hour).Unix()}, "expired"},
		"wrong audience": {jwt.MapClaims{"iss": "auth", "aud": "frontend", "exp": future}, `audience (aud) does not include "backend"`},
		"wrong issuer":   {jwt.MapClaims{"iss": "someone", "aud": "backend", "exp": future}, `issuer (iss) is not "auth"`},
	} {
		tok := signHS256(t, keyV2, tc.claims)
		code, out, _ := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token", tok)
		if code != exitFindings || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want 1 and %q:\n%s", name, code, tc.want, out)
		}
		assertNoLeak(t, "token output", out, []string{tok, keyV2})
	}
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, jwt.MapClaims{}).SignedString([]byte(keyV2))
	if _, out, _ := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token", hs384); !strings.Contains(out, "signed with HS384, but the config says HS256") {
		t.Errorf("algorithm mismatch not explained:\n%s", out)
	}
	if _, out, _ := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token", "not.a.jwt-"+keyV1); !strings.Contains(out, "malformed") {
		t.Errorf("malformed token:\n%s", out)
	} else {
		assertNoLeak(t, "malformed token output", out, []string{keyV1})
	}

	// What people paste: an Authorization header value is fine; a value
	// with a line break is refused before anything is printed, masks too.
	h.env["GITHUB_ACTIONS"] = "true"
	if code, out, _ := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token", "Bearer "+good); code != exitOK ||
		!strings.Contains(out, "::add-mask::"+good+"\n") {
		t.Errorf("Bearer prefix: exit %d\n%s", code, out)
	}
	code, out, errs = h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token", good+"\nSECOND-LINE-"+keyV1)
	if code != exitUsage || strings.Contains(out+errs, "SECOND-LINE") {
		t.Errorf("multi-line token: exit %d, output %q %q", code, out, errs)
	}
	delete(h.env, "GITHUB_ACTIONS")

	for _, args := range [][]string{
		{"--secret", "jwt-signing"},
		{"--secret", "jwt-signing", "--token", good, "--token-env", "E2E_TOKEN"},
		{"--token", good},
		{"--secret", "no-jwt", "--token", good},
		{"--secret", "nope", "--token", good},
		{"--secret", "jwt-signing", "--token-env", "UNSET_VAR"},
	} {
		code, out, errs := h.run(append([]string{"token", "-c", cfg}, args...)...)
		if code != exitUsage || errs == "" {
			t.Errorf("token %v: exit %d, want 2 with a message", args, code)
		}
		assertNoLeak(t, "token usage error", out+errs, []string{good})
	}
}

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

	// Signed with the services' key: the service accepts, so the token
	// is a good one (exit 0). The runner signs, it does not verify: its
	// literal fallback is another key, shown on a line of its own, and
	// it takes no part in the verdict.
	code, out, errs := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token-env", "E2E_TOKEN")
	if code != exitOK {
		t.Fatalf("exit %d, want 0: %s%s", code, out, errs)
	}
	for _, want := range []string{"✓  cloudrun:api@api-1/app", "accepts", "runner: would sign with another key", "every service consumer of jwt-signing accepts"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "✗") || strings.Contains(out, "refuse") {
		t.Errorf("the runner is counted as a verifier:\n%s", out)
	}
	// With the runner fixed, it signs with the key the services verify.
	h.env["JWT_SECRET_KEY"] = keyV2
	if code, out, _ := h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token-env", "E2E_TOKEN"); code != exitOK ||
		!strings.Contains(out, "runner: signs with this key") || !strings.Contains(out, "every service consumer of jwt-signing accepts") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	// A token signed with another key: the service refuses (exit 1),
	// counted among services only.
	other := signHS256(t, keyV1, jwt.MapClaims{"iss": "auth", "aud": "backend", "exp": future})
	code, out, _ = h.run("token", "-c", cfg, "--secret", "jwt-signing", "--token", other)
	if code != exitFindings || !strings.Contains(out, "1 of 1 service consumers of jwt-signing refuse") || !strings.Contains(out, "runner: would sign with another key") {
		t.Errorf("a token of another key: exit %d:\n%s", code, out)
	}
	assertNoLeak(t, "token output", out, []string{other, keyV1, keyV2})

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

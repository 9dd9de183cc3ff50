package main

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Two flow-style manifest consumers on one config line: only the second
// carries a jwt: override (another issuer), and only it refuses, in
// check's SP160 and in token's table alike.
func TestFlowStyleConsumerOverridesStayTheirOwn(t *testing.T) {
	h := newHarness(t, secretsFixture)
	const key = "the-deployed-staging-key-0123456789abcdef"
	manifest := `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: app
          image: x
          env:
            - name: JWT_SECRET
              value: ` + key + "\n"
	m1, m2 := h.write("m.yaml", manifest), h.write("m2.yaml", manifest)
	cfg := h.write("c.yaml", `version: 1
secrets:
  - name: s
    jwt: {algorithm: HS256, issuer: auth, audience: api}
    runner:
      chain: [{env: JWT_SECRET}]
    services: [{manifest: `+q(m1)+`, chain: [JWT_SECRET]}, {manifest: `+q(m2)+`, chain: [JWT_SECRET], jwt: {issuer: other-issuer}}]
`)
	h.env["JWT_SECRET"] = key

	code, out, errs := h.run("check", "-c", cfg, "--format", "json")
	if code != exitFindings {
		t.Fatalf("check exit %d, want 1 (SP160 for m2.yaml); stderr %s", code, errs)
	}
	if strings.Count(out, `"code": "SP160"`) != 1 || !strings.Contains(out, "m2.yaml/app refuses") || strings.Contains(out, "m.yaml/app refuses") {
		t.Errorf("want one SP160, for m2.yaml only:\n%s", out)
	}

	h.env["E2E_TOKEN"] = signHS256(t, key, jwt.MapClaims{"iss": "auth", "aud": "api", "exp": time.Now().Add(time.Hour).Unix()})
	code, out, errs = h.run("token", "-c", cfg, "--secret", "s", "--token-env", "E2E_TOKEN")
	if code != exitFindings || strings.Count(out, "refuses:") != 1 {
		t.Fatalf("token exit %d, want one refusal:\n%s%s", code, out, errs)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "refuses:") && !strings.Contains(line, "m2.yaml") {
			t.Errorf("the refusal is not m2.yaml's: %q", line)
		}
	}
}

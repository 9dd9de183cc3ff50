package main

import (
	"path/filepath"
	"testing"
)

// A manifest consumer's id and target are its path as the config writes
// it (relative to the config file, cleaned), not as the working directory
// sees it: one config gives the same report from anywhere.
func TestManifestIDIndependentOfWorkingDirectory(t *testing.T) {
	h := newHarness(t, secretsFixture)
	t.Chdir(h.dir)
	h.write("b/deploy/m5.yaml", `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: x
          env:
            - {name: JWT_SECRET, value: the-deployed-key-0123456789abcdef}
`)
	h.write("b/config.yaml", "version: 1\nsecrets:\n  - name: s\n    services:\n      - {manifest: ./deploy/../deploy/m5.yaml, chain: [JWT_SECRET]}\n")
	const wantID, wantTarget = "manifest:deploy/m5.yaml/web", "deploy/m5.yaml"
	for _, tc := range []struct{ cwd, cfg string }{
		{h.dir, "b/config.yaml"},
		{filepath.Join(h.dir, "b"), "config.yaml"},
		{filepath.Join(h.dir, "b", "deploy"), "../config.yaml"},
	} {
		t.Chdir(tc.cwd)
		_, r, errs := h.checkJSON(tc.cfg, "--fail-on", "never")
		if len(r.Secrets) != 1 || len(r.Secrets[0].Consumers) != 1 {
			t.Fatalf("from %s: %+v\n%s", tc.cwd, r.Secrets, errs)
		}
		c := r.Secrets[0].Consumers[0]
		if c.ID != wantID || c.Target != wantTarget || !c.Resolved {
			t.Errorf("from %s with -c %s: id %q target %q resolved %v; want %q, %q", tc.cwd, tc.cfg, c.ID, c.Target, c.Resolved, wantID, wantTarget)
		}
	}
}

package main

import (
	"path/filepath"
	"strings"
	"testing"
)

const minimalConfig = "version: 1\nsecrets:\n  - name: s\n    runner: {chain: [A]}\n"

// The config is the -c flag, else SECRET_PREFLIGHT_CONFIG, else the default
// names (.yaml or .yml, at the root or under .github/).
func TestConfigDiscoveryPrecedence(t *testing.T) {
	h := &harness{t: t, dir: t.TempDir(), env: map[string]string{}}
	t.Chdir(h.dir)
	flagCfg := h.write("flag.yaml", minimalConfig)
	envCfg := h.write("env.yaml", minimalConfig)
	h.write("secret-preflight.yml", minimalConfig)

	valid := func(args ...string) string {
		t.Helper()
		code, out, errs := h.run(append([]string{"validate"}, args...)...)
		if code != exitOK {
			t.Fatalf("validate %v: exit %d\n%s", args, code, errs)
		}
		return out
	}
	if out := valid(); !strings.HasPrefix(out, "secret-preflight.yml: valid") {
		t.Errorf("default name: %q", out)
	}
	h.env["SECRET_PREFLIGHT_CONFIG"] = envCfg
	if out := valid(); !strings.HasPrefix(out, envCfg+": valid") {
		t.Errorf("SECRET_PREFLIGHT_CONFIG ignored: %q", out)
	}
	if out := valid("-c", flagCfg); !strings.HasPrefix(out, flagCfg+": valid") {
		t.Errorf("-c does not win over SECRET_PREFLIGHT_CONFIG: %q", out)
	}

	// A variable naming a missing file is an error, not a fallback.
	h.env["SECRET_PREFLIGHT_CONFIG"] = filepath.Join(h.dir, "nope.yaml")
	for _, cmd := range []string{"validate", "check"} {
		code, _, errs := h.run(cmd)
		if code != exitUsage || !strings.Contains(errs, "SECRET_PREFLIGHT_CONFIG names") || !strings.Contains(errs, "nope.yaml") {
			t.Errorf("%s with SECRET_PREFLIGHT_CONFIG naming a missing file: exit %d %s", cmd, code, errs)
		}
	}
	delete(h.env, "SECRET_PREFLIGHT_CONFIG")

	// .yaml and .yml side by side: which one is meant is not guessed.
	h.write("secret-preflight.yaml", minimalConfig)
	code, _, errs := h.run("validate")
	if code != exitUsage || !strings.Contains(errs, "secret-preflight.yaml") || !strings.Contains(errs, "secret-preflight.yml") {
		t.Errorf("both extensions: exit %d %s", code, errs)
	}
}

package main

import (
	"strings"
	"testing"
)

// Every command but merge takes flags only: a stray word is a mistake
// (validate FILE meant -c FILE), and running on regardless would check
// something else than the user named.
func TestUnexpectedArgumentIsUsageError(t *testing.T) {
	h, _ := cleanHarness(t)
	cfg := h.write("c.yaml", "version: 1\nsecrets: []\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "-c", cfg, "extra"}, `unexpected argument "extra"`},
		{[]string{"validate", "extra.yaml"}, "use -c FILE"},
		{[]string{"validate", "-c", cfg, "extra.yaml"}, "use -c FILE"},
		{[]string{"init", "--project", "p", "--region", "us-central1", "extra"}, `unexpected argument "extra"`},
		{[]string{"token", "--secret", "s", "--token-env", "T", "extra"}, "unexpected argument"},
		{[]string{"demo", "extra"}, `unexpected argument "extra"`},
		{[]string{"emulator", "--fixture", "f.yaml", "extra"}, `unexpected argument "extra"`},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
		{[]string{"--version", "extra"}, `unexpected argument "extra"`},
	} {
		code, out, errOut := h.run(tc.args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stdout %q, stderr %q)", tc.args, code, exitUsage, out, errOut)
			continue
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: stderr %q, want it to contain %q", tc.args, errOut, tc.want)
		}
		if out != "" {
			t.Errorf("%q: stdout %q, want nothing", tc.args, out)
		}
	}
}

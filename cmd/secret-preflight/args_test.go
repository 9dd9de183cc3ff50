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

// help CMD is CMD -h: the command's flags, exit 0.
func TestHelpCommandPrintsItsFlags(t *testing.T) {
	h, _ := cleanHarness(t)
	for cmd, flagName := range map[string]string{
		"check": "-fail-on", "validate": "-config", "init": "-project", "token": "-token-env",
		"merge": "-fail-on", "demo": "-format", "emulator": "-fixture", "version": "no flags",
	} {
		code, out, errOut := h.run("help", cmd)
		if code != exitOK {
			t.Errorf("help %s: exit %d, want 0", cmd, code)
		}
		if !strings.Contains(out+errOut, flagName) {
			t.Errorf("help %s: output %q lacks %q", cmd, out+errOut, flagName)
		}
		if strings.Contains(out+errOut, "commands:") {
			t.Errorf("help %s printed the general usage", cmd)
		}
	}
	if code, _, errOut := h.run("help", "nosuch"); code != exitUsage || !strings.Contains(errOut, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := h.run("help"); code != exitOK || !strings.Contains(out, "commands:") {
		t.Errorf("help: exit %d, stdout %q", code, out)
	}
}

// README's Commands synopsis names every flag each command takes.
func TestReadmeSynopsisNamesEveryFlag(t *testing.T) {
	readme := string(mustRead(t, "../../README.md"))
	_, rest, ok := strings.Cut(readme, "## Commands\n\n```\n")
	if !ok {
		t.Fatal("README has no Commands synopsis")
	}
	synopsis, _, _ := strings.Cut(rest, "```")
	// Each command's part: from its "secret-preflight CMD" line to the next.
	parts := map[string]string{}
	cur := ""
	for _, line := range strings.Split(synopsis, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "secret-preflight" {
			cur = f[1]
		}
		parts[cur] += line + "\n"
	}
	h, _ := cleanHarness(t)
	for _, cmd := range []string{"check", "validate", "init", "token", "merge", "demo", "emulator", "version"} {
		part, ok := parts[cmd]
		if !ok {
			t.Errorf("the synopsis lacks %s", cmd)
			continue
		}
		_, out, errOut := h.run(cmd, "-h")
		for _, line := range strings.Split(out+errOut, "\n") {
			if !strings.HasPrefix(line, "  -") {
				continue
			}
			name := strings.Fields(line)[0][1:]
			if !strings.Contains(part, " -"+name+" ") && !strings.Contains(part, "[-"+name) && !strings.Contains(part, "--"+name) && !strings.Contains(part, "-"+name+"]") {
				t.Errorf("the synopsis of %s lacks -%s:\n%s", cmd, name, part)
			}
		}
	}
}

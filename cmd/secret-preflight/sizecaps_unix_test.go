//go:build unix

package main

import (
	"os"
	"strings"
	"testing"
)

// The documented size limits (README, "Limits and retries"), one byte
// over each: refused before reading, with the documented message and exit
// code. The files are sparse (os.Truncate), so they cost no disk.
func TestSizeCapsThroughTheCLI(t *testing.T) {
	const mib = 1 << 20
	sparse := func(t *testing.T, h *harness, name string, size int64) string {
		t.Helper()
		p := h.write(name, "")
		if err := os.Truncate(p, size); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("dotenv", func(t *testing.T) {
		h, _ := newRetryHarness(t)
		big := sparse(t, h, "big.env", 1*mib+1)
		cfg := h.write("c.yaml", boundedConfig(`[{dotenv: {path: `+big+`, key: JWT_SECRET}}]`))
		checkUnresolved(t, h, cfg, big+" is larger than the 1 MiB limit for a .env file (dotenv: link)")
		// At the limit exactly, the file is read (and found not to set
		// the key): the cap is not off by one.
		if err := os.Truncate(big, 1*mib); err != nil {
			t.Fatal(err)
		}
		_, out, errs := h.runBounded("check", "-c", cfg, "--format", "json")
		if strings.Contains(out+errs, "larger than the") {
			t.Errorf("a .env file of exactly 1 MiB is refused for its size:\n%s%s", out, errs)
		}
	})

	t.Run("manifest", func(t *testing.T) {
		h, _ := newRetryHarness(t)
		big := sparse(t, h, "big.yaml", 16*mib+1)
		cfg := h.write("c.yaml", `version: 1
secrets:
  - name: jwt-signing
    runner: {chain: [{literal: x}]}
    services: [{manifest: `+big+`, chain: [JWT_SECRET]}]
`)
		checkUnresolved(t, h, cfg, big+" is larger than the 16 MiB limit for a manifest")
	})

	t.Run("baseline", func(t *testing.T) {
		h, cfg := newRetryHarness(t)
		big := sparse(t, h, "big.json", 64*mib+1)
		code, out, errs := h.runBounded("check", "-c", cfg, "--baseline", big)
		if code != exitUsage {
			t.Errorf("exit %d, want 2 (a --baseline that cannot be read)\n%s", code, out)
		}
		if want := big + " is larger than the 64 MiB limit for a --baseline report"; !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	})
}

package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// captureProcessOutput points os.Stdout and os.Stderr at a file until the
// returned function is called, which restores them and returns what was
// written. The official clients' debug logger writes to os.Stderr, not to
// the writers run is given, so this is where a client log would show.
func captureProcessOutput(t *testing.T) func() string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "process-output")
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = f, f
	restored := false
	restore := func() string {
		if !restored {
			os.Stdout, os.Stderr = oldOut, oldErr
			restored = true
			f.Close()
		}
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Cleanup(func() { restore() })
	return restore
}

// With GOOGLE_SDK_GO_LOGGING_LEVEL=debug the official clients would log
// every request and response, secret payloads included, to the process's
// stderr. Every command that creates a client must silence them.
func TestClientsNeverLogAtDebugLevel(t *testing.T) {
	t.Setenv("GOOGLE_SDK_GO_LOGGING_LEVEL", "debug")
	h, cfg := newLeakHarness(t)
	h.env["TOKEN"] = signHS256(t, canarySMv1, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()})

	restore := captureProcessOutput(t)
	runs := [][]string{
		{"check", "-c", cfg, "--format", "json", "--allow-exec"},
		{"init", "--project", "stg", "--region", "us-central1"},
		{"token", "-c", cfg, "--secret", "jwt-signing", "--token-env", "TOKEN"},
	}
	for _, args := range runs {
		code, out, errs := h.run(args...)
		if code == exitUsage {
			t.Errorf("%s: exit 2: %s", strings.Join(args, " "), errs)
		}
		assertNoLeak(t, args[0], out+errs, []string{canarySMv1, canarySMv2, canaryCross, canaryPlain})
	}
	if logged := restore(); logged != "" {
		first, _, _ := strings.Cut(logged, "\n")
		t.Errorf("the clients logged at GOOGLE_SDK_GO_LOGGING_LEVEL=debug (%d bytes), starting %.80q", len(logged), first)
	}
}

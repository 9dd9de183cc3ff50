//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGTERM (a CI runner cancelling the job) and SIGINT (Ctrl-C) end a run
// whose exec link is still running: the real binary, so main's signal
// handling is what is tested, exits 3 (incomplete) promptly, and the
// command's own child is killed with its process group, not orphaned.
func TestSignalEndsRunAndKillsExecGroup(t *testing.T) {
	bin := buildCLI(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			h, _ := newRetryHarness(t)
			fifo := filepath.Join(h.dir, "child.pid")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := h.write("c.yaml", boundedConfig(`[{exec: [sh, -c, "sleep 300 & echo $! > `+fifo+`; wait"]}]`))
			cmd := exec.Command(bin, "check", "-c", cfg, "--format", "json", "--allow-exec", "--timeout", "5m")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir}
			for k, v := range h.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill() // only if the test failed before Wait
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()

			grandchild := readPidFIFO(t, fifo) // the command runs, and so does its child
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				var ee *exec.ExitError
				code := 0
				if errors.As(err, &ee) {
					code = ee.ExitCode() // -1 when the signal killed the process
				} else if err != nil {
					t.Fatal(err)
				}
				if code != exitIncomplete {
					t.Errorf("exit %d after %v, want 3 (incomplete)\nstdout:\n%s\nstderr:\n%s", code, sig, out.String(), errb.String())
				}
			case <-time.After(boundedDeadline):
				t.Fatalf("the run did not end within %v of %v", boundedDeadline, sig)
			}
			assertGone(t, grandchild)
		})
	}
}

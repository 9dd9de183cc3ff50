//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secret-preflight/secret-preflight/report"
)

// These tests give the CLI paths that would hang or exhaust a naive reader
// (FIFOs nobody writes to, endless devices, endless commands) and check
// that each is refused quickly with a message naming the path and what it
// is. A run that hangs fails through the deadline given to run, well
// before the go test timeout.

// boundedDeadline bounds every run of these tests: each refusal must be
// immediate, and --timeout is far longer, so a run that needs the deadline
// did hang.
const boundedDeadline = 20 * time.Second

func (h *harness) runBounded(args ...string) (int, string, string) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), boundedDeadline)
	defer cancel()
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		// A blocking open(2) ignores the context: the run goes on in its
		// goroutine, and the test fails instead of hanging.
		var out, errb strings.Builder
		e := &env{lookup: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }, retryInitial: h.retryInitial}
		code := run(ctx, args, e, &out, &errb)
		done <- result{code, out.String(), errb.String()}
	}()
	select {
	case r := <-done:
		if ctx.Err() != nil {
			h.t.Fatalf("run %q needed the test's deadline to end", args)
		}
		return r.code, r.out, r.err
	case <-time.After(boundedDeadline + 5*time.Second):
		h.t.Fatalf("run %q hung", args)
		return 0, "", ""
	}
}

func (h *harness) fifo(name string) string {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		h.t.Fatalf("mkfifo: %v", err)
	}
	return p
}

// boundedConfig is a config whose runner reads chain and whose service
// reads the same version the runner would.
func boundedConfig(runnerChain string) string {
	return `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    runner: {chain: ` + runnerChain + `}
    services: [{cloudrun: api, chain: [JWT_SECRET]}]
`
}

// checkUnresolved runs check and wants the runner unresolved with an
// SP102 whose message contains want, and exit 3.
func checkUnresolved(t *testing.T, h *harness, cfg string, want string, extra ...string) {
	t.Helper()
	args := append([]string{"check", "-c", cfg, "--format", "json", "--timeout", "60s"}, extra...)
	code, out, errs := h.runBounded(args...)
	r, err := report.ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("exit %d, stdout not a report: %v\nstderr: %s", code, err, errs)
	}
	if code != exitIncomplete || r.Result != report.Incomplete {
		t.Errorf("exit %d result %s, want 3 incomplete", code, r.Result)
	}
	f := findingCodes(r)["SP102"]
	if f == nil {
		t.Fatalf("no SP102: %+v", r.Findings)
	}
	if !strings.Contains(f.Message, want) {
		t.Errorf("SP102 %q lacks %q", f.Message, want)
	}
}

func TestFileLinkRefusesNonRegular(t *testing.T) {
	h, _ := newRetryHarness(t)
	fifo := h.fifo("key.fifo")
	big := h.write("big.key", strings.Repeat("k", 1<<20+1))
	for _, tc := range []struct{ name, path, want string }{
		{"fifo", fifo, fifo + " is a named pipe (FIFO), not a regular file"},
		{"dev-zero", "/dev/zero", "/dev/zero is a character device, not a regular file"},
		{"dev-urandom", "/dev/urandom", "/dev/urandom is a character device"},
		{"directory", h.dir, h.dir + " is a directory"},
		{"too-large", big, big + " is larger than the 1 MiB limit for a secret file (file: link)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := h.write(tc.name+".yaml", boundedConfig("[{file: "+tc.path+"}]"))
			checkUnresolved(t, h, cfg, tc.want)
		})
	}
}

func TestFileLinkDevStdin(t *testing.T) {
	// Whatever stdin is under go test, reading it must not wait: a pipe,
	// a terminal or /dev/null is refused, a regular file is read, bounded.
	st, err := os.Stdin.Stat()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := newRetryHarness(t)
	cfg := h.write("stdin.yaml", boundedConfig("[{file: /dev/stdin}]"))
	if st.Mode().IsRegular() {
		code, _, errs := h.runBounded("check", "-c", cfg, "--format", "json")
		if code == exitUsage {
			t.Errorf("exit 2 reading a regular stdin: %s", errs)
		}
		return
	}
	checkUnresolved(t, h, cfg, "/dev/stdin is ")
}

func TestDotenvRefusesFIFO(t *testing.T) {
	h, _ := newRetryHarness(t)
	fifo := h.fifo("env.fifo")
	cfg := h.write("c.yaml", boundedConfig("[{dotenv: {path: "+fifo+", key: K}}]"))
	checkUnresolved(t, h, cfg, fifo+" is a named pipe (FIFO)")
}

func TestManifestRefusesFIFO(t *testing.T) {
	h, _ := newRetryHarness(t)
	fifo := h.fifo("svc.fifo")
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    runner: {chain: [{secretmanager: jwt/versions/2}]}
    services: [{manifest: `+fifo+`, chain: [JWT_SECRET]}]
`)
	checkUnresolved(t, h, cfg, fifo+" is a named pipe (FIFO)")
}

func TestConfigRefusesNonRegular(t *testing.T) {
	h, _ := newRetryHarness(t)
	fifo := h.fifo("c.fifo")
	big := h.write("big.yaml", "version: 1\n#"+strings.Repeat("x", 4<<20))
	for _, tc := range []struct{ name, path, want string }{
		{"fifo", fifo, fifo + " is a named pipe (FIFO), not a regular file"},
		{"dev-zero", "/dev/zero", "/dev/zero is a character device"},
		{"too-large", big, big + " is larger than the 4 MiB limit for a config file"},
	} {
		for _, cmd := range []string{"check", "validate"} {
			t.Run(tc.name+"/"+cmd, func(t *testing.T) {
				code, _, errs := h.runBounded(cmd, "-c", tc.path)
				if code != exitUsage {
					t.Errorf("exit %d, want 2", code)
				}
				if !strings.Contains(errs, tc.want) {
					t.Errorf("stderr %q lacks %q", errs, tc.want)
				}
			})
		}
	}
}

func TestBaselineRefusesFIFO(t *testing.T) {
	h, cfg := newRetryHarness(t)
	fifo := h.fifo("base.fifo")
	code, _, errs := h.runBounded("check", "-c", cfg, "--baseline", fifo)
	if code != exitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	if want := fifo + " is a named pipe (FIFO)"; !strings.Contains(errs, want) {
		t.Errorf("stderr %q lacks %q", errs, want)
	}
}

// Report destinations: a FIFO nobody reads would block the open, one with a
// reader the writes; both are refused, and the run does not pass.
func TestOutputsRefuseFIFO(t *testing.T) {
	for _, target := range []string{"--output", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		t.Run(target, func(t *testing.T) {
			h, cfg := newRetryHarness(t)
			fifo := h.fifo("out.fifo")
			args := []string{"check", "-c", cfg, "--format", "text"}
			if target == "--output" {
				args = append(args, "--output", "json="+fifo)
			} else {
				h.env[target] = fifo
			}
			code, _, errs := h.runBounded(args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2: an output that cannot be written is an output error (DESIGN.md section 4)", code)
			}
			if want := fifo + " is a named pipe (FIFO)"; !strings.Contains(errs, want) {
				t.Errorf("stderr %q lacks %q", errs, want)
			}
		})
	}
}

func TestExecOutputCapped(t *testing.T) {
	h, _ := newRetryHarness(t)
	cfg := h.write("c.yaml", boundedConfig("[{exec: [yes]}]"))
	start := time.Now()
	checkUnresolved(t, h, cfg, `exec "yes": printed more than the 1 MiB limit for a secret value`, "--allow-exec")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s to stop an endless command", d)
	}
}

// A command that starts a background child and then lingers past --timeout
// is killed with its whole process group: the child must not outlive the run.
func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	h, _ := newRetryHarness(t)
	pidFile := filepath.Join(h.dir, "child.pid")
	cfg := h.write("c.yaml", boundedConfig(`[{exec: [sh, -c, "sleep 300 & echo $! > `+pidFile+`; wait"]}]`))
	checkUnresolved(t, h, cfg, "deadline exceeded", "--allow-exec", "--timeout", "1s")
	assertGone(t, readPid(t, pidFile))
}

// A command that exits while a child it started keeps running: the child
// is killed when the command ends.
func TestExecExitKillsLeftovers(t *testing.T) {
	h, _ := newRetryHarness(t)
	pidFile := filepath.Join(h.dir, "child.pid")
	cfg := h.write("c.yaml", boundedConfig(`[{exec: [sh, -c, "sleep 300 >/dev/null 2>&1 & echo $! > `+pidFile+`; printf %s `+keyV2+`"]}]`))
	code, out, errs := h.runBounded("check", "-c", cfg, "--format", "json", "--allow-exec")
	if code != exitOK {
		t.Errorf("exit %d, want 0 (the runner's command printed the deployed key)\n%s\n%s", code, out, errs)
	}
	assertGone(t, readPid(t, pidFile))
}

// SIGINT and SIGTERM cancel the run's context (main); cancelling it kills
// the command's process group at once.
func TestExecCancelKillsProcessGroup(t *testing.T) {
	h, _ := newRetryHarness(t)
	pidFile := filepath.Join(h.dir, "child.pid")
	if err := syscall.Mkfifo(pidFile, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := h.write("c.yaml", boundedConfig(`[{exec: [sh, -c, "sleep 300 & echo $! > `+pidFile+`; wait"]}]`))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		var out, errb strings.Builder
		e := &env{lookup: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }, retryInitial: h.retryInitial}
		done <- run(ctx, []string{"check", "-c", cfg, "--format", "json", "--allow-exec", "--timeout", "5m"}, e, &out, &errb)
	}()
	pid := readPidFIFO(t, pidFile) // the command's signal that its child runs
	cancel()
	select {
	case code := <-done:
		if code != exitIncomplete {
			t.Errorf("exit %d after cancellation, want 3", code)
		}
	case <-time.After(boundedDeadline):
		t.Fatal("the run did not end after its context was cancelled")
	}
	assertGone(t, pid)
}

// readPid reads the pid a command wrote before the run returned.
func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(string(b), "\n") {
		t.Fatalf("the command did not write its child's pid to %s before the run ended: %q %v", path, b, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	return pid
}

// readPidFIFO waits for a running command to write its child's pid to
// the named pipe path: opening a FIFO for reading blocks until the
// writer opens it, so this is the command's own signal, bounded by
// boundedDeadline.
func readPidFIFO(t *testing.T, path string) int {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(path) // returns once the writer closes
		got <- string(b)
	}()
	select {
	case s := <-got:
		pid, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("pid from %s: %q: %v", path, s, err)
		}
		return pid
	case <-time.After(boundedDeadline):
		t.Fatalf("the command did not write its child's pid to %s", path)
	}
	return 0
}

// assertGone waits, within a bound, for pid to exit (waitExit waits on
// the kernel's exit event for any process, not just our children).
func assertGone(t *testing.T, pid int) {
	t.Helper()
	exited, err := waitExit(pid, 5*time.Second)
	if err != nil {
		t.Fatalf("waiting for process %d: %v", pid, err)
	}
	if !exited {
		_ = syscall.Kill(pid, syscall.SIGKILL) // do not leave it behind
		t.Fatalf("process %d, started by the exec link's command, outlived the run", pid)
	}
}

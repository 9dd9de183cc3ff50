// Command secret-preflight resolves which value every consumer of a shared
// secret would use, compares keyed fingerprints, and fails CI with a
// diagnosis before any end-to-end test runs. It never prints a value.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc/grpclog"

	"github.com/secret-preflight/secret-preflight/internal/crash"
	"github.com/secret-preflight/secret-preflight/internal/ghactions"
	"github.com/secret-preflight/secret-preflight/internal/retry"
)

func main() {
	// Go's log package and gRPC's logger write straight to fd 2, around
	// the inert writers of run: GODEBUG=http2debug logs frames and headers
	// of an HTTP/2 answer (a jwks_url server's, under a pull request's
	// control) through log, and GRPC_GO_LOG_SEVERITY_LEVEL makes gRPC log
	// every connection event. Neither may speak for the tool (DESIGN.md
	// section 10), so both are silenced before anything can log; here in
	// main, not in an init, so tests and other importers keep their own.
	log.SetOutput(io.Discard)
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{lookup: os.LookupEnv, names: environNames}, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes, DESIGN.md section 4.
const (
	exitOK         = 0
	exitFindings   = 1
	exitUsage      = 2
	exitIncomplete = 3
)

// env is the process environment, injected so tests never touch the real
// one (the runner's chain reads it).
type env struct {
	lookup func(string) (string, bool)
	// names lists the variables set, for "did you mean" hints; nil means
	// none are offered.
	names func() []string
	// retryInitial overrides the first retry pause of cloud reads (zero:
	// retry.DefaultInitial), so tests of transient faults run in
	// milliseconds.
	retryInitial time.Duration
	// beforeCommand, when set, runs just before the command: tests use it
	// to make a command panic. Nil in the real program.
	beforeCommand func(cmd string)
	// retryNow, when set, is the clock retry budgets are measured on
	// (tests make it advance per attempt).
	retryNow func() time.Time
}

// retryPolicy is the retry policy of a command run with this --timeout.
func (e *env) retryPolicy(timeout time.Duration) retry.Policy {
	p := retry.ForTimeout(timeout)
	if e.retryInitial > 0 {
		p.Initial, p.Max = e.retryInitial, 4*e.retryInitial
	}
	p.Now = e.retryNow
	return p
}

// environNames is the names of the process environment, without values.
func environNames() []string {
	var out []string
	for _, kv := range os.Environ() {
		if name, _, ok := strings.Cut(kv, "="); ok && name != "" {
			out = append(out, name)
		}
	}
	return out
}

func (e *env) get(k string) string {
	v, _ := e.lookup(k)
	return v
}

const usage = `usage: secret-preflight <command> [flags]

commands:
  check      resolve every consumer of each secret and compare them
  validate   check a config file without touching the network
  init       discover live services and print a starter config
  token      would each consumer of a secret accept this token?
  merge      combine the JSON reports of the shards of a matrix into one
  demo       run the bundled staging incident on the embedded emulator
  emulator   serve the fake Secret Manager and Cloud Run APIs from a fixture
  version    print the version, commit and build date (also --version)

Run 'secret-preflight <command> -h' for a command's flags.
Exit codes: 0 pass, 1 findings at or above --fail-on, 2 bad usage or config
or an output that could not be written, 3 incomplete (something could not be
checked, or an internal error).
`

// run is the program. Everything it prints goes through here:
//
//   - in GitHub Actions (GITHUB_ACTIONS=true), stdout and stderr are made
//     inert (internal/ghactions): no text from a config, a manifest or an
//     API answer can form a workflow command, only the tool's own masks,
//     annotations and groups do;
//   - an output that could not be written is exit 2, whatever the run
//     found: CI must not pass, or fail for another reason, on a report
//     nobody could read;
//   - a panic, here or on a goroutine of the run (internal/crash), is
//     exit 3 (nothing was checked to the end) with a one-line message
//     that names the panic's type and where it happened, never its value,
//     which could hold a secret.
func run(ctx context.Context, args []string, e *env, stdout, stderr io.Writer) (code int) {
	outW, errW := &outputWriter{w: stdout}, &outputWriter{w: stderr}
	stdout, stderr = outW, errW
	var actions []*ghactions.Writer
	if e.get("GITHUB_ACTIONS") == "true" {
		ghOut, ghErr := ghactions.NewWriter(outW), ghactions.NewWriter(errW)
		stdout, stderr = ghOut, ghErr
		actions = append(actions, ghOut, ghErr)
	}
	defer func() {
		panicked := false
		if p := recover(); p != nil {
			panicked = true
			fmt.Fprintf(stderr, "secret-preflight: internal error: %s; the run stopped before checking everything (exit 3). This is a bug: please report it with this line.\n", crash.Describe(p))
			code = exitIncomplete
		}
		for _, w := range actions {
			_ = w.Flush() // its error is the outputWriter's
		}
		if outW.err != nil && !panicked {
			fmt.Fprintf(stderr, "secret-preflight: cannot write to stdout: %v\n", outW.err)
			code = exitUsage
		}
		if errW.err != nil && !panicked {
			code = exitUsage
		}
	}()
	return dispatch(ctx, args, e, stdout, stderr)
}

// outputWriter remembers the first error writing to a stream, since most
// prints do not check it; after an error it writes nothing more.
type outputWriter struct {
	w   io.Writer
	err error
}

func (o *outputWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	o.err = err
	return n, err
}

func dispatch(ctx context.Context, args []string, e *env, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	if e.beforeCommand != nil {
		e.beforeCommand(cmd)
	}
	switch cmd {
	case "check":
		return runCheck(ctx, rest, e, stdout, stderr)
	case "validate":
		return runValidate(rest, e, stdout, stderr)
	case "init":
		return runInit(ctx, rest, e, stdout, stderr)
	case "token":
		return runToken(ctx, rest, e, stdout, stderr)
	case "merge":
		return runMerge(rest, e, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, e, stdout, stderr)
	case "emulator":
		return runEmulator(ctx, rest, stdout, stderr)
	case "version", "--version":
		if len(rest) == 1 && (rest[0] == "-h" || rest[0] == "-help" || rest[0] == "--help") {
			fmt.Fprintln(stderr, "usage: secret-preflight version\n\nprints the version, commit and build date; takes no flags")
			return exitOK
		}
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "secret-preflight version: unexpected argument %q (version takes none)\n", rest[0])
			return exitUsage
		}
		fmt.Fprintln(stdout, currentVersion())
		return exitOK
	case "help", "-h", "--help":
		if cmd == "help" && len(rest) > 0 && rest[0] != "help" {
			// help CMD is CMD -h: that command's flags, exit 0.
			switch rest[0] {
			case "check", "validate", "init", "token", "merge", "demo", "emulator", "version":
				return dispatch(ctx, []string{rest[0], "-h"}, e, stdout, stderr)
			}
			fmt.Fprintf(stderr, "secret-preflight: unknown command %q\n\n%s", rest[0], usage)
			return exitUsage
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "secret-preflight: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

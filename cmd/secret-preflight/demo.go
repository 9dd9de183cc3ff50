package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/examples"
	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
	"github.com/secret-preflight/secret-preflight/internal/retry"
	"github.com/secret-preflight/secret-preflight/preflight"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

const demoDir = "examples/staging-incident"

// runDemo replays the staging incident against the in-process emulator,
// then the fixed configuration. It exits 0 when the incident is caught and
// the fix passes, which is what the demo is there to show.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("demo", flag.ContinueOnError)
	fset.SetOutput(stderr)
	format := fset.String("format", "text", "report format: text, json, markdown, github")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if _, err := report.For(*format); err != nil {
		fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
		return exitUsage
	}
	readFile := func(p string) ([]byte, error) {
		return fs.ReadFile(examples.FS, strings.TrimPrefix(path.Clean(p), "examples/"))
	}
	fixData, err := readFile(demoDir + "/fixture.yaml")
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
		return exitUsage
	}
	fix, err := fakegcp.ParseFixture(demoDir+"/fixture.yaml", fixData)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
		return exitUsage
	}
	srv, err := fakegcp.NewServer(fix)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
		return exitIncomplete
	}
	defer srv.Close()
	// The demo's runner has an empty environment, whatever the real one
	// holds: the incident is that the CI job sets none of its variables.
	e := &env{lookup: func(k string) (string, bool) {
		switch k {
		case envSMEmulator, envRunEmulator:
			return srv.Addr, true
		}
		return "", false
	}}

	steps := []struct{ title, config string }{
		{"1/2 The incident: every E2E test fails with 403", demoDir + "/secret-preflight.yaml"},
		{"2/2 After the fix: the runner reads the key the services read", demoDir + "/secret-preflight.fixed.yaml"},
	}
	var codes []int
	for _, st := range steps {
		if *format == "text" {
			fmt.Fprintf(stdout, "=== %s (%s)\n\n", st.title, st.config)
		}
		code, err := demoStep(ctx, e, st.config, readFile, *format, stdout, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
			return exitUsage
		}
		codes = append(codes, code)
		if *format == "text" {
			fmt.Fprintf(stdout, "(exit code %d)\n\n", code)
		}
	}
	if codes[0] != exitFindings || codes[1] != exitOK {
		fmt.Fprintf(stderr, "secret-preflight demo: expected exit codes 1 then 0, got %d then %d\n", codes[0], codes[1])
		return exitFindings
	}
	if *format == "text" {
		fmt.Fprintln(stdout, "The incident fails before any E2E test runs, and the fix passes. Try it on your own setup: secret-preflight check -c secret-preflight.yaml")
	}
	return exitOK
}

func demoStep(ctx context.Context, e *env, cfgPath string, readFile func(string) ([]byte, error), format string, stdout, stderr io.Writer) (int, error) {
	data, err := readFile(cfgPath)
	if err != nil {
		return 0, err
	}
	cfg, err := config.Parse(cfgPath, data)
	if err != nil {
		return 0, err
	}
	fp, err := secret.NewFingerprinter("")
	if err != nil {
		return 0, err
	}
	cl := newClients(ctx, e, retry.Policy{})
	defer cl.Close()
	opts := cl.options(e, fp)
	opts.FailOn, opts.ReadFile = "error", readFile
	rep, err := preflight.Run(ctx, cfg, opts)
	if err != nil {
		return 0, err
	}
	return emit(rep, []output{{format: format, path: "-"}}, e, stdout, stderr), nil
}

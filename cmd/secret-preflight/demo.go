package main

import (
	"bytes"
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

// demoEndpointPlaceholder is the address in secret-preflight.probes.yaml
// that the demo replaces with its local endpoint's.
const demoEndpointPlaceholder = "127.0.0.1:8080"

const demoUsage = `usage: secret-preflight demo [--format F]

Replays the staging incident on the embedded emulator in four acts: the
incident, the key fix, a test-bypass header caught by a live probe, and the
API without the bypass. It prints one report per act; with --format json or
sarif, stdout is one JSON array holding the four reports (documents) in
order. Exit 0 when every act ends as expected.

`

// runDemo replays the staging incident against the in-process emulator,
// then the fixed configuration. It exits 0 when the incident is caught and
// the fix passes, which is what the demo is there to show.
//
// Its output follows check's rules (the real environment's GITHUB_ACTIONS
// picks the default format and turns the masks on); its runner's
// environment is its own.
func runDemo(ctx context.Context, args []string, real *env, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("demo", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() {
		fmt.Fprint(fset.Output(), demoUsage)
		fset.PrintDefaults()
	}
	format := fset.String("format", "", "report format: "+strings.Join(report.Formats(), ", ")+" (default text; github when GITHUB_ACTIONS=true)")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "secret-preflight demo: unexpected argument %q (the demo takes only --format)\n", fset.Arg(0))
		return exitUsage
	}
	// Only GITHUB_ACTIONS reaches the output: the demo writes no step
	// summary nor step outputs into a real job.
	oe := &env{lookup: func(k string) (string, bool) {
		if k == "GITHUB_ACTIONS" {
			return real.lookup(k)
		}
		return "", false
	}}
	outs, err := destinations(*format, nil, oe)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
		return exitUsage
	}
	text := outs[0].format == "text"
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

	// Act 3: the backend's API on 127.0.0.1, first with the second
	// report's "fix" (it honours X-E2E-Test: true), then without it. The
	// probe config names a placeholder address, replaced by the one the
	// endpoint listens on.
	key, err := demoKey(fix)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
		return exitUsage
	}
	endpoint := &demoEndpoint{key: key}
	endpoint.honourBypass.Store(true)
	addr, stop, err := startDemoEndpoint(endpoint)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
		return exitIncomplete
	}
	defer stop()
	probesFile := func(p string) ([]byte, error) {
		b, err := readFile(p)
		if err == nil && path.Base(p) == "secret-preflight.probes.yaml" {
			b = []byte(strings.ReplaceAll(string(b), demoEndpointPlaceholder, addr))
		}
		return b, err
	}

	steps := []struct {
		title, config string
		want          int
		before        func()
	}{
		{"1/4 The incident: every E2E test fails with 403", demoDir + "/secret-preflight.yaml", exitFindings, nil},
		{"2/4 After the fix: the runner reads the key the services read", demoDir + "/secret-preflight.fixed.yaml", exitOK, nil},
		{"3/4 The other proposed fix: the API lets in requests with X-E2E-Test: true", demoDir + "/secret-preflight.probes.yaml", exitFindings, nil},
		{"4/4 The API without the bypass: only real tokens get in", demoDir + "/secret-preflight.probes.yaml", exitOK,
			func() { endpoint.honourBypass.Store(false) }},
	}
	// The JSON formats print one document, an array of the acts'
	// reports, so a JSON reader takes the output whole.
	jsonArray := outs[0].format == "json" || outs[0].format == "sarif"
	// Every act runs before anything is printed: in GitHub Actions each
	// value any act resolved is masked first, as check does.
	var reps []*report.Report
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		rep, err := demoStep(ctx, e, st.config, probesFile)
		if err != nil {
			fmt.Fprintf(stderr, "secret-preflight demo: %v\n", err)
			return exitUsage
		}
		reps = append(reps, rep)
	}
	if !maskValues(reps, outs, oe, stdout, stderr) {
		return exitUsage
	}
	var docs [][]byte
	var codes []int
	for i, st := range steps {
		if text {
			fmt.Fprintf(stdout, "=== %s (%s)\n\n", st.title, st.config)
		}
		w := stdout
		var doc bytes.Buffer
		if jsonArray {
			w = &doc
		}
		code := emitMasked(reps[i], outs, oe, w, stderr)
		if code == exitUsage {
			return exitUsage
		}
		docs = append(docs, bytes.TrimSpace(doc.Bytes()))
		codes = append(codes, code)
		if text {
			fmt.Fprintf(stdout, "(exit code %d)\n\n", code)
		}
	}
	if jsonArray {
		fmt.Fprintf(stdout, "[\n%s\n]\n", bytes.Join(docs, []byte(",\n")))
	}
	for i, st := range steps {
		if codes[i] != st.want {
			fmt.Fprintf(stderr, "secret-preflight demo: step %s: expected exit code %d, got %d\n", st.title, st.want, codes[i])
			return exitFindings
		}
	}
	if text {
		fmt.Fprintln(stdout, "The incident fails before any E2E test runs, the key fix passes, a test-bypass header fails, and the secure API passes. Try it on your own setup: secret-preflight check -c secret-preflight.yaml")
	}
	return exitOK
}

// demoStep runs one act of the demo and returns its report, unprinted.
func demoStep(ctx context.Context, e *env, cfgPath string, readFile func(string) ([]byte, error)) (*report.Report, error) {
	data, err := readFile(cfgPath)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(cfgPath, data)
	if err != nil {
		return nil, err
	}
	fp, err := secret.NewFingerprinter("")
	if err != nil {
		return nil, err
	}
	cl := newClients(ctx, e, retry.Policy{})
	defer cl.Close()
	opts := cl.options(e, fp)
	opts.FailOn, opts.ReadFile = "error", readFile
	return preflight.Run(ctx, cfg, opts)
}

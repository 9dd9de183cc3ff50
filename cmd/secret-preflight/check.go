package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/localfile"
	"github.com/secret-preflight/secret-preflight/preflight"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type checkFlags struct {
	config    string
	format    string
	outputs   listFlag
	failOn    string
	baseline  string
	only      listFlag
	timeout   time.Duration
	conc      int
	allowExec bool
	noProbes  bool
}

func parseCheckFlags(args []string, stderr io.Writer) (*checkFlags, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &checkFlags{}
	fs.StringVar(&f.config, "c", "", configFlagHelp)
	fs.StringVar(&f.config, "config", "", "same as -c")
	fs.StringVar(&f.format, "format", "", "stdout format: text, json, markdown, github, sarif (default text; github when GITHUB_ACTIONS=true)")
	fs.Var(&f.outputs, "output", "also write FORMAT=PATH (repeatable; PATH - is stdout)")
	fs.StringVar(&f.failOn, "fail-on", "", "lowest severity that fails the run: error, warning, never (default: policy.fail_on, else error)")
	fs.StringVar(&f.baseline, "baseline", "", "a previous JSON report to compare with")
	fs.Var(&f.only, "only", "check only this secret (repeatable)")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "give up on cloud calls after this long")
	fs.IntVar(&f.conc, "concurrency", preflight.DefaultConcurrency, "API calls in flight (and consumers resolved) at once")
	fs.BoolVar(&f.allowExec, "allow-exec", false, "allow exec links to run commands (never for configs from pull requests)")
	fs.BoolVar(&f.noProbes, "no-probes", false, "do not send the live probes of secrets with probes: (SP162/SP163 are then not checked)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--timeout %s: want a positive duration such as 60s or 2m", f.timeout)
	}
	if f.conc <= 0 {
		return nil, fmt.Errorf("--concurrency %d: want 1 or more", f.conc)
	}
	return f, nil
}

// output is one report destination.
type output struct {
	format string
	path   string // "-" is stdout
}

// destinations are the stdout format and each --output FORMAT=PATH.
func destinations(format string, outputs []string, e *env) ([]output, error) {
	if format == "" {
		format = "text"
		if e.get("GITHUB_ACTIONS") == "true" {
			format = "github"
		}
	}
	outs := []output{{format: format, path: "-"}}
	for _, o := range outputs {
		fmtName, p, ok := strings.Cut(o, "=")
		if !ok || p == "" {
			return nil, fmt.Errorf("--output %q: want FORMAT=PATH, e.g. json=report.json", o)
		}
		outs = append(outs, output{format: fmtName, path: p})
	}
	for _, o := range outs {
		if _, err := report.For(o.format); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// configFlagHelp is the help of every command's -c flag.
const configFlagHelp = "config file (default: $SECRET_PREFLIGHT_CONFIG, else secret-preflight.yaml or .yml, else the same under .github/)"

// loadConfig loads the config the user means: the -c flag, else the file
// SECRET_PREFLIGHT_CONFIG names, else the default names in the working
// directory (config.Find).
func loadConfig(path string, e *env) (*config.Config, error) {
	if path == "" {
		if p := e.get(config.EnvConfig); p != "" {
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("%s names %s: %w", config.EnvConfig, p, err)
			}
			path = p
		}
	}
	if path == "" {
		p, err := config.Find(".")
		if err != nil {
			return nil, err
		}
		path = p
	}
	return config.Load(path)
}

func runCheck(ctx context.Context, args []string, e *env, stdout, stderr io.Writer) int {
	f, err := parseCheckFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "secret-preflight check: %v\n", err)
		return exitUsage
	}
	outs, err := destinations(f.format, f.outputs, e)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight check: %v\n", err)
		return exitUsage
	}
	cfg, err := loadConfig(f.config, e)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight: invalid config:\n%v\n", err)
		return exitUsage
	}
	failOn := f.failOn
	if failOn == "" {
		failOn = cfg.Policy.FailOn
	}
	if failOn == "" {
		failOn = "error"
	}
	if !report.ValidFailOn(failOn) {
		fmt.Fprintf(stderr, "secret-preflight check: --fail-on %q: want error, warning or never\n", failOn)
		return exitUsage
	}
	var base *report.Report
	if f.baseline != "" {
		if base, err = readBaseline(f.baseline); err != nil {
			fmt.Fprintf(stderr, "secret-preflight check: %v\n", err)
			return exitUsage
		}
	}

	fp, err := secret.NewFingerprinter(e.get("SECRET_PREFLIGHT_FINGERPRINT_KEY"))
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight: %v\n", err)
		return exitIncomplete
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	cl := newClients(ctx, e, e.retryPolicy(f.timeout))
	defer cl.Close()

	opts := cl.options(e, fp)
	opts.Resolver.AllowExec = f.allowExec
	if f.noProbes {
		opts.Prober = nil
	}
	opts.Only, opts.Concurrency, opts.FailOn = f.only, f.conc, failOn
	rep, err := preflight.Run(ctx, cfg, opts)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight check: %v\n", err)
		return exitUsage
	}
	if base != nil {
		report.Compare(rep, base)
	}
	return emit(rep, outs, e, stdout, stderr)
}

func readBaseline(path string) (*report.Report, error) {
	data, err := localfile.Read(path, localfile.LimitReport, "a --baseline report")
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	r, err := report.ReadBaseline(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("--baseline %s: %w; pass a file written by --format json or --output json=PATH", path, err)
	}
	return r, nil
}

// emit writes every destination, appends the markdown summary and the
// step outputs in GitHub Actions, and returns the exit code. A report or
// output that cannot be written is exit 2 (DESIGN.md section 4): CI must
// not pass, nor fail for another reason, on a report nobody can read.
func emit(rep *report.Report, outs []output, e *env, stdout, stderr io.Writer) int {
	masked := maskValues([]*report.Report{rep}, outs, e, stdout, stderr)
	code := emitMasked(rep, outs, e, stdout, stderr)
	if !masked {
		return exitUsage
	}
	return code
}

// maskValues, in GitHub Actions, masks every value the reports resolved
// before anything else is printed: on stdout when the stdout format is
// github, else on stderr (the runner reads workflow commands there too).
// Masks go nowhere else: outside Actions or in a file they would print the
// values. Either way they are the first lines of their stream, and no
// stop-commands block is ever open (report.GitHub opens none through a
// ghactions.Writer) that could swallow them: the runner shares one stop
// state between the two streams. It reports whether the masks were
// written; a run whose values could not be masked must not pass.
func maskValues(reps []*report.Report, outs []output, e *env, stdout, stderr io.Writer) bool {
	if e.get("GITHUB_ACTIONS") != "true" {
		return true
	}
	w := stderr
	if outs[0].format == "github" {
		w = stdout
	}
	// One report holding every secret: each line is masked once.
	all := &report.Report{}
	for _, rep := range reps {
		all.Secrets = append(all.Secrets, rep.Secrets...)
	}
	if err := report.WriteMasks(w, all); err != nil {
		fmt.Fprintf(stderr, "secret-preflight: masking values: %v\n", err)
		return false
	}
	return true
}

// emitMasked is emit once maskValues has run.
func emitMasked(rep *report.Report, outs []output, e *env, stdout, stderr io.Writer) int {
	rep.ToolVersion = currentVersion().Version
	code := rep.ExitCode()
	write := func(format string, w io.Writer) error {
		switch format {
		case "github":
			return report.GitHub{Workspace: e.get("GITHUB_WORKSPACE")}.Write(w, rep)
		case "sarif":
			return report.SARIF{BaseDir: sarifBase(e), ToolVersion: rep.ToolVersion}.Write(w, rep)
		}
		wr, err := report.For(format)
		if err != nil {
			return err
		}
		return wr.Write(w, rep)
	}
	jsonPath := ""
	for _, o := range outs {
		var err error
		if o.path == "-" {
			err = write(o.format, stdout)
		} else {
			err = writeFile(o.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, func(w io.Writer) error { return write(o.format, w) })
		}
		if err != nil {
			fmt.Fprintf(stderr, "secret-preflight: writing %s report to %s: %v\n", o.format, o.path, err)
			code = exitUsage
		} else if o.format == "json" && o.path != "-" && jsonPath == "" {
			jsonPath = o.path
		}
	}
	if p := e.get("GITHUB_STEP_SUMMARY"); p != "" {
		if err := writeFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, func(w io.Writer) error { return write("markdown", w) }); err != nil {
			fmt.Fprintf(stderr, "secret-preflight: writing the step summary: %v\n", err)
			code = exitUsage
		}
	}
	if err := appendGitHubOutputs(e, rep, jsonPath); err != nil {
		fmt.Fprintf(stderr, "secret-preflight: writing the step outputs: %v\n", err)
		code = exitUsage
	}
	return code
}

// appendGitHubOutputs appends the step outputs (result, errors, warnings,
// report) to the GITHUB_OUTPUT file when Actions sets it. report is the
// first JSON report written to a file, empty when there is none.
func appendGitHubOutputs(e *env, rep *report.Report, jsonPath string) error {
	p := e.get("GITHUB_OUTPUT")
	if p == "" {
		return nil
	}
	return writeFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, func(w io.Writer) error {
		return report.WriteGitHubOutputs(w, rep, jsonPath)
	})
}

// writeFile writes a report file; a target that is not a regular file (a
// FIFO would block the run) is refused.
func writeFile(path string, flags int, fn func(io.Writer) error) error {
	fh, err := localfile.OpenWrite(path, flags, 0o644)
	if err != nil {
		return err
	}
	if err := fn(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// sarifBase is the directory SARIF artifact URIs are relative to:
// GITHUB_WORKSPACE in Actions, else the root of the git repository holding
// the working directory (code scanning resolves URIs against the
// checkout), else none.
func sarifBase(e *env) string {
	if ws := e.get("GITHUB_WORKSPACE"); ws != "" {
		return ws
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

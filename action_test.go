package secretpreflight_test

// Tests of action.yml, the composite GitHub Action.
//
// actionlint (.ci/actionlint) lints workflow files only, not action
// metadata, so the structure of action.yml is checked here: every input
// reaches a real flag of `secret-preflight check` (or its documented
// environment variable), every output is a value the CLI writes, and the
// run steps are executed with bash in a simulated GitHub Actions
// environment against the in-process fake Secret Manager and Cloud Run.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"go.yaml.in/yaml/v3"

	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
	"github.com/secret-preflight/secret-preflight/internal/ghactions/runnertest"
)

// checkStepID is the step that runs the CLI; its outputs are the action's.
const checkStepID = "check"

// goVersionStepID reads the Go version from go.mod; goEnvStepID checks the
// go on PATH and locates the caches.
const (
	goVersionStepID = "go-version"
	goEnvStepID     = "go-env"
)

// cliOutputs are the names the CLI writes to GITHUB_OUTPUT.
var cliOutputs = []string{"result", "errors", "warnings", "report"}

type actionFile struct {
	Name        string                  `yaml:"name"`
	Description string                  `yaml:"description"`
	Author      string                  `yaml:"author"`
	Branding    map[string]string       `yaml:"branding"`
	Inputs      map[string]actionInput  `yaml:"inputs"`
	Outputs     map[string]actionOutput `yaml:"outputs"`
	Runs        struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

type actionOutput struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

type actionStep struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Run              string            `yaml:"run"`
	Shell            string            `yaml:"shell"`
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
}

// loadAction decodes action.yml, rejecting keys this file does not know:
// a misspelt key (`working_directory`) is silently ignored by the runner.
func loadAction(t *testing.T) *actionFile {
	t.Helper()
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var a actionFile
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a
}

func (a *actionFile) step(t *testing.T, id string) *actionStep {
	t.Helper()
	for i := range a.Runs.Steps {
		if a.Runs.Steps[i].ID == id {
			return &a.Runs.Steps[i]
		}
	}
	t.Fatalf("action.yml has no step with id %q", id)
	return nil
}

// buildStep is the run step that runs `go build`.
func (a *actionFile) buildStep(t *testing.T) *actionStep {
	t.Helper()
	for i, s := range a.Runs.Steps {
		if strings.Contains(s.Run, "go build") {
			return &a.Runs.Steps[i]
		}
	}
	t.Fatal("action.yml has no step that runs go build")
	return nil
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// eval substitutes ${{ name }} expressions from vars. Only plain context
// names are supported, which is all action.yml should need where the tests
// evaluate it; anything else fails the test rather than being guessed.
func eval(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		name := exprRE.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("expression %q: not a context value this test simulates", m)
		}
		return v
	})
}

// inputVars is the inputs context: the given values over the defaults.
func (a *actionFile) inputVars(given map[string]string) map[string]string {
	vars := map[string]string{}
	for name, in := range a.Inputs {
		if in.Default != nil {
			vars["inputs."+name] = *in.Default
		} else {
			vars["inputs."+name] = ""
		}
	}
	for name, v := range given {
		vars["inputs."+name] = v
	}
	return vars
}

func runnerOS() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows"
	}
	return "Linux"
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// runScript runs a step script the way the runner runs `shell: bash`.
func runScript(t *testing.T, script, dir string, env []string, stdout, stderr io.Writer) int {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("the action's steps are bash scripts: %v", err)
	}
	f := filepath.Join(t.TempDir(), "step.sh")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bash, "--noprofile", "--norc", "-eo", "pipefail", f)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, stdout, stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("running step script: %v", err)
	}
	return 0
}

// The CLI, built once by the action's own build step.
var cli struct {
	once sync.Once
	dir  string // RUNNER_TEMP of the build
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cli.dir != "" {
		os.RemoveAll(cli.dir)
	}
	os.Exit(code)
}

// builtCLI runs action.yml's build step script with GITHUB_ACTION_PATH set
// to the repository (the action's path), from another directory, with a
// temp RUNNER_TEMP, and returns the binary it wrote.
// The step's GOMODCACHE and GOCACHE (the action's own cache directories,
// restored from the Actions cache) are left out: here they would be empty
// and make this a cold build that downloads modules; the test process's
// own caches are used instead.
func builtCLI(t *testing.T) string {
	t.Helper()
	step := loadAction(t).buildStep(t)
	cli.once.Do(func() {
		if cli.dir, cli.err = os.MkdirTemp("", "secret-preflight-action-test"); cli.err != nil {
			return
		}
		repo, err := os.Getwd()
		if err != nil {
			cli.err = err
			return
		}
		env := append(os.Environ(), "RUNNER_TEMP="+cli.dir, "RUNNER_OS="+runnerOS(), "GITHUB_ACTION_PATH="+repo)
		for k, v := range step.Env {
			if k == "GOMODCACHE" || k == "GOCACHE" {
				continue
			}
			if exprRE.MatchString(v) {
				cli.err = fmt.Errorf("build step env %s=%q: an expression this test does not simulate", k, v)
				return
			}
			env = append(env, k+"="+v)
		}
		var out bytes.Buffer
		// Not run in the repository: the script must cd to the action path.
		if code := runScript(t, step.Run, cli.dir, env, &out, &out); code != 0 {
			cli.err = fmt.Errorf("build step exited %d:\n%s", code, out.String())
			return
		}
		cli.path = filepath.Join(cli.dir, "secret-preflight"+exeSuffix())
		if _, err := os.Stat(cli.path); err != nil {
			cli.err = fmt.Errorf("the build step did not write the binary the check step runs: %w", err)
		}
	})
	if cli.err != nil {
		t.Fatal(cli.err)
	}
	if cli.path == "" {
		t.Fatal("building the CLI failed in an earlier test")
	}
	return cli.path
}

// cliFlag is one flag of `check`, as `check -h` prints it.
type cliFlag struct {
	name      string
	takesArg  bool // false for booleans, which print no type
	usageLine string
}

var flagLineRE = regexp.MustCompile(`^  -([A-Za-z0-9][A-Za-z0-9-]*)(?:\s+(\S+))?\s*$`)

// checkFlags runs the real `check -h` and parses the flag names from it.
func checkFlags(t *testing.T) map[string]cliFlag {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), builtCLI(t), "check", "-h")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("check -h: %v\n%s", err, out)
	}
	flags := map[string]cliFlag{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := flagLineRE.FindStringSubmatch(line); m != nil {
			flags[m[1]] = cliFlag{name: m[1], takesArg: m[2] != "", usageLine: line}
		}
	}
	if len(flags) < 5 {
		t.Fatalf("check -h: parsed only %d flags from:\n%s", len(flags), out)
	}
	return flags
}

// stepRun is the outcome of running the check step once.
type stepRun struct {
	code           int
	stdout, stderr string
	outputs        map[string]string // GITHUB_OUTPUT, parsed
	outputsRaw     string
	summary        string
	runnerTemp     string
	dir            string // where the step ran
}

// defaultGitHubAction is the GITHUB_ACTION the simulated runner sets for
// the check step unless stepOpts.action says otherwise.
const defaultGitHubAction = "__secret-preflight_secret-preflight"

// defaultReport is the report's name under RUNNER_TEMP for it.
const defaultReport = "secret-preflight-report-" + defaultGitHubAction + ".json"

type stepOpts struct {
	inputs    map[string]string
	env       map[string]string // job-level env, emulator hosts...
	workspace string            // GITHUB_WORKSPACE
	// action is GITHUB_ACTION, the runner's name for the step:
	// defaultGitHubAction when nil.
	action *string
	// binary is copied to where the build step puts the CLI; stub, when
	// set, is written there instead.
	binary string
	stub   string
}

// runCheckStep runs the check step's script with bash in a simulated
// runner: the step's env evaluated from the inputs, GITHUB_ACTIONS=true,
// GITHUB_ACTION, temp GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP,
// and the CLI (or a stub) where the build step would have written it.
// Nothing of the test process's environment but PATH leaks in.
func runCheckStep(t *testing.T, a *actionFile, o stepOpts) *stepRun {
	t.Helper()
	step := a.step(t, checkStepID)
	r := &stepRun{runnerTemp: t.TempDir()}
	ghDir := t.TempDir()
	outFile := filepath.Join(ghDir, "output")
	sumFile := filepath.Join(ghDir, "step_summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(r.runnerTemp, "secret-preflight"+exeSuffix())
	switch {
	case o.stub != "":
		if err := os.WriteFile(bin, []byte(o.stub), 0o755); err != nil {
			t.Fatal(err)
		}
	case o.binary != "":
		copyFile(t, o.binary, bin)
	}

	vars := a.inputVars(o.inputs)
	action := defaultGitHubAction
	if o.action != nil {
		action = *o.action
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"GITHUB_ACTIONS=true",
		"GITHUB_ACTION=" + action,
		"GITHUB_OUTPUT=" + outFile,
		"GITHUB_STEP_SUMMARY=" + sumFile,
		"GITHUB_WORKSPACE=" + o.workspace,
		"RUNNER_TEMP=" + r.runnerTemp,
		"RUNNER_OS=" + runnerOS(),
	}
	for k, v := range o.env {
		env = append(env, k+"="+v)
	}
	// Step env last: like the runner, it wins over the job's.
	for k, v := range step.Env {
		env = append(env, k+"="+eval(t, v, vars))
	}
	r.dir = o.workspace
	if wd := eval(t, step.WorkingDirectory, vars); wd != "" {
		r.dir = filepath.Join(o.workspace, wd)
	}
	var stdout, stderr bytes.Buffer
	r.code = runScript(t, step.Run, r.dir, env, &stdout, &stderr)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	r.outputsRaw = string(data)
	if r.outputs, err = parseGitHubFile(r.outputsRaw); err != nil {
		t.Fatalf("GITHUB_OUTPUT: %v\n%s", err, data)
	}
	sum, err := os.ReadFile(sumFile)
	if err != nil {
		t.Fatal(err)
	}
	r.summary = string(sum)
	return r
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// parseGitHubFile reads a GITHUB_OUTPUT file: `name=value` lines and
// `name<<DELIMITER` ... `DELIMITER` blocks. A later value wins.
func parseGitHubFile(s string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		if heredoc >= 0 && (eq < 0 || heredoc < eq) {
			name, delim := line[:heredoc], line[heredoc+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("line %d: %q", i+1, line)
			}
			var val []string
			for i++; ; i++ {
				if i >= len(lines) {
					return nil, fmt.Errorf("%s: no closing %q", name, delim)
				}
				if lines[i] == delim {
					break
				}
				val = append(val, lines[i])
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if eq <= 0 {
			return nil, fmt.Errorf("line %d: %q is neither name=value nor name<<DELIMITER", i+1, line)
		}
		out[line[:eq]] = line[eq+1:]
	}
	return out, nil
}

// TestActionStructure checks what the runner would only find out on
// GitHub: the shape of the composite action.
func TestActionStructure(t *testing.T) {
	a := loadAction(t)
	if a.Name == "" || a.Description == "" || a.Branding["icon"] == "" || a.Branding["color"] == "" {
		t.Errorf("action.yml needs name, description and branding (icon, color) for the Marketplace")
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite", a.Runs.Using)
	}
	for name, in := range a.Inputs {
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Required {
			t.Errorf("input %s is required: every input has a usable default", name)
		}
	}
	for name, out := range a.Outputs {
		if strings.TrimSpace(out.Description) == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	shaRE := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	ids := map[string]bool{}
	var setupGo *actionStep
	for i, s := range a.Runs.Steps {
		if s.ID != "" {
			if ids[s.ID] {
				t.Errorf("step id %q is used twice", s.ID)
			}
			ids[s.ID] = true
		}
		switch {
		case s.Uses != "" && s.Run != "":
			t.Errorf("step %d has both uses and run", i)
		case s.Uses != "":
			// The action handles secrets: the actions it runs are pinned
			// to a commit, not to a tag that can be moved.
			if !shaRE.MatchString(s.Uses) {
				t.Errorf("step %d: uses %q is not pinned to a commit SHA", i, s.Uses)
			}
			if strings.HasPrefix(s.Uses, "actions/setup-go@") {
				setupGo = &a.Runs.Steps[i]
			}
		case s.Run != "":
			// A composite run step must name its shell; only bash runs
			// the same on Linux, macOS and Windows runners.
			if s.Shell != "bash" {
				t.Errorf("step %d (%s): shell = %q, want bash", i, s.Name, s.Shell)
			}
			if exprRE.MatchString(s.Run) {
				t.Errorf("step %d (%s): ${{ }} inside a run script is script injection; pass values through env:", i, s.Name)
			}
		default:
			t.Errorf("step %d has neither uses nor run", i)
		}
	}
	if setupGo == nil {
		t.Fatal("no actions/setup-go step")
	}
	// An exact version, from the step that reads go.mod's toolchain line,
	// which the go-env step then checks is the go on PATH.
	if got, want := setupGo.With["go-version"], "${{ steps."+goVersionStepID+".outputs.version }}"; got != want {
		t.Errorf("setup-go go-version = %q, want %q", got, want)
	}
	if f, ok := setupGo.With["go-version-file"]; ok {
		t.Errorf("setup-go go-version-file = %q: the action passes the toolchain line's exact release as go-version", f)
	}
	a.step(t, goVersionStepID)
	readAt := slices.IndexFunc(a.Runs.Steps, func(s actionStep) bool { return s.ID == goVersionStepID })
	setupAt := slices.IndexFunc(a.Runs.Steps, func(s actionStep) bool { return strings.HasPrefix(s.Uses, "actions/setup-go@") })
	if readAt > setupAt {
		t.Errorf("step %q comes after setup-go, which needs its output", goVersionStepID)
	}
	// In a container job ${{ github.action_path }} is the host's path; the
	// runner maps $GITHUB_ACTION_PATH into the container.
	raw, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range exprRE.FindAllStringSubmatch(string(raw), -1) {
		if strings.Contains(m[1], "github.action_path") {
			t.Errorf("action.yml uses %s: use $GITHUB_ACTION_PATH in the scripts", m[0])
		}
	}
	for _, s := range a.Runs.Steps {
		if s.Run == "" || s.ID == checkStepID {
			continue
		}
		if !strings.Contains(s.Run, `cd "$GITHUB_ACTION_PATH"`) {
			t.Errorf("step %q does not cd to $GITHUB_ACTION_PATH:\n%s", s.Name, s.Run)
		}
	}
	build := a.buildStep(t)
	if build.WorkingDirectory != "" {
		t.Errorf("build step working-directory = %q: the script cds to $GITHUB_ACTION_PATH", build.WorkingDirectory)
	}
	if !strings.Contains(build.Run, "./cmd/secret-preflight") {
		t.Errorf("build step does not build ./cmd/secret-preflight:\n%s", build.Run)
	}
	// The go setup-go installed builds, whatever GOTOOLCHAIN the job set.
	for _, s := range []*actionStep{build, a.step(t, goEnvStepID)} {
		if got := s.Env["GOTOOLCHAIN"]; got != "local" {
			t.Errorf("step %q: GOTOOLCHAIN = %q, want local", s.Name, got)
		}
	}
	check := a.step(t, checkStepID)
	if !strings.Contains(check.Run, `exec "${bin}"`) {
		t.Errorf("check step must exec the CLI so its exit code is the step's (fail closed):\n%s", check.Run)
	}
	for k, v := range check.Env {
		if k == "SECRET_PREFLIGHT_FINGERPRINT_KEY" {
			// Set by the script only when the input is not empty, so an
			// empty input does not blank a key the job already set.
			t.Errorf("check step env sets %s directly: %q", k, v)
		}
	}
}

// TestActionOutputsMapToCLI: every output is a value the CLI writes to
// GITHUB_OUTPUT in the step that runs it.
func TestActionOutputsMapToCLI(t *testing.T) {
	a := loadAction(t)
	a.step(t, checkStepID)
	outRE := regexp.MustCompile(`^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$`)
	seen := map[string]bool{}
	for name, out := range a.Outputs {
		m := outRE.FindStringSubmatch(out.Value)
		if m == nil {
			t.Errorf("output %s: value %q is not ${{ steps.ID.outputs.NAME }}", name, out.Value)
			continue
		}
		if m[1] != checkStepID {
			t.Errorf("output %s: from step %q, want %q (the step that runs the CLI)", name, m[1], checkStepID)
		}
		if !slices.Contains(cliOutputs, m[2]) {
			t.Errorf("output %s: the CLI writes no output %q (it writes %v)", name, m[2], cliOutputs)
		}
		seen[m[2]] = true
	}
	for _, o := range cliOutputs {
		if !seen[o] {
			t.Errorf("the CLI writes %q but the action has no output for it", o)
		}
	}
}

// stubCLI is a stand-in for the binary that records how it was called.
func stubCLI(dir string) string {
	q := shellQuote(dir)
	return "#!/usr/bin/env bash\n" +
		"printf '%s\\0' \"$@\" > " + q + "/argv\n" +
		"pwd -P > " + q + "/cwd\n" +
		"env -0 > " + q + "/env\n"
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

type stubCall struct {
	argv []string
	cwd  string
	env  map[string]string
}

func readStubCall(t *testing.T, dir string) *stubCall {
	t.Helper()
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the check step did not run the CLI: %v", err)
		}
		return string(data)
	}
	c := &stubCall{cwd: strings.TrimSpace(read("cwd")), env: map[string]string{}}
	if argv := read("argv"); argv != "" {
		c.argv = strings.Split(strings.TrimSuffix(argv, "\x00"), "\x00")
	}
	for _, kv := range strings.Split(strings.TrimSuffix(read("env"), "\x00"), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			c.env[k] = v
		}
	}
	return c
}

// runStub runs the check step with the stub CLI in a fresh workspace that
// has a "probe dir", and returns the call, with cwd relative to the
// workspace and RUNNER_TEMP spelt $RUNNER_TEMP in argv. prepare, when
// set, runs on the workspace first.
func runStub(t *testing.T, a *actionFile, inputs, jobEnv map[string]string, prepare ...func(workspace string)) (*stepRun, *stubCall) {
	t.Helper()
	workspace, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(workspace, "probe dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range prepare {
		p(workspace)
	}
	rec := t.TempDir()
	r := runCheckStep(t, a, stepOpts{inputs: inputs, env: jobEnv, workspace: workspace, stub: stubCLI(rec)})
	if r.code != 0 {
		t.Fatalf("check step exited %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	call := readStubCall(t, rec)
	for i, arg := range call.argv {
		call.argv[i] = strings.ReplaceAll(arg, r.runnerTemp, "$RUNNER_TEMP")
	}
	if call.cwd, err = filepath.Rel(workspace, call.cwd); err != nil {
		t.Fatal(err)
	}
	return r, call
}

// parseArgv walks argv as the flag package would and returns the flags
// given, in order, each with its value ("" for booleans). Every flag must
// be one that `check -h` lists.
func parseArgv(t *testing.T, argv []string, flags map[string]cliFlag) [][2]string {
	t.Helper()
	if len(argv) == 0 || argv[0] != "check" {
		t.Fatalf("argv %q: want the check command first", argv)
	}
	var got [][2]string
	for i := 1; i < len(argv); i++ {
		tok := argv[i]
		if !strings.HasPrefix(tok, "-") {
			t.Fatalf("argv %q: positional argument %q: check takes none", argv, tok)
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(tok, "-"), "=")
		f, ok := flags[name]
		if !ok {
			t.Fatalf("argv %q: %s is not a flag of secret-preflight check", argv, tok)
		}
		if f.takesArg && !hasVal {
			if i+1 >= len(argv) {
				t.Fatalf("argv %q: %s needs a value", argv, tok)
			}
			i++
			val = argv[i]
		}
		got = append(got, [2]string{name, val})
	}
	return got
}

// TestActionInputsReachCLIFlags sets each input in turn, runs the check
// step with a stub CLI that records its argv, environment and directory,
// and finds where the input went. A flag must be one the real CLI's
// `check -h` lists; the table says what each input must become.
func TestActionInputsReachCLIFlags(t *testing.T) {
	a := loadAction(t)
	flags := checkFlags(t)

	const injection = `$(touch pwned) "x" 'y' ; touch pwned2 #.yaml`
	cases := map[string]struct {
		probe string
		want  string // flag:NAME, env:NAME, cwd or args
	}{
		"config":            {injection, "flag:config"},
		"fail-on":           {"warning", "flag:fail-on"},
		"only":              {"jwt-signing", "flag:only"},
		"baseline":          {"previous/report.json", "flag:baseline"},
		"allow-exec":        {"true", "flag:allow-exec"},
		"no-probes":         {"true", "flag:no-probes"},
		"fingerprint-key":   {"probe-fingerprint-key", "env:SECRET_PREFLIGHT_FINGERPRINT_KEY"},
		"working-directory": {"probe dir", "cwd"},
		"extra-args":        {"--timeout 5s", "args"},
	}
	// Inputs that choose which binary runs, not how: they never reach the
	// check step (TestActionChoosesBinary tests them).
	chooseBinary := map[string]bool{"version": true}
	for name := range a.Inputs {
		if _, ok := cases[name]; !ok && !chooseBinary[name] {
			t.Errorf("input %s is new: add it to this test's table with the flag it must reach", name)
		}
	}
	for k, v := range a.step(t, checkStepID).Env {
		for name := range chooseBinary {
			if strings.Contains(v, "inputs."+name) {
				t.Errorf("check step env %s=%q: input %s chooses the binary, it is not for the CLI", k, v, name)
			}
		}
	}
	for name := range cases {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("input %s is gone from action.yml", name)
		}
	}

	_, base := runStub(t, a, nil, nil)
	baseFlags := parseArgv(t, base.argv, flags)
	report := [2]string{"output", "json=$RUNNER_TEMP/" + defaultReport}
	if len(baseFlags) == 0 || baseFlags[0] != report {
		t.Fatalf("with default inputs the CLI got %q; want --%s %s first (the report output)", base.argv, report[0], report[1])
	}
	if base.cwd != "." {
		t.Errorf("with default inputs the CLI ran in %q, want the workspace", base.cwd)
	}
	if len(baseFlags) != 1 {
		t.Errorf("with default inputs the CLI got %q: only the report output was expected", base.argv)
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, call := runStub(t, a, map[string]string{name: tc.probe}, nil)
			got := parseArgv(t, call.argv, flags)
			var found []string
			if call.cwd != base.cwd {
				found = append(found, "cwd")
			}
			for k, v := range call.env {
				if v == tc.probe && !strings.HasPrefix(k, "INPUT_") && base.env[k] != v {
					found = append(found, "env:"+k)
				}
			}
			added := got[len(baseFlags):]
			if !slices.Equal(got[:len(baseFlags)], baseFlags) {
				t.Fatalf("argv %q does not start with the defaults' %q", call.argv, base.argv)
			}
			switch {
			case len(added) == 1 && added[0][1] == tc.probe:
				found = append(found, "flag:"+added[0][0])
			case len(added) == 1 && added[0][1] == "" && !flags[added[0][0]].takesArg:
				found = append(found, "flag:"+added[0][0])
			case len(added) > 0 && slices.Equal(call.argv[len(call.argv)-len(strings.Fields(tc.probe)):], strings.Fields(tc.probe)):
				found = append(found, "args")
			case len(added) > 0:
				t.Errorf("input %s=%q added flags %q, not explained by the table", name, tc.probe, added)
			}
			if !slices.Equal(found, []string{tc.want}) {
				t.Errorf("input %s=%q reached %q, want exactly %q\nargv: %q", name, tc.probe, found, tc.want, call.argv)
			}
			if flag, ok := strings.CutPrefix(tc.want, "flag:"); ok {
				if _, real := flags[flag]; !real {
					t.Errorf("input %s maps to --%s, which secret-preflight check does not have", name, flag)
				}
			}
			if strings.HasPrefix(tc.want, "env:") || name == "fingerprint-key" {
				for _, arg := range call.argv {
					if strings.Contains(arg, tc.probe) {
						t.Errorf("input %s is on the command line (%q): it must travel in the environment only", name, arg)
					}
				}
			}
			for _, f := range []string{"pwned", "pwned2"} {
				if _, err := os.Stat(filepath.Join(r.dir, f)); err == nil {
					t.Errorf("input %s=%q ran a command: script injection", name, tc.probe)
				}
			}
		})
	}
}

// TestActionInputParsing covers how the check step splits and validates
// inputs.
func TestActionInputParsing(t *testing.T) {
	a := loadAction(t)
	flags := checkFlags(t)

	t.Run("only splits on commas and newlines", func(t *testing.T) {
		_, call := runStub(t, a, map[string]string{"only": "jwt-signing, svc-secret\n\n  api-key ,\r\nlast"}, nil)
		var only []string
		for _, f := range parseArgv(t, call.argv, flags) {
			if f[0] == "only" {
				only = append(only, f[1])
			}
		}
		if want := []string{"jwt-signing", "svc-secret", "api-key", "last"}; !slices.Equal(only, want) {
			t.Errorf("--only values %q, want %q", only, want)
		}
	})

	t.Run("extra-args split on whitespace without globbing", func(t *testing.T) {
		globHit := func(workspace string) {
			if err := os.WriteFile(filepath.Join(workspace, "probe dir", "--only=glob-hit"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, call := runStub(t, a, map[string]string{"working-directory": "probe dir", "extra-args": "--timeout 5s\n--concurrency\t2 --only=*"}, nil, globHit)
		want := []string{"--timeout", "5s", "--concurrency", "2", "--only=*"}
		if got := call.argv[len(call.argv)-len(want):]; !slices.Equal(got, want) {
			t.Errorf("argv ends with %q, want %q", got, want)
		}
		parseArgv(t, call.argv, flags)
	})

	// Boolean inputs: false, FALSE and empty add nothing; anything but a
	// boolean fails closed before the CLI runs.
	for input, flag := range map[string]string{"allow-exec": "--allow-exec", "no-probes": "--no-probes"} {
		t.Run(input+" false and default add nothing", func(t *testing.T) {
			for _, v := range []string{"false", "FALSE", ""} {
				_, call := runStub(t, a, map[string]string{input: v}, nil)
				if slices.Contains(call.argv, flag) {
					t.Errorf("%s=%q: argv %q has %s", input, v, call.argv, flag)
				}
			}
		})

		t.Run(input+" that is not a boolean fails closed", func(t *testing.T) {
			rec := t.TempDir()
			r := runCheckStep(t, a, stepOpts{inputs: map[string]string{input: "yes"}, workspace: t.TempDir(), stub: stubCLI(rec)})
			if r.code != 2 {
				t.Errorf("%s=yes: exit %d, want 2 (bad usage)", input, r.code)
			}
			if _, err := os.Stat(filepath.Join(rec, "argv")); err == nil {
				t.Errorf("%s=yes: the CLI ran anyway", input)
			}
			if !strings.Contains(r.stderr, "::error") {
				t.Errorf("%s=yes: no ::error annotation on stderr:\n%s", input, r.stderr)
			}
		})
	}

	t.Run("fingerprint-key is masked line by line before anything else", func(t *testing.T) {
		// A lone CR ends a line for the runner too; "%25" and "%0A" in the
		// key must reach the mask as written, not unescaped by the runner
		// into "%" and a line break (which would mask the wrong text).
		key := "first-line-of-key\r\nsecond%25line%0Aof-key\rthird-line-of-key\n  \n"
		r, call := runStub(t, a, map[string]string{"fingerprint-key": key}, nil)
		if got := call.env["SECRET_PREFLIGHT_FINGERPRINT_KEY"]; got != key {
			t.Errorf("CLI got SECRET_PREFLIGHT_FINGERPRINT_KEY=%q, want %q", got, key)
		}
		if _, ok := call.env["INPUT_FINGERPRINT_KEY"]; ok {
			t.Error("the key is also left in INPUT_FINGERPRINT_KEY for the CLI")
		}
		want := "::add-mask::first-line-of-key\n::add-mask::second%2525line%250Aof-key\n::add-mask::third-line-of-key\n"
		if r.stdout != want {
			t.Errorf("stdout = %q, want %q", r.stdout, want)
		}
		// What the runner masks: every line of the key as the log shows it.
		var run runnertest.Runner
		run.Feed(r.stdout)
		var masked []string
		for _, c := range run.Commands {
			if c.Name == "add-mask" {
				masked = append(masked, c.Data)
			}
		}
		if wantMasked := []string{"first-line-of-key", "second%25line%0Aof-key", "third-line-of-key"}; !slices.Equal(masked, wantMasked) {
			t.Errorf("the runner masks %q, want %q", masked, wantMasked)
		}
	})

	t.Run("an empty fingerprint-key keeps the job's key", func(t *testing.T) {
		jobEnv := map[string]string{"SECRET_PREFLIGHT_FINGERPRINT_KEY": "job-level-key"}
		r, call := runStub(t, a, nil, jobEnv)
		if got := call.env["SECRET_PREFLIGHT_FINGERPRINT_KEY"]; got != "job-level-key" {
			t.Errorf("CLI got SECRET_PREFLIGHT_FINGERPRINT_KEY=%q, want the job's", got)
		}
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing before the CLI's own output", r.stdout)
		}
	})
}

// fixtureSecrets returns the secret values of a fakegcp fixture: all of
// them, and those of enabled versions (the ones a consumer can resolve).
func fixtureSecrets(t *testing.T, f *fakegcp.Fixture) (all, enabled []string) {
	t.Helper()
	for _, s := range f.Secrets {
		for _, v := range s.Versions {
			all = append(all, string(v.Data))
			switch v.State {
			case secretmanagerpb.SecretVersion_ENABLED, secretmanagerpb.SecretVersion_STATE_UNSPECIFIED:
				enabled = append(enabled, string(v.Data))
			}
		}
	}
	if len(all) == 0 || len(enabled) == 0 {
		t.Fatal("the fixture has no secret values")
	}
	return all, enabled
}

// configLiterals are the values of `literal:` links in a config.
func configLiterals(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "literal" && n.Content[i+1].Kind == yaml.ScalarNode {
					out = append(out, n.Content[i+1].Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	return out
}

// encodings are the forms of a value that must never appear either.
func encodings(v string) []string {
	b := []byte(v)
	return []string{
		v,
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
	}
}

// TestActionRunsAgainstEmulator runs the check step, with the CLI built by
// the action's build step, against the in-process fake Secret Manager and
// Cloud Run serving examples/staging-incident/fixture.yaml.
func TestActionRunsAgainstEmulator(t *testing.T) {
	a := loadAction(t)
	bin := builtCLI(t)
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	const exampleDir = "examples/staging-incident"
	fixturePath := filepath.Join(exampleDir, "fixture.yaml")
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	fixture, err := fakegcp.ParseFixture(fixturePath, data)
	if err != nil {
		t.Fatal(err)
	}
	allValues, enabledValues := fixtureSecrets(t, fixture)
	srv, err := fakegcp.NewServer(fixture)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	const fingerprintKey = "action-test-fingerprint-key-0123456789"
	cases := []struct {
		name       string
		config     string
		inputs     map[string]string
		wantCode   int
		wantResult string
		wantErrors bool
		wantScope  string
	}{
		{
			name:       "incident fails",
			config:     "secret-preflight.yaml",
			wantCode:   1,
			wantResult: "fail",
			wantErrors: true,
			wantScope:  "run",
		},
		{
			// fail-on never lets the step pass; result still says what
			// was found.
			name:       "incident not enforced",
			config:     "secret-preflight.yaml",
			inputs:     map[string]string{"fail-on": "never"},
			wantCode:   0,
			wantResult: "fail",
			wantErrors: true,
			wantScope:  "run",
		},
		{
			name:       "fix passes",
			config:     "secret-preflight.fixed.yaml",
			inputs:     map[string]string{"fingerprint-key": fingerprintKey, "only": "jwt-signing", "fail-on": "error"},
			wantCode:   0,
			wantResult: "pass",
			wantScope:  "stable",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inputs := map[string]string{"working-directory": exampleDir, "config": tc.config}
			for k, v := range tc.inputs {
				inputs[k] = v
			}
			r := runCheckStep(t, a, stepOpts{
				inputs:    inputs,
				workspace: repo,
				binary:    bin,
				env: map[string]string{
					"SECRET_PREFLIGHT_SECRETMANAGER_EMULATOR_HOST": srv.Addr,
					"SECRET_PREFLIGHT_RUN_EMULATOR_HOST":           srv.Addr,
				},
			})
			logs := fmt.Sprintf("\nstdout:\n%s\nstderr:\n%s\nGITHUB_OUTPUT:\n%s", r.stdout, r.stderr, r.outputsRaw)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d%s", r.code, tc.wantCode, logs)
			}

			// The action's outputs, evaluated as the runner would.
			vars := map[string]string{}
			for k, v := range r.outputs {
				vars["steps."+checkStepID+".outputs."+k] = v
			}
			outs := map[string]string{}
			for name, o := range a.Outputs {
				if outs[name] = eval(t, o.Value, vars); outs[name] == "" {
					t.Errorf("output %s is empty%s", name, logs)
				}
			}
			if outs["result"] != tc.wantResult {
				t.Errorf("result = %q, want %q", outs["result"], tc.wantResult)
			}
			wantReport := filepath.Join(r.runnerTemp, defaultReport)
			if outs["report"] != wantReport {
				t.Errorf("report = %q, want %q", outs["report"], wantReport)
			}
			reportJSON, err := os.ReadFile(wantReport)
			if err != nil {
				t.Fatalf("the report output names no file: %v", err)
			}
			var rep struct {
				Schema           string `json:"schema"`
				Result           string `json:"result"`
				FingerprintScope string `json:"fingerprint_scope"`
				Summary          struct {
					Errors   int `json:"errors"`
					Warnings int `json:"warnings"`
				} `json:"summary"`
			}
			if err := json.Unmarshal(reportJSON, &rep); err != nil {
				t.Fatalf("report %s: %v", wantReport, err)
			}
			if rep.Result != tc.wantResult || rep.Schema != "secret-preflight/report/v1" {
				t.Errorf("report: schema %q result %q, want result %q", rep.Schema, rep.Result, tc.wantResult)
			}
			if rep.FingerprintScope != tc.wantScope {
				t.Errorf("report fingerprint_scope = %q, want %q (fingerprint-key reaches the CLI only through SECRET_PREFLIGHT_FINGERPRINT_KEY)", rep.FingerprintScope, tc.wantScope)
			}
			if got, want := outs["errors"], fmt.Sprint(rep.Summary.Errors); got != want {
				t.Errorf("errors = %q, report says %s", got, want)
			}
			if got, want := outs["warnings"], fmt.Sprint(rep.Summary.Warnings); got != want {
				t.Errorf("warnings = %q, report says %s", got, want)
			}
			if tc.wantErrors != (rep.Summary.Errors > 0) {
				t.Errorf("report has %d errors", rep.Summary.Errors)
			}

			// The step summary holds the markdown report.
			if !strings.Contains(r.summary, "jwt-signing") || !regexp.MustCompile(`(?m)^(#|\|)`).MatchString(r.summary) {
				t.Errorf("GITHUB_STEP_SUMMARY does not hold a markdown report:\n%s", r.summary)
			}
			if tc.wantErrors && !strings.Contains(r.summary, "SP100") {
				t.Errorf("GITHUB_STEP_SUMMARY does not name SP100:\n%s", r.summary)
			}

			// Masks first: no other line before the last ::add-mask::.
			lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			masked := map[string]bool{}
			other := -1
			for i, line := range lines {
				if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
					if other >= 0 {
						t.Errorf("stdout line %d masks a value after line %d printed something else:\n%s", i+1, other+1, r.stdout)
					}
					masked[v] = true
				} else if other < 0 {
					other = i
				}
			}
			// Every resolvable value is resolved by some consumer here (the
			// services read the enabled version), and the runner's literal
			// when its chain falls through to it.
			wantMasked := slices.Clone(enabledValues)
			if tc.wantResult == "fail" {
				wantMasked = append(wantMasked, configLiterals(t, filepath.Join(exampleDir, tc.config))...)
			}
			for _, v := range wantMasked {
				if !masked[v] {
					t.Errorf("resolved value %q is not masked (::add-mask::) on stdout:\n%s", v, r.stdout)
				}
			}

			// No value, nor an encoding of it, anywhere but the masks.
			secrets := append(slices.Clone(allValues), configLiterals(t, filepath.Join(exampleDir, tc.config))...)
			if tc.inputs["fingerprint-key"] != "" {
				secrets = append(secrets, tc.inputs["fingerprint-key"])
			}
			var unmasked []string
			for _, line := range lines {
				if !strings.HasPrefix(line, "::add-mask::") {
					unmasked = append(unmasked, line)
				}
			}
			places := map[string]string{
				"GITHUB_OUTPUT":       r.outputsRaw,
				"GITHUB_STEP_SUMMARY": r.summary,
				"the JSON report":     string(reportJSON),
				"stderr":              r.stderr,
				"stdout (unmasked)":   strings.Join(unmasked, "\n"),
			}
			for place, text := range places {
				for _, s := range secrets {
					for _, enc := range encodings(s) {
						if strings.Contains(text, enc) {
							t.Errorf("%s contains the secret %q (as %q)", place, s, enc)
						}
					}
				}
			}
		})
	}
}

// runToolStep runs one of the steps before the check (go-version, go-env)
// in a simulated runner: GITHUB_ACTION_PATH is actionPath, RUNNER_TEMP and
// GITHUB_OUTPUT are temp, and the step's env is evaluated from vars. It
// runs from a directory of its own, not the action path.
func runToolStep(t *testing.T, step *actionStep, actionPath string, vars, extraEnv map[string]string) (code int, stderr string, outputs map[string]string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"GITHUB_ACTIONS=true",
		"GITHUB_ACTION_PATH=" + actionPath,
		"GITHUB_OUTPUT=" + out,
		"RUNNER_TEMP=" + t.TempDir(),
		"RUNNER_OS=" + runnerOS(),
	}
	// The go command needs a home for its caches and settings.
	for _, k := range []string{"HOME", "USERPROFILE", "LOCALAPPDATA", "APPDATA", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS", "SystemRoot", "TMPDIR", "TEMP", "TMP"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range extraEnv {
		env = append(env, k+"="+v)
	}
	for k, v := range step.Env {
		env = append(env, k+"="+eval(t, v, vars))
	}
	var stdout, errBuf bytes.Buffer
	code = runScript(t, step.Run, t.TempDir(), env, &stdout, &errBuf)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if outputs, err = parseGitHubFile(string(data)); err != nil {
		t.Fatalf("GITHUB_OUTPUT: %v\n%s", err, data)
	}
	return code, errBuf.String(), outputs
}

var toolchainLineRE = regexp.MustCompile(`(?m)^toolchain go(\d+\.\d+\.\d+)\s*$`)

// TestActionGoVersion: the action sets up and builds with the release of
// go.mod's toolchain line (the go line is only the minimum), and refuses
// to build with any other go.
func TestActionGoVersion(t *testing.T) {
	a := loadAction(t)
	readStep := a.step(t, goVersionStepID)

	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := toolchainLineRE.FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no `toolchain goX.Y.Z` line: setup-go would install the go line's minimum release")
	}
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	code, stderr, outs := runToolStep(t, readStep, repo, nil, nil)
	if code != 0 || outs["version"] != string(m[1]) {
		t.Errorf("this go.mod: exit %d, version %q, want %q\n%s", code, outs["version"], m[1], stderr)
	}

	for name, tc := range map[string]struct {
		mod  string
		want string // "" for failure
	}{
		"toolchain line wins":   {"module m\n\ngo 1.26.0\n\ntoolchain go1.26.8\n", "1.26.8"},
		"CRLF":                  {"module m\r\n\r\ngo 1.26.0\r\n\r\ntoolchain go1.26.8\r\n", "1.26.8"},
		"no toolchain line":     {"module m\n\ngo 1.26.0\n", "1.26.0"},
		"two-part go line":      {"module m\n\ngo 1.26\n", "1.26"},
		"toolchain default":     {"module m\n\ngo 1.26.0\n\ntoolchain default\n", "1.26.0"},
		"pre-release toolchain": {"module m\n\ngo 1.26.0\n\ntoolchain go1.27rc1\n", "1.26.0"},
		"no version at all":     {"module m\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(tc.mod), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stderr, outs := runToolStep(t, readStep, dir, nil, nil)
			switch {
			case tc.want == "" && code == 0:
				t.Errorf("exit 0, version %q: want a failure", outs["version"])
			case tc.want == "" && !strings.Contains(stderr, "::error"):
				t.Errorf("no ::error annotation:\n%s", stderr)
			case tc.want != "" && (code != 0 || outs["version"] != tc.want):
				t.Errorf("exit %d, version %q, want %q\n%s", code, outs["version"], tc.want, stderr)
			}
		})
	}

	t.Run("the go on PATH must be that version", func(t *testing.T) {
		goEnv := a.step(t, goEnvStepID)
		cmd := exec.CommandContext(t.Context(), "go", "env", "GOVERSION")
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
		cmd.Dir = repo
		out, err := cmd.Output()
		if err != nil {
			t.Skipf("no go on PATH: %v", err)
		}
		have := strings.TrimPrefix(strings.TrimSpace(string(out)), "go")
		vars := func(v string) map[string]string {
			return map[string]string{"steps." + goVersionStepID + ".outputs.version": v}
		}
		// A job-level GOTOOLCHAIN is overridden by the step's (GOPROXY=off:
		// were it not, the test fails instead of downloading go1.21.0).
		jobEnv := map[string]string{"GOTOOLCHAIN": "go1.21.0", "GOPROXY": "off"}
		code, stderr, outs := runToolStep(t, goEnv, repo, vars(have), jobEnv)
		if code != 0 || outs["go-version"] != "go"+have || outs["go-sum"] == "" || outs["modcache"] == "" || outs["gocache"] == "" {
			t.Errorf("go %s wanted and on PATH: exit %d, outputs %q\n%s", have, code, outs, stderr)
		}
		code, stderr, _ = runToolStep(t, goEnv, repo, vars(have+"9"), nil)
		if code == 0 || !strings.Contains(stderr, "::error") {
			t.Errorf("go %s9 wanted, %s on PATH: exit %d, want a failure with ::error\n%s", have, have, code, stderr)
		}
	})
}

// TestActionReportPerStep: each use of the action in a job writes its own
// report, named after GITHUB_ACTION, with only filename-safe characters.
func TestActionReportPerStep(t *testing.T) {
	a := loadAction(t)
	flags := checkFlags(t)
	seen := map[string]string{}
	for action, want := range map[string]string{
		"preflight":                             "secret-preflight-report-preflight.json",
		"preflight.check":                       "secret-preflight-report-preflight.check.json",
		"__secret-preflight_secret-preflight":   "secret-preflight-report-__secret-preflight_secret-preflight.json",
		"__secret-preflight_secret-preflight_2": "secret-preflight-report-__secret-preflight_secret-preflight_2.json",
		"../a b/$(touch pwned)`x`;é":            "secret-preflight-report-.._a_b___touch_pwned__x____.json",
		"":                                      "secret-preflight-report.json",
	} {
		rec := t.TempDir()
		workspace := t.TempDir()
		r := runCheckStep(t, a, stepOpts{workspace: workspace, stub: stubCLI(rec), action: &action})
		if r.code != 0 {
			t.Fatalf("GITHUB_ACTION=%q: exit %d\n%s", action, r.code, r.stderr)
		}
		call := readStubCall(t, rec)
		got := parseArgv(t, call.argv, flags)
		if len(got) == 0 || got[0][0] != "output" {
			t.Fatalf("GITHUB_ACTION=%q: argv %q does not start with the report output", action, call.argv)
		}
		path, ok := strings.CutPrefix(got[0][1], "json=")
		if !ok || filepath.Dir(path) != r.runnerTemp {
			t.Errorf("GITHUB_ACTION=%q: report output %q is not json=RUNNER_TEMP/NAME", action, got[0][1])
			continue
		}
		if name := filepath.Base(path); name != want {
			t.Errorf("GITHUB_ACTION=%q: report %q, want %q", action, name, want)
		} else if other, dup := seen[name]; dup {
			t.Errorf("GITHUB_ACTION=%q and %q share the report %q", action, other, name)
		}
		seen[filepath.Base(path)] = action
		if _, err := os.Stat(filepath.Join(workspace, "pwned")); err == nil {
			t.Errorf("GITHUB_ACTION=%q ran a command", action)
		}
	}
}

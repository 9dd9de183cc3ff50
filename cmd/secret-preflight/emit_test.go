package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

const emitTestValue = "line-one-of-the-key\nline-two-of-the-key"

func emitTestReport() *report.Report {
	r := &report.Report{FingerprintScope: secret.ScopeRun, Secrets: []*report.Secret{{
		Name: "jwt-signing", Verdict: report.Mismatch,
		Consumers: []*report.Consumer{{
			ID: "runner", Kind: "runner", Resolved: true, Via: "env", Ref: "JWT_SECRET",
			Fingerprint: "hmac-sha256:0123456789ab", Value: secret.FromString(emitTestValue),
		}},
	}}, Findings: []*report.Finding{{Code: "SP120", Severity: report.SevWarning, Secret: "jwt-signing", Message: "m", Hint: "h"}}}
	r.Finish("warning")
	return r
}

func emitEnv(vars map[string]string) *env {
	return &env{lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
}

func TestEmitGitHubOutputs(t *testing.T) {
	dir := t.TempDir()
	outFile := filepath.Join(dir, "github_output")
	if err := os.WriteFile(outFile, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first, second := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	outs := []output{{format: "text", path: "-"}, {format: "json", path: "-"}, {format: "markdown", path: filepath.Join(dir, "r.md")}, {format: "json", path: first}, {format: "json", path: second}}
	var stdout, stderr bytes.Buffer
	code := emit(emitTestReport(), outs, emitEnv(map[string]string{"GITHUB_OUTPUT": outFile}), &stdout, &stderr)
	if code != exitFindings {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFindings, stderr.String())
	}
	got, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	want := "earlier=1\nresult=fail\nerrors=0\nwarnings=1\nreport=" + first + "\n"
	if string(got) != want {
		t.Errorf("GITHUB_OUTPUT:\n%s\nwant:\n%s", got, want)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr outside Actions: %q", stderr.String())
	}

	// No JSON file: report is empty.
	if err := os.Remove(outFile); err != nil {
		t.Fatal(err)
	}
	emit(emitTestReport(), outs[:1], emitEnv(map[string]string{"GITHUB_OUTPUT": outFile}), &stdout, &stderr)
	if got, _ := os.ReadFile(outFile); !strings.HasSuffix(string(got), "\nreport=\n") {
		t.Errorf("GITHUB_OUTPUT without a JSON report:\n%s", got)
	}
}

func TestEmitGitHubOutputUnwritable(t *testing.T) {
	r := emitTestReport()
	r.Findings = nil
	r.Finish("error")
	var stdout, stderr bytes.Buffer
	bad := filepath.Join(t.TempDir(), "missing-dir", "github_output")
	code := emit(r, []output{{format: "text", path: "-"}}, emitEnv(map[string]string{"GITHUB_OUTPUT": bad}), &stdout, &stderr)
	if code == exitOK {
		t.Error("exit 0 although the step outputs could not be written")
	}
	if !strings.Contains(stderr.String(), "writing the step outputs") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestEmitMasks: in Actions the values are masked before anything else,
// on stdout with the github format, else on stderr; never outside Actions
// and never in a file.
func TestEmitMasks(t *testing.T) {
	masks := "::add-mask::line-one-of-the-key\n::add-mask::line-two-of-the-key\n"
	dir := t.TempDir()
	cases := []struct {
		name           string
		format         string
		actions        bool
		stdout, stderr string // required prefix of each; "-" = must hold no mask
	}{
		{"github in actions", "github", true, masks, "-"},
		{"text in actions", "text", true, "-", masks},
		{"json in actions", "json", true, "-", masks},
		{"github outside actions", "github", false, "-", "-"},
		{"text outside actions", "text", false, "-", "-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			if tc.actions {
				vars["GITHUB_ACTIONS"] = "true"
			}
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".github")
			outs := []output{{format: tc.format, path: "-"}, {format: "github", path: file}}
			var stdout, stderr bytes.Buffer
			emit(emitTestReport(), outs, emitEnv(vars), &stdout, &stderr)
			fileOut, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ what, got, want string }{
				{"stdout", stdout.String(), tc.stdout}, {"stderr", stderr.String(), tc.stderr}, {"file", string(fileOut), "-"},
			} {
				if c.want == "-" {
					if strings.Contains(c.got, "add-mask") || strings.Contains(c.got, "of-the-key") {
						t.Errorf("%s holds a mask or value:\n%s", c.what, c.got)
					}
					continue
				}
				if !strings.HasPrefix(c.got, c.want) {
					t.Errorf("%s does not start with the masks:\n%s", c.what, c.got)
				}
				if strings.Count(c.got, "of-the-key") != 2 {
					t.Errorf("%s shows a value outside its masks:\n%s", c.what, c.got)
				}
			}
		})
	}
}

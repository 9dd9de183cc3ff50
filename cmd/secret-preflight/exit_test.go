package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/internal/crash"
)

// brokenWriter fails every write, like a closed pipe or a full disk.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// cleanHarness has one service and a runner that agree: check exits 0.
func cleanHarness(t *testing.T) (*harness, string) {
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")})))
	cfg := h.write("c.yaml", cfgFor("[JWT_SECRET_KEY]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	h.env["JWT_SECRET_KEY"] = keyV2
	return h, cfg
}

func (h *harness) runWith(stdout, stderr *bytes.Buffer, brokenStdout bool, args ...string) int {
	h.t.Helper()
	e := &env{lookup: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }}
	if brokenStdout {
		return run(context.Background(), args, e, brokenWriter{}, stderr)
	}
	return run(context.Background(), args, e, stdout, stderr)
}

// A report that cannot be written is exit 2 (DESIGN.md section 4), even
// when the run itself is clean: CI must not pass on a report nobody read.
func TestUnwritableOutputIsExit2(t *testing.T) {
	h, cfg := cleanHarness(t)
	if code, _, errs := h.run("check", "-c", cfg); code != exitOK {
		t.Fatalf("the clean run exits %d, want 0: %s", code, errs)
	}
	missingDir := filepath.Join(h.dir, "no-such-dir")
	tests := []struct {
		name         string
		env          map[string]string
		brokenStdout bool
		args         []string
	}{
		{name: "stdout", brokenStdout: true, args: []string{"check", "-c", cfg}},
		{name: "stdout json", brokenStdout: true, args: []string{"check", "-c", cfg, "--format", "json"}},
		{name: "stdout in Actions", brokenStdout: true, env: map[string]string{"GITHUB_ACTIONS": "true"}, args: []string{"check", "-c", cfg}},
		{name: "--output", args: []string{"check", "-c", cfg, "--output", "json=" + filepath.Join(missingDir, "r.json")}},
		{name: "GITHUB_OUTPUT", env: map[string]string{"GITHUB_OUTPUT": filepath.Join(missingDir, "out")}, args: []string{"check", "-c", cfg}},
		{name: "GITHUB_STEP_SUMMARY", env: map[string]string{"GITHUB_STEP_SUMMARY": h.dir}, args: []string{"check", "-c", cfg}},
		{name: "version", brokenStdout: true, args: []string{"version"}},
		{name: "validate", brokenStdout: true, args: []string{"validate", "-c", cfg}},
		{name: "help", brokenStdout: true, args: []string{"help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				h.env[k] = v
			}
			defer func() {
				for k := range tt.env {
					delete(h.env, k)
				}
			}()
			var out, errs bytes.Buffer
			if code := h.runWith(&out, &errs, tt.brokenStdout, tt.args...); code != exitUsage {
				t.Errorf("exit %d, want 2\n%s", code, errs.String())
			}
			if !strings.Contains(errs.String(), "no space left on device") && !strings.Contains(errs.String(), "no such file") && !strings.Contains(errs.String(), "is a directory") {
				t.Errorf("stderr does not say what could not be written:\n%s", errs.String())
			}
		})
	}
}

// A panic is exit 3 with one line that names its type and place, never
// its value, which could quote a secret.
func TestPanicIsAnInternalErrorWithoutItsValue(t *testing.T) {
	const canary = "CANARY-panic-Qw8Er7Ty6Ui5Op4As3Df2Gh1"
	for _, actions := range []string{"", "true"} {
		for name, p := range map[string]func(){
			"error value":   func() { panic(fmt.Errorf("resolving %s", canary)) },
			"string value":  func() { panic("value: " + canary) },
			"runtime error": func() { var m map[string]int; m[canary]++ },
			"on a goroutine": func() {
				var c crash.Catcher
				done := make(chan struct{})
				go func() {
					defer close(done)
					defer c.Recover()
					panic(canary)
				}()
				<-done
				c.Repanic()
			},
		} {
			var out, errs bytes.Buffer
			e := &env{
				lookup:        func(k string) (string, bool) { return actions, k == "GITHUB_ACTIONS" && actions != "" },
				beforeCommand: func(string) { p() },
			}
			code := run(context.Background(), []string{"version"}, e, &out, &errs)
			where := fmt.Sprintf("%s (GITHUB_ACTIONS=%q)", name, actions)
			if code != exitIncomplete {
				t.Errorf("%s: exit %d, want 3", where, code)
			}
			msg := errs.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "secret-preflight: internal error: panic (") {
				t.Errorf("%s: want one line naming an internal error, got %q", where, msg)
			}
			if !strings.Contains(msg, "exit_test.go:") {
				t.Errorf("%s: the message does not say where the panic happened: %q", where, msg)
			}
			assertNoLeak(t, where, out.String()+msg, []string{canary})
		}
	}
}

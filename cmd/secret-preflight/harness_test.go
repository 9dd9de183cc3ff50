package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
	"github.com/secret-preflight/secret-preflight/report"
)

// harness runs the CLI entry point against an in-process fake of Secret
// Manager and Cloud Run, with a controlled environment and a temp dir.
type harness struct {
	t   *testing.T
	srv *fakegcp.Server
	dir string
	env map[string]string
	// retryInitial is the first retry pause of cloud reads: a millisecond
	// unless a test needs the budget to bite.
	retryInitial time.Duration
	// retryNow, when set, is the clock of retry budgets.
	retryNow func() time.Time
}

func newHarness(t *testing.T, fixture string) *harness {
	t.Helper()
	f, err := fakegcp.ParseFixture("fixture.yaml", []byte(fixture))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	srv, err := fakegcp.NewServer(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &harness{t: t, srv: srv, dir: t.TempDir(), retryInitial: time.Millisecond, env: map[string]string{
		envSMEmulator:  srv.Addr,
		envRunEmulator: srv.Addr,
	}}
}

// write puts a file in the harness dir and returns its path.
func (h *harness) write(name, content string) string {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) run(args ...string) (int, string, string) {
	h.t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		lookup: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok },
		names: func() []string {
			var out []string
			for k := range h.env {
				out = append(out, k)
			}
			return out
		},
		retryInitial: h.retryInitial,
		retryNow:     h.retryNow,
	}
	code := run(context.Background(), args, e, &out, &errb)
	return code, out.String(), errb.String()
}

// checkJSON runs check with the JSON format and decodes the report.
func (h *harness) checkJSON(cfgPath string, extra ...string) (int, *report.Report, string) {
	h.t.Helper()
	args := append([]string{"check", "-c", cfgPath, "--format", "json"}, extra...)
	code, out, errs := h.run(args...)
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		h.t.Fatalf("check exit %d: stdout is not a JSON report: %v\nstdout:\n%s\nstderr:\n%s", code, err, out, errs)
	}
	return code, &r, errs
}

func consumerByID(t *testing.T, r *report.Report, id string) *report.Consumer {
	t.Helper()
	for _, s := range r.Secrets {
		for _, c := range s.Consumers {
			if c.ID == id {
				return c
			}
		}
	}
	var ids []string
	for _, s := range r.Secrets {
		for _, c := range s.Consumers {
			ids = append(ids, c.ID)
		}
	}
	t.Fatalf("no consumer %q; have %q", id, ids)
	return nil
}

func findingCodes(r *report.Report) map[string]*report.Finding {
	out := map[string]*report.Finding{}
	for _, f := range r.Findings {
		if _, ok := out[f.Code]; !ok {
			out[f.Code] = f
		}
	}
	return out
}

const codesPermissionDenied = codes.PermissionDenied

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

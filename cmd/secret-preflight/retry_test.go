package main

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/internal/retry"
	"github.com/secret-preflight/secret-preflight/report"
)

// retryConfig has a runner reading Secret Manager directly and one Cloud
// Run service reading the same version: every read the policy covers.
const retryConfig = `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    runner: {chain: [{secretmanager: jwt/versions/2}]}
    services: [{cloudrun: api, chain: [JWT_SECRET]}]
`

const (
	retryService  = "projects/stg/locations/us-central1/services/api"
	retryRevision = retryService + "/revisions/api-1"
	retryVersion  = "projects/stg/secrets/jwt/versions/2"
)

func newRetryHarness(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t, concat(secretsFixture,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")})))
	return h, h.write("c.yaml", retryConfig)
}

// sp102 returns the SP102 finding, failing the test when there is none.
func sp102(t *testing.T, r *report.Report) *report.Finding {
	t.Helper()
	f := findingCodes(r)["SP102"]
	if f == nil {
		t.Fatalf("no SP102 finding: %+v", r.Findings)
	}
	return f
}

func TestRetryTransientFaultsPass(t *testing.T) {
	for _, tc := range []struct {
		method, resource string
		code             codes.Code
		fails            int
	}{
		{"GetRevision", retryRevision, codes.Unavailable, 1},
		{"GetRevision", retryRevision, codes.Internal, 2},
		{"GetService", retryService, codes.Unavailable, 1},
		{"AccessSecretVersion", retryVersion, codes.ResourceExhausted, 3},
		{"AccessSecretVersion", retryVersion, codes.DeadlineExceeded, 1},
	} {
		t.Run(tc.method+"/"+tc.code.String(), func(t *testing.T) {
			h, cfg := newRetryHarness(t)
			h.srv.SetFaultTimes(tc.method, tc.resource, tc.code, tc.fails)
			code, r, errs := h.checkJSON(cfg)
			if code != exitOK || r.Result != report.Pass {
				t.Fatalf("exit %d result %s, want 0 pass after %d transient %s; findings %+v\nstderr: %s", code, r.Result, tc.fails, tc.code, r.Findings, errs)
			}
			if got := h.srv.CallsFor(tc.method, tc.resource); got != tc.fails+1 {
				t.Errorf("%s called %d times, want %d (%d failures, then one success)", tc.method, got, tc.fails+1, tc.fails)
			}
		})
	}
}

func TestRetryGivesUpAfterAttempts(t *testing.T) {
	for _, tc := range []struct {
		method, resource, consumer string
		code                       codes.Code
	}{
		{"AccessSecretVersion", retryVersion, "runner", codes.Unavailable},
		{"AccessSecretVersion", retryVersion, "runner", codes.ResourceExhausted},
		{"GetRevision", retryRevision, "cloudrun:api@api-1", codes.Internal},
	} {
		t.Run(tc.method+"/"+tc.code.String(), func(t *testing.T) {
			h, _ := newRetryHarness(t)
			// A second secret whose reads the fault does not touch: it
			// is still resolved and reported.
			cfg := h.write("c.yaml", retryConfig+`  - name: other
    runner: {chain: [{secretmanager: other/versions/1}]}
    services: [{set_secrets: "OTHER=other:1", name: worker, chain: [OTHER]}]
`)
			h.srv.SetFault(tc.method, tc.resource, tc.code)
			start := time.Now()
			code, r, errs := h.checkJSON(cfg, "--timeout", "60s")
			if elapsed := time.Since(start); elapsed > 15*time.Second {
				// The budget is a quarter of --timeout; the injected
				// backoff makes the attempts take milliseconds.
				t.Errorf("took %s: retries must stop well before --timeout", elapsed)
			}
			if code != exitIncomplete || r.Result != report.Incomplete {
				t.Fatalf("exit %d result %s, want 3 incomplete; stderr: %s", code, r.Result, errs)
			}
			f := sp102(t, r)
			want := tc.code.String() + " after 5 attempts"
			if !strings.Contains(f.Message, want) {
				t.Errorf("SP102 message %q lacks %q", f.Message, want)
			}
			if !strings.Contains(strings.Join(f.Consumers, ","), tc.consumer) {
				t.Errorf("SP102 names %q, want %s", f.Consumers, tc.consumer)
			}
			// Each read is made once per run (the memo), so 5 calls in
			// all, even though two consumers read the version.
			n := h.srv.Calls(tc.method)
			if tc.resource != "" {
				n = h.srv.CallsFor(tc.method, tc.resource)
			}
			if n != retry.DefaultAttempts {
				t.Errorf("%s called %d times, want %d", tc.method, n, retry.DefaultAttempts)
			}
			// Everything the fault does not touch is still reported.
			resolved := map[string]bool{}
			for _, s := range r.Secrets {
				for _, c := range s.Consumers {
					resolved[s.Name+"/"+c.ID] = c.Resolved
				}
			}
			stillResolved := []string{"other/runner", "other/set_secrets:worker"}
			if tc.method == "GetRevision" {
				stillResolved = append(stillResolved, "jwt-signing/runner")
			}
			for _, id := range stillResolved {
				if r, ok := resolved[id]; !ok || !r {
					t.Errorf("%s: reported %v, resolved %v; want it resolved (consumers: %v)", id, ok, r, resolved)
				}
			}
			if resolved["jwt-signing/"+tc.consumer] {
				t.Errorf("%s is resolved although its read failed", tc.consumer)
			}
		})
	}
}

func TestRetryNeverOnPermanentCodes(t *testing.T) {
	for _, read := range []struct{ method, resource string }{
		{"AccessSecretVersion", retryVersion},
		{"GetRevision", retryRevision},
	} {
		for _, c := range []codes.Code{codes.PermissionDenied, codes.NotFound, codes.InvalidArgument, codes.FailedPrecondition, codes.Unauthenticated} {
			t.Run(read.method+"/"+c.String(), func(t *testing.T) {
				h, cfg := newRetryHarness(t)
				h.srv.SetFault(read.method, read.resource, c)
				code, r, _ := h.checkJSON(cfg)
				if code == exitOK {
					t.Errorf("exit 0 with an unreadable %s", read.resource)
				}
				if n := h.srv.CallsFor(read.method, read.resource); n != 1 {
					t.Errorf("%s called %d times on %s, want exactly 1", read.method, n, c)
				}
				for _, f := range r.Findings {
					if strings.Contains(f.Message, "attempts") {
						t.Errorf("%s %q speaks of attempts for a call made once", f.Code, f.Message)
					}
				}
			})
		}
	}
}

// A read that keeps failing stops at the time budget (a quarter of
// --timeout) even when attempts remain, and says so. The budget is
// measured on a clock that advances 4s per call to Secret Manager (as if
// each attempt took that long), so where it ends does not depend on the
// machine's load: the 15s budget of --timeout 60s ends after the fourth
// attempt (16s), one short of retry.DefaultAttempts.
func TestRetryTimeBudget(t *testing.T) {
	h, cfg := newRetryHarness(t)
	h.srv.SetFault("AccessSecretVersion", "", codes.Unavailable)
	start := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	h.retryNow = func() time.Time {
		return start.Add(time.Duration(h.srv.Calls("AccessSecretVersion")) * 4 * time.Second)
	}
	code, r, errs := h.checkJSON(cfg, "--timeout", "60s")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want 3; stderr %s", code, errs)
	}
	f := sp102(t, r)
	if !strings.Contains(f.Message, "Unavailable after 4 attempts") || !strings.Contains(f.Message, "retry budget ran out") ||
		!strings.Contains(f.Message, "15s") {
		t.Errorf("SP102 %q: want the last code, the 4 attempts and the 15s budget", f.Message)
	}
	if n := h.srv.Calls("AccessSecretVersion"); n != 4 {
		t.Errorf("AccessSecretVersion called %d times, want 4 (the budget, not the %d attempts, ends the read)", n, retry.DefaultAttempts)
	}
}

// Cloud Run jobs are read under the same policy.
func TestRetryGetJob(t *testing.T) {
	const job = "projects/stg/locations/europe-west1/jobs/seed"
	cfg := `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    runner: {chain: [{secretmanager: jwt/versions/2}]}
    services: [{cloudrun_job: ` + job + `, chain: [{file: /keys/jwt}]}]
`
	h := newHarness(t, jobsFixture)
	h.srv.SetFaultTimes("GetJob", job, codes.Unavailable, 2)
	code, r, errs := h.checkJSON(h.write("c.yaml", cfg))
	if code != exitOK {
		t.Fatalf("exit %d after two transient failures, want 0; findings %+v\n%s", code, r.Findings, errs)
	}
	if n := h.srv.CallsFor("GetJob", job); n != 3 {
		t.Errorf("GetJob called %d times, want 3", n)
	}

	h = newHarness(t, jobsFixture)
	h.srv.SetFault("GetJob", job, codes.Internal)
	code, r, _ = h.checkJSON(h.write("c.yaml", cfg))
	if code != exitIncomplete {
		t.Errorf("exit %d, want 3", code)
	}
	if f := sp102(t, r); !strings.Contains(f.Message, "Internal after 5 attempts") {
		t.Errorf("SP102 %q", f.Message)
	}
}

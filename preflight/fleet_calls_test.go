package preflight

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/internal/retry"

	"github.com/secret-preflight/secret-preflight/report"
)

// TestFleetCalls checks, at a scale `go test` runs in no time, that a
// check reads each service, revision and secret version once, lists the
// region instead of getting its services, and reads only the revisions the
// templates cannot stand in for. BenchmarkCheck asserts the same at 1000.
func TestFleetCalls(t *testing.T) {
	for _, f := range []*fleet{newFleet(t, 1), newFleet(t, 2), newFleet(t, 40), newFleet(t, 250), newFleetOf(t, 30, allLatestEnv)} {
		n := f.n
		r := newRunner(t, f)
		for _, conc := range []int{1, 0} {
			before := r.calls()
			rep := r.check(t, f, false, conc)
			got := r.calls().minus(before)
			if want := f.wantCalls(); got.String() != want.String() {
				t.Errorf("n=%d concurrency=%d: calls %v, want %v", n, conc, got, want)
			}
			checkFleetReport(t, f, rep)
		}
	}
}

// checkFleetReport checks that a fleet's report resolved every consumer.
func checkFleetReport(t testing.TB, f *fleet, rep *report.Report) {
	t.Helper()
	consumers := 0
	for _, s := range rep.Secrets {
		for _, c := range s.Consumers {
			consumers++
			if !c.Resolved {
				t.Fatalf("n=%d: consumer %s unresolved: %s", f.n, c.ID, c.Error)
			}
		}
	}
	if consumers < f.n+1 {
		t.Fatalf("n=%d: %d consumers, want at least %d", f.n, consumers, f.n+1)
	}
}

// TestConcurrencyBoundsCalls checks that --concurrency bounds the calls in
// flight, counted where they leave the clients.
func TestConcurrencyBoundsCalls(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight--
			mu.Unlock()
		}()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	f := newFleet(t, 120)
	r := newRunner(t, f, option.WithGRPCDialOption(grpc.WithChainUnaryInterceptor(count)))
	for _, limit := range []int{1, 3} {
		mu.Lock()
		peak = 0
		mu.Unlock()
		checkFleetReport(t, f, r.check(t, f, false, limit))
		mu.Lock()
		if peak > limit || peak == 0 {
			t.Errorf("--concurrency %d: %d calls in flight at once", limit, peak)
		}
		mu.Unlock()
	}
}

// TestThrottledReadsAreRetried checks that RESOURCE_EXHAUSTED (a quota
// hit) on the calls a check makes slows it down instead of failing it: the
// retry policy backs off, holding the call's slot, and tries again.
func TestThrottledReadsAreRetried(t *testing.T) {
	f := newFleet(t, 40)
	r := newRunner(t, f)
	r.retry = retry.Policy{Initial: time.Millisecond, Max: 2 * time.Millisecond}
	want := f.wantCalls()
	const throttled = 2
	for _, m := range []string{"ListServices", "GetRevision", "AccessSecretVersion", "GetSecretVersion"} {
		r.srv.SetFaultTimes(m, "", codes.ResourceExhausted, throttled)
		want[m] += throttled
	}
	before := r.calls()
	rep := r.check(t, f, false, 0)
	if got := r.calls().minus(before); got.String() != want.String() {
		t.Errorf("calls %v, want %v", got, want)
	}
	checkFleetReport(t, f, rep)
}

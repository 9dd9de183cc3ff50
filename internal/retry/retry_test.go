package retry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestRetryable(t *testing.T) {
	want := map[codes.Code]bool{codes.Unavailable: true, codes.ResourceExhausted: true, codes.DeadlineExceeded: true, codes.Internal: true}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if got := Retryable(c); got != want[c] {
			t.Errorf("Retryable(%s) = %v, want %v", c, got, want[c])
		}
	}
}

func TestForTimeout(t *testing.T) {
	for _, tc := range []struct{ timeout, budget time.Duration }{
		{60 * time.Second, 15 * time.Second},
		{4 * time.Second, time.Second},
		{10 * time.Minute, MaxBudget},
	} {
		if got := ForTimeout(tc.timeout).budget(); got != tc.budget {
			t.Errorf("ForTimeout(%s) budget %s, want %s", tc.timeout, got, tc.budget)
		}
	}
}

// The pauses are jittered within [half, all] of a nominal length that
// doubles from Initial up to Max.
func TestPauses(t *testing.T) {
	p := Policy{Attempts: 10, Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond, Budget: time.Hour}
	for _, jitter := range []float64{0, 0.999} {
		r := p.newRetryer(context.Background(), time.Now().Add(time.Hour))
		r.jitter = func() float64 { return jitter }
		var got []time.Duration
		for range 4 {
			d, ok := r.Retry(status.Error(codes.Unavailable, "x"))
			if !ok {
				t.Fatal("a retryable code was not retried")
			}
			got = append(got, d.Round(10*time.Millisecond))
		}
		want := []time.Duration{50, 100, 200, 200}
		if jitter > 0 {
			want = []time.Duration{100, 200, 400, 400}
		}
		for i := range want {
			if got[i] != want[i]*time.Millisecond {
				t.Errorf("jitter %v: pauses %v, want %v ms", jitter, got, want)
				break
			}
		}
	}
}

// Do drives the client's own gax loop: the attempts stop at the policy's
// count, and the error carries the last code and the count.
func TestDoAttempts(t *testing.T) {
	p := Policy{Attempts: 3, Initial: time.Millisecond}
	calls := 0
	err := p.Do(context.Background(), func(ctx context.Context, opts ...gax.CallOption) error {
		return gax.Invoke(ctx, func(context.Context, gax.CallSettings) error {
			calls++
			return status.Error(codes.Internal, "boom")
		}, opts...)
	})
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 3 || status.Code(err) != codes.Internal || e.Budget != 0 {
		t.Fatalf("err %v, want an *Error with 3 attempts of Internal", err)
	}
	if calls != 3 {
		t.Errorf("%d calls, want 3", calls)
	}

	// A code that would fail again is not retried, nor wrapped.
	calls = 0
	err = p.Do(context.Background(), func(ctx context.Context, opts ...gax.CallOption) error {
		return gax.Invoke(ctx, func(context.Context, gax.CallSettings) error {
			calls++
			return status.Error(codes.PermissionDenied, "no")
		}, opts...)
	})
	if calls != 1 || errors.As(err, &e) || status.Code(err) != codes.PermissionDenied {
		t.Errorf("PermissionDenied: %d calls, err %v; want 1 call and the bare error", calls, err)
	}
}

// The policy replaces a client's default retry settings rather than adding
// to them: a default retryer placed before the policy's option never runs.
func TestDoReplacesClientDefaults(t *testing.T) {
	defaults := []gax.CallOption{gax.WithRetry(func() gax.Retryer {
		t.Error("the client's default retryer was used")
		return nil
	})}
	p := Policy{Attempts: 2, Initial: time.Millisecond}
	calls := 0
	_ = p.Do(context.Background(), func(ctx context.Context, opts ...gax.CallOption) error {
		return gax.Invoke(ctx, func(context.Context, gax.CallSettings) error {
			calls++
			return status.Error(codes.Unavailable, "down")
		}, append(defaults, opts...)...)
	})
	if calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
}

// The budget is measured on the policy's clock: here each attempt takes
// 3s of it, so a 10s budget stops the retries after the fourth attempt
// (12s), with attempts left, and the error says the budget ended them.
func TestDoBudgetOnInjectedClock(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := Policy{Attempts: 10, Initial: time.Millisecond, Budget: 10 * time.Second, Now: func() time.Time { return now }}
	calls := 0
	err := p.Do(context.Background(), func(ctx context.Context, opts ...gax.CallOption) error {
		return gax.Invoke(ctx, func(context.Context, gax.CallSettings) error {
			calls++
			now = now.Add(3 * time.Second)
			return status.Error(codes.Unavailable, "down")
		}, opts...)
	})
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 4 || e.Budget != 10*time.Second || status.Code(err) != codes.Unavailable {
		t.Fatalf("err %v, want an *Error after 4 attempts in the 10s budget", err)
	}
	if calls != 4 {
		t.Errorf("%d calls, want 4", calls)
	}
}

// retryInfo is a status of code carrying a google.rpc.RetryInfo of d.
func retryInfo(t *testing.T, code codes.Code, d time.Duration) error {
	t.Helper()
	st, err := status.New(code, "Quota exceeded").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

// The server's RetryInfo sets the pause, unjittered, in place of the
// schedule's.
func TestRetryInfoSetsThePause(t *testing.T) {
	r := Policy{Budget: time.Hour}.newRetryer(context.Background(), time.Now().Add(time.Hour))
	r.jitter = func() float64 { return 0 }
	for _, want := range []time.Duration{3 * time.Second, 7 * time.Second} {
		d, ok := r.Retry(retryInfo(t, codes.ResourceExhausted, want))
		if !ok || d != want {
			t.Errorf("pause %v (retry %v), want %v as the server asked", d, ok, want)
		}
	}
}

// A RetryInfo delay past the budget stops the retries at once, and the
// error says why.
func TestRetryInfoBeyondTheBudget(t *testing.T) {
	p := Policy{Budget: time.Second, Initial: time.Millisecond}
	calls := 0
	err := p.Do(context.Background(), func(ctx context.Context, opts ...gax.CallOption) error {
		return gax.Invoke(ctx, func(context.Context, gax.CallSettings) error {
			calls++
			return retryInfo(t, codes.ResourceExhausted, 30*time.Second)
		}, opts...)
	})
	var e *Error
	if !errors.As(err, &e) || e.RetryAfter != 30*time.Second || e.MaxBudget != time.Second || status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("err %v, want an *Error asking 30s beyond the 1s budget", err)
	}
	if calls != 1 {
		t.Errorf("%d calls, want 1: waiting would outlast the budget", calls)
	}
	if want := "the server asked to retry after 30s, beyond the 1s retry budget"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
}

// Without RetryInfo, RESOURCE_EXHAUSTED backs off longer than UNAVAILABLE:
// a quota refills over seconds.
func TestExhaustedPausesLonger(t *testing.T) {
	p := Policy{Attempts: 10, Budget: time.Hour}
	for _, jitter := range []float64{0, 0.999} {
		unavailable := p.newRetryer(context.Background(), time.Now().Add(time.Hour))
		exhausted := p.newRetryer(context.Background(), time.Now().Add(time.Hour))
		unavailable.jitter = func() float64 { return jitter }
		exhausted.jitter = unavailable.jitter
		var got []time.Duration
		for range 5 {
			u, _ := unavailable.Retry(status.Error(codes.Unavailable, "x"))
			e, _ := exhausted.Retry(status.Error(codes.ResourceExhausted, "x"))
			if e < 4*u {
				t.Errorf("jitter %v: ResourceExhausted pause %v, Unavailable %v; want it several times longer", jitter, e, u)
			}
			got = append(got, e.Round(100*time.Millisecond))
		}
		want := []time.Duration{500, 1000, 2000, 4000, 4000}
		if jitter > 0 {
			want = []time.Duration{1000, 2000, 4000, 8000, 8000}
		}
		for i := range want {
			if got[i] != want[i]*time.Millisecond {
				t.Errorf("jitter %v: ResourceExhausted pauses %v, want %v ms", jitter, got, want)
				break
			}
		}
	}
}

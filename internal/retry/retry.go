// Package retry is the one retry policy for the idempotent Google Cloud
// reads secret-preflight makes (Secret Manager access and gets, Cloud Run
// gets and lists): jittered exponential backoff on transient codes, within a
// per-call attempt count and time budget, so that a flaky API neither makes
// a run incomplete on one blip nor eats the whole --timeout. A quota error
// (RESOURCE_EXHAUSTED) backs off longer, and a google.rpc.RetryInfo from
// the server sets the pause, or ends the read when it is past the budget.
//
// It works inside the official clients' own loop (gax.Invoke) through a
// gax.Retryer passed as a call option. That option replaces the client's
// default retry settings for the call (later call options win), so there is
// never a second loop stacked on theirs.
package retry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Defaults of a zero Policy.
const (
	DefaultAttempts = 5
	DefaultInitial  = 100 * time.Millisecond
	DefaultMax      = 2 * time.Second
	DefaultBudget   = 15 * time.Second
	// MaxBudget caps the budget ForTimeout derives from a long --timeout:
	// past it, an API is down, not blipping.
	MaxBudget = 30 * time.Second
	// ExhaustedFactor and ExhaustedMaxFactor stretch the pauses after
	// RESOURCE_EXHAUSTED that carries no RetryInfo: a quota refills over
	// seconds (per-minute quotas), while an UNAVAILABLE blip passes in
	// milliseconds. With the defaults: from about 1 s, doubling up to 8 s.
	ExhaustedFactor    = 10
	ExhaustedMaxFactor = 4
)

// Policy bounds the retries of one call. Zero fields take the defaults.
type Policy struct {
	// Attempts is the most calls made for one read, the first included.
	Attempts int
	// Budget is the time all attempts of one read may take together; no
	// pause is started that would end past it.
	Budget time.Duration
	// Initial is the first pause; each later one doubles, up to Max. Each
	// pause is jittered to between half and all of its nominal length, so
	// that concurrent reads hit by one outage do not retry in lockstep.
	Initial time.Duration
	Max     time.Duration
	// Now reads the clock the budget is measured on (nil: time.Now). Tests
	// inject one that advances per attempt, so that when the budget runs
	// out does not depend on how loaded the machine is.
	Now func() time.Time
}

func (p Policy) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// ForTimeout is the policy of a run with the given --timeout: a quarter of
// it per read, at most MaxBudget, so that one read that keeps failing
// leaves time for the others and the run still ends with a report.
func ForTimeout(timeout time.Duration) Policy {
	return Policy{Budget: min(timeout/4, MaxBudget)}
}

func (p Policy) attempts() int {
	if p.Attempts <= 0 {
		return DefaultAttempts
	}
	return p.Attempts
}

// CallBudget is the time one read may take, its retries included: what
// bounds a call that never answers, as well as one that keeps failing.
// Listings, whose pages Do cannot wrap, bound each page fetch with it.
func (p Policy) CallBudget() time.Duration { return p.budget() }

func (p Policy) budget() time.Duration {
	if p.Budget <= 0 {
		return DefaultBudget
	}
	return p.Budget
}

func (p Policy) initial() time.Duration {
	if p.Initial <= 0 {
		return DefaultInitial
	}
	return p.Initial
}

func (p Policy) max() time.Duration {
	if p.Max <= 0 {
		return max(DefaultMax, p.initial())
	}
	return p.Max
}

// Retryable reports whether a call that failed with code may succeed if
// made again: the service was briefly unavailable, out of quota, slow, or
// hit an internal fault. Every other code (PermissionDenied, NotFound,
// InvalidArgument, FailedPrecondition, Unauthenticated, ...) would fail the
// same way again.
func Retryable(code codes.Code) bool {
	switch code {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Internal:
		return true
	}
	return false
}

// Error is a read that still failed after more than one attempt, or that
// the server asked to retry later than the budget allows.
type Error struct {
	// Err is the last error a server answered with. When the budget ran
	// out during an attempt, it is the error of the attempt before it,
	// not the deadline the budget caused.
	Err error
	// Attempts is the number of calls made.
	Attempts int
	// Budget is set when the time budget, not the attempt count, ended
	// the retries.
	Budget time.Duration
	// RetryAfter is set when the server asked (google.rpc.RetryInfo) to
	// retry after this long, past the retry budget (then MaxBudget is the
	// budget) or past the run's deadline: the retries stopped there.
	RetryAfter, MaxBudget time.Duration
}

// Beyond says what a RetryAfter is beyond: the budget or the deadline.
func (e *Error) Beyond() string {
	if e.MaxBudget > 0 {
		return fmt.Sprintf("the %s retry budget", e.MaxBudget)
	}
	return "the time left before --timeout"
}

func (e *Error) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%v (the server asked to retry after %s, beyond %s)", e.Err, e.RetryAfter, e.Beyond())
	}
	if e.Budget > 0 {
		return fmt.Sprintf("%v (after %d attempts in the %s retry budget)", e.Err, e.Attempts, e.Budget)
	}
	return fmt.Sprintf("%v (after %d attempts)", e.Err, e.Attempts)
}

func (e *Error) Unwrap() error { return e.Err }

// Do runs one read under the policy. call must pass opts to the client
// method as its last call options, so that the policy replaces the
// client's own retry settings. ctx bounds every attempt as usual; the
// read as a whole is also bounded by the budget.
//
// An error after several attempts is an *Error that wraps the last server
// error (status.Code still finds its code).
func (p Policy) Do(ctx context.Context, call func(ctx context.Context, opts ...gax.CallOption) error) error {
	bctx, cancel := context.WithTimeout(ctx, p.budget())
	defer cancel()
	r := p.newRetryer(bctx, p.now().Add(p.budget()))
	err := call(bctx, gax.WithRetry(func() gax.Retryer { return r }))
	if err == nil {
		return nil
	}
	return r.annotate(ctx, err)
}

// Iterator returns call options for a List method whose iterator fetches
// pages lazily (Do cannot wrap Next), and a function that turns the error
// Next returns into what Do would have returned. Each page fetch gets its
// own attempts and budget; there the budget bounds the pauses, while each
// attempt is bounded by ctx alone, so the caller should bound each page
// fetch by CallBudget (cancel ctx when it runs out): a page that never
// answers would otherwise hold the listing until the run's deadline. ctx
// should be the one given to the List call.
func (p Policy) Iterator(ctx context.Context) ([]gax.CallOption, func(error) error) {
	var mu sync.Mutex
	var last *retryer
	opt := gax.WithRetry(func() gax.Retryer {
		// gax asks for a retryer at a page's first failure: the budget
		// starts there, which is close enough to the start of the fetch.
		r := p.newRetryer(ctx, p.now().Add(p.budget()))
		mu.Lock()
		last = r
		mu.Unlock()
		return r
	})
	annotate := func(err error) error {
		mu.Lock()
		r := last
		mu.Unlock()
		if err == nil || r == nil {
			return err
		}
		return r.annotate(ctx, err)
	}
	return []gax.CallOption{opt}, annotate
}

// retryer is the gax.Retryer of one read.
type retryer struct {
	p Policy
	// ctx is what the attempts run under; budgetEnd is when the read's
	// time budget ends.
	ctx       context.Context
	budgetEnd time.Time
	next      time.Duration // nominal length of the next pause
	// nextExhausted is next after RESOURCE_EXHAUSTED without RetryInfo.
	nextExhausted time.Duration
	attempts      int // failed attempts seen so far
	// retryAfter is the server's asked delay that ended the retries.
	retryAfter time.Duration
	last       error // last error not caused by the budget itself
	// outOfTime is set when the budget, not the attempt count or the
	// code, ended the retries.
	outOfTime bool
	// jitter returns a number in [0, 1).
	jitter func() float64
}

func (p Policy) newRetryer(ctx context.Context, budgetEnd time.Time) *retryer {
	return &retryer{p: p, ctx: ctx, budgetEnd: budgetEnd, next: p.initial(), nextExhausted: p.initial() * ExhaustedFactor, jitter: rand.Float64}
}

// RetryDelay returns the delay a google.rpc.RetryInfo detail of err asks
// for, if err carries one: the server knows when its quota refills.
func RetryDelay(err error) (time.Duration, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return 0, false
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return max(ri.GetRetryDelay().AsDuration(), 0), true
		}
	}
	return 0, false
}

// pause is the nominal pause before the next attempt after err, and
// whether the server asked for it (then it is not jittered: shorter would
// be refused again).
func (r *retryer) pause(err error) (time.Duration, bool) {
	if d, ok := RetryDelay(err); ok {
		return d, true
	}
	var pause time.Duration
	if status.Code(err) == codes.ResourceExhausted {
		pause = r.nextExhausted/2 + time.Duration(r.jitter()*float64(r.nextExhausted/2))
		r.nextExhausted = min(r.nextExhausted*2, r.p.max()*ExhaustedMaxFactor)
		return pause, false
	}
	pause = r.next/2 + time.Duration(r.jitter()*float64(r.next/2))
	r.next = min(r.next*2, r.p.max())
	return pause, false
}

// Retry is called by gax after each failed attempt.
func (r *retryer) Retry(err error) (time.Duration, bool) {
	r.attempts++
	if r.ctx.Err() != nil {
		// The budget or the run ended during this attempt: its error says
		// so, and tells nothing about the service.
		if r.last == nil {
			r.last = err
		}
		r.outOfTime = !r.p.now().Before(r.budgetEnd)
		return 0, false
	}
	r.last = err
	if !Retryable(status.Code(err)) || r.attempts >= r.p.attempts() {
		return 0, false
	}
	pause, asked := r.pause(err)
	// Better to report the real error now than a deadline later.
	end := r.p.now().Add(pause)
	dl, hasDL := r.ctx.Deadline()
	switch {
	case asked && !end.Before(r.budgetEnd):
		r.retryAfter, r.outOfTime = pause, true
		return 0, false
	case asked && hasDL && !end.Before(dl):
		r.retryAfter = pause // the run's own deadline is nearer
		return 0, false
	case !end.Before(r.budgetEnd):
		r.outOfTime = true
		return 0, false
	case hasDL && !end.Before(dl):
		return 0, false // the run's own deadline is nearer
	}
	return pause, true
}

// annotate turns the error gax returned into the read's error. parent is
// the caller's context, to tell the budget running out from the run's end.
func (r *retryer) annotate(parent context.Context, err error) error {
	if r.attempts <= 1 && r.retryAfter == 0 {
		return err
	}
	e := &Error{Err: err, Attempts: r.attempts}
	if r.last != nil {
		e.Err = r.last
	}
	if r.retryAfter > 0 {
		e.RetryAfter = r.retryAfter
		if r.outOfTime {
			e.MaxBudget = r.p.budget()
		}
		return e
	}
	if r.outOfTime && parent.Err() == nil {
		e.Budget = r.p.budget()
	}
	return e
}

package sources

import "context"

// callLimitKey keys the semaphore that bounds a run's API calls.
type callLimitKey struct{}

// WithCallLimit returns a context under which at most n calls to Google
// Cloud APIs are in flight at once, however many consumers resolve
// concurrently (`--concurrency`). The bound is per run, not per process:
// it travels with the run's context. n < 1 means no bound.
func WithCallLimit(ctx context.Context, n int) context.Context {
	if n < 1 {
		return ctx
	}
	return context.WithValue(ctx, callLimitKey{}, make(chan struct{}, n))
}

// acquire waits for a call slot; release gives it back. A call must never
// wait for another while it holds a slot, or a run could deadlock.
func acquire(ctx context.Context) (release func(), err error) {
	sem, _ := ctx.Value(callLimitKey{}).(chan struct{})
	if sem == nil {
		return func() {}, nil
	}
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

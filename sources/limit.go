package sources

import (
	"context"

	"github.com/googleapis/gax-go/v2"

	"github.com/secret-preflight/secret-preflight/internal/retry"
)

// callLimitKey keys the semaphores that bound a run's API calls.
type callLimitKey struct{}

// callLimit bounds the calls of a run. One slot of n is kept for list
// pages: a listing is the one call that others wait on in a row (its next
// page cannot be asked before this one arrives), so it must not queue
// behind the reads its own pages started. Lists may take any free slot as
// well.
type callLimit struct {
	reads chan struct{} // n-1 slots (n when n is 1)
	lists chan struct{} // 1 slot, nil when n is 1
}

// WithCallLimit returns a context under which at most n calls to Google
// Cloud APIs are in flight at once, however many consumers resolve
// concurrently (`--concurrency`). The bound is per run, not per process:
// it travels with the run's context. n < 1 means no bound.
func WithCallLimit(ctx context.Context, n int) context.Context {
	if n < 1 {
		return ctx
	}
	l := &callLimit{reads: make(chan struct{}, n)}
	if n > 1 {
		l.reads, l.lists = make(chan struct{}, n-1), make(chan struct{}, 1)
	}
	return context.WithValue(ctx, callLimitKey{}, l)
}

// acquire waits for a call slot; release gives it back. A call must never
// wait for another while it holds a slot, or a run could deadlock.
func acquire(ctx context.Context) (release func(), err error) {
	l, _ := ctx.Value(callLimitKey{}).(*callLimit)
	if l == nil {
		return func() {}, nil
	}
	select {
	case l.reads <- struct{}{}:
		return func() { <-l.reads }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// acquireList is acquire for a list page: it takes the slot kept for lists
// or any other, whichever is free first.
func acquireList(ctx context.Context) (release func(), err error) {
	l, _ := ctx.Value(callLimitKey{}).(*callLimit)
	if l == nil {
		return func() {}, nil
	}
	select {
	case l.lists <- struct{}{}:
		return func() { <-l.lists }, nil
	case l.reads <- struct{}{}:
		return func() { <-l.reads }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readOne makes one API read under the run's call limit, retried by p. Any
// error, the wait for a slot included, names the resource and the IAM
// permission the read needs.
func readOne[T any](ctx context.Context, p retry.Policy, resource, permission string, read func(ctx context.Context, opts ...gax.CallOption) (T, error)) (T, error) {
	var zero T
	release, err := acquire(ctx)
	if err != nil {
		return zero, cloudError(resource, permission, err)
	}
	defer release()
	var got T
	err = p.Do(ctx, func(ctx context.Context, opts ...gax.CallOption) (err error) {
		got, err = read(ctx, opts...)
		return err
	})
	if err != nil {
		return zero, cloudError(resource, permission, err)
	}
	return got, nil
}

package sources

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secret-preflight/secret-preflight/internal/retry"
)

// PageTimeoutError is a listing stopped because one of its pages took
// longer than a call may (retry.Policy.CallBudget): a page that hangs fails
// its listing then, not at the end of the whole --timeout.
type PageTimeoutError struct {
	Budget time.Duration
}

func (e *PageTimeoutError) Error() string {
	return fmt.Sprintf("a page of the listing took longer than the %s a call may take", e.Budget)
}

// Is makes the error a deadline for errors.Is, as it is one.
func (e *PageTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// pageBudget bounds each page fetch of one listing. Its ctx is the one to
// give the List call: the gapic iterators fetch every page under the
// context the listing started with, so a page's deadline is a timer that
// cancels it rather than a context of its own.
type pageBudget struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	budget time.Duration
}

func newPageBudget(ctx context.Context, pol retry.Policy) *pageBudget {
	ctx, cancel := context.WithCancelCause(ctx)
	return &pageBudget{ctx: ctx, cancel: cancel, budget: pol.CallBudget()}
}

// page starts the clock of one page fetch; stop it once the page is in.
func (b *pageBudget) page() (stop func()) {
	t := time.AfterFunc(b.budget, func() { b.cancel(&PageTimeoutError{Budget: b.budget}) })
	return func() { t.Stop() }
}

// err returns why the listing failed: the page budget when it ran out,
// else err.
func (b *pageBudget) err(err error) error {
	var pt *PageTimeoutError
	if errors.As(context.Cause(b.ctx), &pt) {
		return pt
	}
	return err
}

// done releases the listing's context.
func (b *pageBudget) done() { b.cancel(nil) }

// nextPaged calls next, an iterator's Next, under the page budget when it
// will fetch a page: when remaining, what its buffer still holds, is 0.
func nextPaged[T any](b *pageBudget, remaining int, next func() (T, error)) (T, error) {
	if remaining == 0 {
		defer b.page()()
	}
	return next()
}

// Package crash keeps a panic from becoming an exit code that means
// something else, or a message that quotes a value.
//
// Go ends the program with exit 2, "bad usage" here, and prints the
// panic's value when a goroutine panics; the value may be an error that
// quotes a secret. The CLI recovers panics at the top of its run; a
// goroutine that a run starts defers a Catcher's Recover, and the
// goroutine that waits for it calls Repanic, so the panic reaches that
// top-level recover with the place it happened.
package crash

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Panic is a panic recovered on one goroutine and raised again on
// another. Its message names the value's type and where it panicked,
// never the value.
type Panic struct {
	Value any    // the original value: print its type only
	Site  string // "FUNCTION (FILE:LINE)" of the panic
}

func (p *Panic) Error() string { return fmt.Sprintf("panic (%T) in %s", p.Value, p.Site) }

// Catcher records the first panic of a group of goroutines.
type Catcher struct {
	mu sync.Mutex
	p  *Panic
}

// Recover must be deferred, directly, at the top of each goroutine.
func (c *Catcher) Recover() {
	v := recover()
	if v == nil {
		return
	}
	p, ok := v.(*Panic)
	if !ok {
		p = &Panic{Value: v, Site: site()}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil {
		c.p = p
	}
}

// Repanic raises the first panic Recover caught, if any, as a *Panic.
// Call it once the goroutines are done.
func (c *Catcher) Repanic() {
	c.mu.Lock()
	p := c.p
	c.mu.Unlock()
	if p != nil {
		panic(p)
	}
}

// Describe words a value just recovered: "panic (TYPE) in FUNCTION
// (FILE:LINE)". Call it in the deferred function that recovered v, while
// the panicking stack is still there.
func Describe(v any) string {
	if p, ok := v.(*Panic); ok {
		return p.Error()
	}
	return (&Panic{Value: v, Site: site()}).Error()
}

// site is the first function above runtime.gopanic on the stack: the one
// that panicked, or called the runtime function that did.
func site() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	afterPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			afterPanic = true
		case afterPanic && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf("%s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return "an unknown place"
		}
	}
}

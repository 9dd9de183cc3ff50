package preflight

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// benchLatency is the round trip the fake adds to every call: about what a
// CI runner sees to googleapis.com.
const benchLatency = 50 * time.Millisecond

// BenchmarkCheck measures one check of a fleet of 1 to 1000 live services
// (see newFleet) over the official clients and the in-process fake, with
// benchLatency per call and default settings. It reports the time per
// check, the calls per method, allocations and the peak heap, and fails
// when a check makes more calls than wantCalls: a regression in how often
// things are read fails `.ci/run`, which runs every benchmark once. The
// README's Performance table comes from here:
//
//	go test ./preflight -run '^$' -bench BenchmarkCheck -benchtime 5x -cpu 2
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			benchCheck(b, newFleet(b, n), benchLatency)
		})
	}
	// The costliest fleet: every serving revision must be read for SP131.
	b.Run("services=1000/all-latest-env", func(b *testing.B) {
		benchCheck(b, newFleetOf(b, 1000, allLatestEnv), benchLatency)
	})
	// Our own overhead: a small config with no network latency at all.
	b.Run("services=10/latency=0", func(b *testing.B) {
		benchCheck(b, newFleet(b, 10), 0)
	})
}

func benchCheck(b *testing.B, f *fleet, latency time.Duration) {
	r := newRunner(b, f)
	r.srv.SetLatency(latency)
	want := f.wantCalls()
	var peak heapPeak
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		before := r.calls()
		stop := peak.watch()
		rep := r.check(b, f, false, 0)
		stop()
		if got := r.calls().minus(before); got.String() != want.String() {
			b.Fatalf("calls per check: %v, want %v", got, want)
		}
		checkFleetReport(b, f, rep)
	}
	b.StopTimer()
	for _, m := range methods {
		b.ReportMetric(float64(want[m]), m+"/op")
	}
	b.ReportMetric(float64(peak.max())/(1<<20), "peak-heap-MiB")
}

// heapPeak samples the live heap while a check runs. runtime/metrics reads
// it without stopping the world, so sampling does not slow the check.
type heapPeak struct {
	mu   sync.Mutex
	peak uint64
}

func (h *heapPeak) watch() (stop func()) {
	runtime.GC() // start from what the fixture and clients hold
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.mu.Lock()
			h.peak = max(h.peak, s[0].Value.Uint64())
			h.mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (h *heapPeak) max() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

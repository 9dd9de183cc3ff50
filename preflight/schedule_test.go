//go:build unix

package preflight

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/grpc"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/sources"
)

// TestSlowRunnerDoesNotHoldServices: the services of a secret resolve while
// its runner's exec: link is still running. The runner reads a FIFO that the
// test writes only once a service has read its Secret Manager version, so
// a run that waited for the runners before starting the services would
// stall until its deadline and report the services DeadlineExceeded.
func TestSlowRunnerDoesNotHoldServices(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "key")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	var once sync.Once
	watch := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err == nil && strings.HasSuffix(method, "/AccessSecretVersion") {
			once.Do(func() { close(served) })
		}
		return err
	}
	f := newFleet(t, 3)
	cfg, err := config.Parse("c.yaml", []byte("version: 1\ngcp: {project: p, region: r}\nsecrets:\n"+
		"  - name: jwt\n    runner: {chain: [{exec: [cat, "+fifo+"]}]}\n    services:\n"+
		"      - {cloudrun: s0000, chain: [JWT]}\n      - {cloudrun: s0002, chain: [JWT]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, f, option.WithGRPCDialOption(grpc.WithChainUnaryInterceptor(watch)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		select {
		case <-served:
			// Opening for writing waits for cat to open it for reading.
			_ = os.WriteFile(fifo, f.fx.Secrets[0].Versions[1].Data, 0)
		case <-ctx.Done():
		}
	}()
	rep, err := Run(ctx, cfg, Options{
		Resolver:     &sources.Resolver{Secrets: sources.NewAccessor(r.sm), AllowExec: true},
		CloudRun:     &sources.CloudRun{Services: r.svcs, Revisions: r.revs},
		Fingerprints: r.fp, FailOn: "error", Now: r.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range rep.Secrets {
		for _, c := range s.Consumers {
			n++
			if !c.Resolved {
				t.Errorf("%s unresolved: %s", c.ID, c.Error)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d consumers, want 3", n)
	}
}

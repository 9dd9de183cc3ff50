package preflight

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/crash"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// A panic while resolving a consumer, on one of Run's goroutines, reaches
// Run's caller as a *crash.Panic (which the CLI turns into exit 3) rather
// than ending the program with Go's exit 2 and the panic's value.
func TestRunRaisesAGoroutinePanicInTheCaller(t *testing.T) {
	const canary = "CANARY-goroutine-Rr4Tt5Yy6Uu7Ii8Oo9"
	c, err := config.Parse("c.yaml", []byte("version: 1\nsecrets:\n  - name: s\n    services:\n      - {manifest: m.yaml, chain: [A]}\n      - {manifest: n.yaml, chain: [A]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := secret.NewFingerprinter("")
	defer func() {
		v := recover()
		p, ok := v.(*crash.Panic)
		if !ok {
			t.Fatalf("recovered %T, want *crash.Panic", v)
		}
		if !strings.Contains(p.Site, "panic_test.go:") || strings.Contains(p.Error(), canary) {
			t.Errorf("panic %q", p.Error())
		}
	}()
	Run(context.Background(), c, Options{
		Resolver:     &sources.Resolver{},
		CloudRun:     &sources.CloudRun{},
		Fingerprints: fp,
		FailOn:       "error",
		Concurrency:  2,
		ReadFile:     func(string) ([]byte, error) { panic(errors.New("reading " + canary)) },
	})
	t.Fatal("Run returned")
}

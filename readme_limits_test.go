package secretpreflight_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/internal/localfile"
	"github.com/secret-preflight/secret-preflight/internal/retry"
)

// The limits and the retry policy users read in the README are the ones
// the code applies.
func TestREADMEDocumentsLimits(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "## Limits and retries")
	if start < 0 {
		t.Fatal("README has no Limits and retries section")
	}
	sec := readme[start:]
	sec = sec[:strings.Index(sec[3:], "\n## ")+3]
	mib := func(n int64) string { return fmt.Sprintf("| %d MiB |", n/localfile.MiB) }
	for _, want := range []string{
		"a runner's `file:` link (the secret value) " + mib(localfile.LimitSecret),
		"a `.env` file read by a `dotenv:` link " + mib(localfile.LimitSecret),
		"the config file " + mib(localfile.LimitConfig),
		"a `manifest:` file (and an `emulator --fixture`) " + mib(localfile.LimitManifest),
		"a `--baseline` report " + mib(localfile.LimitReport),
		fmt.Sprintf("At most %d attempts per read", retry.DefaultAttempts),
		fmt.Sprintf("at most %d s", int(retry.MaxBudget.Seconds())),
		fmt.Sprintf("start at about\n  %d ms", retry.DefaultInitial.Milliseconds()),
		fmt.Sprintf("up to %d s", int(retry.DefaultMax.Seconds())),
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("the Limits and retries section lacks %q", want)
		}
	}
}

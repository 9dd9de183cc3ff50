package secretpreflight_test

import (
	"os"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
)

// The README is where users read the action's interface and the finding
// codes: keep it in step with action.yml and the contract.
func TestREADMEDocumentsTheAction(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	a := loadAction(t)
	for name := range a.Inputs {
		if !strings.Contains(readme, "| `"+name+"` |") {
			t.Errorf("README's input table lacks %q", name)
		}
	}
	for name := range a.Outputs {
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("README's output table lacks %q", name)
		}
	}
	for _, want := range []string{
		"go run ./cmd/secret-preflight demo", "go test ./...",
		"roles/run.viewer", "roles/secretmanager.secretAccessor", "google-github-actions/auth",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
}

// The README's fixture example is what users copy for their own tests: it
// must load.
func TestREADMEFixtureExampleLoads(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "```yaml\nprojects:")
	if start < 0 {
		t.Fatal("README has no fixture example")
	}
	block := readme[start+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	f, err := fakegcp.ParseFixture("README.md", []byte(block))
	if err != nil {
		t.Fatalf("README fixture: %v", err)
	}
	if len(f.Secrets) != 1 || len(f.Services) != 1 || len(f.Revisions) != 1 || len(f.Jobs) != 1 {
		t.Errorf("README fixture has %d secrets, %d services, %d revisions, %d jobs", len(f.Secrets), len(f.Services), len(f.Revisions), len(f.Jobs))
	}
	if got := f.Services[0].GetTrafficStatuses()[1].GetTag(); got != "e2e" {
		t.Errorf("README fixture's tagged traffic entry has tag %q, want e2e", got)
	}
	// init reads service templates: a service without one would be left
	// out of the starter config a user writes from this example.
	if len(f.Services[0].GetTemplate().GetContainers()) == 0 {
		t.Error("README fixture's service has no template containers: init would not see it")
	}
}

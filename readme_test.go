package secretpreflight_test

import (
	"os"
	"strings"
	"testing"
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

package report

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestAnnotationFileRelativeToWorkspace(t *testing.T) {
	ws := t.TempDir()
	inside := filepath.Join(ws, ".github", "secret-preflight.yaml")
	f := &Finding{Code: "SP100", Severity: SevError, Secret: "jwt", File: inside, Line: 7, Message: "m", Hint: "h"}
	if got := annotation(f, ws); !strings.Contains(got, "file=.github/secret-preflight.yaml,line=7") {
		t.Errorf("inside the workspace: %s", got)
	}
	f.File = filepath.Join(filepath.Dir(ws), "elsewhere.yaml")
	if got := annotation(f, ws); strings.Contains(got, "file=") || strings.Contains(got, "line=") {
		t.Errorf("a file outside the workspace cannot be annotated: %s", got)
	}
	f.File = "relative/c.yaml"
	if got := annotation(f, ""); !strings.Contains(got, "file=relative/c.yaml") {
		t.Errorf("without a workspace the path is kept: %s", got)
	}
}

func TestVerdictLineSaysWhatWasNotEnforced(t *testing.T) {
	r := &Report{Findings: []*Finding{{Code: "SP100", Severity: SevError}}, Secrets: []*Secret{{Consumers: []*Consumer{{Resolved: true}}}}}
	r.Finish("never")
	if got := verdictLine(r); !strings.HasPrefix(got, "FINDINGS NOT ENFORCED: 1 error") || !strings.Contains(got, "only because of --fail-on never") {
		t.Errorf("verdict %q", got)
	}
	r = &Report{Findings: []*Finding{{Code: "SP120", Severity: SevWarning}}, Secrets: []*Secret{{Consumers: []*Consumer{{Resolved: true}}}}}
	r.Finish("error")
	if got := verdictLine(r); !strings.HasPrefix(got, "PASS (--fail-on error): 0 errors, 1 warning") {
		t.Errorf("verdict %q", got)
	}
	r = &Report{Secrets: []*Secret{{Consumers: []*Consumer{{Resolved: true}, {Resolved: true}}}}}
	r.Finish("error")
	if got := verdictLine(r); got != "PASS: every consumer resolves the same value" {
		t.Errorf("verdict %q", got)
	}
	// A secret that compared nothing passes, but not as a match.
	r = &Report{Secrets: []*Secret{{Verdict: Match, Consumers: []*Consumer{{Resolved: true}}}}}
	r.Finish("error")
	if got := verdictLine(r); strings.Contains(got, "every consumer resolves") || !strings.Contains(got, "compared with nothing") {
		t.Errorf("verdict %q", got)
	}
}

func TestMajorityFingerprint(t *testing.T) {
	mk := func(fps ...string) *Secret {
		s := &Secret{}
		for _, fp := range fps {
			s.Consumers = append(s.Consumers, &Consumer{Resolved: true, Fingerprint: fp})
		}
		s.Consumers = append(s.Consumers, &Consumer{Resolved: false})
		return s
	}
	if got := majorityFingerprint(mk("a", "b", "b")); got != "b" {
		t.Errorf("majority %q, want b", got)
	}
	if got := majorityFingerprint(mk("a", "b")); got != "" {
		t.Errorf("a tie has no majority, got %q", got)
	}
}

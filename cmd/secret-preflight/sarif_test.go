package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// check --format sarif locates each finding at its config line, relative
// to GITHUB_WORKSPACE, and fails the run as the other formats do.
func TestCheckSARIF(t *testing.T) {
	h := newShardHarness(t)
	cfg := h.write(filepath.Join("deploy", "secret-preflight.yaml"), cfgFor(runnerEnvChain, "{cloudrun: api-b, chain: [JWT_SECRET]}"))
	h.env["GITHUB_WORKSPACE"] = h.dir
	sarifPath := filepath.Join(h.dir, "out.sarif")
	code, out, errs := h.run("check", "-c", cfg, "--format", "sarif", "--output", "sarif="+sarifPath)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, errs)
	}
	if string(mustRead(t, sarifPath)) != out {
		t.Errorf("the sarif output file differs from stdout")
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	lines := strings.Split(cfgFor(runnerEnvChain, "{cloudrun: api-b, chain: [JWT_SECRET]}"), "\n")
	found := false
	for _, res := range log.Runs[0].Results {
		if res.RuleID != "SP100" {
			continue
		}
		found = true
		loc := res.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != "deploy/secret-preflight.yaml" {
			t.Errorf("uri %q, want the config relative to GITHUB_WORKSPACE", loc.ArtifactLocation.URI)
		}
		if n := loc.Region.StartLine; n < 1 || n > len(lines) || !strings.Contains(lines[n-1], "jwt-signing") {
			t.Errorf("SP100 at line %d, want the secret's line", n)
		}
	}
	if !found {
		t.Errorf("no SP100 result:\n%s", out)
	}
}

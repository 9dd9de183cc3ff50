package preflight

import (
	"testing"

	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

func shardReport(findings []*report.Finding, consumers ...*report.Consumer) *report.Report {
	r := &report.Report{
		FingerprintScope: secret.ScopeStable, FingerprintKeyID: "hmac-sha256:000000000001", FailOn: "error",
		Secrets:  []*report.Secret{{Name: "jwt", Consumers: consumers}},
		Findings: findings,
	}
	r.Finish("error")
	return r
}

func resolved(id, fp string) *report.Consumer {
	return &report.Consumer{ID: id, Kind: "cloudrun", Resolved: true, Via: "env", Ref: "JWT", Fingerprint: fp, File: "c.yaml", Line: 7}
}

// An ignore entry that silenced SP100 in a shard silences the SP100 the
// merge computes for that secret; a finding two shards report is kept
// once; the shards' stricter --fail-on wins.
func TestMergeKeepsIgnoresAndDedupesFindings(t *testing.T) {
	sp130 := func() *report.Finding {
		return &report.Finding{Code: "SP130", Severity: report.SevInfo, Secret: "jwt", Consumers: []string{"runner"}, Message: "latest"}
	}
	a := shardReport([]*report.Finding{sp130(), {Code: "SP100", Severity: report.SevError, Secret: "jwt",
		Consumers: []string{"x", "y"}, Message: "old", Ignored: "tracked in INFRA-1", File: "c.yaml", Line: 3}},
		resolved("x", "hmac-sha256:aaaaaaaaaaaa"), resolved("y", "hmac-sha256:bbbbbbbbbbbb"))
	b := shardReport([]*report.Finding{sp130()}, resolved("x", "hmac-sha256:aaaaaaaaaaaa"), resolved("z", "hmac-sha256:cccccccccccc"))
	b.FailOn = "warning"
	r, err := Merge([]Shard{{"a.json", a}, {"b.json", b}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Secrets[0].Consumers); n != 3 {
		t.Errorf("%d consumers, want x once, y and z", n)
	}
	var sp100, n130 int
	for _, f := range r.Findings {
		switch f.Code {
		case "SP100":
			sp100++
			if f.Ignored != "tracked in INFRA-1" || len(f.Consumers) != 3 || f.File != "c.yaml" || f.Line != 3 {
				t.Errorf("merged SP100 %+v: want the shard's ignore and position, and all three consumers", f)
			}
		case "SP130":
			n130++
		}
	}
	if sp100 != 1 || n130 != 1 {
		t.Errorf("%d SP100 and %d SP130, want one of each", sp100, n130)
	}
	// SP100 is ignored and SP130 is an info, below the stricter shard's
	// warning threshold: the merged run passes.
	if r.FailOn != "warning" || r.Result != report.Pass || r.Secrets[0].Verdict != report.Mismatch {
		t.Errorf("fail_on %s result %s verdict %s", r.FailOn, r.Result, r.Secrets[0].Verdict)
	}
}

func TestMergeJoinsProbes(t *testing.T) {
	probe := func(kind string, status int) *report.Probe {
		return &report.Probe{Secret: "jwt", URL: "https://api.example.com/me", Probe: kind, Status: status, LetIn: status < 400}
	}
	a := shardReport(nil, resolved("x", "hmac-sha256:aaaaaaaaaaaa"))
	a.Probes = []*report.Probe{probe("valid", 200), probe("forged", 401)}
	b := shardReport(nil, resolved("x", "hmac-sha256:aaaaaaaaaaaa"))
	b.Probes = []*report.Probe{probe("valid", 200), probe("forged", 200)}
	r, err := Merge([]Shard{{"a.json", a}, {"b.json", b}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Probes) != 3 {
		t.Errorf("%d probes, want valid once and both forged outcomes: %+v", len(r.Probes), r.Probes)
	}
}

// The merged report's timing spans the shards: from the first start to
// the last end, whatever order the shards come in.
func TestMergeTimingSpansShards(t *testing.T) {
	shard := func(started string, ms int64) Shard {
		return Shard{Name: started, Report: &report.Report{StartedAt: started, DurationMS: ms, FingerprintScope: "stable", FingerprintKeyID: "k"}}
	}
	got, err := Merge([]Shard{
		shard("2026-11-28T10:00:05Z", 2000), // ends 10:00:07
		shard("2026-11-28T10:00:00Z", 1000), // first start
		shard("2026-11-28T10:00:01Z", 9000), // last end: 10:00:10
	}, "error")
	if err != nil {
		t.Fatal(err)
	}
	if got.StartedAt != "2026-11-28T10:00:00Z" || got.DurationMS != 10000 {
		t.Errorf("started_at %q duration_ms %d, want 2026-11-28T10:00:00Z and 10000", got.StartedAt, got.DurationMS)
	}
}

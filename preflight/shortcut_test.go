package preflight

import (
	"encoding/json"
	"testing"

	"github.com/secret-preflight/secret-preflight/report"
)

// TestShortcutsReportAsFullRead checks that listing services and taking
// revisions from templates changes nothing in a report but the calls: a
// varied fleet (pinned, volume, alias, latest env var, split traffic,
// reconciling, a failed newer revision, a sidecar) gives the same
// findings, consumers, notes and result as reading every service and
// revision on its own. The one field that can differ is
// revision_create_time, which only a GetRevision gives: it must then be
// missing only where SP131 cannot apply (no env var read at latest), and
// equal everywhere else.
func TestShortcutsReportAsFullRead(t *testing.T) {
	f := newFleet(t, 60)
	r := newRunner(t, f)
	before := r.calls()
	full := r.check(t, f, true, 0)
	fullCalls := r.calls().minus(before)
	before = r.calls()
	short := r.check(t, f, false, 0)
	shortCalls := r.calls().minus(before)

	if fullCalls["GetRevision"] <= shortCalls["GetRevision"] || fullCalls["GetService"] != f.n || shortCalls["GetService"] != 0 {
		t.Fatalf("the shortcuts were not taken: full read %v, shortcut %v", fullCalls, shortCalls)
	}
	codes := map[string]int{}
	for _, fd := range full.Findings {
		codes[fd.Code]++
	}
	if codes["SP131"] == 0 || len(full.Notes) == 0 {
		t.Fatalf("the fleet must exercise SP131 and notes; findings %v, notes %q", codes, full.Notes)
	}

	pairs := 0
	for i, s := range full.Secrets {
		if len(short.Secrets[i].Consumers) != len(s.Consumers) {
			t.Fatalf("%s: %d consumers, full read %d", s.Name, len(short.Secrets[i].Consumers), len(s.Consumers))
		}
		for j, c := range s.Consumers {
			sc := short.Secrets[i].Consumers[j]
			if c.Kind != "cloudrun" {
				continue
			}
			if c.RevisionCreateTime == "" {
				t.Fatalf("full read: %s has no revision_create_time", c.ID)
			}
			if sc.RevisionCreateTime == "" {
				if sp131Applies(sc) {
					t.Errorf("%s reads latest through an env var but has no revision_create_time", sc.ID)
				}
				continue
			}
			pairs++
		}
	}
	if pairs == 0 {
		t.Fatal("no consumer kept its revision_create_time: the comparison would be vacuous")
	}
	// The runs' own timing differs by nature.
	full.StartedAt, full.DurationMS = short.StartedAt, short.DurationMS
	a, _ := json.MarshalIndent(full, "", " ")
	b, _ := json.MarshalIndent(short, "", " ")
	if string(a) != string(b) {
		t.Errorf("reports differ:\nfull read:\n%s\nshortcut:\n%s", a, b)
	}
}

// sp131Applies mirrors the consumers checks.StaleLatest looks at.
func sp131Applies(c *report.Consumer) bool {
	return c.Resolved && c.Via == "env" && c.Requested == "latest"
}

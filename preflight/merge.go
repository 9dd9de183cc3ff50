package preflight

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/secret-preflight/secret-preflight/checks"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// Shard is one JSON report to merge and where it came from (for errors
// and the ids of consumers that two shards see differently).
type Shard struct {
	Name   string
	Report *report.Report
}

// Merge combines the JSON reports of the shards of one check (an Actions
// matrix split by --only, or one config per project) into one report, as
// if one run had checked everything:
//
//   - The shards must share one fingerprint key (fingerprint_key_id).
//     Fingerprints are keyed HMACs: under two keys one value has two
//     fingerprints and two values may not be told apart, so a merge of
//     differently keyed shards would report false disagreements. A per-run
//     key (fingerprint_scope: run) is random in every shard, so run-scoped
//     shards cannot be merged either; one run-scoped report on its own can.
//   - A secret seen in several shards gets the consumers of all of them. A
//     consumer id seen twice with the same state is one consumer; seen
//     with different states (two matrix jobs whose runners hold different
//     values) both are kept, the later one's id suffixed with its shard.
//   - Verdicts and SP100 are computed again over the joined consumers, by
//     fingerprint: two shards that each agree internally can disagree with
//     each other. Other findings are the shards' own (they concern one
//     consumer or pair within a shard), once each.
//   - must_differ_from pairs a shard could not check (unchecked_pairs:
//     the other secret was in another shard) are compared by fingerprint
//     once both secrets are joined, and may give SP150.
//   - failOn empty means the strictest threshold the shards ran with.
func Merge(shards []Shard, failOn string) (*report.Report, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("no report to merge")
	}
	if err := sameKey(shards); err != nil {
		return nil, err
	}
	first := shards[0].Report
	out := &report.Report{FingerprintScope: first.FingerprintScope, FingerprintKeyID: first.FingerprintKeyID}
	if failOn == "" {
		failOn = strictestFailOn(shards)
	}

	type origin struct {
		secret *report.Secret
		shards map[int]bool
	}
	secrets := map[string]*origin{}
	var configs []string
	var pairs []report.UncheckedPair
	// renamed[shard][secret\x00id] is the id a shard's consumer got.
	renamed := make([]map[string]string, len(shards))
	for i, sh := range shards {
		r := sh.Report
		renamed[i] = map[string]string{}
		if r.Config != "" && !slices.Contains(configs, r.Config) {
			configs = append(configs, r.Config)
		}
		for _, s := range r.Secrets {
			o := secrets[s.Name]
			if o == nil {
				o = &origin{secret: &report.Secret{Name: s.Name}, shards: map[int]bool{}}
				secrets[s.Name] = o
				out.Secrets = append(out.Secrets, o.secret)
			}
			o.shards[i] = true
			for _, c := range s.Consumers {
				cp := *c
				if cp.Resolved {
					if cp.Fingerprint == "" {
						return nil, fmt.Errorf("%s: secret %s: consumer %s is resolved but has no fingerprint", sh.Name, s.Name, c.ID)
					}
					// The report holds the displayed fingerprint, not the
					// full digest: its 48 bits tell a handful of values
					// apart (a collision is a 1 in 2^48 event per pair).
					cp.Digest = []byte(cp.Fingerprint)
				}
				dup, clash := findConsumer(o.secret, &cp)
				if dup {
					continue
				}
				if clash {
					cp.ID = fmt.Sprintf("%s (shard %d)", c.ID, i+1)
					renamed[i][s.Name+"\x00"+c.ID] = cp.ID
				}
				o.secret.Consumers = append(o.secret.Consumers, &cp)
			}
		}
		// A shard's "nothing was compared" note about a secret is decided
		// again below, over the joined consumers.
		stale := map[string]bool{}
		// So is its note about a must_differ_from pair it could not check.
		for _, p := range r.UncheckedPairs {
			stale[checks.UncheckedPairNote(p)] = true
			pairs = append(pairs, p)
		}
		for _, s := range r.Secrets {
			if note, ok := checks.NothingCompared(s); ok {
				stale[note] = true
			}
		}
		for _, n := range r.Notes {
			if !stale[n] {
				out.Notes = append(out.Notes, n)
			}
		}
		// Live probes of one endpoint sent by two shards with the same
		// outcome are one line of the report.
		for _, p := range r.Probes {
			if !slices.ContainsFunc(out.Probes, func(q *report.Probe) bool { return *q == *p }) {
				out.Probes = append(out.Probes, p)
			}
		}
	}
	// Config names one file; shards of different configs have none in
	// common (their findings carry their own files).
	if len(configs) == 1 {
		out.Config = configs[0]
	}

	// The shards' findings, with renamed consumers, once each. SP100 is
	// decided again below over the joined consumers; an ignore entry that
	// silenced it in a shard still silences it.
	seen := map[string]bool{}
	sp100 := map[string]*report.Finding{}
	for i, sh := range shards {
		for _, f := range sh.Report.Findings {
			cp := *f
			cp.Consumers = make([]string, len(f.Consumers))
			for j, id := range f.Consumers {
				if to, ok := renamed[i][f.Secret+"\x00"+id]; ok {
					id = to
				}
				cp.Consumers[j] = id
			}
			if cp.Code == "SP100" {
				if prev := sp100[cp.Secret]; prev == nil || (prev.Ignored == "" && cp.Ignored != "") {
					sp100[cp.Secret] = &cp
				}
				continue
			}
			k := findingKey(&cp)
			if seen[k] {
				continue
			}
			seen[k] = true
			out.Findings = append(out.Findings, &cp)
		}
	}
	for _, s := range out.Secrets {
		prev := sp100[s.Name]
		file, line := "", 0
		switch {
		case prev != nil:
			file, line = prev.File, prev.Line
		case len(s.Consumers) > 0:
			file, line = s.Consumers[0].File, s.Consumers[0].Line
		}
		for _, f := range checks.Disagreement(s, nil, file, line) {
			if prev != nil && f.Code == "SP100" {
				f.Ignored = prev.Ignored
			}
			out.Findings = append(out.Findings, f)
		}
		s.Verdict = checks.Verdict(s, nil)
		if note, ok := checks.NothingCompared(s); ok {
			out.Notes = append(out.Notes, note)
		}
		if s.Verdict == report.Mismatch && len(secrets[s.Name].shards) > 1 {
			out.Notes = append(out.Notes, fmt.Sprintf(
				"%s: consumers from different shards were compared by fingerprint only; whether their values differ only by whitespace or encoding (SP110, SP111) is checked within a shard",
				s.Name))
		}
	}
	// SP150 for the pairs the shards split: compared by fingerprint now
	// that both secrets are here; still unchecked otherwise.
	sp150, left := checks.MustDifferMerged(out, pairs)
	for _, f := range sp150 {
		if k := findingKey(f); !seen[k] {
			seen[k] = true
			out.Findings = append(out.Findings, f)
		}
	}
	out.UncheckedPairs = left
	for _, p := range left {
		out.Notes = append(out.Notes, checks.UncheckedPairNote(p))
	}
	out.Notes = dedupe(out.Notes)
	out.Finish(failOn)
	out.StartedAt, out.DurationMS = span(shards)
	return out, nil
}

// span is the time the shards took together: from the first start to the
// last end. Shards without a readable started_at do not count.
func span(shards []Shard) (string, int64) {
	var first, last time.Time
	for _, sh := range shards {
		start, err := time.Parse(time.RFC3339, sh.Report.StartedAt)
		if err != nil {
			continue
		}
		end := start.Add(time.Duration(sh.Report.DurationMS) * time.Millisecond)
		if first.IsZero() || start.Before(first) {
			first = start
		}
		if end.After(last) {
			last = end
		}
	}
	if first.IsZero() {
		return "", 0
	}
	return first.UTC().Format(time.RFC3339), last.Sub(first).Milliseconds()
}

// sameKey refuses shards whose fingerprints cannot be compared.
func sameKey(shards []Shard) error {
	if len(shards) < 2 {
		return nil
	}
	first := shards[0]
	for _, sh := range shards {
		r := sh.Report
		if r.FingerprintScope == secret.ScopeStable && r.FingerprintKeyID == "" {
			return fmt.Errorf(
				"%s: fingerprint_scope is stable but the report has no fingerprint_key_id (a stable report from an older version, or edited), so nothing shows it was keyed like the other shards. Run every shard again with this version and the same SECRET_PREFLIGHT_FINGERPRINT_KEY",
				sh.Name)
		}
		if r.FingerprintScope != secret.ScopeStable {
			return fmt.Errorf(
				"%s: fingerprint_scope is %q: its fingerprints use a random per-run key, so they cannot be compared with another shard's. Set the same SECRET_PREFLIGHT_FINGERPRINT_KEY (e.g. from a repository secret) in every shard",
				sh.Name, r.FingerprintScope)
		}
		if r.FingerprintKeyID != first.Report.FingerprintKeyID {
			return fmt.Errorf(
				"%s and %s were keyed differently (fingerprint_key_id %s vs %s): one value would show two fingerprints. Run every shard with the same SECRET_PREFLIGHT_FINGERPRINT_KEY",
				first.Name, sh.Name, first.Report.FingerprintKeyID, r.FingerprintKeyID)
		}
	}
	return nil
}

// findConsumer looks c's id up among s's consumers: dup when one with the
// same id holds the same state (the same consumer seen by two shards),
// clash when one with the same id holds another.
func findConsumer(s *report.Secret, c *report.Consumer) (dup, clash bool) {
	for _, x := range s.Consumers {
		if x.ID != c.ID {
			continue
		}
		if x.Resolved == c.Resolved && x.Fingerprint == c.Fingerprint && x.Version == c.Version &&
			x.Via == c.Via && x.Link == c.Link && x.Error == c.Error {
			return true, false
		}
		clash = true
	}
	return false, clash
}

// findingKey identifies a finding reported by several shards.
func findingKey(f *report.Finding) string {
	ids := slices.Clone(f.Consumers)
	slices.Sort(ids)
	return strings.Join([]string{f.Code, f.Severity, f.Secret, strings.Join(ids, "\x01"), f.Message, f.Ignored}, "\x00")
}

// strictestFailOn is the lowest threshold any shard ran with: merging
// must not pass what a shard on its own would have failed.
func strictestFailOn(shards []Shard) string {
	order := []string{"warning", "error", "never"}
	best := len(order)
	for _, sh := range shards {
		if i := slices.Index(order, sh.Report.FailOn); i >= 0 && i < best {
			best = i
		}
	}
	if best == len(order) {
		return "error"
	}
	return order[best]
}

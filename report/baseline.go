package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/secret-preflight/secret-preflight/internal/localfile"
	"github.com/secret-preflight/secret-preflight/secret"
)

// Kinds of Change.
const (
	FingerprintChanged  = "fingerprint_changed"
	VersionChanged      = "version_changed"
	ConsumerAppeared    = "consumer_appeared"
	ConsumerDisappeared = "consumer_disappeared"
	FindingNew          = "finding_new"
	FindingResolved     = "finding_resolved"
)

// Change is one difference between a run and its baseline (--baseline).
// Message is a complete sentence; the other fields are for machines.
type Change struct {
	Kind     string `json:"kind"`
	Secret   string `json:"secret"`
	Consumer string `json:"consumer,omitempty"`
	Code     string `json:"code,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Message  string `json:"message"`
}

// ReadFile reads a JSON report that --format json or --output json=PATH
// wrote (a shard for merge): a regular file of bounded size, validated by
// ReadBaseline, so every reader of reports refuses the same inputs and
// quotes nothing of them. what names the file in the size-limit error.
func ReadFile(path, what string) (*Report, error) {
	data, err := localfile.Read(path, localfile.LimitReport, what)
	if err != nil {
		return nil, err
	}
	r, err := ReadBaseline(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w; pass a file written by --format json or --output json=PATH", path, err)
	}
	return r, nil
}

// Compare records in cur what changed since base: rotations (fingerprint
// changed), versions, consumers that appeared or disappeared (a new
// revision, traffic moved) and findings that are new or resolved.
//
// Consumers are matched by ID, findings by code, secret and the sorted
// consumer IDs. Fingerprints are compared only when both runs keyed them
// with SECRET_PREFLIGHT_FINGERPRINT_KEY (scope stable): per-run keys make
// every fingerprint differ. Otherwise BaselineNote says so and only
// versions are compared. Secrets that only the baseline has (a narrower
// --only, a secret removed from the config) are named in the note, not
// reported as disappeared.
func Compare(cur, base *Report) {
	cur.Changes, cur.BaselineNote = nil, ""
	if base == nil {
		return
	}
	var notes []string
	stable := cur.FingerprintScope == secret.ScopeStable && base.FingerprintScope == secret.ScopeStable
	if !stable {
		notes = append(notes, fmt.Sprintf(
			"fingerprints are compared across runs only when both use SECRET_PREFLIGHT_FINGERPRINT_KEY (fingerprint_scope: stable); this run is %q and the baseline %q, so only versions were compared",
			scopeName(cur.FingerprintScope), scopeName(base.FingerprintScope)))
	} else if cur.FingerprintKeyID != "" && base.FingerprintKeyID != "" && cur.FingerprintKeyID != base.FingerprintKeyID {
		// Both stable, but keyed differently (the key was rotated): every
		// fingerprint would read as a rotation of its secret.
		stable = false
		notes = append(notes, "the baseline used a different SECRET_PREFLIGHT_FINGERPRINT_KEY (fingerprint_key_id differs), so only versions were compared")
	}

	// A baseline comes from a file: ReadBaseline refuses null entries, and
	// Compare skips them too rather than panic.
	baseSecrets := map[string]*Secret{}
	for _, s := range base.Secrets {
		if s != nil {
			baseSecrets[s.Name] = s
		}
	}
	curSecrets := map[string]bool{}
	var changes []Change
	for _, s := range cur.Secrets {
		curSecrets[s.Name] = true
		bs := baseSecrets[s.Name]
		if bs == nil {
			bs = &Secret{Name: s.Name}
		}
		changes = append(changes, compareConsumers(s, bs, stable)...)
	}
	var missing []string
	for _, s := range base.Secrets {
		if s != nil && !curSecrets[s.Name] {
			missing = append(missing, s.Name)
		}
	}
	if len(missing) > 0 {
		notes = append(notes, fmt.Sprintf("not checked in this run, so not compared: %s", strings.Join(missing, ", ")))
	}
	changes = append(changes, compareFindings(cur, base, curSecrets)...)
	cur.Changes = changes
	cur.BaselineNote = strings.Join(notes, "; ")
}

func scopeName(s secret.Scope) string {
	if s == "" {
		return "unknown"
	}
	return string(s)
}

func compareConsumers(s, bs *Secret, stable bool) []Change {
	var out []Change
	old := map[string]*Consumer{}
	for _, c := range bs.Consumers {
		if c != nil {
			old[c.ID] = c
		}
	}
	seen := map[string]bool{}
	for _, c := range s.Consumers {
		seen[c.ID] = true
		b, ok := old[c.ID]
		if !ok {
			out = append(out, Change{
				Kind: ConsumerAppeared, Secret: s.Name, Consumer: c.ID, To: consumerState(c),
				Message: fmt.Sprintf("%s: %s appeared (%s): a new revision, container or consumer", s.Name, consumerLabel(c), consumerState(c)),
			})
			continue
		}
		// An unresolved side has nothing to compare; its finding (SP101,
		// SP102) shows up as new or resolved instead.
		if !c.Resolved || !b.Resolved {
			continue
		}
		if stable && b.Fingerprint != "" && c.Fingerprint != "" && b.Fingerprint != c.Fingerprint {
			out = append(out, Change{
				Kind: FingerprintChanged, Secret: s.Name, Consumer: c.ID, From: b.Fingerprint, To: c.Fingerprint,
				Message: fmt.Sprintf("%s: %s now holds another value (%s -> %s): the secret was rotated or the consumer reads another source",
					s.Name, c.ID, b.Fingerprint, c.Fingerprint),
			})
		}
		if b.Version != c.Version {
			out = append(out, Change{
				Kind: VersionChanged, Secret: s.Name, Consumer: c.ID, From: b.Version, To: c.Version,
				Message: fmt.Sprintf("%s: %s reads version %s, was %s", s.Name, c.ID, noneIfEmpty(c.Version), noneIfEmpty(b.Version)),
			})
		}
	}
	for _, b := range bs.Consumers {
		if b != nil && !seen[b.ID] {
			out = append(out, Change{
				Kind: ConsumerDisappeared, Secret: s.Name, Consumer: b.ID, From: consumerState(b),
				Message: fmt.Sprintf("%s: %s disappeared (was %s): revision retired, traffic moved or consumer removed", s.Name, consumerLabel(b), consumerState(b)),
			})
		}
	}
	return out
}

// consumerState is a short, value-free description of what a consumer
// held, for the from/to of an appeared or disappeared consumer.
func consumerState(c *Consumer) string {
	if !c.Resolved {
		return "unresolved"
	}
	if c.Version != "" {
		return "version " + c.Version + ", " + c.Fingerprint
	}
	return c.Fingerprint
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// findingKey identifies a finding across runs.
func findingKey(f *Finding) string {
	ids := slices.Clone(f.Consumers)
	slices.Sort(ids)
	return f.Code + "\x00" + f.Secret + "\x00" + strings.Join(ids, "\x00")
}

// compareFindings pairs findings as multisets: two identical findings in
// the baseline and one now is one resolved. Baseline findings of secrets
// this run did not check are left out.
// pairUnchecked says whether this run left a must_differ_from pair of
// secret unchecked.
func pairUnchecked(r *Report, secret string) bool {
	for _, p := range r.UncheckedPairs {
		if p.Secret == secret || p.MustDifferFrom == secret {
			return true
		}
	}
	return false
}

func compareFindings(cur, base *Report, checked map[string]bool) []Change {
	var out []Change
	left := map[string]int{}
	for _, f := range base.Findings {
		if f != nil {
			left[findingKey(f)]++
		}
	}
	matched := map[string]int{}
	for _, f := range cur.Findings {
		k := findingKey(f)
		if left[k] > 0 {
			left[k]--
			matched[k]++
			continue
		}
		out = append(out, Change{
			Kind: FindingNew, Secret: f.Secret, Code: f.Code, To: f.Severity,
			Message: fmt.Sprintf("new %s %s: %s", f.Code, f.Severity, f.Message),
		})
	}
	for _, f := range base.Findings {
		if f == nil {
			continue
		}
		k := findingKey(f)
		if matched[k] > 0 {
			matched[k]--
			continue
		}
		if f.Secret != "" && !checked[f.Secret] {
			continue
		}
		if f.Code == "SP150" && pairUnchecked(cur, f.Secret) {
			// The other secret of the pair was not in this run (--only):
			// not checked is not resolved.
			continue
		}
		out = append(out, Change{
			Kind: FindingResolved, Secret: f.Secret, Code: f.Code, From: f.Severity,
			Message: fmt.Sprintf("resolved %s %s: %s", f.Code, f.Severity, f.Message),
		})
	}
	return out
}

// hasChanges reports whether a writer should show the baseline section.
func hasChanges(r *Report) bool { return len(r.Changes) > 0 || r.BaselineNote != "" }

// writeChangesText is the text report's "Changes since baseline" section.
func writeChangesText(ew *errWriter, r *Report) {
	if !hasChanges(r) {
		return
	}
	ew.printf("\nChanges since baseline\n")
	if r.BaselineNote != "" {
		ew.printf("  note: %s\n", r.BaselineNote)
	}
	if len(r.Changes) == 0 {
		ew.printf("  none\n")
	}
	for _, c := range r.Changes {
		ew.printf("  %-20s %s\n", c.Kind, c.Message)
	}
}

// ReadBaseline reads a --baseline file: a report written by the JSON
// format. Anything else (not JSON, another schema, a secret, consumer or
// finding that is null or nameless) is an error, never a panic later.
//
// The errors quote nothing of the file: a wrong path given to --baseline
// may name a file of secrets. They give a byte offset, a field path (the
// report's own JSON names) or a JSON kind instead.
func ReadBaseline(rd io.Reader) (*Report, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, describeJSONError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, describeJSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not a JSON report: more data after the report (from byte %d)", dec.InputOffset())
	}
	if r.Schema != Schema && r.Schema != "" {
		return nil, fmt.Errorf("not a JSON report: its schema is not %s", Schema)
	}
	for i, s := range r.Secrets {
		if s == nil || s.Name == "" {
			return nil, fmt.Errorf("not a valid report: secrets[%d] is null or has no name", i)
		}
		for j, c := range s.Consumers {
			if c == nil || c.ID == "" {
				return nil, fmt.Errorf("not a valid report: secrets[%d].consumers[%d] is null or has no id", i, j)
			}
		}
	}
	for i, f := range r.Findings {
		if f == nil || f.Code == "" {
			return nil, fmt.Errorf("not a valid report: findings[%d] is null or has no code", i)
		}
	}
	for i, p := range r.Probes {
		if p == nil {
			return nil, fmt.Errorf("not a valid report: probes[%d] is null", i)
		}
	}
	// A field the JSON format always writes but the file lacks (or holds
	// null) would decode as empty: a shard without secrets would merge
	// as a pass. The document decoded into a struct, so it is an object
	// or null.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, describeJSONError(err)
	}
	for _, name := range requiredFields {
		if v, ok := fields[name]; !ok || string(v) == "null" {
			if name == "schema" {
				return nil, fmt.Errorf("not a JSON report: missing schema (want %s)", Schema)
			}
			return nil, fmt.Errorf("not a JSON report: missing %s", name)
		}
	}
	if r.Schema != Schema { // present but empty
		return nil, fmt.Errorf("not a JSON report: its schema is not %s", Schema)
	}
	return &r, nil
}

// requiredFields are the top-level fields every JSON report has
// (DESIGN.md section 8), in the order a refusal names the first missing.
var requiredFields = []string{"schema", "result", "fingerprint_scope", "secrets", "findings", "summary"}

// describeJSONError words a decoding error without the input's text:
// encoding/json quotes the offending character and, for some errors, a
// value.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("not a JSON report: the file is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("not a JSON report: the JSON ends too early")
	case errors.As(err, &syn):
		return fmt.Errorf("not a JSON report: the file is not JSON (syntax error at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field // the report's own JSON names, joined by dots
		if field == "" {
			field = "the document"
		}
		// Value is a JSON kind, but for a number it goes on to quote it.
		kind, _, _ := strings.Cut(typ.Value, " ")
		return fmt.Errorf("not a JSON report: %s is a JSON %s, which a report does not have there", field, kind)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err // a read error names the path, not the content
	}
	return errors.New("not a JSON report")
}

// Package report holds the result of a run as data, in the shape of the JSON
// report (DESIGN.md section 8), and one writer per output format.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/secret-preflight/secret-preflight/secret"
)

// Schema is the JSON report's schema identifier.
const Schema = "secret-preflight/report/v1"

// Result values.
const (
	Pass       = "pass"
	Fail       = "fail"
	Incomplete = "incomplete"
)

// Verdicts of one secret.
const (
	Match      = "match"
	Mismatch   = "mismatch"
	Unresolved = "incomplete"
)

// Severities.
const (
	SevError   = "error"
	SevWarning = "warning"
	SevInfo    = "info"
)

// Report is one run's result.
type Report struct {
	Schema string `json:"schema"`
	// ToolVersion is the version of secret-preflight that wrote the
	// report (the release's, stamped at build time; "(devel)" otherwise).
	ToolVersion string `json:"tool_version"`
	// StartedAt (RFC 3339, UTC) and DurationMS time the run: when it
	// started resolving and how long resolution, checks and probes took.
	StartedAt        string       `json:"started_at"`
	DurationMS       int64        `json:"duration_ms"`
	Result           string       `json:"result"`
	FingerprintScope secret.Scope `json:"fingerprint_scope"`
	// FingerprintKeyID identifies a stable fingerprint key without
	// revealing it, so a baseline keyed differently is not compared.
	FingerprintKeyID string     `json:"fingerprint_key_id,omitempty"`
	Secrets          []*Secret  `json:"secrets"`
	Findings         []*Finding `json:"findings"`
	Summary          Summary    `json:"summary"`
	// Config is the config file the run used.
	Config string `json:"config,omitempty"`
	// FailOn is the threshold the result was computed with.
	FailOn string `json:"fail_on,omitempty"`
	// Changes and BaselineNote are set by Compare (--baseline).
	Changes      []Change `json:"changes,omitempty"`
	BaselineNote string   `json:"baseline_note,omitempty"`
	// Probes lists every live probe request sent (DESIGN.md 5a): what
	// was sent where and the status it got; never a token or a body.
	Probes []*Probe `json:"probes"`
	// Notes are things the run could not check or that may make it
	// stale (a reconciling service, a check that lacked a permission).
	// They are not findings: they have no code and do not fail the run.
	Notes []string `json:"notes,omitempty"`
	// UncheckedPairs are must_differ_from pairs this run could not
	// compare because only one of the two secrets was in it (--only):
	// merge compares them once both shards are joined.
	UncheckedPairs []UncheckedPair `json:"unchecked_pairs,omitempty"`
}

// UncheckedPair is a must_differ_from pair (SP150) left unchecked.
type UncheckedPair struct {
	// Secret is the secret whose must_differ_from names MustDifferFrom.
	Secret         string `json:"secret"`
	MustDifferFrom string `json:"must_differ_from"`
	// File and Line point at Secret's entry in the config.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Ignored is the reason of an ignore entry that would silence the
	// SP150 this pair may give.
	Ignored string `json:"ignored,omitempty"`
}

// Secret is one logical secret and its consumers.
type Secret struct {
	Name      string      `json:"name"`
	Verdict   string      `json:"verdict"`
	Consumers []*Consumer `json:"consumers"`
}

// Consumer is one resolved (or not) reader of a secret.
type Consumer struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Target   string `json:"target"`
	Revision string `json:"revision"`
	// RevisionCreateTime is when the serving revision was created (RFC
	// 3339), for SP131. It is not in the JSON report: a revision taken from
	// its service's template has none, and a run's report must not depend
	// on which read a shortcut saved.
	RevisionCreateTime string    `json:"-"`
	TrafficPercent     int       `json:"traffic_percent"`
	Container          string    `json:"container"`
	Resolved           bool      `json:"resolved"`
	Link               int       `json:"link"`
	Via                string    `json:"via"`
	Ref                string    `json:"ref"`
	Version            string    `json:"version"`
	Fingerprint        string    `json:"fingerprint"`
	Skipped            []Skipped `json:"skipped"`
	Error              string    `json:"error"`
	// Keys lists the fingerprint of every key of a JWKS (or of several
	// PEM/JWK keys); Fingerprint is then the one that matched the runner's.
	Keys []string `json:"keys,omitempty"`

	// Value is what the consumer resolved. It redacts itself in every
	// encoding and is excluded from JSON on top of that.
	Value secret.Value `json:"-"`
	// Digest is what consumers are compared by: the keyed HMAC of Value,
	// or for asymmetric JWT keys the RFC 7638 thumbprint of the public
	// half, so a signer's private key matches a verifier's public key.
	Digest []byte `json:"-"`
	// KeyDigests are the digests of every key in Keys, in the same order.
	KeyDigests [][]byte `json:"-"`
	// ErrorCode is the gRPC code name of Error when it came from a cloud
	// API (PermissionDenied, NotFound...), used to build findings.
	ErrorCode string `json:"error_code,omitempty"`
	// SecretVersion is the full resource name of the Secret Manager
	// version the value came from, as AccessSecretVersion returned it.
	SecretVersion string `json:"secret_version,omitempty"`
	// Requested is the version the consumer asked for (latest, 3, an alias).
	Requested string `json:"requested_version,omitempty"`
	// Tag is the traffic tag a cloudrun consumer was selected by (its
	// revision serves that tag's URL, whatever its traffic percent).
	Tag string `json:"tag,omitempty"`
	// File and Line point at the consumer's entry in the config.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Col is the entry's column: two flow-style entries ({...}, {...})
	// can share a line, and each may carry its own jwt: expectations.
	Col int `json:"-"`
	// Hint, when set, is the fix for Error, known where the error was
	// found better than its code alone can tell.
	Hint string `json:"-"`
}

// Probe is one live probe request and its outcome.
type Probe struct {
	Secret string `json:"secret"`
	URL    string `json:"url"`
	// Probe is valid, no_token, forged, alg_none, expired, wrong_issuer,
	// wrong_audience, bypass or literal.
	Probe  string `json:"probe"`
	Status int    `json:"status"`
	LetIn  bool   `json:"let_in"`
	Error  string `json:"error"`
	// LiteralAt is the config position of the literal a literal probe
	// was signed with.
	LiteralAt string `json:"literal_at,omitempty"`
}

// Skipped is a link of the chain that yielded nothing, and why.
type Skipped struct {
	Link int    `json:"link"`
	Via  string `json:"via"`
	Ref  string `json:"ref"`
	Why  string `json:"why"`
	// DidYouMean lists set names a typo away from Ref (an env var the
	// runner's environment or the container has): names only, no values.
	DidYouMean []string `json:"did_you_mean,omitempty"`
}

// Suggestion is " (did you mean A or B?)" for a skipped link with close
// names, else "".
func (s Skipped) Suggestion() string {
	if len(s.DidYouMean) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(s.DidYouMean, " or ") + "?)"
}

// Finding is one problem.
type Finding struct {
	Code      string   `json:"code"`
	Severity  string   `json:"severity"`
	Secret    string   `json:"secret"`
	Consumers []string `json:"consumers"`
	Message   string   `json:"message"`
	Hint      string   `json:"hint"`
	// File and Line point at the config entry the finding comes from.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Reason is SP160's one reason word (signature, algorithm, issuer,
	// audience, expired, not_yet_valid, kid, key_type) and SP163's probe.
	Reason string `json:"reason,omitempty"`
	// Ignored carries the reason when an ignore entry silenced it.
	Ignored string `json:"ignored,omitempty"`
}

// Summary counts findings by severity (ignored ones excluded).
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// rank orders severities; the fail-on threshold compares against it.
func rank(sev string) int {
	switch sev {
	case SevError:
		return 3
	case SevWarning:
		return 2
	case SevInfo:
		return 1
	}
	return 0
}

// ValidFailOn reports whether s is a --fail-on value.
func ValidFailOn(s string) bool { return s == "error" || s == "warning" || s == "never" }

// Finish sorts findings, counts them and sets Result for the threshold:
// fail when a finding reaches failOn, else incomplete when any consumer is
// unresolved because something could not be read, else pass.
//
// Result states what was found, not what the exit code is: with
// --fail-on never an error finding still makes the result fail (the
// Action's result output and the JSON say so), and only ExitCode lets the
// step pass.
func (r *Report) Finish(failOn string) {
	r.Schema = Schema
	r.FailOn = failOn
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if rank(a.Severity) != rank(b.Severity) {
			return rank(a.Severity) > rank(b.Severity)
		}
		if a.Secret != b.Secret {
			return a.Secret < b.Secret
		}
		return a.Code < b.Code
	})
	r.Summary = Summary{}
	failed, incomplete := false, false
	for _, f := range r.Findings {
		if f.Ignored != "" {
			continue
		}
		switch f.Severity {
		case SevError:
			r.Summary.Errors++
		case SevWarning:
			r.Summary.Warnings++
		case SevInfo:
			r.Summary.Infos++
		}
		// SP102 means "could not check", not "found a problem": it makes the
		// run incomplete (exit 3) unless something else fails it.
		if f.Code == "SP102" {
			incomplete = true
			continue
		}
		if rank(f.Severity) >= rank(resultThreshold(failOn)) {
			failed = true
		}
	}
	// Fail closed: a consumer that resolved nothing (SP101) or could not
	// be read (SP102) was not compared, whatever --fail-on or an ignore
	// entry says about its finding.
	for _, s := range r.Secrets {
		for _, c := range s.Consumers {
			if !c.Resolved {
				incomplete = true
			}
			if c.Skipped == nil {
				c.Skipped = []Skipped{}
			}
		}
	}
	for _, f := range r.Findings {
		if f.Consumers == nil {
			f.Consumers = []string{}
		}
	}
	if r.Probes == nil {
		r.Probes = []*Probe{}
	}
	switch {
	case failed:
		r.Result = Fail
	case incomplete:
		r.Result = Incomplete
	default:
		r.Result = Pass
	}
}

// resultThreshold is the lowest severity that makes the result fail.
// --fail-on never changes the exit code, not what the findings are: errors
// still make the result fail.
func resultThreshold(failOn string) string {
	if failOn == "never" {
		return SevError
	}
	return failOn
}

// NotEnforced reports whether the result is fail but --fail-on never keeps
// the step from failing.
func (r *Report) NotEnforced() bool {
	return r.Result == Fail && r.FailOn == "never"
}

// unchecked reports whether some consumer was not compared: it did not
// resolve, or a source could not be read (SP102).
func (r *Report) unchecked() bool {
	for _, s := range r.Secrets {
		for _, c := range s.Consumers {
			if !c.Resolved {
				return true
			}
		}
	}
	for _, f := range r.Findings {
		if f.Code == "SP102" {
			return true
		}
	}
	return false
}

// ExitCode maps the result to the exit codes of DESIGN.md section 4. With
// --fail-on never a failing result exits 0, unless something could not be
// checked (fail closed: 3).
func (r *Report) ExitCode() int {
	switch {
	case r.NotEnforced():
		if r.unchecked() {
			return 3
		}
		return 0
	case r.Result == Fail:
		return 1
	case r.Result == Incomplete:
		return 3
	}
	return 0
}

// Writer writes a report in one format.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// Formats are the names --format and --output accept.
var formatNames = []string{"text", "json", "markdown", "github", "sarif"}

// Formats lists the format names.
func Formats() []string { return append([]string(nil), formatNames...) }

// For returns the writer for a format name.
func For(format string) (Writer, error) {
	switch format {
	case "text":
		return Text{}, nil
	case "json":
		return JSON{}, nil
	case "markdown":
		return Markdown{}, nil
	case "github":
		return GitHub{}, nil
	case "sarif":
		return SARIF{}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %v)", format, formatNames)
}

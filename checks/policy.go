package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// builtinPlaceholders are defaults that end up in real deployments: sample
// values from tutorials, jwt.io and framework templates.
var builtinPlaceholders = []string{
	"secret", "changeme", "change-me", "changeit", "password", "test", "testing",
	"your-secret-key", "your_secret_key", "your-256-bit-secret", "your-jwt-secret",
	"supersecret", "super-secret", "mysecret", "my-secret", "secretkey", "secret-key",
	"jwt-secret", "jwt_secret", "default", "development", "dev-secret", "xxx",
}

// perConsumer reports SP120 (literal won), SP121 (placeholder), SP122 (weak
// key), SP130 (unpinned latest) and SP140 (plain env value).
func perConsumer(s *report.Secret, cs *config.Secret, pol config.Policy) []*report.Finding {
	var out []*report.Finding
	var unpinned []*report.Consumer
	add := func(c *report.Consumer, code, sev, msg, hint string) {
		out = append(out, &report.Finding{Code: code, Severity: sev, Secret: s.Name, Consumers: []string{c.ID}, Message: msg, Hint: hint, File: c.File, Line: c.Line})
	}
	for _, c := range s.Consumers {
		if !c.Resolved {
			continue
		}
		if c.Via == "literal" {
			add(c, "SP120", report.SevWarning,
				fmt.Sprintf("%s resolved through the literal at link %d: %s", c.ID, c.Link, skippedText(c.Skipped)),
				"a hard-coded fallback hides a missing variable; set the earlier link in this environment and delete the literal from the code")
		}
		if isPlaceholder(c.Value, pol.Placeholders) {
			add(c, "SP121", report.SevError,
				fmt.Sprintf("%s resolves a known placeholder or default value (%s, link %d)", c.ID, c.Via, c.Link),
				"generate a real key (openssl rand -base64 48) and store it in Secret Manager; anyone can mint tokens with a published default")
		}
		if cs != nil && cs.JWT != nil {
			if msg := weakKey(cs.JWT.Algorithm, c.Value); msg != "" {
				add(c, "SP122", report.SevError, fmt.Sprintf("%s: %s", c.ID, msg),
					"rotate to a key of the full strength: an HMAC key at least as long as the hash output, RSA keys of 2048 bits or more")
			}
		}
		if c.Kind != "runner" && c.Requested == "latest" {
			unpinned = append(unpinned, c)
		}
		if c.Kind != "runner" && c.Via == "env" && c.Version == "" {
			add(c, "SP140", report.SevWarning,
				fmt.Sprintf("%s: %s is a plain env value in the %s config, visible to anyone with %s", c.ID, strings.TrimSuffix(c.Ref, " (plain value)"), whatKind(c.Kind), readPermission(c.Kind)),
				"move the value to Secret Manager and reference it ("+changeCommand(c.Kind, c.Target, "--set-secrets NAME=SECRET:VERSION")+")")
		}
	}
	// One finding for all unpinned readers of a secret: it is advice, and
	// one line per revision would drown the errors.
	if len(unpinned) > 0 {
		f := &report.Finding{Code: "SP130", Severity: report.SevInfo, Secret: s.Name, File: unpinned[0].File, Line: unpinned[0].Line,
			Hint: unpinnedHint(unpinned)}
		var parts []string
		for _, c := range unpinned {
			// A tagged and an untagged route to one revision are one
			// reader (they share an id).
			if slices.Contains(f.Consumers, c.ID) {
				continue
			}
			f.Consumers = append(f.Consumers, c.ID)
			parts = append(parts, fmt.Sprintf("%s (now %s)", c.ID, c.Version))
		}
		// "consumers": Cloud Run jobs and manifests read latest too.
		f.Message = fmt.Sprintf("%d %s version latest: %s", len(f.Consumers), plural(len(f.Consumers), "consumer reads", "consumers read"), strings.Join(parts, ", "))
		out = append(out, f)
	}
	return out
}

func isPlaceholder(v secret.Value, extra []secret.Value) bool {
	t := v.TrimSpace()
	for _, p := range extra {
		if t.Equal(p.TrimSpace()) {
			return true
		}
	}
	low := strings.ToLower(string(t.Reveal()))
	for _, p := range builtinPlaceholders {
		if low == p {
			return true
		}
	}
	return false
}

// weakKey says why v is too weak for alg, or "". An EC key has the
// strength of its curve: one on the wrong curve for alg is not weak but
// of the wrong type (SP160 key_type), never SP122.
func weakKey(alg string, v secret.Value) string {
	b := v.Reveal()
	hashBytes := map[string]int{"256": 32, "384": 48, "512": 64}
	switch {
	case strings.HasPrefix(alg, "HS"):
		if n := hashBytes[alg[2:]]; len(b) < n {
			return fmt.Sprintf("the %s key is %d bytes; %s needs at least %d (RFC 7518 section 3.2)", alg, len(b), alg, n)
		}
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		if k, err := jwt.ParseRSAPrivateKeyFromPEM(b); err == nil && k.N.BitLen() < 2048 {
			return fmt.Sprintf("the RSA key is %d bits; %s needs at least 2048", k.N.BitLen(), alg)
		}
		if k, err := jwt.ParseRSAPublicKeyFromPEM(b); err == nil && k.N.BitLen() < 2048 {
			return fmt.Sprintf("the RSA key is %d bits; %s needs at least 2048", k.N.BitLen(), alg)
		}
	}
	return ""
}

// mustDiffer reports SP150: two secrets that must differ resolve equal
// values somewhere (typically staging and production sharing a key).
func mustDiffer(cfg *config.Config, rep *report.Report) []*report.Finding {
	bySecret := secretsByName(rep)
	var out []*report.Finding
	done := map[[2]string]bool{}
	for _, cs := range cfg.Secrets {
		for _, other := range cs.MustDifferFrom {
			pair := report.UncheckedPair{Secret: cs.Name, MustDifferFrom: other, File: cs.Pos.File, Line: cs.Pos.Line}
			if f := differPair(bySecret, pair, done, sameValue); f != nil {
				out = append(out, f)
			}
		}
	}
	return out
}

// MustDifferMerged decides the pairs that shards left unchecked
// (report.UncheckedPairs) over rep, a merge of those shards: a pair whose
// two secrets are both in rep is compared by fingerprint (the shards share
// one fingerprint key) and may give SP150; the others stay unchecked.
func MustDifferMerged(rep *report.Report, pairs []report.UncheckedPair) ([]*report.Finding, []report.UncheckedPair) {
	bySecret := secretsByName(rep)
	var out []*report.Finding
	var left []report.UncheckedPair
	done := map[[2]string]bool{}
	for _, p := range pairs {
		if bySecret[p.Secret] == nil || bySecret[p.MustDifferFrom] == nil {
			if !slices.Contains(left, p) {
				left = append(left, p)
			}
			continue
		}
		if f := differPair(bySecret, p, done, sameFingerprint); f != nil {
			f.Ignored = p.Ignored
			out = append(out, f)
		}
	}
	return out, left
}

func secretsByName(rep *report.Report) map[string]*report.Secret {
	m := map[string]*report.Secret{}
	for _, s := range rep.Secrets {
		m[s.Name] = s
	}
	return m
}

// differPair is SP150 for one pair, or nil when the pair holds different
// values, is not all in bySecret, or was decided already (done).
func differPair(bySecret map[string]*report.Secret, p report.UncheckedPair, done map[[2]string]bool,
	same func(a, b *report.Consumer) bool) *report.Finding {
	a, b := bySecret[p.Secret], bySecret[p.MustDifferFrom]
	key := [2]string{min(p.Secret, p.MustDifferFrom), max(p.Secret, p.MustDifferFrom)}
	if a == nil || b == nil || done[key] {
		return nil
	}
	done[key] = true
	ca, cb, ok := sharedValue(a, b, same)
	if !ok {
		return nil
	}
	return &report.Finding{
		Code: "SP150", Severity: report.SevError, Secret: p.Secret, Consumers: []string{ca.ID, cb.ID},
		Message: fmt.Sprintf("%s must differ from %s, but %s of %s (%s) and %s of %s (%s) hold the same value",
			p.Secret, p.MustDifferFrom, ca.ID, p.Secret, how(ca), cb.ID, p.MustDifferFrom, how(cb)),
		Hint: "rotate one of them to a fresh key: a key shared across environments lets a token from one be replayed against the other",
		File: p.File, Line: p.Line,
	}
}

// sameValue compares what one run resolved.
func sameValue(a, b *report.Consumer) bool { return a.Value.Equal(b.Value) }

// sameFingerprint compares consumers read back from reports, which hold
// no values: under one fingerprint key, equal fingerprints are equal values.
func sameFingerprint(a, b *report.Consumer) bool {
	return a.Fingerprint != "" && a.Fingerprint == b.Fingerprint
}

func sharedValue(a, b *report.Secret, same func(a, b *report.Consumer) bool) (*report.Consumer, *report.Consumer, bool) {
	for _, ca := range a.Consumers {
		for _, cb := range b.Consumers {
			if ca.Resolved && cb.Resolved && same(ca, cb) {
				return ca, cb, true
			}
		}
	}
	return nil, nil, false
}

// ApplyIgnores marks findings matched by an unexpired ignore entry and adds
// SP170 for expired entries, which must not silently keep hiding problems.
func ApplyIgnores(cfg *config.Config, rep *report.Report, now time.Time) {
	for _, ig := range cfg.Ignore {
		expired := !ig.Until.IsZero() && now.After(ig.Until.Add(24*time.Hour))
		if expired {
			rep.Findings = append(rep.Findings, &report.Finding{
				Code: "SP170", Severity: report.SevError, Secret: ig.Secret,
				Message: fmt.Sprintf("the ignore entry for %s (%q) expired on %s", ig.Code, ig.Reason, ig.Until.Format("2006-01-02")),
				Hint:    "fix the underlying finding, or extend `until` with a new reason",
				File:    ig.Pos.File, Line: ig.Pos.Line,
			})
			continue
		}
		for _, f := range rep.Findings {
			if f.Code == ig.Code && (ig.Secret == "" || ig.Secret == f.Secret) && f.Ignored == "" {
				f.Ignored = ig.Reason
			}
		}
	}
}

// unpinnedHint is SP130's hint: when `latest` is read depends on how the
// consumer reads it, so the reason to pin is said for each way present.
func unpinnedHint(cs []*report.Consumer) string {
	var env, file, job bool
	for _, c := range cs {
		switch {
		case c.Kind == string(config.KindCloudRunJob):
			job = true
		case c.Via == string(config.LinkFile):
			file = true
		default:
			env = true
		}
	}
	var why []string
	if env {
		why = append(why, "Cloud Run reads an env var's latest when an instance starts, so instances may disagree after a rotation")
	}
	if file {
		why = append(why, "a secret volume reads latest whenever the file is read, so a rotation reaches running instances at once, before anything tested it")
	}
	if job {
		why = append(why, "a job reads latest when an execution starts, so the next execution takes whatever version is current then")
	}
	return "pin a version number so a rotation is a deploy you can see; " + strings.Join(why, "; ")
}

// Package checks turns resolved consumers into findings: disagreement and
// its likely cause, unresolved chains, unreadable sources, weak or
// placeholder values and policy violations. Every finding carries a hint
// that says what to do.
package checks

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// Run returns the findings for every secret of rep.
func Run(cfg *config.Config, rep *report.Report, fp *secret.Fingerprinter) []*report.Finding {
	byName := map[string]*config.Secret{}
	for _, s := range cfg.Secrets {
		byName[s.Name] = s
	}
	var out []*report.Finding
	for _, s := range rep.Secrets {
		cs := byName[s.Name]
		alignKeys(s, jwtOf(cs), fp)
		out = append(out, unresolved(s, cs)...)
		sp100 := disagreement(s, cs, fp)
		out = append(out, sp100...)
		out = append(out, perConsumer(s, cs, cfg.Policy)...)
		sp160, notes := offlineProbe(cs, s, time.Now(), len(sp100) > 0)
		out = append(out, sp160...)
		rep.Notes = append(rep.Notes, notes...)
	}
	out = append(out, liveLiteral(cfg, rep, fp)...)
	out = append(out, mustDiffer(cfg, rep)...)
	return out
}

// Verdict summarises one secret: mismatch when resolved consumers disagree,
// else incomplete when any consumer is unresolved, else match. A secret
// with a single resolved consumer is a match in DESIGN.md's terms (nothing
// disagrees); NothingCompared adds the note that says nothing was compared.
func Verdict(s *report.Secret, fp *secret.Fingerprinter) string {
	if len(groups(s, fp)) > 1 {
		return report.Mismatch
	}
	for _, c := range s.Consumers {
		if !c.Resolved {
			return report.Unresolved
		}
	}
	return report.Match
}

// NothingCompared returns a note for a secret with fewer than two resolved
// consumers: whatever else its report says, its value was compared with
// nothing.
func NothingCompared(s *report.Secret) (string, bool) {
	switch resolvedCount(s) {
	case 0:
		return s.Name + ": no consumer resolved; nothing was compared", true
	case 1:
		// A declared consumer that did not resolve is the thing to fix,
		// not a missing declaration.
		var failed []string
		runner := false
		for _, c := range s.Consumers {
			if !c.Resolved {
				failed = append(failed, c.ID)
				runner = runner || c.Kind == "runner"
			}
		}
		switch {
		case len(failed) == 1 && runner:
			return s.Name + ": only one consumer resolved; nothing was compared: the runner did not resolve (see SP101/SP102)", true
		case len(failed) > 0:
			return fmt.Sprintf("%s: only one consumer resolved; nothing was compared: %s did not resolve (see SP101/SP102)", s.Name, strings.Join(failed, ", ")), true
		}
		return s.Name + ": only one consumer resolved; nothing was compared (declare a runner block or another consumer to compare it with)", true
	}
	return "", false
}

func resolvedCount(s *report.Secret) int {
	n := 0
	for _, c := range s.Consumers {
		if c.Resolved {
			n++
		}
	}
	return n
}

func pos(cs *config.Secret) (string, int) {
	if cs == nil {
		return "", 0
	}
	return cs.Pos.File, cs.Pos.Line
}

// unresolved reports SP101 (the chain yielded nothing), SP102 (a source
// could not be read) and SP132 (a disabled or destroyed version).
func unresolved(s *report.Secret, cs *config.Secret) []*report.Finding {
	var out []*report.Finding
	for _, c := range s.Consumers {
		if c.Resolved {
			continue
		}
		f := &report.Finding{Secret: s.Name, Consumers: []string{c.ID}, Severity: report.SevError, File: c.File, Line: c.Line}
		switch {
		case c.Error == "":
			f.Code = "SP101"
			f.Message = fmt.Sprintf("%s: no link of the chain yields a value: %s", c.ID, skippedText(c.Skipped))
			f.Hint = "set one of these on the consumer (or add a secretmanager link), so it does not run without the secret"
			if hasSuggestion(c.Skipped) {
				f.Hint = "a name looks misspelt (see \"did you mean\"): rename the variable where it is set, or fix the name in the chain, so both sides use one spelling; or " + f.Hint
			}
		case c.ErrorCode == "FailedPrecondition" && c.Via != string(config.LinkExec):
			// A disabled or destroyed version. An exec link refused for
			// want of --allow-exec is a FailedPrecondition of the run's
			// own, and SP102 (DESIGN.md section 7).
			f.Code = "SP132"
			f.Message = fmt.Sprintf("%s: link %d (%s): %s", c.ID, c.Link, c.Ref, c.Error)
			f.Hint = unusableVersionHint(c)
		default:
			f.Code = "SP102"
			if c.Link >= 0 && c.Ref != "" {
				f.Message = fmt.Sprintf("%s: link %d (%s) could not be read: %s", c.ID, c.Link, c.Ref, c.Error)
			} else {
				f.Message = fmt.Sprintf("%s: could not be read: %s", c.ID, c.Error)
			}
			f.Hint = hintForCode(c)
			if c.Hint != "" {
				f.Hint = c.Hint
			}
		}
		out = append(out, f)
	}
	return out
}

// versionInError finds the Secret Manager versions a failed access named.
var versionInError = regexp.MustCompile(`projects/[^/\s]+/secrets/([A-Za-z0-9_-]+)/versions/([A-Za-z0-9_-]+)`)

// unusableVersion returns the secret id and the numeric version a failed
// access was refused for. The error names the version twice: first as
// requested (latest, an alias), then as the server resolved it
// ("Secret Version [projects/N/secrets/S/versions/7] is in DISABLED
// state."); only the number is something gcloud can act on, so the last
// numeric one wins. version is "" when the message holds none.
func unusableVersion(msg string) (secretName, version string) {
	secretName = "SECRET"
	for _, m := range versionInError.FindAllStringSubmatch(msg, -1) {
		secretName = m[1]
		if strings.Trim(m[2], "0123456789") == "" {
			version = m[2]
		}
	}
	return secretName, version
}

// unusableVersionHint is SP132's fix. Secret Manager says which state the
// version is in (FAILED_PRECONDITION "... is in DESTROYED state."): a
// disabled version can be enabled again, a destroyed one has lost its
// data for good, so only a new version helps.
func unusableVersionHint(c *report.Consumer) string {
	secretName, version := unusableVersion(c.Error)
	if version == "" {
		version = "VERSION"
	}
	switch {
	case strings.Contains(c.Error, "DESTROYED"):
		h := fmt.Sprintf("version %s was destroyed and its data is gone for good (gcloud secrets versions enable cannot bring it back): add a new version (gcloud secrets versions add %s --data-file=FILE)", version, secretName)
		if c.Requested == "latest" {
			return h + ", which `latest` then resolves to (it never falls back to an older version), or point the consumer at an enabled version; then redeploy"
		}
		return h + " and pin the consumer to it, or point it at an enabled version; then redeploy"
	case strings.Contains(c.Error, "DISABLED"):
		return fmt.Sprintf("re-enable it (gcloud secrets versions enable %s --secret %s) or point the consumer at an enabled version, then redeploy; `latest` never falls back to an older version", version, secretName)
	}
	return "point the consumer at an enabled version (re-enable a disabled one with gcloud secrets versions enable; a destroyed one needs a new version: gcloud secrets versions add), then redeploy; `latest` never falls back to an older version"
}

func hintForCode(c *report.Consumer) string {
	switch c.ErrorCode {
	case "PermissionDenied":
		if strings.Contains(c.Error, "secretmanager.") {
			return "grant the identity running the check roles/secretmanager.secretAccessor on that secret (it needs secretmanager.versions.access)"
		}
		if c.Kind == string(config.KindCloudRunJob) {
			return "grant the identity running the check roles/run.viewer on the job (run.jobs.get)"
		}
		return "grant the identity running the check roles/run.viewer on the service (run.services.get, run.revisions.get)"
	case "NotFound":
		switch {
		case c.Tag != "" && strings.Contains(c.Error, "traffic tag"):
			return "deploy the revision under test with that tag (gcloud run deploy SERVICE --no-traffic --tag " + c.Tag + ") before the check, or set tag: to one of the service's tags"
		case c.Kind == string(config.KindCloudRunJob):
			return "check the job name, project and region in the config against what is deployed (gcloud run jobs list)"
		}
		return "check the name, project and region in the config against what is deployed (gcloud run services list, gcloud secrets list)"
	case "Unauthenticated":
		return "authenticate first: google-github-actions/auth in Actions, or gcloud auth application-default login locally; against an emulator, set SECRET_PREFLIGHT_SECRETMANAGER_EMULATOR_HOST and SECRET_PREFLIGHT_RUN_EMULATOR_HOST"
	case "DeadlineExceeded", "Unavailable":
		return "retry; if it persists raise --timeout or check the network path to the Google APIs"
	}
	if strings.Contains(c.Error, "--allow-exec") {
		return "run with --allow-exec only for a trusted config, or replace the exec link with a secretmanager link"
	}
	return "fix the source named in the message; the consumer cannot be checked until it can be read"
}

func hasSuggestion(sk []report.Skipped) bool {
	for _, s := range sk {
		if len(s.DidYouMean) > 0 {
			return true
		}
	}
	return false
}

func skippedText(sk []report.Skipped) string {
	if len(sk) == 0 {
		return "the chain has no link that applies"
	}
	parts := make([]string, len(sk))
	for i, s := range sk {
		parts[i] = fmt.Sprintf("[%d] %s %s: %s%s", s.Link, s.Via, s.Ref, s.Why, s.Suggestion())
	}
	return strings.Join(parts, "; ")
}

// group is the consumers that resolved to one value.
type group struct {
	digest    []byte
	value     secret.Value
	consumers []*report.Consumer
}

func groups(s *report.Secret, fp *secret.Fingerprinter) []*group {
	var gs []*group
	for _, c := range s.Consumers {
		if !c.Resolved {
			continue
		}
		d := c.Digest
		if d == nil {
			d = fp.Digest(c.Value)
		}
		var g *group
		for _, x := range gs {
			if bytes.Equal(x.digest, d) {
				g = x
				break
			}
		}
		if g == nil {
			g = &group{digest: d, value: c.Value}
			gs = append(gs, g)
		}
		g.consumers = append(g.consumers, c)
	}
	// Largest group first: it is usually what the services agree on.
	sort.SliceStable(gs, func(i, j int) bool { return len(gs[i].consumers) > len(gs[j].consumers) })
	return gs
}

func (g *group) ids() []string {
	out := make([]string, len(g.consumers))
	for i, c := range g.consumers {
		out[i] = c.ID
	}
	return out
}

func (g *group) describe() string {
	hows := map[string]bool{}
	var order []string
	for _, c := range g.consumers {
		h := how(c)
		if !hows[h] {
			hows[h] = true
			order = append(order, h)
		}
	}
	verb := "holds"
	if len(g.consumers) > 1 {
		verb = "hold"
	}
	return fmt.Sprintf("%s %s %s (%s)", strings.Join(g.ids(), ", "), verb, g.consumers[0].Fingerprint, strings.Join(order, "; "))
}

// how says in a few words where a consumer's value came from.
func how(c *report.Consumer) string {
	switch {
	case c.Via == "literal":
		return fmt.Sprintf("literal fallback, link %d", c.Link)
	case c.Version != "":
		return fmt.Sprintf("secret %s version %s", secretID(c.SecretVersion), c.Version)
	}
	return fmt.Sprintf("%s %s, link %d", c.Via, c.Ref, c.Link)
}

// secretID is S of projects/P/secrets/S/versions/V.
func secretID(name string) string {
	if s, _, ok := sources.SplitVersionName(name); ok {
		return path.Base(s)
	}
	return name
}

// secretOf is projects/P/secrets/S of a consumer's resolved version, or "".
func secretOf(c *report.Consumer) string {
	s, _, _ := sources.SplitVersionName(c.SecretVersion)
	return s
}

func (g *group) allLiteral() bool {
	for _, c := range g.consumers {
		if c.Via != "literal" {
			return false
		}
	}
	return true
}

func disagreement(s *report.Secret, cs *config.Secret, fp *secret.Fingerprinter) []*report.Finding {
	file, line := pos(cs)
	return Disagreement(s, fp, file, line)
}

// Disagreement reports SP100 with the likely cause, and SP110/SP111 when
// the values differ only by whitespace or encoding; file and line are the
// secret's entry in the config. Consumers are grouped by Digest (fp
// digests their Value when it is nil). SP110 and SP111 need both values:
// consumers read back from JSON reports (merge) carry only fingerprints,
// so for them only SP100 is decided.
func Disagreement(s *report.Secret, fp *secret.Fingerprinter, file string, line int) []*report.Finding {
	gs := groups(s, fp)
	if len(gs) < 2 {
		return nil
	}
	var all []string
	var desc []string
	for _, g := range gs {
		all = append(all, g.ids()...)
		desc = append(desc, g.describe())
	}
	cause, hint := diagnose(gs)
	out := []*report.Finding{{
		Code: "SP100", Severity: report.SevError, Secret: s.Name, Consumers: all,
		Message: fmt.Sprintf("%s %d consumers resolve %d different values: %s.", cause, len(all), len(gs), strings.Join(desc, "; ")),
		Hint:    hint, File: file, Line: line,
	}}
	for i := 0; i < len(gs); i++ {
		for j := i + 1; j < len(gs); j++ {
			a, b := gs[i], gs[j]
			if !a.value.IsSet() || !b.value.IsSet() {
				continue
			}
			ids := append(a.ids(), b.ids()...)
			switch {
			case a.value.TrimSpace().Equal(b.value.TrimSpace()):
				out = append(out, &report.Finding{
					Code: "SP110", Severity: report.SevError, Secret: s.Name, Consumers: ids,
					Message: fmt.Sprintf("%s and %s differ only by surrounding whitespace (%d vs %d bytes)", a.ids()[0], b.ids()[0], a.value.Len(), b.value.Len()),
					Hint:    "store the secret without a trailing newline (printf '%s' or echo -n, not echo), or set trim: true on the consumer that strips it",
					File:    file, Line: line,
				})
			case isEncodingOf(a.value, b.value) || isEncodingOf(b.value, a.value):
				out = append(out, &report.Finding{
					Code: "SP111", Severity: report.SevError, Secret: s.Name, Consumers: ids,
					Message: fmt.Sprintf("one of %s and %s holds an encoding (base64, base64url or hex) of the other's value", a.ids()[0], b.ids()[0]),
					Hint:    "store the same bytes on both sides, or decode explicitly in the consumer that expects encoded key material",
					File:    file, Line: line,
				})
			}
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// isEncodingOf reports whether enc is base64, base64url or hex of raw.
func isEncodingOf(enc, raw secret.Value) bool {
	e := bytes.TrimSpace(enc.Reveal())
	r := raw.Reveal()
	if len(r) == 0 || len(e) <= len(r) {
		return false
	}
	decoders := []func([]byte) ([]byte, error){
		func(b []byte) ([]byte, error) { return base64.StdEncoding.DecodeString(string(b)) },
		func(b []byte) ([]byte, error) { return base64.RawStdEncoding.DecodeString(string(b)) },
		func(b []byte) ([]byte, error) { return base64.URLEncoding.DecodeString(string(b)) },
		func(b []byte) ([]byte, error) { return base64.RawURLEncoding.DecodeString(string(b)) },
		func(b []byte) ([]byte, error) { return hex.DecodeString(string(b)) },
	}
	for _, d := range decoders {
		if got, err := d(e); err == nil && secret.New(got).Equal(raw) {
			return true
		}
	}
	return false
}

// jwtOf is cs's jwt: block, nil for a secret that is not in the config.
func jwtOf(cs *config.Secret) *config.JWT {
	if cs == nil {
		return nil
	}
	return cs.JWT
}

package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/secret-preflight/secret-preflight/internal/ghactions"
)

// Text is the terminal report: a verdict line, a table of consumers per
// secret, then findings with hints. It is written for someone reading a CI
// log at 3am: the cause first, no scrolling for the fix.
type Text struct{}

func (Text) Write(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("secret-preflight: %s  (%s)\n", resultWord(r), countText(r.Summary))
	if r.FingerprintScope == "run" {
		ew.printf("fingerprints use a per-run key: compare them within this report only\n")
	}
	for _, s := range r.Secrets {
		ew.printf("\n%s  %s\n", s.Name, strings.ToUpper(s.Verdict))
		writeConsumerTable(ew, s)
	}
	if len(r.Findings) > 0 {
		ew.printf("\nFindings\n")
		for _, f := range r.Findings {
			tag := strings.ToUpper(f.Severity)
			if f.Ignored != "" {
				tag = "ignored"
			}
			ew.printf("  %-7s %s %s: %s\n", tag, f.Code, f.Secret, f.Message)
			if f.Ignored != "" {
				ew.printf("          ignored: %s\n", f.Ignored)
			}
			ew.printf("          fix: %s\n", f.Hint)
			if f.File != "" && f.Line > 0 {
				ew.printf("          config: %s:%d\n", f.File, f.Line)
			}
		}
	}
	writeProbesTextSection(ew, r)
	if len(r.Notes) > 0 {
		ew.printf("\nNotes\n")
		for _, n := range r.Notes {
			ew.printf("  - %s\n", n)
		}
	}
	writeChangesText(ew, r)
	ew.printf("\n%s\n", verdictLine(r))
	return ew.err
}

// writeConsumerTable writes a secret's consumers, one line each, and the
// links they skipped. The github format shows the same table in a group.
func writeConsumerTable(ew *errWriter, s *Secret) {
	groups := groupLetters(s)
	tw := tabwriter.NewWriter(ew, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  \tCONSUMER\tLINK\tSOURCE\tVERSION\tFINGERPRINT\n")
	for _, c := range s.Consumers {
		mark, link, source, fpr := "?", "-", c.Error, "-"
		if c.Resolved {
			mark = groups[c.Fingerprint]
			link = fmt.Sprintf("[%d] %s", c.Link, c.Via)
			source = shortRef(c)
			fpr = c.Fingerprint
		} else if c.Error == "" {
			mark, source = "✗", "nothing resolved"
		} else {
			mark = "!"
			// The full error is in the findings; the table says only
			// what kind of failure it was, so its columns stay narrow.
			source = "could not read"
			if c.ErrorCode != "" {
				source += " (" + c.ErrorCode + ")"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", mark, consumerLabel(c), link, source, dash(c.Version), fpr)
	}
	tw.Flush()
	if len(groups) > 1 {
		ew.printf("  (letters group consumers that hold the same value)\n")
	}
	for _, c := range s.Consumers {
		for _, sk := range c.Skipped {
			ew.printf("  skipped %s [%d] %s %s: %s%s\n", c.ID, sk.Link, sk.Via, sk.Ref, sk.Why, sk.Suggestion())
		}
	}
}

// resultWord is the result for a heading: FAIL, PASS, INCOMPLETE, and for
// a failing result that --fail-on never lets through, a FAIL that says so.
func resultWord(r *Report) string {
	if r.NotEnforced() {
		return "FAIL (not enforced: --fail-on never)"
	}
	return strings.ToUpper(r.Result)
}

func verdictLine(r *Report) string {
	if r.NotEnforced() {
		exit := "this step passes (exit 0) only because of --fail-on never"
		if r.unchecked() {
			exit = "some consumers could not be checked, so this step still fails (exit 3)"
		}
		return fmt.Sprintf("FINDINGS NOT ENFORCED: %s above; %s. Fix them, or remove --fail-on never (policy.fail_on) to make this step fail on them", countText(r.Summary), exit)
	}
	switch r.Result {
	case Fail:
		return "FAIL: fix the findings above before running E2E tests (exit 1)"
	case Incomplete:
		return "INCOMPLETE: some consumers could not be checked (SP101/SP102 above); this is not a pass (exit 3)"
	}
	if n := r.Summary.Errors + r.Summary.Warnings; n > 0 {
		// --fail-on let findings through: a pass, but not a clean one.
		return fmt.Sprintf("PASS (--fail-on %s): %s above not enforced", r.FailOn, countText(r.Summary))
	}
	for _, s := range r.Secrets {
		resolved := 0
		for _, c := range s.Consumers {
			if c != nil && c.Resolved {
				resolved++
			}
		}
		if resolved < 2 {
			// A secret with fewer than two resolved consumers: no finding,
			// but no comparison either (see the notes).
			return "PASS: no finding, but some secrets were compared with nothing (see the notes)"
		}
	}
	return "PASS: every consumer resolves the same value"
}

func countText(s Summary) string {
	return fmt.Sprintf("%d %s, %d %s, %d info",
		s.Errors, pluralize(s.Errors, "error"), s.Warnings, pluralize(s.Warnings, "warning"), s.Infos)
}

func pluralize(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// groupLetters assigns A, B, ... to distinct fingerprints in order of
// appearance; with one value everyone is simply ✓.
func groupLetters(s *Secret) map[string]string {
	out := map[string]string{}
	for _, c := range s.Consumers {
		if c.Resolved {
			if _, ok := out[c.Fingerprint]; !ok {
				out[c.Fingerprint] = string(rune('A' + len(out)))
			}
		}
	}
	if len(out) == 1 {
		for k := range out {
			out[k] = "✓"
		}
	}
	return out
}

func consumerLabel(c *Consumer) string {
	if c.Tag != "" {
		// A tagged revision is meant whatever its share, 0 included.
		return fmt.Sprintf("%s (tag %s, %d%%)", c.ID, c.Tag, c.TrafficPercent)
	}
	if c.TrafficPercent > 0 {
		return fmt.Sprintf("%s (%d%%)", c.ID, c.TrafficPercent)
	}
	return c.ID
}

// shortRef drops the version from a resolved Secret Manager name: the
// VERSION column already shows it, and the table stays readable.
func shortRef(c *Consumer) string {
	if c.SecretVersion == "" {
		return c.Ref
	}
	if i := strings.LastIndex(c.Ref, "/versions/"); i >= 0 {
		return c.Ref[:i]
	}
	return c.Ref
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// errWriter keeps the first write error so the writers read straight.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// command writes one workflow command, on a line of its own; through
// ghactions.WriteCommand so that in Actions it reaches the runner as one.
func (e *errWriter) command(line string) {
	if e.err == nil {
		e.err = ghactions.WriteCommand(e.w, line)
	}
}

func (e *errWriter) printf(format string, a ...any) {
	fmt.Fprintf(e, format, a...)
}

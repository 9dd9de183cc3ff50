package report

import (
	"fmt"
	"html"
	"io"
	"strings"
	"unicode"
)

// Markdown is the step summary read in the GitHub Actions UI: a verdict
// line, a table of consumers per secret, findings with their fixes, and
// the changes since the baseline. Every piece of text that comes from a
// config, a cloud API or a baseline file is escaped, so it cannot turn
// into markup, HTML or a broken table.
type Markdown struct{}

func (Markdown) Write(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("### %s secret-preflight: %s · %s\n\n", resultSymbol(r.Result), mdText(resultWord(r)), countText(r.Summary))
	if r.NotEnforced() {
		ew.printf("> **%s**\n\n", mdText(verdictLine(r)))
	}
	if r.Config != "" {
		ew.printf("Config %s", mdCode(r.Config, false))
		if r.FingerprintScope == "run" {
			ew.printf(" · fingerprints use a per-run key: compare them within this report only")
		}
		ew.printf("\n\n")
	} else if r.FingerprintScope == "run" {
		ew.printf("Fingerprints use a per-run key: compare them within this report only\n\n")
	}
	for _, s := range r.Secrets {
		writeSecretMarkdown(ew, s)
	}
	if len(r.Findings) > 0 {
		ew.printf("#### Findings\n\n")
		for _, f := range r.Findings {
			writeFindingMarkdown(ew, f)
		}
		ew.printf("\n")
	}
	writeProbesMarkdown(ew, r)
	if len(r.Notes) > 0 {
		ew.printf("#### Notes\n\n")
		for _, n := range r.Notes {
			ew.printf("- %s\n", mdText(n))
		}
		ew.printf("\n")
	}
	if hasChanges(r) {
		ew.printf("#### Changes since baseline\n\n")
		if r.BaselineNote != "" {
			ew.printf("> %s\n\n", mdText(r.BaselineNote))
		}
		if len(r.Changes) == 0 {
			ew.printf("No changes.\n\n")
		}
		for _, c := range r.Changes {
			ew.printf("- **%s** %s\n", mdText(strings.ReplaceAll(c.Kind, "_", " ")), mdText(c.Message))
		}
		if len(r.Changes) > 0 {
			ew.printf("\n")
		}
	}
	return ew.err
}

func writeSecretMarkdown(ew *errWriter, s *Secret) {
	ew.printf("#### %s %s · %s\n\n", verdictSymbol(s.Verdict), mdText(s.Name), mdText(s.Verdict))
	groups := groupLetters(s)
	majority := majorityFingerprint(s)
	ew.printf("| | Consumer | Winning link | Source | Version | Fingerprint |\n")
	ew.printf("|:-:|---|---|---|---|---|\n")
	for _, c := range s.Consumers {
		status, link, source, fpr := "", "-", "", "-"
		switch {
		case c.Resolved:
			status = "✅"
			if g := groups[c.Fingerprint]; g != "✓" {
				status = "❌ " + g
				if c.Fingerprint == majority {
					status = "✅ " + g
				}
			}
			link = mdText(fmt.Sprintf("[%d] %s", c.Link, c.Via))
			source = mdCode(shortRef(c), true)
			fpr = mdCode(c.Fingerprint, true)
		case c.Error == "":
			status, source = "❌", "nothing resolved"
		default:
			// The full error is in the findings.
			status, source = "⚠️", "could not read"
			if c.ErrorCode != "" {
				source += " (" + mdText(c.ErrorCode) + ")"
			}
		}
		label := mdCode(c.ID, true)
		if c.Tag != "" {
			label += fmt.Sprintf(" (tag %s, %d%%)", mdText(c.Tag), c.TrafficPercent)
		} else if c.TrafficPercent > 0 {
			label += fmt.Sprintf(" (%d%%)", c.TrafficPercent)
		}
		ew.printf("| %s | %s | %s | %s | %s | %s |\n", status, label, link, source, mdText(dash(c.Version)), fpr)
	}
	ew.printf("\n")
	if len(groups) > 1 {
		ew.printf("Letters group consumers that hold the same value.\n\n")
	}
	for _, c := range s.Consumers {
		if len(c.Skipped) == 0 {
			continue
		}
		// <summary> is raw HTML, where markdown is not rendered: escape
		// for HTML there, for markdown in the list.
		ew.printf("<details><summary>%s: %d skipped %s</summary>\n\n", htmlText(c.ID), len(c.Skipped), pluralize(len(c.Skipped), "link"))
		for _, sk := range c.Skipped {
			ew.printf("- %s %s: %s\n", mdText(fmt.Sprintf("[%d] %s", sk.Link, sk.Via)), mdCode(sk.Ref, false), mdText(sk.Why+sk.Suggestion()))
		}
		ew.printf("\n</details>\n\n")
	}
}

func writeFindingMarkdown(ew *errWriter, f *Finding) {
	sym := severitySymbol(f.Severity)
	if f.Ignored != "" {
		sym = "🔕"
	}
	ew.printf("- %s **%s** %s: %s\n", sym, mdText(f.Code), mdText(f.Secret), mdText(f.Message))
	if f.Ignored != "" {
		ew.printf("  - Ignored: %s\n", mdText(f.Ignored))
	}
	if f.Hint != "" {
		ew.printf("  - **Fix:** %s\n", mdText(f.Hint))
	}
	if f.File != "" && f.Line > 0 {
		ew.printf("  - Config: %s\n", mdCode(fmt.Sprintf("%s:%d", f.File, f.Line), false))
	}
}

func resultSymbol(result string) string {
	switch result {
	case Pass:
		return "✅"
	case Fail:
		return "❌"
	}
	return "⚠️"
}

func verdictSymbol(v string) string {
	switch v {
	case Match:
		return "✅"
	case Mismatch:
		return "❌"
	}
	return "⚠️"
}

func severitySymbol(sev string) string {
	switch sev {
	case SevError:
		return "❌"
	case SevWarning:
		return "⚠️"
	}
	return "ℹ️"
}

// mdEscaper makes text inert in GitHub-flavoured markdown: HTML is escaped
// as entities, markdown punctuation (emphasis, code, links, tables,
// strikethrough, headings, math) is backslash-escaped, and line breaks
// become <br> so a message stays in its table cell or list item and cannot
// start a block of its own.
var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "~", `\~`, "#", `\#`, "!", `\!`, "$", `\$`,
	"\r\n", "<br>", "\n", "<br>", "\r", "<br>",
)

func mdText(s string) string { return mdEscaper.Replace(noControls(s)) }

// htmlText escapes s for raw HTML in the summary (<summary>, where
// markdown is not rendered). Line breaks become <br>: a blank line would
// end the HTML block, and what followed it would render as markdown
// (headings, links) outside the <details>.
func htmlText(s string) string { return htmlBreaks.Replace(html.EscapeString(noControls(s))) }

var htmlBreaks = strings.NewReplacer("\r\n", "<br>", "\n", "<br>", "\r", "<br>")

// noControls replaces the control characters other than tab, CR and LF
// (C0, DEL, C1), which markdown renderers treat in their own ways (a form
// feed or vertical tab may end a line), with U+FFFD. CR and LF are left to
// the escaper of the context.
func noControls(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r != '\t' && r != '\r' && r != '\n' && unicode.IsControl(r)
}

// mdCode shows s as a code span. In a table cell a pipe still ends the
// cell inside a code span unless escaped. Text a code span cannot hold
// (a backtick, a line break, a control character) falls back to escaped
// text.
func mdCode(s string, cell bool) string {
	if s == "" {
		return "-"
	}
	if strings.ContainsAny(s, "`\r\n") || strings.ContainsFunc(s, isControl) {
		return mdText(s)
	}
	if cell {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return "`" + s + "`"
}

// majorityFingerprint is the value held by strictly more consumers than any
// other, or "". In a mismatch its group is shown as agreeing, so the odd
// ones out (usually a runner on a fallback) stand out; it is not a claim
// that the majority is right.
func majorityFingerprint(s *Secret) string {
	n := map[string]int{}
	for _, c := range s.Consumers {
		if c.Resolved {
			n[c.Fingerprint]++
		}
	}
	best, count, tie := "", 0, false
	for fp, k := range n {
		switch {
		case k > count:
			best, count, tie = fp, k, false
		case k == count:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

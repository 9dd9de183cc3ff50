package report

import (
	"strings"
	"testing"
	"unicode"

	"github.com/secret-preflight/secret-preflight/secret"
)

func TestMarkdownGolden(t *testing.T) {
	golden(t, "incident.md.golden", write(t, Markdown{}, incidentReport(secret.ScopeRun)))
}

func TestMarkdownHoldsNoValue(t *testing.T) {
	out := string(write(t, Markdown{}, incidentReport(secret.ScopeRun)))
	for _, v := range forbidden() {
		if strings.Contains(out, v) {
			t.Errorf("value (or an encoding of it) in the markdown report: %q", v)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	out := write(t, Markdown{}, incidentReport(secret.ScopeRun))
	s := string(out)
	for _, bad := range []string{"<b>", "*bold*", "`tick`", "[x](y)", "$x$", "&amp;;"} {
		if strings.Contains(s, bad) {
			t.Errorf("markdown/HTML from a message survived: %q", bad)
		}
	}
	want := "- ⚠️ **SP140** oidc-signing: 100% of traffic: reads OIDC\\_DEBUG, a plain value<br>second line &lt;b&gt;\\*bold\\*&lt;/b&gt; \\| \\`tick\\` \\[x\\](y) \\$x\\$ &amp;amp;\n"
	if !strings.Contains(s, want) {
		t.Errorf("escaped finding line missing; want %q in:\n%s", want, s)
	}
	// Every table row keeps its columns: a pipe from the data is escaped,
	// a line break is a <br>.
	for _, l := range lines(out) {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		if n := strings.Count(l, "|") - strings.Count(l, `\|`); n != 7 {
			t.Errorf("table row has %d cell separators, want 7: %s", n, l)
		}
	}
	// A skipped link's reason with a pipe stays in its list item, and the
	// <summary> (raw HTML) is HTML-escaped.
	if !strings.Contains(s, "`OIDC_KEY`: not set on container \\| auth\n") {
		t.Errorf("skipped link not escaped:\n%s", s)
	}
	r := &Report{Secrets: []*Secret{{Name: "s", Verdict: Match, Consumers: []*Consumer{{
		ID: "<img src=x onerror=alert(1)>", Resolved: true, Via: "env", Ref: "a`b|c", Fingerprint: "hmac-sha256:000000000000",
		Skipped: []Skipped{{Via: "env", Ref: "A", Why: "unset"}},
	}}}}}
	r.Finish("error")
	s = string(write(t, Markdown{}, r))
	// Inside a code span HTML is shown, not rendered; anywhere else it
	// must be escaped.
	if strings.Count(s, "<img") != 1 || !strings.Contains(s, "| `<img src=x onerror=alert(1)>` |") {
		t.Errorf("HTML injected through a consumer ID:\n%s", s)
	}
	if !strings.Contains(s, "<details><summary>&lt;img src=x onerror=alert(1)&gt;: 1 skipped link</summary>") {
		t.Errorf("summary not HTML-escaped:\n%s", s)
	}
	if !strings.Contains(s, "| a\\`b\\|c |") {
		t.Errorf("a ref with a backtick must fall back to escaped text:\n%s", s)
	}
}

func TestMarkdownVerdicts(t *testing.T) {
	cases := map[string]string{Pass: "### ✅ secret-preflight: PASS", Fail: "### ❌ secret-preflight: FAIL", Incomplete: "### ⚠️ secret-preflight: INCOMPLETE"}
	for result, want := range cases {
		r := &Report{Result: result}
		if got := string(write(t, Markdown{}, r)); !strings.HasPrefix(got, want) {
			t.Errorf("%s: got %q, want prefix %q", result, got, want)
		}
	}
	if w, err := For("markdown"); err != nil || w != (Markdown{}) {
		t.Errorf("For(markdown) = %#v, %v", w, err)
	}
}

// Untrusted text never adds a line to the step summary, nor a control
// character: a name with blank lines would end the <details><summary>
// HTML block or a list item, and render what follows as markdown of its
// own (a fake heading, a link), outside its table cell or <details>.
func TestMarkdownUntrustedTextAddsNoLine(t *testing.T) {
	const hostile = "x\n\n# ✅ secret-preflight: PASS\r\n\r[Re-run](https://evil.example/x)\n\n<details>\f\v\x00\u0085|a|b|\n|---|---|"
	build := func(h string) *Report {
		r := &Report{
			Config: h,
			Secrets: []*Secret{{Name: h, Verdict: Mismatch, Consumers: []*Consumer{
				{ID: h, Resolved: true, Via: h, Ref: h, Version: h, Fingerprint: h, Tag: h, TrafficPercent: 5,
					Skipped: []Skipped{{Via: h, Ref: h, Why: h}}},
				{ID: "b", Error: h, ErrorCode: h},
			}}},
			Findings: []*Finding{
				{Code: "SP100", Severity: SevError, Secret: h, Message: h, Hint: h, File: h, Line: 3},
				{Code: "SP140", Severity: SevWarning, Secret: h, Message: h, Ignored: h},
			},
			Notes:        []string{h},
			Probes:       []*Probe{{Secret: h, URL: h, Probe: "valid", Status: 403, Error: h}},
			BaselineNote: h,
			Changes:      []Change{{Kind: h, Secret: h, Message: h}},
		}
		r.Finish("never")
		return r
	}
	plain := string(write(t, Markdown{}, build("x")))
	out := string(write(t, Markdown{}, build(hostile)))
	if got, want := strings.Count(out, "\n"), strings.Count(plain, "\n"); got != want {
		t.Errorf("hostile text changed the summary from %d lines to %d:\n%s", want, got, out)
	}
	if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }); i >= 0 {
		t.Errorf("a control character reached the summary at %d: %q", i, out[i:min(len(out), i+20)])
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "<details><summary>") && !strings.HasSuffix(l, "</summary>") {
			t.Errorf("a <summary> spans lines: %q", l)
		}
		if strings.HasPrefix(l, "|") {
			if n := strings.Count(l, "|") - strings.Count(l, `\|`); n != 7 {
				t.Errorf("table row has %d cell separators, want 7: %s", n, l)
			}
		}
	}
}

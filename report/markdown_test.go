package report

import (
	"strings"
	"testing"

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

package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/secret"
)

// state is a small report for the baseline tests: one secret, its
// consumers as "id=fingerprint@version", and findings as
// "CODE:consumer,consumer".
func state(scope secret.Scope, consumers []string, findings ...string) *Report {
	s := &Secret{Name: "jwt-signing", Verdict: Match}
	for _, c := range consumers {
		id, rest, _ := strings.Cut(c, "=")
		fp, version, _ := strings.Cut(rest, "@")
		s.Consumers = append(s.Consumers, &Consumer{ID: id, Kind: "cloudrun", Resolved: true, Via: "env", Fingerprint: fp, Version: version})
	}
	r := &Report{FingerprintScope: scope, Secrets: []*Secret{s}}
	for _, f := range findings {
		code, ids, _ := strings.Cut(f, ":")
		r.Findings = append(r.Findings, &Finding{Code: code, Severity: SevError, Secret: "jwt-signing", Consumers: strings.Split(ids, ","), Message: code + " message"})
	}
	r.Finish("error")
	return r
}

// kinds renders changes compactly: "kind consumer-or-code from->to".
func kinds(cs []Change) []string {
	var out []string
	for _, c := range cs {
		who := c.Consumer
		if c.Code != "" {
			who = c.Code
		}
		out = append(out, c.Kind+" "+who+" "+c.From+"->"+c.To)
	}
	return out
}

func TestCompare(t *testing.T) {
	stable, run := secret.ScopeStable, secret.ScopeRun
	cases := []struct {
		name      string
		base, cur *Report
		want      []string
		note      string // substring of BaselineNote; "" means no note
	}{{
		name: "rotation",
		base: state(stable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6", "cloudrun:api@api-1/c=hmac-sha256:aaaaaaaaaaaa@6"}),
		cur:  state(stable, []string{"runner=hmac-sha256:bbbbbbbbbbbb@7", "cloudrun:api@api-1/c=hmac-sha256:bbbbbbbbbbbb@7"}),
		want: []string{
			"fingerprint_changed runner hmac-sha256:aaaaaaaaaaaa->hmac-sha256:bbbbbbbbbbbb",
			"version_changed runner 6->7",
			"fingerprint_changed cloudrun:api@api-1/c hmac-sha256:aaaaaaaaaaaa->hmac-sha256:bbbbbbbbbbbb",
			"version_changed cloudrun:api@api-1/c 6->7",
		},
	}, {
		name: "new revision takes the traffic",
		base: state(stable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6", "cloudrun:api@api-1/c=hmac-sha256:aaaaaaaaaaaa@6"}),
		cur:  state(stable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6", "cloudrun:api@api-2/c=hmac-sha256:aaaaaaaaaaaa@6"}),
		want: []string{
			"consumer_appeared cloudrun:api@api-2/c ->version 6, hmac-sha256:aaaaaaaaaaaa",
			"consumer_disappeared cloudrun:api@api-1/c version 6, hmac-sha256:aaaaaaaaaaaa->",
		},
	}, {
		name: "finding resolved, one new, one kept in another consumer order",
		base: state(stable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6", "b=hmac-sha256:bbbbbbbbbbbb@6"}, "SP100:runner,b", "SP130:b,runner"),
		cur:  state(stable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6", "b=hmac-sha256:bbbbbbbbbbbb@6"}, "SP130:runner,b", "SP131:b"),
		want: []string{
			"finding_new SP131 ->error",
			"finding_resolved SP100 error->",
		},
	}, {
		name: "run scope compares versions only",
		base: state(stable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6", "b=hmac-sha256:aaaaaaaaaaaa@6"}),
		cur:  state(run, []string{"runner=hmac-sha256:cccccccccccc@6", "b=hmac-sha256:dddddddddddd@7"}),
		want: []string{"version_changed b 6->7"},
		note: `this run is "run" and the baseline "stable", so only versions were compared`,
	}, {
		name: "both run scope: no changes, still a note",
		base: state(run, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"}),
		cur:  state(run, []string{"runner=hmac-sha256:cccccccccccc@6"}),
		note: "only versions were compared",
	}, {
		name: "no change",
		base: state(stable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"}, "SP130:runner"),
		cur:  state(stable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"}, "SP130:runner"),
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			Compare(tc.cur, tc.base)
			if got := kinds(tc.cur.Changes); !slices.Equal(got, tc.want) {
				t.Errorf("changes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if tc.note == "" && tc.cur.BaselineNote != "" || !strings.Contains(tc.cur.BaselineNote, tc.note) {
				t.Errorf("note = %q, want it to contain %q", tc.cur.BaselineNote, tc.note)
			}
			for _, c := range tc.cur.Changes {
				if c.Secret != "jwt-signing" || c.Message == "" {
					t.Errorf("change without secret or message: %+v", c)
				}
			}
			// Comparing again gives the same result, not twice the changes.
			n := len(tc.cur.Changes)
			Compare(tc.cur, tc.base)
			if len(tc.cur.Changes) != n {
				t.Errorf("Compare is not idempotent: %d then %d changes", n, len(tc.cur.Changes))
			}
		})
	}
}

func TestCompareSecretOnlyInBaseline(t *testing.T) {
	base := state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"}, "SP100:runner")
	base.Secrets[0].Name, base.Findings[0].Secret = "other", "other"
	cur := state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"})
	Compare(cur, base)
	// The whole secret is new here; the baseline's secret was not checked
	// (e.g. --only), so its consumer and finding are not "gone".
	if got, want := kinds(cur.Changes), []string{"consumer_appeared runner ->version 6, hmac-sha256:aaaaaaaaaaaa"}; !slices.Equal(got, want) {
		t.Errorf("changes = %q, want %q", got, want)
	}
	if !strings.Contains(cur.BaselineNote, "not compared: other") {
		t.Errorf("note = %q", cur.BaselineNote)
	}
	Compare(cur, nil)
	if cur.Changes != nil || cur.BaselineNote != "" {
		t.Errorf("Compare with no baseline left %v %q", cur.Changes, cur.BaselineNote)
	}
}

// An SP150 whose pair this run could not check (the other secret left out
// by --only) is not resolved: it was not looked at.
func TestCompareUncheckedPairIsNotResolved(t *testing.T) {
	base := state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"}, "SP150:runner")
	cur := state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"})
	cur.UncheckedPairs = []UncheckedPair{{Secret: cur.Secrets[0].Name, MustDifferFrom: "prod"}}
	Compare(cur, base)
	for _, c := range cur.Changes {
		if c.Kind == FindingResolved {
			t.Errorf("an unchecked SP150 counted as resolved: %+v", c)
		}
	}
	// Checked and gone is resolved.
	cur = state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"})
	Compare(cur, base)
	if got := kinds(cur.Changes); len(got) != 1 || !strings.HasPrefix(got[0], FindingResolved) {
		t.Errorf("changes = %q, want the SP150 resolved", got)
	}
}

func TestCompareUnresolvedSideIsAFinding(t *testing.T) {
	base := state(secret.ScopeStable, []string{"runner=hmac-sha256:aaaaaaaaaaaa@6"})
	cur := state(secret.ScopeStable, nil)
	cur.Secrets[0].Consumers = []*Consumer{{ID: "runner", Error: "PermissionDenied", ErrorCode: "PermissionDenied"}}
	cur.Findings = []*Finding{{Code: "SP102", Severity: SevError, Secret: "jwt-signing", Consumers: []string{"runner"}, Message: "m"}}
	cur.Finish("error")
	Compare(cur, base)
	if got, want := kinds(cur.Changes), []string{"finding_new SP102 ->error"}; !slices.Equal(got, want) {
		t.Errorf("changes = %q, want %q", got, want)
	}
}

// incidentBaseline is the day before the incident report: the services
// read version 1 (another value), the backend served from revision 00041,
// and SP131 was open.
func incidentBaseline() (cur, base *Report) {
	cur, base = incidentReport(secret.ScopeStable), incidentReport(secret.ScopeStable)
	for _, c := range base.Secrets[0].Consumers[1:] {
		c.Version, c.Fingerprint = "1", "hmac-sha256:0a1b2c3d4e5f"
	}
	backend := base.Secrets[0].Consumers[1]
	oldID := strings.NewReplacer("00042-abc", "00041-old", "c45b32da18cb", "0a1b2c3d4e5f", "(now 2)", "(now 1)", "version 2", "version 1")
	backend.Revision = "netra-backend-staging-00041-old"
	backend.ID = oldID.Replace(backend.ID)
	for _, f := range base.Findings {
		f.Message = oldID.Replace(f.Message)
		for i, id := range f.Consumers {
			f.Consumers[i] = oldID.Replace(id)
		}
	}
	base.Findings = append(base.Findings, &Finding{
		Code: "SP131", Severity: SevWarning, Secret: "jwt-signing", Consumers: []string{backend.ID},
		Message: backend.ID + ": latest is version 2, created after the revision started: instances may still hold 1",
	})
	base.Finish("error")
	Compare(cur, base)
	return cur, base
}

// section cuts the lines of out from the first one with prefix start up to
// (not including) the first later one with prefix end ("" = to the end).
func section(t *testing.T, out []byte, start, end string) []byte {
	t.Helper()
	var b bytes.Buffer
	in := false
	for _, l := range lines(out) {
		if !in && strings.HasPrefix(l, start) {
			in = true
		} else if in && end != "" && strings.HasPrefix(l, end) {
			break
		}
		if in {
			b.WriteString(l + "\n")
		}
	}
	if !in {
		t.Fatalf("no line starts with %q in:\n%s", start, out)
	}
	return b.Bytes()
}

func TestChangesSectionGolden(t *testing.T) {
	cur, _ := incidentBaseline()
	if cur.BaselineNote != "" {
		t.Errorf("both runs are stable, yet note %q", cur.BaselineNote)
	}
	golden(t, "baseline.text.golden", section(t, write(t, Text{}, cur), "Changes since baseline", "FAIL:"))
	golden(t, "baseline.md.golden", section(t, write(t, Markdown{}, cur), "#### Changes since baseline", ""))
	var notices bytes.Buffer
	for _, l := range lines(write(t, GitHub{}, cur)) {
		if strings.HasPrefix(l, "::notice title=changes since baseline") {
			notices.WriteString(l + "\n")
		}
	}
	golden(t, "baseline.github.golden", notices.Bytes())

	// With a run-scoped side, every format shows the note.
	cur.FingerprintScope = secret.ScopeRun
	Compare(cur, incidentReport(secret.ScopeStable))
	for name, w := range map[string]Writer{"text": Text{}, "markdown": Markdown{}, "github": GitHub{}} {
		if out := write(t, w, cur); !bytes.Contains(out, []byte("only versions were compared")) {
			t.Errorf("%s: baseline note missing:\n%s", name, out)
		}
	}
	// Without a baseline no format shows the section.
	r := incidentReport(secret.ScopeStable)
	for name, w := range map[string]Writer{"text": Text{}, "markdown": Markdown{}, "github": GitHub{}, "json": JSON{}} {
		out := bytes.ToLower(write(t, w, r))
		if bytes.Contains(out, []byte("baseline")) || bytes.Contains(out, []byte(`"changes"`)) {
			t.Errorf("%s: a baseline section without a baseline:\n%s", name, out)
		}
	}
}

func TestChangesJSONRoundTrip(t *testing.T) {
	cur, _ := incidentBaseline()
	cur.BaselineNote = "a note"
	var b bytes.Buffer
	if err := (JSON{}).Write(&b, cur); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"changes": [`, `"baseline_note": "a note"`, `"kind": "fingerprint_changed"`, `"code": "SP131"`} {
		if !bytes.Contains(b.Bytes(), []byte(key)) {
			t.Errorf("JSON lacks %s:\n%s", key, b.String())
		}
	}
	back, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Changes, cur.Changes) || back.BaselineNote != cur.BaselineNote {
		t.Errorf("changes lost in the round trip:\n%+v\nwant\n%+v", back.Changes, cur.Changes)
	}
	if len(cur.Changes) == 0 {
		t.Fatal("the fixture has no changes")
	}
}

package checks

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/secret-preflight/secret-preflight/report"
)

// diagnose names the most likely cause of a disagreement and the fix, in
// the consumers' terms (DESIGN.md section 7): for a runner that fell back
// to a literal, the variables it lacked; for a traffic split, the revision
// that disagrees and its share of traffic; for a rotation, the versions on
// each side.
//
// The cause comes from what the services read, whatever link the runner
// won through. A runner that reads an env var carries no version, but when
// a service resolved the same value its group does: the runner's value is
// known to be version N only when some consumer read version N.
func diagnose(gs []*group) (cause, hint string) {
	if cause, hint, ok := literalFallback(gs); ok {
		return cause, hint
	}
	switch secrets := secretsRead(gs); len(secrets) {
	case 0:
		return "The consumers read different sources.",
			"point every consumer at the same Secret Manager secret; compare the links named for each group"
	case 1:
		return versionCause(gs, secrets[0])
	default:
		var parts []string
		for _, s := range secrets {
			var ids []string
			for _, g := range gs {
				for _, c := range g.consumers {
					if secretOf(c) == s {
						ids = append(ids, c.ID)
					}
				}
			}
			parts = append(parts, fmt.Sprintf("%s %s %s", strings.Join(ids, ", "), plural(len(ids), "reads", "read"), s))
		}
		return fmt.Sprintf("The consumers read different secrets: %s.", strings.Join(parts, "; ")),
			"point every consumer at the same Secret Manager secret (or, if they are meant to differ, declare them as two secrets with must_differ_from)"
	}
}

// literalFallback diagnoses a group that resolved only through literal
// links: the code's hard-coded default won because the variables were unset.
func literalFallback(gs []*group) (cause, hint string, ok bool) {
	for _, g := range gs {
		if !g.allLiteral() {
			continue
		}
		c := g.consumers[0]
		var unset []string
		for _, sk := range c.Skipped {
			unset = append(unset, sk.Ref)
		}
		cause = fmt.Sprintf("%s fell back to the literal at link %d", c.ID, c.Link)
		if len(unset) > 0 {
			cause += " because " + strings.Join(unset, ", ") + " " + plural(len(unset), "is", "are") + " not set"
		}
		if dym := didYouMean(c.Skipped); dym != "" {
			cause += " (" + dym + ")"
		}
		name, source := fixFor(unset, gs, g)
		hint = fmt.Sprintf("make the literal unreachable: set %s for %s from %s", name, c.ID, source)
		if c.ID == "runner" {
			hint += ". In GitHub Actions: google-github-actions/get-secretmanager-secrets, exported in the E2E job's env. Then delete the hard-coded default from the test helper"
		}
		return cause + ".", hint, true
	}
	return "", "", false
}

// didYouMean lists the close names found for skipped links, or "".
func didYouMean(sk []report.Skipped) string {
	var parts []string
	for _, s := range sk {
		if len(s.DidYouMean) > 0 {
			parts = append(parts, fmt.Sprintf("for %s did you mean %s?", s.Ref, strings.Join(s.DidYouMean, " or ")))
		}
	}
	return strings.Join(parts, " ")
}

// secretsRead lists the Secret Manager secrets (projects/P/secrets/S) that
// the consumers read, in order of appearance.
func secretsRead(gs []*group) []string {
	var out []string
	for _, g := range gs {
		for _, c := range g.consumers {
			if s := secretOf(c); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// versionCause diagnoses consumers whose versioned readers all read one
// secret: a traffic split over revisions on different versions, or a
// rotation that reached some consumers and not others.
func versionCause(gs []*group, sec string) (cause, hint string) {
	runner, rg := runnerGroup(gs)
	if sp := findSplit(gs); sp != nil {
		return splitCause(gs, sec, sp, runner, rg)
	}
	var labels []string
	for _, g := range gs {
		labels = append(labels, groupLabel(g))
	}
	versions := strings.Join(labels, " vs ")
	const pin = "pin one version everywhere (or redeploy the consumers still on the old one, so `latest` is read again at startup)"
	if rg == nil {
		var sides []string
		for _, g := range gs {
			sides = append(sides, fmt.Sprintf("%s %s %s", strings.Join(g.ids(), ", "), plural(len(g.consumers), "reads", "read"), groupLabel(g)))
		}
		return fmt.Sprintf("Every consumer reads %s, but they hold different versions (%s): %s.", sec, versions, strings.Join(sides, "; ")), pin
	}

	// The runner's side against everyone else's.
	rv := versionsOf(rg.consumers)
	var others []*report.Consumer
	for _, g := range gs {
		if g != rg {
			others = append(others, g.consumers...)
		}
	}
	ov := versionsOf(others)
	if len(ov) == 0 {
		// Nobody else read a version: plain values, files.
		return "The consumers read different sources.",
			"point every consumer at the same Secret Manager secret; compare the links named for each group"
	}
	otherSides := describeByVersion(others)
	if len(rv) == 0 {
		whose := "the runner's value"
		if runner.ID != "runner" {
			whose = "the value of " + runner.ID
		}
		cause = fmt.Sprintf("The services read %s %s (%s), but %s (%s) is none of the versions read in this run: it may be a version from before a rotation, or another secret's value.",
			sec, versionWord(ov), otherSides, whose, how(runner))
		newest := ov[len(ov)-1]
		hint = fmt.Sprintf("give the runner the version the services read: set %s from %s version %s (in GitHub Actions: google-github-actions/get-secretmanager-secrets), or put {secretmanager: %s/versions/%s} first in the runner's chain, so it reads what the services read",
			runnerSource(runner), path.Base(sec), newest, sec, newest)
		if len(ov) > 1 {
			hint += "; the services themselves disagree too: " + pin
		}
		return cause, hint
	}
	var along, alongIDs []string
	for _, c := range rg.consumers {
		if c != runner {
			along = append(along, consumerName(c))
			alongIDs = append(alongIDs, c.ID)
		}
	}
	as := ""
	if len(along) > 0 {
		as = fmt.Sprintf(" (as %s %s)", strings.Join(along, ", "), plural(len(along), "does", "do"))
	}
	cause = fmt.Sprintf("The consumers read %s at different versions (%s): the runner holds %s%s, while %s.", sec, versions, versionWord(rv), as, otherSides)
	switch {
	case olderThan(rv, ov):
		hint = fmt.Sprintf("%s is the newer one: give the runner %s (set %s from it, or read it through a secretmanager link)",
			versionWord(ov), versionWord(ov), runnerSource(runner))
		if len(along) > 0 {
			hint += fmt.Sprintf(", redeploy %s with it pinned", strings.Join(alongIDs, ", "))
		}
		hint += "; " + pin
	case olderThan(ov, rv):
		hint = fmt.Sprintf("the runner reads %s, newer than what %s read: redeploy them with that version pinned (%s), or %s",
			versionWord(rv), strings.Join(idsOf(others), ", "),
			changeCommands(others, fmt.Sprintf("--update-secrets VAR=%s:%s", path.Base(sec), rv[len(rv)-1])), pin)
	default:
		hint = pin
	}
	return cause, hint
}

// split is one service whose serving revisions fall in different groups.
type split struct {
	target string
	revs   []revision
}

// revision is one serving revision of a split service.
type revision struct {
	name     string
	percent  int
	versions []string
	group    *group
}

func (r revision) String() string {
	s := fmt.Sprintf("%s (%d%% of traffic", r.name, r.percent)
	if len(r.versions) > 0 {
		s += ", " + versionWord(r.versions)
	}
	return s + ")"
}

// findSplit returns the first service whose revisions hold different
// values, or nil.
func findSplit(gs []*group) *split {
	var order []string
	revs := map[string][]revision{}
	for _, g := range gs {
		for _, c := range g.consumers {
			// A tagged consumer is the revision behind a tag URL, read
			// whatever its share: not a side of the traffic split.
			if c.Revision == "" || c.Tag != "" {
				continue
			}
			if _, ok := revs[c.Target]; !ok {
				order = append(order, c.Target)
			}
			i := slices.IndexFunc(revs[c.Target], func(r revision) bool { return r.name == c.Revision && r.group == g })
			if i < 0 {
				revs[c.Target] = append(revs[c.Target], revision{name: c.Revision, percent: c.TrafficPercent, group: g})
				i = len(revs[c.Target]) - 1
			}
			r := &revs[c.Target][i]
			r.versions = mergeVersions(r.versions, c.Version)
		}
	}
	for _, t := range order {
		rs := revs[t]
		// A split needs two different revisions on different sides: two
		// containers of one revision that disagree are not a traffic
		// split, and moving traffic would not fix them.
		for i, a := range rs {
			for _, b := range rs[i+1:] {
				if a.group != b.group && a.name != b.name {
					sort.SliceStable(rs, func(i, j int) bool { return rs[i].percent > rs[j].percent })
					return &split{target: t, revs: rs}
				}
			}
		}
	}
	return nil
}

func splitCause(gs []*group, sec string, sp *split, runner *report.Consumer, rg *group) (cause, hint string) {
	svc := path.Base(sp.target)
	var all []string
	var vs []string
	for _, g := range gs {
		vs = append(vs, groupLabel(g))
	}
	for _, r := range sp.revs {
		all = append(all, r.String())
	}
	cause = fmt.Sprintf("The consumers hold different versions of %s (%s), and traffic is split between revisions of %s that read different versions: %s.",
		sec, strings.Join(vs, " vs "), svc, strings.Join(all, ", "))
	moveAll := fmt.Sprintf("move all traffic to one revision (%s --to-latest) or deploy every serving revision with the same pinned version", updateTraffic(sp.target))
	if rg == nil {
		return cause, moveAll
	}
	var agree, disagree []revision
	var disagreeVersions []string
	for _, r := range sp.revs {
		if r.group == rg {
			agree = append(agree, r)
		} else {
			disagree = append(disagree, r)
			for _, v := range r.versions {
				disagreeVersions = mergeVersions(disagreeVersions, v)
			}
		}
	}
	rv := versionsOf(rg.consumers)
	held := "a value none of them reads"
	if len(rv) > 0 {
		held = versionWord(rv)
	}
	cause += fmt.Sprintf(" R%s %s with the runner, which holds %s", revisionList(disagree)[1:], plural(len(disagree), "disagrees", "disagree"), held)
	if len(agree) > 0 {
		cause += fmt.Sprintf(", as %s %s", revisionList(agree), plural(len(agree), "does", "do"))
	}
	cause += "."
	switch {
	case len(agree) == 0:
		hint = "pin one version everywhere: give the runner the version the service should serve, and " + moveAll
	case olderThan(rv, disagreeVersions):
		// The runner is the stale side: following it would roll the
		// service back.
		hint = fmt.Sprintf("the runner holds the older %s: give it %s (set %s from it, or read it through a secretmanager link), then move the rest of %s's traffic to %s: %s --to-revisions=%s=100",
			versionWord(rv), versionWord(disagreeVersions), runnerSource(runner), svc, disagree[0].name, updateTraffic(sp.target), disagree[0].name)
	default:
		hint = fmt.Sprintf("send all of %s's traffic to the revision that agrees with the runner: %s --to-revisions=%s=100 (or redeploy %s with %s pinned, so every serving revision reads it)",
			svc, updateTraffic(sp.target), agree[0].name, svc, held)
	}
	return cause, hint
}

func revisionList(rs []revision) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, "revision "+r.String())
	}
	return strings.Join(parts, ", ")
}

// updateTraffic is the gcloud command that moves a service's traffic.
func updateTraffic(target string) string {
	p := strings.Split(target, "/")
	if len(p) == 6 && p[0] == "projects" && p[2] == "locations" {
		return fmt.Sprintf("gcloud run services update-traffic %s --project %s --region %s", p[5], p[1], p[3])
	}
	return "gcloud run services update-traffic " + path.Base(target)
}

// runnerGroup returns the resolved runner and its group, or nils. A
// merged report holds one runner per shard ("runner (shard 2)"): the
// runner in a group that read no version is the one whose value is in
// question, since a runner that shares a group with a versioned
// consumer is known to hold that version.
func runnerGroup(gs []*group) (*report.Consumer, *group) {
	var first *report.Consumer
	var firstGroup *group
	for _, g := range gs {
		for _, c := range g.consumers {
			if c.Kind != "runner" {
				continue
			}
			if len(versionsOf(g.consumers)) == 0 {
				return c, g
			}
			if first == nil {
				first, firstGroup = c, g
			}
		}
	}
	return first, firstGroup
}

// runnerSource names what to set on the runner's side: the variable, file
// or .env key it read.
func runnerSource(c *report.Consumer) string {
	if c.Via == "secretmanager" {
		return "its secretmanager link"
	}
	return fmt.Sprintf("%s %s", c.Via, c.Ref)
}

// groupLabel is a group's versions ("version 3"), or how it resolved when
// none of its consumers carries a version.
func groupLabel(g *group) string {
	if vs := versionsOf(g.consumers); len(vs) > 0 {
		return versionWord(vs)
	}
	return "no version (" + how(g.consumers[0]) + ")"
}

// describeByVersion groups consumers by version: "a, b read version 3;
// c reads version 2".
func describeByVersion(cs []*report.Consumer) string {
	var order []string
	by := map[string][]string{}
	for _, c := range cs {
		label := "no version (" + how(c) + ")"
		if c.Version != "" {
			label = "version " + c.Version
		}
		if _, ok := by[label]; !ok {
			order = append(order, label)
		}
		by[label] = append(by[label], consumerName(c))
	}
	var parts []string
	for _, l := range order {
		parts = append(parts, fmt.Sprintf("%s %s %s", strings.Join(by[l], ", "), plural(len(by[l]), "reads", "read"), l))
	}
	return strings.Join(parts, "; ")
}

// consumerName is a consumer's id, with its share of traffic when it is a
// serving revision.
func consumerName(c *report.Consumer) string {
	if c.Tag != "" {
		return fmt.Sprintf("%s (tag %s, %d%% of traffic)", c.ID, c.Tag, c.TrafficPercent)
	}
	if c.Revision != "" {
		return fmt.Sprintf("%s (%d%% of traffic)", c.ID, c.TrafficPercent)
	}
	return c.ID
}

func idsOf(cs []*report.Consumer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// versionsOf is the distinct versions the consumers read, oldest first.
func versionsOf(cs []*report.Consumer) []string {
	var out []string
	for _, c := range cs {
		out = mergeVersions(out, c.Version)
	}
	return out
}

// mergeVersions adds v to the sorted set vs.
func mergeVersions(vs []string, v string) []string {
	if v == "" || slices.Contains(vs, v) {
		return vs
	}
	vs = append(vs, v)
	sort.SliceStable(vs, func(i, j int) bool {
		a, aok := strconv.Atoi(vs[i])
		b, bok := strconv.Atoi(vs[j])
		if aok == nil && bok == nil {
			return a < b
		}
		return vs[i] < vs[j]
	})
	return vs
}

func versionWord(vs []string) string {
	if len(vs) == 1 {
		return "version " + vs[0]
	}
	return "versions " + strings.Join(vs, ", ")
}

// olderThan reports whether every version in a is numerically below every
// version in b.
func olderThan(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	maxA, err1 := strconv.Atoi(a[len(a)-1])
	minB, err2 := strconv.Atoi(b[0])
	return err1 == nil && err2 == nil && maxA < minB
}

// fixFor picks the variable a falling-back consumer should be given: one
// of its own skipped names that the other consumers read successfully, so
// both sides use the same name, and the secret those consumers read.
func fixFor(unset []string, gs []*group, fallback *group) (name, source string) {
	name = firstOr(unset, "the first link of its chain")
	source = "the same Secret Manager secret the other consumers read"
	for _, g := range gs {
		if g == fallback {
			continue
		}
		for _, c := range g.consumers {
			env, _, _ := strings.Cut(c.Ref, " -> ")
			secretName := secretOf(c)
			if secretName == "" {
				continue
			}
			for _, u := range unset {
				if u == env {
					return u, secretName + ", the secret " + c.ID + " reads as " + env
				}
			}
			source = secretName + ", the secret " + c.ID + " reads"
		}
	}
	return name, source
}

package checks

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/sources"
)

// Deployed is a service's containers as one consumer saw them: a live
// revision, a manifest document or a --set-secrets value.
type Deployed struct {
	// ID is the consumer id without the container part, e.g.
	// cloudrun:api@api-00042-abc or manifest:deploy/api.yaml.
	ID string
	// Kind and Target are the consumer's (config.ConsumerKind, the full
	// service or job name, the manifest path): what the hints name.
	Kind       string
	Target     string
	Secret     string
	File       string
	Line       int
	Containers []sources.Container
}

// ForbiddenEnv reports SP141: a test-bypass variable set on a deployed (or
// about to be deployed) service, once per container and variable however
// many secrets list the service.
func ForbiddenEnv(pol config.Policy, ds []Deployed) []*report.Finding {
	if len(pol.ForbidServiceEnv) == 0 {
		return nil
	}
	var out []*report.Finding
	done := map[string]bool{}
	for _, d := range ds {
		for _, c := range d.Containers {
			id := d.ID
			if c.Name != "" {
				id += "/" + c.Name
			}
			for _, e := range c.Env {
				if !slices.Contains(pol.ForbidServiceEnv, e.Name) || done[id+"\x00"+e.Name] {
					continue
				}
				done[id+"\x00"+e.Name] = true
				out = append(out, &report.Finding{
					Code: "SP141", Severity: report.SevError, Secret: d.Secret, Consumers: []string{id},
					Message: fmt.Sprintf("%s sets %s, which policy.forbid_service_env forbids on anything deployed", id, e.Name),
					Hint: fmt.Sprintf("remove the variable from the %s (%s); test bypasses belong in local test setups, never in a deployed environment",
						whatKind(d.Kind), changeCommand(d.Kind, d.Target, "--remove-env-vars "+e.Name)),
					File: d.File, Line: d.Line,
				})
			}
		}
	}
	return out
}

// versionTimes gives a Secret Manager version's creation time;
// *sources.Accessor provides it.
type versionTimes interface {
	Created(ctx context.Context, name string) (time.Time, error)
}

// StaleLatestApplies reports whether StaleLatest checks c, and so asks
// for the creation time of c.SecretVersion: a resolved live revision that
// reads latest through an env var. Run uses it to ask early.
func StaleLatestApplies(c *report.Consumer) bool {
	return c.Resolved && c.Kind == string(config.KindCloudRun) && c.Via == string(config.LinkEnv) &&
		c.Requested == "latest" && c.SecretVersion != "" && c.RevisionCreateTime != ""
}

// StaleLatest reports SP131: a live revision reads `latest` through an env
// var, and latest is now a version created after the revision. Cloud Run
// resolves env-var secrets when an instance starts, so instances started
// before the rotation still hold the previous version (secret volumes are
// read on access and are not affected). Consumers it could not check are
// returned as notes, so the report says so instead of staying silent.
func StaleLatest(ctx context.Context, vt versionTimes, rep *report.Report) ([]*report.Finding, []string) {
	var out []*report.Finding
	var notes []string
	for _, s := range rep.Secrets {
		for _, c := range s.Consumers {
			if !StaleLatestApplies(c) {
				continue
			}
			revCreated, err := time.Parse(time.RFC3339, c.RevisionCreateTime)
			if err != nil {
				continue
			}
			verCreated, err := vt.Created(ctx, c.SecretVersion)
			if err != nil {
				notes = append(notes, staleNotChecked(c.ID, err))
				continue
			}
			if !verCreated.After(revCreated) {
				continue
			}
			out = append(out, &report.Finding{
				Code: "SP131", Severity: report.SevWarning, Secret: s.Name, Consumers: []string{c.ID},
				Message: fmt.Sprintf("%s reads %s at latest, which is now version %s, created %s, after the revision (%s): instances started before then may still hold an older version",
					c.ID, c.Ref, c.Version, verCreated.UTC().Format(time.RFC3339), revCreated.UTC().Format(time.RFC3339)),
				Hint: "deploy a new revision (e.g. " + changeCommand(c.Kind, c.Target, "--update-secrets ...") + ") so every instance restarts on the current version, and pin versions to make rotations explicit",
				File: c.File, Line: c.Line,
			})
		}
	}
	return out, notes
}

// UncheckedPairs lists the must_differ_from pairs that this run could not
// compare (the other secret left out by --only), so that SP150 does not
// pass silently: the report carries them for merge, and a note says so.
// Ignored is what an unexpired ignore entry for SP150 would set.
func UncheckedPairs(cfg *config.Config, rep *report.Report, now time.Time) []report.UncheckedPair {
	in := map[string]bool{}
	for _, s := range rep.Secrets {
		in[s.Name] = true
	}
	var out []report.UncheckedPair
	for _, s := range cfg.Secrets {
		for _, other := range s.MustDifferFrom {
			if in[s.Name] != in[other] {
				// The SP150 this pair may give, through the ignores (an
				// expired entry's SP170 is the run's own, not this one's).
				probe := &report.Finding{Code: "SP150", Secret: s.Name}
				ApplyIgnores(cfg, &report.Report{Findings: []*report.Finding{probe}}, now)
				out = append(out, report.UncheckedPair{Secret: s.Name, MustDifferFrom: other,
					File: s.Pos.File, Line: s.Pos.Line, Ignored: probe.Ignored})
			}
		}
	}
	return out
}

// UncheckedPairNote is the note for a pair left unchecked.
func UncheckedPairNote(p report.UncheckedPair) string {
	return fmt.Sprintf("SP150 not checked: %s must differ from %s, but only one of them is in this run (--only)", p.Secret, p.MustDifferFrom)
}

// staleNotChecked is the note for a consumer whose version's create time
// could not be read. The error names the version and the gRPC code the
// call got; only a PermissionDenied is a missing secretmanager.versions.get.
func staleNotChecked(id string, err error) string {
	msg := fmt.Sprintf("SP131 (latest rotated after the revision started) not checked for %s: reading the version's create time failed: %v", id, err)
	switch sources.CodeOf(err) {
	case "PermissionDenied":
		return msg + "; grant roles/secretmanager.viewer (secretmanager.versions.get) to check it"
	case "Unavailable", "DeadlineExceeded", "ResourceExhausted", "Internal":
		return msg + "; a later run may get through: retry, or raise --timeout"
	}
	return msg
}

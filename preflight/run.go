// Package preflight runs a check end to end: it expands each configured
// consumer into the concrete readers it stands for (one per serving
// revision and container), resolves their chains concurrently, and hands
// the results to the checks.
package preflight

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/secret-preflight/secret-preflight/checks"
	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// Options are what a run needs besides the config.
type Options struct {
	Resolver     *sources.Resolver
	CloudRun     *sources.CloudRun
	Fingerprints *secret.Fingerprinter
	// Only limits the run to these secret names.
	Only []string
	// Concurrency bounds the consumers resolved at once (default 8).
	Concurrency int
	// FailOn is error, warning or never.
	FailOn string
	// Now is the clock for ignore expiry.
	Now time.Time
	// ReadFile reads manifests (default os.ReadFile); the demo reads its
	// embedded copy.
	ReadFile func(string) ([]byte, error)
}

// Run checks every secret of cfg and returns the finished report.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*report.Report, error) {
	for _, name := range opts.Only {
		if !slices.ContainsFunc(cfg.Secrets, func(s *config.Secret) bool { return s.Name == name }) {
			return nil, fmt.Errorf("--only %s: no such secret in %s", name, cfg.Path)
		}
	}
	if opts.Resolver == nil {
		opts.Resolver = &sources.Resolver{}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	rep := &report.Report{FingerprintScope: opts.Fingerprints.Scope(), Config: cfg.Path}

	type job struct {
		secret   int
		consumer *config.Consumer
		out      []*report.Consumer
		notes    []string
		seen     []sources.Workload
	}
	var jobs []*job
	for _, s := range cfg.Secrets {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, s.Name) {
			continue
		}
		rep.Secrets = append(rep.Secrets, &report.Secret{Name: s.Name})
		if s.Runner != nil {
			jobs = append(jobs, &job{secret: len(rep.Secrets) - 1, consumer: s.Runner})
		}
		for _, c := range s.Services {
			jobs = append(jobs, &job{secret: len(rep.Secrets) - 1, consumer: c})
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for _, j := range jobs {
		g.Go(func() error {
			j.out, j.notes, j.seen = resolveConsumer(gctx, cfg, j.consumer, opts)
			return nil
		})
	}
	_ = g.Wait() // resolution errors live in the consumers, never here

	var notes []*report.Finding
	for _, j := range jobs {
		s := rep.Secrets[j.secret]
		for _, c := range j.out {
			c.File, c.Line = j.consumer.Pos.File, j.consumer.Pos.Line
			if c.Resolved {
				c.Fingerprint = opts.Fingerprints.Fingerprint(c.Value)
			}
		}
		s.Consumers = append(s.Consumers, j.out...)
		for _, n := range j.notes {
			notes = append(notes, &report.Finding{
				Code: "SP102", Severity: report.SevError, Secret: s.Name,
				Consumers: ids(j.out), Message: n,
				Hint: "fix the manifest (render its templates, correct the annotation) before deploying it",
				File: j.consumer.Pos.File, Line: j.consumer.Pos.Line,
			})
		}
	}
	rep.Findings = append(rep.Findings, notes...)
	var seen []sources.Workload
	for _, j := range jobs {
		seen = append(seen, j.seen...)
	}
	rep.Findings = append(rep.Findings, forbiddenEnv(cfg, seen)...)
	stale, unchecked := staleLatest(ctx, opts.Resolver.Secrets, rep)
	rep.Findings = append(rep.Findings, stale...)
	rep.Findings = append(rep.Findings, checks.Run(cfg, rep, opts.Fingerprints)...)
	noteUnchecked(rep, unchecked)
	checks.ApplyIgnores(cfg, rep, opts.Now)
	for _, s := range rep.Secrets {
		s.Verdict = checks.Verdict(s, opts.Fingerprints)
	}
	rep.Finish(opts.FailOn)
	return rep, nil
}

func ids(cs []*report.Consumer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// resolveConsumer expands one configured consumer and resolves each of the
// readers it stands for. Problems are returned as consumers with Error set
// (nothing could be read) or as notes (the source has a defect but values
// were still resolved).
func resolveConsumer(ctx context.Context, cfg *config.Config, c *config.Consumer, opts Options) ([]*report.Consumer, []string, []sources.Workload) {
	switch c.Kind {
	case config.KindRunner:
		rc := &report.Consumer{ID: "runner", Kind: string(c.Kind)}
		fill(rc, opts.Resolver.Runner(ctx, c.Chain), c.Trim)
		return []*report.Consumer{rc}, nil, nil
	case config.KindCloudRun:
		name, err := sources.ServiceName(cfg.GCP.Project, cfg.GCP.Region, c.Target)
		if err != nil {
			return []*report.Consumer{failed(c, "cloudrun:"+c.Target, c.Target, err)}, nil, nil
		}
		ws, _, err := opts.CloudRun.Serving(ctx, name)
		if err != nil {
			return []*report.Consumer{failed(c, "cloudrun:"+path.Base(name), name, err)}, nil, nil
		}
		var out []*report.Consumer
		for _, w := range ws {
			base := &report.Consumer{
				ID: "cloudrun:" + path.Base(name) + "@" + w.Revision, Kind: string(c.Kind), Target: name,
				Revision: w.Revision, TrafficPercent: w.TrafficPercent,
			}
			if !w.Created.IsZero() {
				base.RevisionCreateTime = w.Created.UTC().Format(time.RFC3339)
			}
			out = append(out, resolveWorkload(ctx, opts.Resolver, sources.ProjectOf(name), w, c, base)...)
		}
		return out, nil, ws
	case config.KindManifest:
		data, err := opts.ReadFile(c.Target)
		if err != nil {
			return []*report.Consumer{failed(c, "manifest:"+c.Target, c.Target, fmt.Errorf("reading manifest: %w", err))}, nil, nil
		}
		ws, err := sources.ParseManifest(c.Target, data)
		if err != nil {
			return []*report.Consumer{failed(c, "manifest:"+c.Target, c.Target, err)}, nil, nil
		}
		var out []*report.Consumer
		var notes []string
		for _, w := range ws {
			id := "manifest:" + c.Target
			if len(ws) > 1 {
				id += "#" + w.Service
			}
			base := &report.Consumer{ID: id, Kind: string(c.Kind), Target: c.Target}
			out = append(out, resolveWorkload(ctx, opts.Resolver, cfg.GCP.Project, w, c, base)...)
			notes = append(notes, w.Problems...)
		}
		return out, notes, ws
	case config.KindSetSecrets:
		name := c.Name
		if name == "" {
			name = "deploy"
		}
		id := "set_secrets:" + name
		ctr, err := sources.ParseSetSecrets(c.Target)
		if err != nil {
			return []*report.Consumer{failed(c, id, "", fmt.Errorf("set_secrets: %w", err))}, nil, nil
		}
		rc := &report.Consumer{ID: id, Kind: string(c.Kind)}
		fill(rc, opts.Resolver.Container(ctx, cfg.GCP.Project, ctr, c.Chain), c.Trim)
		return []*report.Consumer{rc}, nil, []sources.Workload{{Service: id, Containers: []sources.Container{ctr}}}
	}
	return []*report.Consumer{failed(c, string(c.Kind), c.Target, fmt.Errorf("unknown consumer kind %q", c.Kind))}, nil, nil
}

// resolveWorkload picks the containers of w that consume the secret and
// resolves each. base carries the id prefix and revision fields.
func resolveWorkload(ctx context.Context, r *sources.Resolver, project string, w sources.Workload, c *config.Consumer, base *report.Consumer) []*report.Consumer {
	at := func(ctr sources.Container) *report.Consumer {
		rc := *base
		rc.Container = ctr.Name
		if ctr.Name != "" {
			rc.ID += "/" + ctr.Name
		}
		return &rc
	}
	if c.Container != "" {
		for _, ctr := range w.Containers {
			if ctr.Name == c.Container {
				rc := at(ctr)
				fill(rc, r.Container(ctx, project, ctr, c.Chain), c.Trim)
				return []*report.Consumer{rc}
			}
		}
		rc := *base
		rc.Container = c.Container
		rc.ID += "/" + c.Container
		rc.Error = fmt.Sprintf("container %q not found in %s (containers: %s)", c.Container, where(w, base), strings.Join(containerNames(w), ", "))
		rc.ErrorCode = "NotFound"
		return []*report.Consumer{&rc}
	}
	var out []*report.Consumer
	for _, ctr := range w.Containers {
		if sources.HasLink(ctr, c.Chain) {
			rc := at(ctr)
			fill(rc, r.Container(ctx, project, ctr, c.Chain), c.Trim)
			out = append(out, rc)
		}
	}
	if len(out) > 0 {
		return out
	}
	// No container has an env var or mount of the chain: the revision is
	// one consumer, which may still resolve through a literal.
	rc := *base
	var ctr sources.Container
	for _, x := range w.Containers {
		if x.Ingress {
			ctr = x
			break
		}
	}
	fill(&rc, r.Container(ctx, project, ctr, c.Chain), c.Trim)
	return []*report.Consumer{&rc}
}

func where(w sources.Workload, base *report.Consumer) string {
	if w.Revision != "" {
		return "revision " + w.Revision
	}
	return base.Target
}

func containerNames(w sources.Workload) []string {
	var out []string
	for _, c := range w.Containers {
		name := c.Name
		if name == "" {
			name = `""`
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func failed(c *config.Consumer, id, target string, err error) *report.Consumer {
	return &report.Consumer{
		ID: id, Kind: string(c.Kind), Target: target, Container: c.Container,
		Link: -1, Error: err.Error(), ErrorCode: codeOrUnknown(err),
	}
}

func codeOrUnknown(err error) string {
	if c := sources.CodeOf(err); c != "" {
		return c
	}
	return "Unknown"
}

// fill copies an outcome into a report consumer.
func fill(rc *report.Consumer, o sources.Outcome, trim bool) {
	rc.Resolved = o.Resolved
	rc.Link = o.Link
	if !o.Resolved && o.Err == nil {
		rc.Link = -1
	}
	rc.Via, rc.Ref = o.Via, o.Ref
	rc.Version, rc.SecretVersion, rc.Requested = o.Version, o.SecretVersion, o.Requested
	rc.Value = o.Value
	if trim {
		rc.Value = o.Value.TrimSpace()
	}
	for _, s := range o.Skipped {
		rc.Skipped = append(rc.Skipped, report.Skipped{Link: s.Link, Via: s.Via, Ref: s.Ref, Why: s.Why})
	}
	if o.Err != nil {
		rc.Error = o.Err.Error()
		rc.ErrorCode = codeOrUnknown(o.Err)
	}
}

// forbiddenEnv reports SP141: a test-bypass variable set on a deployed (or
// about to be deployed) service, once per service, revision and variable
// however many secrets list the service.
func forbiddenEnv(cfg *config.Config, ws []sources.Workload) []*report.Finding {
	if len(cfg.Policy.ForbidServiceEnv) == 0 {
		return nil
	}
	var out []*report.Finding
	done := map[string]bool{}
	for _, w := range ws {
		for _, c := range w.Containers {
			for _, e := range c.Env {
				if !slices.Contains(cfg.Policy.ForbidServiceEnv, e.Name) {
					continue
				}
				where := w.Service
				if w.Revision != "" {
					where = path.Base(w.Service) + "@" + w.Revision
				}
				if c.Name != "" {
					where += "/" + c.Name
				}
				if done[where+" "+e.Name] {
					continue
				}
				done[where+" "+e.Name] = true
				out = append(out, &report.Finding{
					Code: "SP141", Severity: report.SevError, Consumers: []string{where},
					Message: fmt.Sprintf("%s sets %s, which policy.forbid_service_env forbids on deployed services", where, e.Name),
					Hint:    "remove the variable from the service (gcloud run services update --remove-env-vars " + e.Name + "); test bypasses belong in local test setups, never in a deployed environment",
				})
			}
		}
	}
	return out
}

// staleLatest reports SP131: a live revision reads `latest` through an env
// var, and latest is now a version created after the revision. Cloud Run
// resolves env-var secrets when an instance starts, so instances started
// before the rotation still hold the previous version (volumes are read
// on access and are not affected). unchecked maps consumer IDs to why the
// check could not run, so the report can say so instead of staying silent.
func staleLatest(ctx context.Context, acc *sources.Accessor, rep *report.Report) ([]*report.Finding, map[string]string) {
	var out []*report.Finding
	unchecked := map[string]string{}
	for _, s := range rep.Secrets {
		for _, c := range s.Consumers {
			if !c.Resolved || c.Kind != string(config.KindCloudRun) || c.Via != string(config.LinkEnv) ||
				c.Requested != "latest" || c.SecretVersion == "" || c.RevisionCreateTime == "" {
				continue
			}
			revCreated, err := time.Parse(time.RFC3339, c.RevisionCreateTime)
			if err != nil {
				continue
			}
			verCreated, err := acc.Created(ctx, c.SecretVersion)
			if err != nil {
				unchecked[c.ID] = err.Error()
				continue
			}
			if !verCreated.After(revCreated) {
				continue
			}
			out = append(out, &report.Finding{
				Code: "SP131", Severity: report.SevWarning, Secret: s.Name, Consumers: []string{c.ID},
				Message: fmt.Sprintf("%s reads %s at latest, which is now version %s, created %s, after the revision (%s): instances started before then may still hold an older version",
					c.ID, c.Ref, c.Version, verCreated.UTC().Format(time.RFC3339), revCreated.UTC().Format(time.RFC3339)),
				Hint: "deploy a new revision (e.g. gcloud run services update SERVICE --update-secrets ...) so every instance restarts on the current version, and pin versions to make rotations explicit",
				File: c.File, Line: c.Line,
			})
		}
	}
	return out, unchecked
}

// noteUnchecked adds to the SP130 finding of each secret which latest
// readers could not be checked for SP131, and why.
func noteUnchecked(rep *report.Report, unchecked map[string]string) {
	if len(unchecked) == 0 {
		return
	}
	for _, f := range rep.Findings {
		if f.Code != "SP130" {
			continue
		}
		noted := false
		for _, id := range f.Consumers {
			if why, ok := unchecked[id]; ok {
				f.Message += fmt.Sprintf(". SP131 (a rotation newer than the revision) not checked for %s: %s", id, why)
				noted = true
			}
		}
		if noted {
			f.Hint += "; grant roles/secretmanager.viewer (secretmanager.versions.get) to let SP131 compare creation times"
		}
	}
}

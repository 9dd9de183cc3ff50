// Package preflight runs a check end to end: it expands each configured
// consumer into the concrete readers it stands for (one per serving
// revision and container), resolves their chains concurrently, and hands
// the results to the checks.
package preflight

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/secret-preflight/secret-preflight/checks"
	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/crash"
	"github.com/secret-preflight/secret-preflight/internal/localfile"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// Options are what a run needs besides the config.
type Options struct {
	Resolver     *sources.Resolver
	CloudRun     *sources.CloudRun
	Jobs         *sources.CloudRunJobs
	Fingerprints *secret.Fingerprinter
	// Only limits the run to these secret names.
	Only []string
	// Concurrency bounds the API calls in flight at once, and the
	// consumers resolved at once (default DefaultConcurrency).
	Concurrency int
	// FailOn is error, warning or never.
	FailOn string
	// Now is the clock for ignore expiry.
	Now time.Time
	// ReadFile reads manifests (default: regular files of at most
	// localfile.LimitManifest); the demo reads its embedded copy.
	ReadFile func(string) ([]byte, error)
	// Prober sends the live probes of secrets with probes:; nil skips
	// them (--no-probes).
	Prober *checks.Prober
}

// readManifest reads a manifest file, bounded: a FIFO or a device given as
// a manifest must not hang or exhaust the run.
func readManifest(path string) ([]byte, error) {
	return localfile.Read(path, localfile.LimitManifest, "a manifest")
}

// DefaultConcurrency is the default bound on API calls in flight: enough
// to keep a run near the round-trip floor at a thousand services (a
// listing page brings 100 services, of which a few need a GetRevision), and
// a burst that per-minute read quotas absorb since each resource is read
// once. When they do not, the retry policy backs off on RESOURCE_EXHAUSTED
// while holding the call's slot, so a throttled run slows down as a whole.
const DefaultConcurrency = 32

// expansion is what one configured consumer turned into.
type expansion struct {
	consumers []*report.Consumer
	// problems are defects of a manifest that did not stop resolution.
	problems []string
	// notes are things the report should mention (a reconciling service).
	notes []string
	// deployed are the containers seen, for the policy checks.
	deployed []checks.Deployed
}

// Run checks every secret of cfg and returns the finished report.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*report.Report, error) {
	started := time.Now()
	for _, name := range opts.Only {
		if !slices.ContainsFunc(cfg.Secrets, func(s *config.Secret) bool { return s.Name == name }) {
			return nil, fmt.Errorf("--only %s: no such secret in %s", name, cfg.Path)
		}
	}
	if opts.Resolver == nil {
		opts.Resolver = &sources.Resolver{}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.ReadFile == nil {
		opts.ReadFile = readManifest
	}
	rep := &report.Report{FingerprintScope: opts.Fingerprints.Scope(), FingerprintKeyID: opts.Fingerprints.KeyID(), Config: cfg.Path}

	type job struct {
		secret   *config.Secret
		consumer *config.Consumer
		exp      expansion
	}
	var jobs []*job
	for _, s := range cfg.Secrets {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, s.Name) {
			continue
		}
		rep.Secrets = append(rep.Secrets, &report.Secret{Name: s.Name})
		if s.Runner != nil {
			jobs = append(jobs, &job{secret: s, consumer: s.Runner})
		}
		for _, c := range s.Services {
			jobs = append(jobs, &job{secret: s, consumer: c})
		}
	}
	ctx = sources.WithCallLimit(ctx, opts.Concurrency)
	// Every live service is known before anything is read: list regions
	// instead of getting services one by one where that is cheaper.
	live := map[string]bool{} // service -> its revisions serving traffic are wanted
	for _, j := range jobs {
		if j.consumer.Kind != config.KindCloudRun {
			continue
		}
		if name, err := sources.ServiceName(cfg.GCP.Project, cfg.GCP.Region, j.consumer.Target); err == nil {
			live[name] = live[name] || j.consumer.Tag == ""
		}
	}
	wait := opts.CloudRun.Prefetch(ctx, live)
	defer wait()
	// One scheduler for every consumer, runners queued first: their
	// Secret Manager answers teach the project numbers and what latest is,
	// and a service's ask for the same version (by number, pinned) that
	// finds one of them in flight waits for it instead of asking again
	// (sources.Accessor). A runner whose chain starts with Secret Manager
	// announces its ask before anything starts, so that a service that
	// gets there first waits for it all the same. Nothing waits for the
	// runners to finish: one slow exec: runner must not hold every
	// service until --timeout.
	order := slices.Clone(jobs)
	slices.SortStableFunc(order, func(a, b *job) int {
		return cmp.Compare(rank(a.consumer), rank(b.consumer))
	})
	asked := make([]func(), len(order))
	for i, j := range order {
		asked[i] = func() {}
		if c := j.consumer; c.Kind == config.KindRunner && len(c.Chain) > 0 && c.Chain[0].Kind == config.LinkSecretManager {
			asked[i] = opts.Resolver.Secrets.Expect(c.Chain[0].Name)
		}
	}
	var early sync.WaitGroup
	var panics crash.Catcher // a panic reaches the CLI's recover, not Go's crash
	var g errgroup.Group
	g.SetLimit(opts.Concurrency)
	for i, j := range order {
		g.Go(func() error {
			defer panics.Recover()
			defer asked[i]()
			j.exp = expand(ctx, cfg, j.consumer, opts)
			// SP131 will want these creation times: ask now, while
			// other consumers resolve, not one by one afterwards.
			for _, c := range j.exp.consumers {
				if checks.StaleLatestApplies(c) {
					name := c.SecretVersion
					early.Add(1)
					go func() {
						defer early.Done()
						defer panics.Recover()
						_, _ = opts.Resolver.Secrets.Created(ctx, name) // memoised for StaleLatest
					}()
				}
			}
			return nil
		})
	}
	_ = g.Wait() // resolution errors live in the consumers, never here
	early.Wait()
	panics.Repanic()

	byName := map[string]*report.Secret{}
	for _, s := range rep.Secrets {
		byName[s.Name] = s
	}
	var deployed []checks.Deployed
	for _, j := range jobs {
		s := byName[j.secret.Name]
		for _, c := range j.exp.consumers {
			c.File, c.Line, c.Col = j.consumer.Pos.File, j.consumer.Pos.Line, j.consumer.Pos.Col
			if c.Resolved {
				fingerprint(c, j.secret, opts.Fingerprints)
			}
		}
		s.Consumers = append(s.Consumers, j.exp.consumers...)
		for _, p := range j.exp.problems {
			rep.Findings = append(rep.Findings, &report.Finding{
				Code: "SP102", Severity: report.SevError, Secret: s.Name,
				Consumers: ids(j.exp.consumers), Message: p,
				Hint: "fix the manifest (render its templates, correct the annotation) before deploying it",
				File: j.consumer.Pos.File, Line: j.consumer.Pos.Line,
			})
		}
		rep.Notes = append(rep.Notes, j.exp.notes...)
		for _, d := range j.exp.deployed {
			d.Secret, d.File, d.Line = s.Name, j.consumer.Pos.File, j.consumer.Pos.Line
			deployed = append(deployed, d)
		}
	}
	rep.Findings = append(rep.Findings, checks.ForbiddenEnv(cfg.Policy, deployed)...)
	stale, notes := checks.StaleLatest(ctx, opts.Resolver.Secrets, rep)
	rep.Findings = append(rep.Findings, stale...)
	rep.Notes = append(rep.Notes, notes...)
	rep.Findings = append(rep.Findings, checks.Run(cfg, rep, opts.Fingerprints)...)
	probe(ctx, cfg, rep, opts.Prober)
	rep.UncheckedPairs = checks.UncheckedPairs(cfg, rep, opts.Now)
	for _, p := range rep.UncheckedPairs {
		rep.Notes = append(rep.Notes, checks.UncheckedPairNote(p))
	}
	rep.Notes = dedupe(rep.Notes)
	checks.ApplyIgnores(cfg, rep, opts.Now)
	for _, s := range rep.Secrets {
		s.Verdict = checks.Verdict(s, opts.Fingerprints)
		if note, ok := checks.NothingCompared(s); ok {
			rep.Notes = append(rep.Notes, note)
		}
	}
	rep.Finish(opts.FailOn)
	rep.StartedAt = started.UTC().Format(time.RFC3339)
	rep.DurationMS = time.Since(started).Milliseconds()
	return rep, nil
}

// fingerprint sets what c is shown and compared by (checks.Fingerprint:
// RFC 7638 thumbprints for asymmetric keys in PEM, JWK or JWKS, the keyed
// HMAC otherwise).
func fingerprint(c *report.Consumer, s *config.Secret, fp *secret.Fingerprinter) {
	checks.Fingerprint(c, s.JWT, fp)
}

func ids(cs []*report.Consumer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// expand turns one configured consumer into the readers it stands for and
// resolves each. What could not be read becomes a consumer with Error set,
// so partial failures still report everything else.
func expand(ctx context.Context, cfg *config.Config, c *config.Consumer, opts Options) expansion {
	switch c.Kind {
	case config.KindRunner:
		rc := &report.Consumer{ID: "runner", Kind: string(c.Kind)}
		fill(rc, opts.Resolver.Runner(ctx, c.Chain), c.Trim)
		return expansion{consumers: []*report.Consumer{rc}}
	case config.KindCloudRun:
		return expandCloudRun(ctx, cfg, c, opts)
	case config.KindCloudRunJob:
		return expandJob(ctx, cfg, c, opts)
	case config.KindManifest:
		return expandManifest(ctx, cfg, c, opts)
	case config.KindSetSecrets:
		name := c.Name
		if name == "" {
			name = config.DefaultSetSecretsName
		}
		id := "set_secrets:" + name
		ctr, err := sources.ParseSetSecrets(c.Target)
		if err != nil {
			return expansion{consumers: []*report.Consumer{failed(c, id, "", fmt.Errorf("set_secrets: %w", err))}}
		}
		rc := &report.Consumer{ID: id, Kind: string(c.Kind)}
		fill(rc, opts.Resolver.Container(ctx, cfg.GCP.Project, ctr, c.Chain), c.Trim)
		return expansion{
			consumers: []*report.Consumer{rc},
			deployed:  []checks.Deployed{{ID: id, Kind: string(c.Kind), Containers: []sources.Container{ctr}}},
		}
	}
	return expansion{consumers: []*report.Consumer{failed(c, string(c.Kind), c.Target, fmt.Errorf("unknown consumer kind %q", c.Kind))}}
}

func expandCloudRun(ctx context.Context, cfg *config.Config, c *config.Consumer, opts Options) expansion {
	name, err := sources.ServiceName(cfg.GCP.Project, cfg.GCP.Region, c.Target)
	if err != nil {
		return expansion{consumers: []*report.Consumer{failed(c, "cloudrun:"+c.Target, c.Target, err)}}
	}
	ws, notes, err := opts.CloudRun.Select(ctx, name, c.Tag)
	if err != nil {
		rc := failed(c, "cloudrun:"+path.Base(name), name, err)
		rc.Tag = c.Tag
		return expansion{consumers: []*report.Consumer{rc}, notes: notes}
	}
	exp := expansion{notes: notes}
	lacking := lackingContainer(ws, c.Container)
	for _, w := range ws {
		base := &report.Consumer{
			ID: "cloudrun:" + path.Base(name) + "@" + w.Revision, Kind: string(c.Kind), Target: name,
			Revision: w.Revision, TrafficPercent: w.TrafficPercent, Tag: c.Tag,
		}
		if !w.Created.IsZero() {
			base.RevisionCreateTime = w.Created.UTC().Format(time.RFC3339)
		}
		if w.Err != nil {
			rc := *base
			rc.Container = c.Container
			if c.Container != "" {
				rc.ID += "/" + c.Container
			}
			rc.Link, rc.Error, rc.ErrorCode = -1, w.Err.Error(), codeOrUnknown(w.Err)
			exp.consumers = append(exp.consumers, &rc)
			continue
		}
		exp.deployed = append(exp.deployed, checks.Deployed{ID: base.ID, Kind: string(c.Kind), Target: name, Containers: w.Containers})
		if lacking[w.Revision] {
			// Not a consumer only when nothing in it reads the chain: a
			// container that does (the named one was renamed) makes it an
			// unchecked consumer, never a silent pass.
			if readers := chainReaders(w, c.Chain); len(readers) > 0 {
				exp.consumers = append(exp.consumers, renamedContainer(base, w, c.Container, readers))
				continue
			}
			exp.notes = append(exp.notes, lackingNote(name, w, c.Container))
			continue
		}
		exp.consumers = append(exp.consumers, resolveWorkload(ctx, opts.Resolver, sources.ProjectOf(name), w, c, base)...)
	}
	return exp
}

func expandManifest(ctx context.Context, cfg *config.Config, c *config.Consumer, opts Options) expansion {
	// The id and target say the path as the config writes it, whatever
	// the working directory; the file is read where the loader resolved it.
	shown := c.Path
	if shown == "" {
		shown = c.Target
	}
	data, err := opts.ReadFile(c.Target)
	if err != nil {
		return expansion{consumers: []*report.Consumer{failed(c, "manifest:"+shown, shown, fmt.Errorf("reading manifest: %w", err))}}
	}
	ws, err := sources.ParseManifest(c.Target, data)
	if err != nil {
		return expansion{consumers: []*report.Consumer{failed(c, "manifest:"+shown, shown, err)}}
	}
	var exp expansion
	for _, w := range ws {
		id := "manifest:" + shown
		if len(ws) > 1 {
			id += "#" + w.Service
		}
		base := &report.Consumer{ID: id, Kind: string(c.Kind), Target: shown}
		exp.consumers = append(exp.consumers, resolveWorkload(ctx, opts.Resolver, cfg.GCP.Project, w, c, base)...)
		exp.problems = append(exp.problems, w.Problems...)
		exp.deployed = append(exp.deployed, checks.Deployed{ID: id, Kind: string(c.Kind), Target: shown, Containers: w.Containers})
	}
	return exp
}

// resolveWorkload picks the containers of w that consume the secret and
// resolves each. base carries the id prefix and revision fields.
func resolveWorkload(ctx context.Context, r *sources.Resolver, project string, w sources.Workload, c *config.Consumer, base *report.Consumer) []*report.Consumer {
	at := func(name string) *report.Consumer {
		rc := *base
		rc.Container = name
		if name != "" {
			rc.ID += "/" + name
		}
		return &rc
	}
	if c.Container != "" {
		rc := at(c.Container)
		for _, ctr := range w.Containers {
			if ctr.Name == c.Container {
				fill(rc, r.Container(ctx, project, ctr, c.Chain), c.Trim)
				return []*report.Consumer{rc}
			}
		}
		rc.Link = -1
		rc.Error = fmt.Sprintf("container %q not found in %s (containers: %s)", c.Container, where(w, base), strings.Join(containerNames(w), ", "))
		rc.ErrorCode = "NotFound"
		return []*report.Consumer{rc}
	}
	var out []*report.Consumer
	for _, ctr := range w.Containers {
		if sources.HasLink(ctr, c.Chain) {
			rc := at(ctr.Name)
			fill(rc, r.Container(ctx, project, ctr, c.Chain), c.Trim)
			out = append(out, rc)
		}
	}
	if len(out) > 0 {
		return out
	}
	// DESIGN.md section 8: when no container has any link of the chain,
	// the revision is one unresolved consumer (SP101). A literal or
	// secretmanager link is not consulted: no container shows that it
	// runs this code path at all.
	rc := *base
	rc.Link = -1
	var names []string
	for _, ctr := range w.Containers {
		names = append(names, sources.ContainerEnvNames(ctr)...)
	}
	for i, l := range c.Chain {
		sk := report.Skipped{Link: i, Via: string(l.Kind), Ref: l.Ref(),
			Why: "no container of " + where(w, base) + " has an env var or secret volume of this chain"}
		if l.Kind == config.LinkEnv {
			sk.DidYouMean = sources.NearEnvNames(l.Name, names, c.Chain)
		}
		rc.Skipped = append(rc.Skipped, sk)
	}
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
	switch c := sources.CodeOf(err); {
	case c != "":
		return c
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded"
	case errors.Is(err, context.Canceled):
		return "Canceled"
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
		rc.Skipped = append(rc.Skipped, report.Skipped{Link: s.Link, Via: s.Via, Ref: s.Ref, Why: s.Why, DidYouMean: s.DidYouMean})
	}
	if o.Err != nil {
		rc.Error = o.Err.Error()
		rc.ErrorCode = codeOrUnknown(o.Err)
	}
}

// rank orders consumers for scheduling: runners first (see Run).
func rank(c *config.Consumer) int {
	if c.Kind == config.KindRunner {
		return 0
	}
	return 1
}

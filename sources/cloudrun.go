package sources

import (
	"context"
	"fmt"
	"path"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/googleapis/gax-go/v2"
	"golang.org/x/sync/errgroup"

	"github.com/secret-preflight/secret-preflight/internal/crash"
	"github.com/secret-preflight/secret-preflight/internal/retry"
	"github.com/secret-preflight/secret-preflight/secret"
)

// serviceGetter and revisionGetter are the Cloud Run calls resolution needs;
// the official run.ServicesClient and run.RevisionsClient satisfy them.
type serviceGetter interface {
	GetService(ctx context.Context, req *runpb.GetServiceRequest, opts ...gax.CallOption) (*runpb.Service, error)
}

type revisionGetter interface {
	GetRevision(ctx context.Context, req *runpb.GetRevisionRequest, opts ...gax.CallOption) (*runpb.Revision, error)
}

// CloudRun reads live services, each service and revision once per run
// (see Prefetch): use one CloudRun per run.
type CloudRun struct {
	// Services gets services; when it also lists them (the official
	// ServicesClient does), Prefetch lists a region instead of getting
	// its services one by one.
	Services  serviceGetter
	Revisions revisionGetter
	// Retry bounds the retries of each call (zero: retry.Policy defaults).
	Retry retry.Policy
	// InitErr explains missing clients (e.g. no credentials).
	InitErr error
	// FullRead reads every service with GetService and every serving
	// revision with GetRevision, even where a listing or the service's
	// template already says all a report needs: the reference the
	// shortcuts are tested against.
	FullRead bool

	cache runCache
}

// ServiceName expands a short service name with the default project and
// region, and checks the shape of a full one.
func ServiceName(project, region, name string) (string, error) {
	if strings.HasPrefix(name, "projects/") {
		p := strings.Split(name, "/")
		if len(p) != 6 || p[2] != "locations" || p[4] != "services" || p[1] == "" || p[3] == "" || p[5] == "" {
			return "", fmt.Errorf("malformed service name %q (want projects/P/locations/R/services/S)", name)
		}
		return name, nil
	}
	if project == "" || region == "" {
		return "", fmt.Errorf("service %q: a short name needs gcp.project and gcp.region", name)
	}
	return fmt.Sprintf("projects/%s/locations/%s/services/%s", project, region, name), nil
}

// ProjectOf returns P from a name that starts with projects/P/.
func ProjectOf(name string) string {
	p := strings.SplitN(name, "/", 3)
	if len(p) >= 2 && p[0] == "projects" {
		return p[1]
	}
	return ""
}

// Serving returns one Workload per revision that serves traffic (percent
// > 0): the template may be newer than what actually serves, and it is the
// serving revisions whose instances hold the values E2E requests meet. A
// revision is read with GetRevision unless the service's template is that
// revision and says all a report needs (see fromTemplate).
func (c *CloudRun) Serving(ctx context.Context, service string) ([]Workload, []string, error) {
	return c.Select(ctx, service, "")
}

// Select is Serving, or with a tag the revision serving that tag's URL
// (SelectRevisions says which revisions are meant).
func (c *CloudRun) Select(ctx context.Context, service, tag string) ([]Workload, []string, error) {
	if c == nil || c.Services == nil || c.Revisions == nil {
		if c != nil && c.InitErr != nil {
			return nil, nil, fmt.Errorf("%s: %w", service, c.InitErr)
		}
		return nil, nil, fmt.Errorf("%s: no Cloud Run client configured", service)
	}
	svc, err := c.service(ctx, service)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	if svc.GetReconciling() {
		notes = append(notes, service+" is reconciling (a deploy or traffic change is in progress): the serving revisions checked may be about to change; run again once it settles")
	}
	shares, err := SelectRevisions(svc, tag)
	if err != nil {
		return nil, notes, err
	}
	percent := map[string]int{}
	revs := make([]string, len(shares))
	for i, s := range shares {
		revs[i], percent[s.Revision] = s.Revision, s.Percent
	}
	// Each revision is read on its own: one that cannot be read (deleted
	// mid-run, a permission on one revision) must not hide the others.
	out := make([]Workload, len(revs))
	var g errgroup.Group
	var panics crash.Catcher // a panic reaches the CLI's recover, not Go's crash
	for i, r := range revs {
		g.Go(func() error {
			defer panics.Recover()
			w, ok := c.fromTemplate(service, svc, r)
			if !ok {
				name := service + "/revisions/" + r
				w = Workload{Revision: r}
				rev, err := c.revision(ctx, name)
				if err != nil {
					w.Err = err
				} else {
					w = RevisionWorkload(rev)
					w.Revision = r
				}
			}
			w.Service = service
			w.TrafficPercent = percent[r]
			out[i] = w
			return nil
		})
	}
	_ = g.Wait() // per-revision errors are in the workloads
	panics.Repanic()
	return out, notes, nil
}

// RevisionWorkload reduces a v2 revision to its containers and secrets.
func RevisionWorkload(rev *runpb.Revision) Workload {
	w := Workload{
		Revision:   path.Base(rev.GetName()),
		Containers: v2Containers(rev.GetContainers(), rev.GetVolumes()),
	}
	if rev.GetCreateTime() != nil {
		w.Created = rev.GetCreateTime().AsTime()
	}
	return w
}

// v2Containers converts v2 containers and volumes (shared by revisions and
// service templates).
func v2Containers(cs []*runpb.Container, vols []*runpb.Volume) []Container {
	secretVols := map[string]*runpb.SecretVolumeSource{}
	for _, v := range vols {
		if s := v.GetSecret(); s != nil {
			secretVols[v.GetName()] = s
		}
	}
	out := make([]Container, 0, len(cs))
	for _, c := range cs {
		oc := Container{Name: c.GetName(), Ingress: len(c.GetPorts()) > 0 || len(cs) == 1}
		for _, e := range c.GetEnv() {
			ev := EnvVar{Name: e.GetName()}
			if ref := e.GetValueSource().GetSecretKeyRef(); ref != nil {
				ev.Secret = &SecretRef{Secret: ref.GetSecret(), Version: ref.GetVersion()}
			} else {
				ev.Value = secret.FromString(e.GetValue())
			}
			oc.Env = append(oc.Env, ev)
		}
		for _, m := range c.GetVolumeMounts() {
			s, ok := secretVols[m.GetName()]
			if !ok {
				continue
			}
			sm := SecretMount{MountPath: m.GetMountPath(), Secret: s.GetSecret()}
			for _, it := range s.GetItems() {
				sm.Items = append(sm.Items, MountItem{Path: it.GetPath(), Version: it.GetVersion()})
			}
			oc.Mounts = append(oc.Mounts, sm)
		}
		out = append(out, oc)
	}
	return out
}

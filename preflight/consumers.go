package preflight

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/secret-preflight/secret-preflight/checks"
	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/sources"
)

// expandJob reads a Cloud Run job: one consumer per container of its task
// template (DESIGN.md section 5), id cloudrun_job:J/CONTAINER.
func expandJob(ctx context.Context, cfg *config.Config, c *config.Consumer, opts Options) expansion {
	name, err := sources.JobName(cfg.GCP.Project, cfg.GCP.Region, c.Target)
	if err != nil {
		return expansion{consumers: []*report.Consumer{failed(c, "cloudrun_job:"+c.Target, c.Target, err)}}
	}
	id := "cloudrun_job:" + path.Base(name)
	w, err := opts.Jobs.Job(ctx, name)
	if err != nil {
		return expansion{consumers: []*report.Consumer{failed(c, id, name, err)}}
	}
	base := &report.Consumer{ID: id, Kind: string(c.Kind), Target: name}
	return expansion{
		consumers: resolveWorkload(ctx, opts.Resolver, sources.ProjectOf(name), w, c, base),
		deployed:  []checks.Deployed{{ID: id, Containers: w.Containers}},
	}
}

// lackingContainer returns the readable revisions of ws that have no
// container named container, when at least one other readable revision
// has it. Such a revision (an older one still at 10% from before a
// sidecar was added) does not read the secret through that container: it
// is not a consumer of it, and calling it unreadable would be a false
// SP102. When no revision has the container, the config is what is wrong,
// and the revisions stay unresolved consumers (SP102).
func lackingContainer(ws []sources.Workload, container string) map[string]bool {
	if container == "" {
		return nil
	}
	lacking := map[string]bool{}
	found := false
	for _, w := range ws {
		if w.Err != nil {
			continue
		}
		if hasContainer(w, container) {
			found = true
		} else {
			lacking[w.Revision] = true
		}
	}
	if !found {
		return nil
	}
	return lacking
}

func hasContainer(w sources.Workload, name string) bool {
	for _, c := range w.Containers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// lackingNote says why a serving revision was left out.
func lackingNote(service string, w sources.Workload, container string) string {
	return fmt.Sprintf("%s: revision %s (%d%% of traffic) has no container %q (its containers: %s), so it does not read the secret through it and is not a consumer of it; the other serving revisions were checked",
		service, w.Revision, w.TrafficPercent, container, strings.Join(containerNames(w), ", "))
}

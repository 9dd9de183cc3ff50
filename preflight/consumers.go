package preflight

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
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
		deployed:  []checks.Deployed{{ID: id, Kind: string(c.Kind), Target: name, Containers: w.Containers}},
	}
}

// lackingContainer returns the readable revisions of ws that have no
// container named container, when at least one other readable revision
// has it. Such a revision (an older one still at 10% from before a
// sidecar was added) does not read the secret through that container: it
// is not a consumer of it, and calling it unreadable would be a false
// SP102, unless another of its containers reads the chain (see
// renamedContainer). When no revision has the container, the config is
// what is wrong, and the revisions stay unresolved consumers (SP102).
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

// chainReaders names the containers of w that have a link of chain.
func chainReaders(w sources.Workload, chain []config.Link) []string {
	var out []string
	for _, ctr := range w.Containers {
		if sources.HasLink(ctr, chain) {
			out = append(out, ctr.Name)
		}
	}
	sort.Strings(out)
	return out
}

// renamedContainer is a serving revision that lacks the named container
// while others of its containers read the chain: most likely the container
// was renamed between revisions. Its traffic reads the secret, so it is an
// unresolved consumer (SP102, the run is incomplete), not a note: checking
// only the other revisions would pass while this share of traffic may hold
// another value.
func renamedContainer(base *report.Consumer, w sources.Workload, container string, readers []string) *report.Consumer {
	rc := *base
	rc.Container = container
	rc.ID += "/" + container
	rc.Link = -1
	quoted := make([]string, len(readers))
	for i, r := range readers {
		quoted[i] = strconv.Quote(r)
	}
	which := "its container " + quoted[0] + " reads"
	if len(quoted) > 1 {
		which = "its containers " + strings.Join(quoted, ", ") + " read"
	}
	rc.Error = fmt.Sprintf("revision %s (%d%% of traffic) has no container %q, but %s the secret through a link of the chain; it was not checked",
		w.Revision, w.TrafficPercent, container, which)
	rc.ErrorCode = "NotFound"
	rc.Hint = fmt.Sprintf("the container was probably renamed: set container: to %s if that is the one that reads the secret now, or, while both revisions serve traffic, list the service twice, once with container: %s and once with container: %s",
		strings.Join(quoted, " or "), strconv.Quote(container), quoted[0])
	return &rc
}

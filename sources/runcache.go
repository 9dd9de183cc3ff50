package sources

import (
	"context"
	"path"
	"strings"
	"sync"

	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/googleapis/gax-go/v2"

	"github.com/secret-preflight/secret-preflight/internal/crash"
)

// listPageSize is the page size asked of ListServices. The API documents no
// maximum; like every Google API it coerces a larger page_size to its own
// maximum (AIP-158), and the iterator follows next_page_token whatever page
// it gets, so asking for the most a region can hold costs nothing.
const listPageSize = 1000

// runCache holds what one run has read from Cloud Run, so that each
// service and revision is read once however many secrets and consumers
// name it. Its zero value is ready to use.
type runCache struct {
	services  memo[*runpb.Service]
	revisions memo[*runpb.Revision]

	mu sync.Mutex
	// waiting maps a service name, spelt as the config spells it, to a
	// channel closed once its listing has either delivered it or given up.
	waiting map[string]chan struct{}
	// traffic marks the services whose revisions serving traffic are
	// wanted (Prefetch).
	traffic map[string]bool
	bg      sync.WaitGroup
	// panics carries a panic of a background read to the wait function
	// Prefetch returns, so it reaches the CLI's recover.
	panics crash.Catcher
}

// Prefetch starts reading the given services (full names) in the
// background, so that Serving and Select find them read: the services of
// one project and region are listed with ListServices when that can take
// fewer calls than one GetService each, and the revisions serving traffic
// that a service does not describe itself are read as soon as it arrives,
// for the services whose value in want is true (a consumer without a tag
// will ask for them; a tag's revision is read when asked for). The
// returned function waits for the background reads; call it before the
// run ends. Without a client that lists, Prefetch does nothing.
func (c *CloudRun) Prefetch(ctx context.Context, want map[string]bool) (wait func()) {
	lister, ok := c.lister()
	if !ok || c.FullRead {
		return func() {}
	}
	c.cache.mu.Lock()
	if c.cache.traffic == nil {
		c.cache.traffic = map[string]bool{}
	}
	for name, traffic := range want {
		c.cache.traffic[name] = c.cache.traffic[name] || traffic
	}
	c.cache.mu.Unlock()
	byParent := map[string]map[string]bool{} // parent -> wanted short names
	for name := range want {
		parent, id, ok := splitServiceName(name)
		if !ok {
			continue
		}
		if byParent[parent] == nil {
			byParent[parent] = map[string]bool{}
		}
		byParent[parent][id] = true
	}
	c.cache.mu.Lock()
	for parent, ids := range byParent {
		// One service is one GetService; a listing is at least one call.
		// Get it now all the same, while the runners resolve.
		if len(ids) < 2 {
			for id := range ids {
				c.cache.bg.Add(1)
				go func() {
					defer c.cache.bg.Done()
					defer c.cache.panics.Recover()
					if svc, err := c.service(ctx, parent+"/services/"+id); err == nil {
						c.prefetchRevisions(ctx, parent+"/services/"+id, svc)
					}
				}()
			}
			continue
		}
		pending := map[string]chan struct{}{}
		for id := range ids {
			name := parent + "/services/" + id
			if _, seen := c.cache.waiting[name]; seen {
				continue
			}
			ch := make(chan struct{})
			if c.cache.waiting == nil {
				c.cache.waiting = map[string]chan struct{}{}
			}
			c.cache.waiting[name] = ch
			pending[id] = ch
		}
		if len(pending) < 2 {
			for _, ch := range pending {
				close(ch)
			}
			continue
		}
		c.cache.bg.Add(1)
		go func() {
			defer c.cache.bg.Done()
			defer c.cache.panics.Recover()
			c.list(ctx, lister, parent, pending)
		}()
	}
	c.cache.mu.Unlock()
	return func() {
		c.cache.bg.Wait()
		c.cache.panics.Repanic()
	}
}

// list reads the services of parent page by page and hands over those in
// pending, closing each one's channel. It stops as soon as every wanted
// service has been seen, and gives up (leaving the rest to GetService)
// when the pages read reach the number still missing: from there on, one
// GetService each costs no more than another page. A listing that fails
// (run.services.list denied, say) gives up the same way, so the consumers
// get the error GetService gives, which names their own service. So does
// a page that takes longer than one call may (retry.Policy.CallBudget): a
// listing that hangs must not hold every consumer of the region until the
// run's deadline.
func (c *CloudRun) list(ctx context.Context, lister ServiceLister, parent string, pending map[string]chan struct{}) {
	defer func() {
		for _, ch := range pending {
			close(ch)
		}
	}()
	budget := newPageBudget(ctx, c.Retry)
	defer budget.done()
	// A page that still fails after the retry policy's attempts ends the
	// listing: GetService then retries each service under the same policy.
	listOpts, _ := c.Retry.Iterator(budget.ctx)
	it := lister.ListServices(budget.ctx, &runpb.ListServicesRequest{Parent: parent, PageSize: listPageSize}, listOpts...)
	pages := 0
	for len(pending) > 0 {
		// The iterator fetches a page when its buffer is empty: that is the
		// call the limit and the budget apply to.
		var release func()
		if it.PageInfo().Remaining() == 0 {
			if pages >= len(pending) {
				return
			}
			acquired, err := acquireList(ctx)
			if err != nil {
				return
			}
			stop := budget.page()
			release = func() { stop(); acquired() }
			pages++
		}
		svc, err := it.Next()
		if release != nil {
			release()
		}
		if err != nil {
			// iterator.Done, or an error that GetService reports better.
			return
		}
		id := path.Base(svc.GetName())
		ch, ok := pending[id]
		if !ok {
			continue
		}
		name := parent + "/services/" + id
		c.cache.services.put(name, svc, nil)
		delete(pending, id)
		close(ch)
		c.prefetchRevisions(ctx, name, svc)
	}
}

// prefetchRevisions starts reading the serving revisions of svc that its
// template does not describe, without waiting for them.
func (c *CloudRun) prefetchRevisions(ctx context.Context, name string, svc *runpb.Service) {
	c.cache.mu.Lock()
	traffic := c.cache.traffic[name]
	c.cache.mu.Unlock()
	if !traffic {
		return
	}
	served, err := SelectRevisions(svc, "")
	if err != nil {
		return // Serving reports it
	}
	for _, s := range served {
		if _, ok := c.fromTemplate(name, svc, s.Revision); ok {
			continue
		}
		c.cache.bg.Add(1)
		go func() {
			defer c.cache.bg.Done()
			defer c.cache.panics.Recover()
			_, _ = c.revision(ctx, name+"/revisions/"+s.Revision) // kept for Serving, errors included
		}()
	}
}

// service reads a service once: from its listing when one is under way,
// else with GetService.
func (c *CloudRun) service(ctx context.Context, name string) (*runpb.Service, error) {
	c.cache.mu.Lock()
	ch := c.cache.waiting[name]
	c.cache.mu.Unlock()
	if ch != nil && !ready(ch) {
		select {
		case <-ch:
		case <-ctx.Done():
			// The listing may have delivered it just as the run ended.
			if !ready(ch) {
				return nil, cloudError(name, "run.services.get", ctx.Err())
			}
		}
	}
	return c.cache.services.do(name, func() (*runpb.Service, error) {
		return readOne(ctx, c.Retry, name, "run.services.get", func(ctx context.Context, opts ...gax.CallOption) (*runpb.Service, error) {
			return c.Services.GetService(ctx, &runpb.GetServiceRequest{Name: name}, opts...)
		})
	})
}

// revision reads a revision (full name) once.
func (c *CloudRun) revision(ctx context.Context, name string) (*runpb.Revision, error) {
	return c.cache.revisions.do(name, func() (*runpb.Revision, error) {
		return readOne(ctx, c.Retry, name, "run.revisions.get", func(ctx context.Context, opts ...gax.CallOption) (*runpb.Revision, error) {
			return c.Revisions.GetRevision(ctx, &runpb.GetRevisionRequest{Name: name}, opts...)
		})
	})
}

// fromTemplate returns the workload of revision rev of service name as the
// service's template describes it, when that is both exact and complete:
//
//   - the template is the revision: rev is the latest ready revision and
//     also the latest created one (a newer, failed or pending template is
//     not what serves), and the service is not reconciling (the fields may
//     be stale while it is);
//   - nothing a finding needs is missing: the template has no creation
//     time, and SP131 compares the revision's creation with the version
//     `latest` now names, for env vars that read latest. No field of the
//     service gives that time reliably (update_time moves with traffic and
//     label changes too), so such revisions are read with GetRevision.
func (c *CloudRun) fromTemplate(service string, svc *runpb.Service, rev string) (Workload, bool) {
	ready, created := svc.GetLatestReadyRevision(), svc.GetLatestCreatedRevision()
	if c.FullRead || svc.GetTemplate() == nil || svc.GetReconciling() ||
		ready == "" || path.Base(ready) != rev || path.Base(created) != rev {
		return Workload{}, false
	}
	w := Workload{
		Revision:   rev,
		Containers: v2Containers(svc.GetTemplate().GetContainers(), svc.GetTemplate().GetVolumes()),
	}
	if readsLatestEnv(ProjectOf(service), w) {
		return Workload{}, false
	}
	return w, true
}

// readsLatestEnv reports whether a container of w reads a Secret Manager
// version named `latest` through an env var: the consumers SP131 checks.
// A reference that does not parse counts too, so a doubt costs a call
// rather than a finding.
func readsLatestEnv(project string, w Workload) bool {
	for _, ctr := range w.Containers {
		for _, e := range ctr.Env {
			if e.Secret == nil {
				continue
			}
			name, err := VersionName(project, e.Secret.Secret, e.Secret.Version)
			if err != nil || path.Base(name) == "latest" {
				return true
			}
		}
	}
	return false
}

// lister returns the client's ListServices when it has one (the official
// ServicesClient does).
func (c *CloudRun) lister() (ServiceLister, bool) {
	if c == nil || c.Services == nil || c.Revisions == nil {
		return nil, false
	}
	l, ok := c.Services.(ServiceLister)
	return l, ok
}

// splitServiceName splits projects/P/locations/R/services/S into its parent
// projects/P/locations/R and S.
func splitServiceName(name string) (parent, id string, ok bool) {
	i := strings.LastIndex(name, "/services/")
	if i < 0 || strings.Count(name, "/") != 5 || !strings.HasPrefix(name, "projects/") {
		return "", "", false
	}
	return name[:i], name[i+len("/services/"):], true
}

// ready reports whether ch is closed, without waiting. A select between a
// closed channel and a done context picks either at random: callers look
// first, so that an answer already there is never dropped for the deadline.
func ready(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

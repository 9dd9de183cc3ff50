package sources

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/internal/retry"
)

// ServiceLister is the Cloud Run call discovery needs; the official
// *run.ServicesClient satisfies it. Its iterator follows pagination.
type ServiceLister interface {
	ListServices(ctx context.Context, req *runpb.ListServicesRequest, opts ...gax.CallOption) *run.ServiceIterator
}

// SecretGetter is the Secret Manager call discovery uses to learn the
// number of the project asked for; the official *secretmanager.Client
// satisfies it.
type SecretGetter interface {
	GetSecret(ctx context.Context, req *secretmanagerpb.GetSecretRequest, opts ...gax.CallOption) (*secretmanagerpb.Secret, error)
}

// Inventory is what `init` found: the live services and jobs of a project
// in some regions, and the Secret Manager secrets their templates read.
type Inventory struct {
	// Project and Regions are as asked.
	Project string
	Regions []string
	// Services are the services and jobs found, sorted by short name,
	// then region, services before jobs.
	Services []*DiscoveredService
	// JobsErr is why jobs could not be listed (they are then left out:
	// services are what init is mostly for), or nil.
	JobsErr error
	// Secrets are grouped by normalised secret name and sorted by it.
	Secrets []*SecretReaders
	// ProjectNumber is the number of Project when a listed service's name
	// or a Secret Manager lookup gave it, else "". It is only looked up
	// when a reference names a project by a number no service name does.
	ProjectNumber string
	// Unmatched are the project numbers, sorted, that references name but
	// that could not be told to be Project or another project, because the
	// number of Project could not be learned; NumberErr says why. Their
	// secrets are grouped as another project's.
	Unmatched []string
	NumberErr error
	// ForeignNumbers maps the number of another project, named by number
	// in some references, to that project's id, named in others: their
	// secrets are grouped under the id. ForeignNumberErrs holds, per
	// project id, why its number could not be learned while references
	// name numbers of no known project; their secrets are kept apart.
	ForeignNumbers    map[string]string
	ForeignNumberErrs map[string]error
}

// DiscoveredService is one listed service or job, reduced to its template.
type DiscoveredService struct {
	// Name is the full resource name as the API gave it.
	Name string
	// Job is true for a Cloud Run job (projects/P/locations/R/jobs/J),
	// whose containers come from its task template.
	Job bool
	// Region and ID are its location and short name.
	Region string
	ID     string
	// Containers come from the service template: what the next revision
	// will read, and, for a service at rest, what its revisions read.
	Containers []Container
}

// SecretReaders is one Secret Manager secret and the containers that read it.
type SecretReaders struct {
	// Name is projects/P/secrets/S, P being the project asked for when the
	// service names the secret by a bare id or by a spelling of that
	// project (its id, or its number once known: see
	// Inventory.ProjectNumber), else the project the reference names.
	Name string
	// Project is P of Name; Foreign is true when it is another project
	// than the one asked for.
	Project string
	Foreign bool
	// ID is the secret id S.
	ID string
	// Readers are sorted by service (as Services are), then by container
	// order within the service.
	Readers []*SecretReader
}

// Services returns the services that read the secret, in Readers order
// and without repeats.
func (s *SecretReaders) Services() []*DiscoveredService {
	var out []*DiscoveredService
	for _, r := range s.Readers {
		if len(out) == 0 || out[len(out)-1] != r.Service {
			out = append(out, r.Service)
		}
	}
	return out
}

// SecretReader is one container reading a secret.
type SecretReader struct {
	Service   *DiscoveredService
	Container string
	// Env are the env vars that take their value from the secret, in
	// container order (an env var redefined later in the container counts
	// only as its last definition, as the resolver reads it).
	Env []string
	// Files are the paths of secret volume files holding the secret: the
	// mount path joined with the item path, or with the secret id when
	// the volume has no items.
	Files []string
}

// Discover lists the services and jobs of project in each region and
// groups the secret references of their templates by secret. The v2 API
// lists one region at a time: the "-" wildcard is refused by it.
//
// Jobs are listed when jobs is not nil; a failure to list them is kept in
// Inventory.JobsErr rather than failing the discovery.
//
// A reference may name the secret's project by number
// (projects/NUMBER/secrets/S). When no listed service's name carries that
// number, Discover asks Secret Manager for the number of project through
// secrets (GetSecret, which answers with the number; it needs
// secretmanager.secrets.get). If that fails, or secrets is nil, such
// numbers are listed in Unmatched and their secrets kept apart; Discover
// never fails for it.
//
// Every call is retried under pol (see package retry).
func Discover(ctx context.Context, pol retry.Policy, lister ServiceLister, jobs JobLister, secrets SecretGetter, project string, regions []string) (*Inventory, error) {
	if len(regions) == 0 {
		return nil, fmt.Errorf("projects/%s: no region to list", project)
	}
	if lister == nil {
		return nil, fmt.Errorf("projects/%s/locations/%s: no Cloud Run client configured", project, regions[0])
	}
	inv := &Inventory{Project: project, Regions: regions}
	// Services are listed under projects/P, so whatever spelling of the
	// project their names carry (the id, or the number) is P as well.
	home := map[string]bool{project: true}
	for _, region := range regions {
		parent := fmt.Sprintf("projects/%s/locations/%s", project, region)
		// Each page may take what one call may: a page that hangs fails
		// its listing with an error naming it, not the whole --timeout.
		budget := newPageBudget(ctx, pol)
		defer budget.done()
		listOpts, annotate := pol.Iterator(budget.ctx)
		it := lister.ListServices(budget.ctx, &runpb.ListServicesRequest{Parent: parent}, listOpts...)
		for {
			svc, err := nextPaged(budget, it.PageInfo().Remaining(), it.Next)
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				return nil, cloudError(parent, "run.services.list", budget.err(annotate(err)))
			}
			ds, err := discoveredService(svc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", parent, err)
			}
			home[ProjectOf(ds.Name)] = true
			inv.Services = append(inv.Services, ds)
		}
		if jobs == nil || inv.JobsErr != nil {
			continue
		}
		jobBudget := newPageBudget(ctx, pol)
		defer jobBudget.done()
		jobOpts, annotateJobs := pol.Iterator(jobBudget.ctx)
		jit := jobs.ListJobs(jobBudget.ctx, &runpb.ListJobsRequest{Parent: parent}, jobOpts...)
		for {
			j, err := nextPaged(jobBudget, jit.PageInfo().Remaining(), jit.Next)
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				inv.JobsErr = cloudError(parent, "run.jobs.list", jobBudget.err(annotateJobs(err)))
				break
			}
			dj, err := discoveredJob(j)
			if err != nil {
				inv.JobsErr = fmt.Errorf("%s: %w", parent, err)
				break
			}
			home[ProjectOf(dj.Name)] = true
			inv.Services = append(inv.Services, dj)
		}
	}
	if inv.JobsErr != nil {
		// All or none: a partial list of jobs would look complete.
		inv.Services = slices.DeleteFunc(inv.Services, func(s *DiscoveredService) bool { return s.Job })
	}
	sort.SliceStable(inv.Services, func(i, j int) bool {
		a, b := inv.Services[i], inv.Services[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return !a.Job && b.Job
	})
	inv.ProjectNumber = knownNumber(home)
	if unknown := unknownNumbers(home, inv.Services); len(unknown) > 0 {
		number, err := projectNumber(ctx, pol, secrets, project, lookupCandidates(project, true, unknown, inv.Services))
		if err != nil {
			inv.Unmatched, inv.NumberErr = unknown, err
		} else {
			inv.ProjectNumber = number
			home[number] = true
		}
	}
	inv.learnForeignNumbers(ctx, pol, secrets, home)
	inv.Secrets = groupSecrets(project, home, inv.ForeignNumbers, inv.Services)
	return inv, nil
}

// learnForeignNumbers looks up the number of each other project that
// references name by id, while some references name a project by a number
// that is not the home project's: projects/222/secrets/jwt and
// projects/shared/secrets/jwt are one secret when 222 is shared's number.
// Lookups stop once every such number is placed.
func (inv *Inventory) learnForeignNumbers(ctx context.Context, pol retry.Policy, secrets SecretGetter, home map[string]bool) {
	numbers := map[string]bool{}
	idSet := map[string]bool{}
	secretRefs(inv.Services, func(proj, _ string) {
		switch {
		case proj == "" || home[proj]:
		case isProjectNumber(proj):
			numbers[proj] = true
		default:
			idSet[proj] = true
		}
	})
	if len(numbers) == 0 || len(idSet) == 0 {
		return
	}
	ids := make([]string, 0, len(idSet))
	for id := range idSet {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if len(numbers) == 0 {
			break
		}
		remaining := make([]string, 0, len(numbers))
		for n := range numbers {
			remaining = append(remaining, n)
		}
		sort.Strings(remaining)
		number, err := projectNumber(ctx, pol, secrets, id, lookupCandidates(id, false, remaining, inv.Services))
		if err != nil {
			if inv.ForeignNumberErrs == nil {
				inv.ForeignNumberErrs = map[string]error{}
			}
			inv.ForeignNumberErrs[id] = err
			continue
		}
		if numbers[number] {
			if inv.ForeignNumbers == nil {
				inv.ForeignNumbers = map[string]string{}
			}
			inv.ForeignNumbers[number] = id
			delete(numbers, number)
		}
	}
	// A number now known to be another project's is no longer one that
	// might be the home project's.
	inv.Unmatched = slices.DeleteFunc(inv.Unmatched, func(n string) bool { return inv.ForeignNumbers[n] != "" })
	if len(inv.Unmatched) == 0 {
		inv.Unmatched, inv.NumberErr = nil, nil
	}
	// A failed lookup matters only while a number stays unplaced.
	if len(numbers) == 0 {
		inv.ForeignNumberErrs = nil
	}
}

// isProjectNumber reports whether a project segment is a number: project
// ids start with a letter.
func isProjectNumber(p string) bool {
	if p == "" {
		return false
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// secretRefs calls f with the project segment ("" for a bare id) and the
// secret id of every secret reference of the services' containers that
// groupSecrets groups (an env var redefined later reads nothing).
func secretRefs(services []*DiscoveredService, f func(proj, id string)) {
	ref := func(r string) {
		if p := strings.Split(r, "/"); len(p) >= 4 && p[0] == "projects" && p[2] == "secrets" {
			f(p[1], p[3])
			return
		}
		f("", r)
	}
	for _, svc := range services {
		for _, c := range svc.Containers {
			for i, ev := range c.Env {
				if ev.Secret != nil && ev.Secret.Secret != "" && !redefinedLater(c.Env, i) {
					ref(ev.Secret.Secret)
				}
			}
			for _, m := range c.Mounts {
				if m.Secret != "" {
					ref(m.Secret)
				}
			}
		}
	}
}

// knownNumber is the project number among the home spellings, or "".
func knownNumber(home map[string]bool) string {
	out := ""
	for p := range home {
		if isProjectNumber(p) && (out == "" || p < out) {
			out = p
		}
	}
	return out
}

// unknownNumbers returns, sorted, the project numbers references name
// while home holds no number: they may or may not be the home project. Once
// home holds a number, any other number is another project's (a project
// has one number).
func unknownNumbers(home map[string]bool, services []*DiscoveredService) []string {
	if knownNumber(home) != "" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	secretRefs(services, func(proj, _ string) {
		if isProjectNumber(proj) && !seen[proj] {
			seen[proj] = true
			out = append(out, proj)
		}
	})
	sort.Strings(out)
	return out
}

// lookupCandidates are the secrets, spelt projects/PROJECT/secrets/S, whose
// GetSecret answer gives the number of project, most telling first: the
// ids referenced under an unknown number (the answer then also says
// directly whether it is the same secret), then the ids referenced as
// project's (spelt with project, or bare when project is the home one),
// each group sorted.
func lookupCandidates(project string, isHome bool, unknown []string, services []*DiscoveredService) []string {
	isUnknown := map[string]bool{}
	for _, n := range unknown {
		isUnknown[n] = true
	}
	numbered, homed := map[string]bool{}, map[string]bool{}
	secretRefs(services, func(proj, id string) {
		switch {
		case id == "" || strings.Contains(id, "/"):
		case isUnknown[proj]:
			numbered[id] = true
		case (proj == "" && isHome) || proj == project:
			homed[id] = true
		}
	})
	for id := range numbered {
		delete(homed, id)
	}
	var out []string
	for _, group := range []map[string]bool{numbered, homed} {
		ids := make([]string, 0, len(group))
		for id := range group {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			out = append(out, "projects/"+project+"/secrets/"+id)
		}
	}
	return out
}

// maxNumberLookups bounds the GetSecret calls spent learning a project
// number: access may be granted per secret, so a refusal on one secret
// does not settle it, but a project-wide refusal should not cost a call per
// secret either.
const maxNumberLookups = 3

// projectNumber learns the number of project from the name GetSecret
// answers with for the first candidate it can read. The error, when none
// can be read, is the first candidate's (the most telling).
func projectNumber(ctx context.Context, pol retry.Policy, secrets SecretGetter, project string, candidates []string) (string, error) {
	if len(candidates) == 0 {
		return "", fmt.Errorf("projects/%s: no secret of it is referenced by id to look its number up with", project)
	}
	if secrets == nil {
		return "", fmt.Errorf("%s: no Secret Manager client configured", candidates[0])
	}
	var first error
	tried := 0
	for _, name := range candidates {
		if tried == maxNumberLookups {
			break
		}
		tried++
		var s *secretmanagerpb.Secret
		err := pol.Do(ctx, func(ctx context.Context, opts ...gax.CallOption) (err error) {
			s, err = secrets.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: name}, opts...)
			return err
		})
		if err == nil {
			if p := strings.Split(s.GetName(), "/"); len(p) == 4 && p[0] == "projects" && p[2] == "secrets" && isProjectNumber(p[1]) {
				return p[1], nil
			}
			err = fmt.Errorf("%s: Secret Manager answered with an unexpected secret name %q", name, s.GetName())
		} else {
			err = cloudError(name, "secretmanager.secrets.get", err)
		}
		if first == nil {
			first = err
		}
		// Only a refusal or an absence, which may be particular to this
		// secret, is worth another try; credentials, deadlines and
		// outages are not.
		var ce *CloudError
		if errors.As(err, &ce) && ce.Code != codes.PermissionDenied && ce.Code != codes.NotFound {
			break
		}
	}
	if tried > 1 {
		other := "secret"
		if tried > 2 {
			other = "secrets"
		}
		return "", fmt.Errorf("%w (nor could %d other %s)", first, tried-1, other)
	}
	return "", first
}

func discoveredJob(j *runpb.Job) (*DiscoveredService, error) {
	p := strings.Split(j.GetName(), "/")
	if len(p) != 6 || p[0] != "projects" || p[2] != "locations" || p[4] != "jobs" || p[1] == "" || p[3] == "" || p[5] == "" {
		return nil, fmt.Errorf("the API listed a job with a malformed name %q", j.GetName())
	}
	return &DiscoveredService{
		Name:       j.GetName(),
		Job:        true,
		Region:     p[3],
		ID:         p[5],
		Containers: JobWorkload(j).Containers,
	}, nil
}

func discoveredService(svc *runpb.Service) (*DiscoveredService, error) {
	p := strings.Split(svc.GetName(), "/")
	if len(p) != 6 || p[0] != "projects" || p[2] != "locations" || p[4] != "services" || p[1] == "" || p[3] == "" || p[5] == "" {
		return nil, fmt.Errorf("the API listed a service with a malformed name %q", svc.GetName())
	}
	t := svc.GetTemplate()
	return &DiscoveredService{
		Name:       svc.GetName(),
		Region:     p[3],
		ID:         p[5],
		Containers: v2Containers(t.GetContainers(), t.GetVolumes()),
	}, nil
}

// groupSecrets collects, per normalised secret, each container's env vars
// and volume files that read it.
func groupSecrets(project string, home map[string]bool, foreign map[string]string, services []*DiscoveredService) []*SecretReaders {
	bySecret := map[string]*SecretReaders{}
	normalise := func(ref string) *SecretReaders {
		proj, id := project, ref
		if p := strings.Split(ref, "/"); len(p) >= 4 && p[0] == "projects" && p[2] == "secrets" {
			// projects/P/secrets/S, possibly followed by /versions/V.
			proj, id = p[1], p[3]
			if home[proj] {
				proj = project
			} else if id, ok := foreign[proj]; ok {
				proj = id
			}
		}
		name := "projects/" + proj + "/secrets/" + id
		g, ok := bySecret[name]
		if !ok {
			g = &SecretReaders{Name: name, Project: proj, Foreign: proj != project, ID: id}
			bySecret[name] = g
		}
		return g
	}
	for _, svc := range services {
		for _, c := range svc.Containers {
			// Per secret, this container's reader, created on first use so
			// that Readers keep container order.
			readers := map[*SecretReaders]*SecretReader{}
			reader := func(g *SecretReaders) *SecretReader {
				r, ok := readers[g]
				if !ok {
					r = &SecretReader{Service: svc, Container: c.Name}
					readers[g] = r
					g.Readers = append(g.Readers, r)
				}
				return r
			}
			for i, ev := range c.Env {
				if ev.Secret == nil || ev.Secret.Secret == "" || redefinedLater(c.Env, i) {
					continue
				}
				r := reader(normalise(ev.Secret.Secret))
				r.Env = appendNew(r.Env, ev.Name)
			}
			for _, m := range c.Mounts {
				if m.Secret == "" {
					continue
				}
				r := reader(normalise(m.Secret))
				if len(m.Items) == 0 {
					r.Files = appendNew(r.Files, path.Join("/", m.MountPath, path.Base(m.Secret)))
					continue
				}
				for _, it := range m.Items {
					r.Files = appendNew(r.Files, path.Join("/", m.MountPath, it.Path))
				}
			}
		}
	}
	out := make([]*SecretReaders, 0, len(bySecret))
	for _, g := range bySecret {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// redefinedLater reports whether env[i] is overridden by a later variable of
// the same name (the last definition wins).
func redefinedLater(env []EnvVar, i int) bool {
	for _, ev := range env[i+1:] {
		if ev.Name == env[i].Name {
			return true
		}
	}
	return false
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

package sources

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
)

// ServiceLister is the Cloud Run call discovery needs; the official
// *run.ServicesClient satisfies it. Its iterator follows pagination.
type ServiceLister interface {
	ListServices(ctx context.Context, req *runpb.ListServicesRequest, opts ...gax.CallOption) *run.ServiceIterator
}

// Inventory is what `init` found: the live services of a project and
// region, and the Secret Manager secrets their templates read.
type Inventory struct {
	// Project and Region are as asked; Region "-" means every region.
	Project string
	Region  string
	// Services are sorted by short name, then region.
	Services []*DiscoveredService
	// Secrets are grouped by normalised secret name and sorted by it.
	Secrets []*SecretReaders
}

// DiscoveredService is one listed service, reduced to its template.
type DiscoveredService struct {
	// Name is the full resource name as the API gave it.
	Name string
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
	// service names the secret by a bare id or by its own project's
	// spelling, else the project the reference names.
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

// Discover lists the services of project in region ("-" for every region)
// and groups the secret references of their templates by secret.
func Discover(ctx context.Context, lister ServiceLister, project, region string) (*Inventory, error) {
	parent := fmt.Sprintf("projects/%s/locations/%s", project, region)
	if lister == nil {
		return nil, fmt.Errorf("%s: no Cloud Run client configured", parent)
	}
	inv := &Inventory{Project: project, Region: region}
	it := lister.ListServices(ctx, &runpb.ListServicesRequest{Parent: parent})
	// Services are listed under projects/P, so whatever spelling of the
	// project their names carry (the id, or the number) is P as well.
	home := map[string]bool{project: true}
	for {
		svc, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, cloudError(parent, "run.services.list", err)
		}
		ds, err := discoveredService(svc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", parent, err)
		}
		home[ProjectOf(ds.Name)] = true
		inv.Services = append(inv.Services, ds)
	}
	sort.SliceStable(inv.Services, func(i, j int) bool {
		a, b := inv.Services[i], inv.Services[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Region < b.Region
	})
	inv.Secrets = groupSecrets(project, home, inv.Services)
	return inv, nil
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
func groupSecrets(project string, home map[string]bool, services []*DiscoveredService) []*SecretReaders {
	bySecret := map[string]*SecretReaders{}
	normalise := func(ref string) *SecretReaders {
		proj, id := project, ref
		if p := strings.Split(ref, "/"); len(p) >= 4 && p[0] == "projects" && p[2] == "secrets" {
			// projects/P/secrets/S, possibly followed by /versions/V.
			proj, id = p[1], p[3]
			if home[proj] {
				proj = project
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

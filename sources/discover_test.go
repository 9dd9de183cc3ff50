package sources

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	run "cloud.google.com/go/run/apiv2"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
	"github.com/secret-preflight/secret-preflight/internal/retry"
)

const discoverFixture = `
projects: {p: "100000000001", other: "100000000002", third: "100000000003"}
services:
  - name: projects/p/locations/r1/services/b
    createTime: 2026-01-02T00:00:00Z
    template:
      containers:
        - name: main
          ports: [{containerPort: 8080}]
          env:
            - {name: A, valueSource: {secretKeyRef: {secret: s1, version: latest}}}
            - {name: OVERRIDDEN, valueSource: {secretKeyRef: {secret: s1}}}
            - {name: OVERRIDDEN, value: plain}
            - {name: A2, valueSource: {secretKeyRef: {secret: projects/p/secrets/s1, version: "2"}}}
            - {name: A, valueSource: {secretKeyRef: {secret: s1, version: "3"}}}
            - {name: X, valueSource: {secretKeyRef: {secret: projects/other/secrets/s1}}}
          volumeMounts:
            - {name: v1, mountPath: /m1/}
            - {name: v2, mountPath: /m2}
            - {name: scratch, mountPath: /tmp}
        - name: side
          volumeMounts: [{name: v1, mountPath: /side}]
      volumes:
        - {name: v1, secret: {secret: s2, items: [{path: a/key, version: "1"}, {path: b, version: latest}]}}
        - {name: v2, secret: {secret: projects/100000000001/secrets/s3}}
        - {name: scratch, emptyDir: {}}
  - name: projects/100000000001/locations/r2/services/a
    createTime: 2026-01-03T00:00:00Z
    template:
      containers:
        - name: only
          env:
            - {name: B, valueSource: {secretKeyRef: {secret: projects/100000000001/secrets/s1}}}
  - name: projects/p/locations/r1/services/a
    createTime: 2026-01-01T00:00:00Z
    template:
      containers: [{name: c}]
  - name: projects/other/locations/r1/services/elsewhere
    template:
      containers:
        - name: c
          env:
            - {name: Z, valueSource: {secretKeyRef: {secret: s1}}}
`

// testRetry keeps retries fast: a test that meets a transient fault waits
// milliseconds, not the production backoff.
var testRetry = retry.Policy{Initial: time.Millisecond, Max: 4 * time.Millisecond}

// discoverClients are the official clients, connected to a fake.
type discoverClients struct {
	srv *fakegcp.Server
	run *run.ServicesClient
	sm  *secretmanager.Client
}

func discoverFake(t *testing.T, fixture string) discoverClients {
	t.Helper()
	f, err := fakegcp.ParseFixture("fixture.yaml", []byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fakegcp.NewServer(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := run.NewServicesClient(context.Background(), srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	sm, err := secretmanager.NewClient(context.Background(), srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	return discoverClients{srv: srv, run: client, sm: sm}
}

// discover runs Discover against the fake with the test retry policy and
// fails the test on an error.
func (fc discoverClients) discover(t *testing.T, project string, regions ...string) *Inventory {
	t.Helper()
	inv, err := Discover(context.Background(), testRetry, fc.run, nil, fc.sm, project, regions)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// checkInventory compares inv, as describeInventory renders it, with want.
func checkInventory(t *testing.T, inv *Inventory, want string) {
	t.Helper()
	if got := describeInventory(inv); got != want {
		t.Errorf("inventory:\n%s\nwant:\n%s", got, want)
	}
}

// describe renders an inventory compactly for comparisons.
func describeInventory(inv *Inventory) string {
	var b strings.Builder
	for _, s := range inv.Services {
		fmt.Fprintf(&b, "service %s/%s %s\n", s.Region, s.ID, s.Name)
	}
	for _, g := range inv.Secrets {
		fmt.Fprintf(&b, "secret %s id=%s project=%s foreign=%v services=%d\n", g.Name, g.ID, g.Project, g.Foreign, len(g.Services()))
		for _, r := range g.Readers {
			fmt.Fprintf(&b, "  %s/%s env=%v files=%v\n", r.Service.ID, r.Container, r.Env, r.Files)
		}
	}
	return b.String()
}

func TestDiscoverAllRegions(t *testing.T) {
	fc := discoverFake(t, discoverFixture)
	srv := fc.srv
	inv := fc.discover(t, "p", "r1", "r2")
	want := `service r1/a projects/p/locations/r1/services/a
service r2/a projects/100000000001/locations/r2/services/a
service r1/b projects/p/locations/r1/services/b
secret projects/other/secrets/s1 id=s1 project=other foreign=true services=1
  b/main env=[X] files=[]
secret projects/p/secrets/s1 id=s1 project=p foreign=false services=2
  a/only env=[B] files=[]
  b/main env=[A2 A] files=[]
secret projects/p/secrets/s2 id=s2 project=p foreign=false services=1
  b/main env=[] files=[/m1/a/key /m1/b]
  b/side env=[] files=[/side/a/key /side/b]
secret projects/p/secrets/s3 id=s3 project=p foreign=false services=1
  b/main env=[] files=[/m2/s3]
`
	checkInventory(t, inv, want)
	for _, parent := range []string{"projects/p/locations/r1", "projects/p/locations/r2"} {
		if n := srv.CallsFor("ListServices", parent); n != 1 {
			t.Errorf("ListServices on %s called %d times, want 1", parent, n)
		}
	}
	// A service's name carries the number: nothing to look up.
	if n := srv.Calls("GetSecret"); n != 0 || inv.ProjectNumber != "100000000001" || inv.Unmatched != nil {
		t.Errorf("GetSecret calls %d, number %q, unmatched %q; want 0, 100000000001 from a service name, none", n, inv.ProjectNumber, inv.Unmatched)
	}

	// Every env var and file discovery names must resolve to the same
	// secret through the resolver's own lookup.
	for _, g := range inv.Secrets {
		for _, r := range g.Readers {
			var c Container
			for _, cc := range r.Service.Containers {
				if cc.Name == r.Container {
					c = cc
				}
			}
			for _, e := range r.Env {
				ev, ok := findEnv(c, e)
				if !ok || ev.Secret == nil {
					t.Errorf("%s/%s: env %s does not resolve to a secret", r.Service.ID, r.Container, e)
				}
				if !HasLink(c, []config.Link{{Kind: config.LinkEnv, Name: e}}) {
					t.Errorf("%s/%s: HasLink(env %s) = false", r.Service.ID, r.Container, e)
				}
			}
			for _, f := range r.Files {
				m, _, ok := findMount(c, f)
				if !ok || !strings.HasSuffix(g.Name, "/"+strings.TrimPrefix(m.Secret, "projects/100000000001/secrets/")) {
					t.Errorf("%s/%s: file %s resolves to %+v, want a mount of %s", r.Service.ID, r.Container, f, m, g.Name)
				}
			}
		}
	}
}

func TestDiscoverOneRegion(t *testing.T) {
	fc := discoverFake(t, discoverFixture)
	inv := fc.discover(t, "p", "r2")
	want := `service r2/a projects/100000000001/locations/r2/services/a
secret projects/p/secrets/s1 id=s1 project=p foreign=false services=1
  a/only env=[B] files=[]
`
	checkInventory(t, inv, want)
}

func TestDiscoverEmpty(t *testing.T) {
	fc := discoverFake(t, discoverFixture)
	inv := fc.discover(t, "third", "r1")
	if len(inv.Services) != 0 || len(inv.Secrets) != 0 {
		t.Errorf("want an empty inventory, got:\n%s", describeInventory(inv))
	}
}

func TestDiscoverErrors(t *testing.T) {
	for _, tc := range []struct {
		code codes.Code
		want string
	}{
		{codes.PermissionDenied, "projects/p/locations/r1: PermissionDenied: the caller lacks IAM permission run.services.list on it"},
		{codes.NotFound, "projects/p/locations/r1: NotFound: not found"},
		{codes.Unauthenticated, "projects/p/locations/r1: Unauthenticated: no valid credentials"},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			fc := discoverFake(t, discoverFixture)
			fc.srv.SetFault("ListServices", "", tc.code)
			inv, err := Discover(context.Background(), testRetry, fc.run, nil, fc.sm, "p", []string{"r1"})
			if err == nil {
				t.Fatalf("want an error, got:\n%s", describeInventory(inv))
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start with %q", err, tc.want)
			}
			var ce *CloudError
			if !errors.As(err, &ce) || ce.Code != tc.code || ce.Permission != "run.services.list" {
				t.Errorf("want a CloudError with code %s and permission run.services.list, got %#v", tc.code, err)
			}
		})
	}
}

// ListServices goes through the retry policy, page by page: a blip is
// absorbed, an outage is reported with its code and the attempts made.
func TestDiscoverListRetries(t *testing.T) {
	fc := discoverFake(t, discoverFixture)
	fc.srv.SetFaultTimes("ListServices", "", codes.Unavailable, 1)
	if _, err := Discover(context.Background(), testRetry, fc.run, nil, fc.sm, "p", []string{"r1"}); err != nil {
		t.Fatalf("one Unavailable must be retried: %v", err)
	}
	if n := fc.srv.Calls("ListServices"); n != 2 {
		t.Errorf("ListServices called %d times, want 2", n)
	}

	fc = discoverFake(t, discoverFixture)
	fc.srv.SetFault("ListServices", "", codes.ResourceExhausted)
	_, err := Discover(context.Background(), testRetry, fc.run, nil, fc.sm, "p", []string{"r1"})
	if want := "projects/p/locations/r1: ResourceExhausted after 5 attempts"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want it to start with %q", err, want)
	}
	if n := fc.srv.Calls("ListServices"); n != 5 {
		t.Errorf("ListServices called %d times, want 5", n)
	}
}

func TestDiscoverNoClient(t *testing.T) {
	if _, err := Discover(context.Background(), testRetry, nil, nil, nil, "p", []string{"r1"}); err == nil || !strings.Contains(err.Error(), "projects/p/locations/r1") {
		t.Errorf("nil lister: error %v, want one naming the location", err)
	}
}

// numberedFixture names every service by project id, so no service name
// tells discovery the number of p: x reads s1 by bare id, y by
// projects/NUMBER (p's number) and reads s9 of other by number too.
const numberedFixture = `
projects: {p: "100000000001", other: "100000000002"}
secrets:
  - name: projects/p/secrets/s1
  - name: projects/p/secrets/s2
  - name: projects/other/secrets/s9
services:
  - name: projects/p/locations/r1/services/x
    template:
      containers:
        - name: c
          env:
            - {name: S1, valueSource: {secretKeyRef: {secret: s1}}}
            - {name: S2, valueSource: {secretKeyRef: {secret: projects/p/secrets/s2}}}
  - name: projects/p/locations/r1/services/y
    template:
      containers:
        - name: c
          env:
            - {name: S1, valueSource: {secretKeyRef: {secret: projects/100000000001/secrets/s1, version: "1"}}}
            - {name: S9, valueSource: {secretKeyRef: {secret: projects/100000000002/secrets/s9}}}
          volumeMounts: [{name: v, mountPath: /v}]
      volumes:
        - {name: v, secret: {secret: projects/100000000001/secrets/s1}}
`

// numberedSplit is numberedFixture's inventory when p's number is not
// learned: both numbers are kept apart, as another project's.
const numberedSplit = `service r1/x projects/p/locations/r1/services/x
service r1/y projects/p/locations/r1/services/y
secret projects/100000000001/secrets/s1 id=s1 project=100000000001 foreign=true services=1
  y/c env=[S1] files=[/v/s1]
secret projects/100000000002/secrets/s9 id=s9 project=100000000002 foreign=true services=1
  y/c env=[S9] files=[]
secret projects/p/secrets/s1 id=s1 project=p foreign=false services=1
  x/c env=[S1] files=[]
secret projects/p/secrets/s2 id=s2 project=p foreign=false services=1
  x/c env=[S2] files=[]
`

func TestDiscoverLearnsProjectNumber(t *testing.T) {
	fc := discoverFake(t, numberedFixture)
	inv := fc.discover(t, "p", "r1")
	want := `service r1/x projects/p/locations/r1/services/x
service r1/y projects/p/locations/r1/services/y
secret projects/100000000002/secrets/s9 id=s9 project=100000000002 foreign=true services=1
  y/c env=[S9] files=[]
secret projects/p/secrets/s1 id=s1 project=p foreign=false services=2
  x/c env=[S1] files=[]
  y/c env=[S1] files=[/v/s1]
secret projects/p/secrets/s2 id=s2 project=p foreign=false services=1
  x/c env=[S2] files=[]
`
	checkInventory(t, inv, want)
	if inv.ProjectNumber != "100000000001" || inv.Unmatched != nil || inv.NumberErr != nil {
		t.Errorf("number %q unmatched %q err %v; want 100000000001 and nothing unmatched", inv.ProjectNumber, inv.Unmatched, inv.NumberErr)
	}
	// The id referenced by number is asked first: its answer settles it.
	if n, n1 := fc.srv.Calls("GetSecret"), fc.srv.CallsFor("GetSecret", "projects/p/secrets/s1"); n != 1 || n1 != 1 {
		t.Errorf("GetSecret calls %d (%d on projects/p/secrets/s1), want exactly one, on it", n, n1)
	}
}

func TestDiscoverNumberFromAnotherSecret(t *testing.T) {
	// Only s9 is referenced by number, and p has no s9: its lookup is not
	// found, and the next candidate, s1 (by bare id), gives the number,
	// which tells that 100000000002 is another project.
	fixture := strings.Replace(numberedFixture, "projects/100000000001/secrets/s1", "s1", -1)
	fc := discoverFake(t, fixture)
	inv := fc.discover(t, "p", "r1")
	if inv.ProjectNumber != "100000000001" || inv.Unmatched != nil {
		t.Errorf("number %q unmatched %q (%v); want 100000000001 and nothing unmatched", inv.ProjectNumber, inv.Unmatched, inv.NumberErr)
	}
	for _, name := range []string{"projects/p/secrets/s9", "projects/p/secrets/s1"} {
		if n := fc.srv.CallsFor("GetSecret", name); n != 1 {
			t.Errorf("GetSecret on %s called %d times, want 1", name, n)
		}
	}
	if n := fc.srv.Calls("GetSecret"); n != 2 {
		t.Errorf("GetSecret called %d times, want 2 (s9, then s1)", n)
	}
	var got []string
	for _, g := range inv.Secrets {
		got = append(got, fmt.Sprintf("%s foreign=%v services=%d", g.Name, g.Foreign, len(g.Services())))
	}
	if want := "projects/100000000002/secrets/s9 foreign=true services=1,projects/p/secrets/s1 foreign=false services=2,projects/p/secrets/s2 foreign=false services=1"; strings.Join(got, ",") != want {
		t.Errorf("secrets %s, want %s", strings.Join(got, ","), want)
	}
}

func TestDiscoverNumberLookupFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		code  codes.Code
		calls int // lookups before giving up
		want  string
	}{
		// A refusal may be per secret: the next candidates are tried, the
		// ids referenced by number (s1, s9) then the others (s2).
		{"denied", codes.PermissionDenied, 3, "projects/p/secrets/s1: PermissionDenied: the caller lacks IAM permission secretmanager.secrets.get on it (nor could 2 other secrets)"},
		// Bad credentials are the same for every secret: one call.
		{"unauthenticated", codes.Unauthenticated, 1, "projects/p/secrets/s1: Unauthenticated: no valid credentials"},
		// An outage is retried by the policy, then ends the lookups.
		{"unavailable", codes.Unavailable, 5, "projects/p/secrets/s1: Unavailable after 5 attempts: service unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := discoverFake(t, numberedFixture)
			fc.srv.SetFault("GetSecret", "", tc.code)
			inv, err := Discover(context.Background(), testRetry, fc.run, nil, fc.sm, "p", []string{"r1"})
			if err != nil {
				t.Fatalf("a failed number lookup must not fail discovery: %v", err)
			}
			checkInventory(t, inv, numberedSplit)
			if got := strings.Join(inv.Unmatched, ","); got != "100000000001,100000000002" || inv.ProjectNumber != "" {
				t.Errorf("unmatched %q number %q, want both numbers unmatched and no number", got, inv.ProjectNumber)
			}
			if inv.NumberErr == nil || !strings.HasPrefix(inv.NumberErr.Error(), tc.want) {
				t.Errorf("error %v, want it to start with %q", inv.NumberErr, tc.want)
			}
			var ce *CloudError
			if !errors.As(inv.NumberErr, &ce) || ce.Code != tc.code || ce.Permission != "secretmanager.secrets.get" {
				t.Errorf("want a CloudError with code %s and permission secretmanager.secrets.get, got %#v", tc.code, inv.NumberErr)
			}
			if n := fc.srv.Calls("GetSecret"); n != tc.calls {
				t.Errorf("GetSecret called %d times, want %d", n, tc.calls)
			}
		})
	}
}

func TestDiscoverNumberLookupBounded(t *testing.T) {
	// Many candidates, every one refused: at most maxNumberLookups calls.
	fixture := numberedFixture
	for _, id := range []string{"s3", "s4", "s5", "s6"} {
		fixture = strings.Replace(fixture, "            - {name: S2,",
			"            - {name: "+strings.ToUpper(id)+", valueSource: {secretKeyRef: {secret: "+id+"}}}\n            - {name: S2,", 1)
	}
	fc := discoverFake(t, fixture)
	fc.srv.SetFault("GetSecret", "", codes.PermissionDenied)
	inv := fc.discover(t, "p", "r1")
	if n := fc.srv.Calls("GetSecret"); n != maxNumberLookups {
		t.Errorf("GetSecret called %d times, want %d", n, maxNumberLookups)
	}
	if inv.NumberErr == nil || !strings.HasSuffix(inv.NumberErr.Error(), fmt.Sprintf("(nor could %d other secrets)", maxNumberLookups-1)) {
		t.Errorf("error %v should count the other secrets tried", inv.NumberErr)
	}
}

func TestDiscoverNumberLookupNoClient(t *testing.T) {
	fc := discoverFake(t, numberedFixture)
	inv, err := Discover(context.Background(), testRetry, fc.run, nil, nil, "p", []string{"r1"})
	if err != nil {
		t.Fatal(err)
	}
	checkInventory(t, inv, numberedSplit)
	if inv.NumberErr == nil || !strings.Contains(inv.NumberErr.Error(), "no Secret Manager client") {
		t.Errorf("error %v, want one saying there is no Secret Manager client", inv.NumberErr)
	}
}

// hangListings is a client interceptor under which every ListServices call
// waits for its context to end, as a page that never answers does.
func hangListings(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if strings.HasSuffix(method, "/ListServices") {
		<-ctx.Done()
		return ctx.Err()
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// A page that never answers fails its listing once it has taken what one
// call may, with an error naming the listing and the budget, long before
// the run's deadline.
func TestDiscoverStuckPageFailsItsListing(t *testing.T) {
	fc := discoverFake(t, discoverFixture)
	client, err := run.NewServicesClient(context.Background(), append(fc.srv.ClientOptions(), option.WithGRPCDialOption(grpc.WithChainUnaryInterceptor(hangListings)))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	pol := testRetry
	pol.Budget = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = Discover(ctx, pol, client, nil, fc.sm, "p", []string{"r1"})
	want := "projects/p/locations/r1: DeadlineExceeded: timed out (a page of the listing took longer than the 100ms a call may take)"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if ctx.Err() != nil {
		t.Error("the listing waited for the run's deadline")
	}
}

// sharedNumberFixture: x reads another project's secret by number, y the
// same secret by that project's id.
const sharedNumberFixture = `
projects: {p: "100000000001", shared: "100000000222"}
secrets:
  - name: projects/shared/secrets/jwt
services:
  - name: projects/p/locations/r1/services/x
    template:
      containers:
        - name: c
          env:
            - {name: JWT, valueSource: {secretKeyRef: {secret: projects/100000000222/secrets/jwt}}}
  - name: projects/p/locations/r1/services/y
    template:
      containers:
        - name: c
          env:
            - {name: JWT, valueSource: {secretKeyRef: {secret: projects/shared/secrets/jwt}}}
`

// A number that is another project's, named by id elsewhere, is that
// project: its number is learned as the home project's is.
func TestDiscoverLearnsAnotherProjectsNumber(t *testing.T) {
	fc := discoverFake(t, sharedNumberFixture)
	inv := fc.discover(t, "p", "r1")
	want := `service r1/x projects/p/locations/r1/services/x
service r1/y projects/p/locations/r1/services/y
secret projects/shared/secrets/jwt id=jwt project=shared foreign=true services=2
  x/c env=[JWT] files=[]
  y/c env=[JWT] files=[]
`
	checkInventory(t, inv, want)
	if inv.Unmatched != nil || len(inv.ForeignNumberErrs) != 0 {
		t.Errorf("unmatched %q, foreign errors %v; want none", inv.Unmatched, inv.ForeignNumberErrs)
	}
	if n := fc.srv.CallsFor("GetSecret", "projects/shared/secrets/jwt"); n != 1 {
		t.Errorf("GetSecret on projects/shared/secrets/jwt called %d times, want 1", n)
	}

	// Denied: kept apart, and the reason is kept for the config's comment.
	fc = discoverFake(t, sharedNumberFixture)
	fc.srv.SetFault("GetSecret", "projects/shared/secrets/jwt", codes.PermissionDenied)
	inv = fc.discover(t, "p", "r1")
	if len(inv.Secrets) != 2 {
		t.Errorf("a denied lookup merged the secrets:\n%s", describeInventory(inv))
	}
	ferr := inv.ForeignNumberErrs["shared"]
	var ce *CloudError
	if !errors.As(ferr, &ce) || ce.Code != codes.PermissionDenied || ce.Permission != "secretmanager.secrets.get" {
		t.Errorf("foreign number error %v, want PermissionDenied naming secretmanager.secrets.get", ferr)
	}
}

package sources

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	run "cloud.google.com/go/run/apiv2"
	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
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

func discoverFake(t *testing.T, fixture string) (*fakegcp.Server, *run.ServicesClient) {
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
	return srv, client
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
	srv, client := discoverFake(t, discoverFixture)
	inv, err := Discover(context.Background(), client, "p", "-")
	if err != nil {
		t.Fatal(err)
	}
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
	if got := describeInventory(inv); got != want {
		t.Errorf("inventory:\n%s\nwant:\n%s", got, want)
	}
	if n := srv.CallsFor("ListServices", "projects/p/locations/-"); n != 1 {
		t.Errorf("ListServices on projects/p/locations/- called %d times, want 1", n)
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
	_, client := discoverFake(t, discoverFixture)
	inv, err := Discover(context.Background(), client, "p", "r2")
	if err != nil {
		t.Fatal(err)
	}
	want := `service r2/a projects/100000000001/locations/r2/services/a
secret projects/p/secrets/s1 id=s1 project=p foreign=false services=1
  a/only env=[B] files=[]
`
	if got := describeInventory(inv); got != want {
		t.Errorf("inventory:\n%s\nwant:\n%s", got, want)
	}
}

func TestDiscoverEmpty(t *testing.T) {
	_, client := discoverFake(t, discoverFixture)
	inv, err := Discover(context.Background(), client, "third", "r1")
	if err != nil {
		t.Fatal(err)
	}
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
			srv, client := discoverFake(t, discoverFixture)
			srv.SetFault("ListServices", "", tc.code)
			inv, err := Discover(context.Background(), client, "p", "r1")
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

func TestDiscoverNoClient(t *testing.T) {
	if _, err := Discover(context.Background(), nil, "p", "r1"); err == nil || !strings.Contains(err.Error(), "projects/p/locations/r1") {
		t.Errorf("nil lister: error %v, want one naming the location", err)
	}
}

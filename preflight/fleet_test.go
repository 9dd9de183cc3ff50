package preflight

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	runapi "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
	"github.com/secret-preflight/secret-preflight/internal/retry"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// A fleet is n live services in one region, read by one config: the shape
// of a nightly drift report over a project. The services vary in every
// way that decides how they can be read (see kinds), so benchmarks and the
// shortcut-versus-full-read test exercise each path.
type fleet struct {
	n    int
	kind func(i int) int // the kind of service i
	fx   *fakegcp.Fixture
	cfg  *config.Config
}

// The kinds of service in a fleet, by i % 20. What each costs beyond the
// region's ListServices pages is in its comment.
const (
	kindPinned      = iota // env var at a pinned version, template is the revision: nothing
	kindVolume             // secret volume at latest (read on access, no SP131): nothing
	kindAlias              // env var at an alias, secret named by project number: nothing
	kindLatestEnv          // env var at latest (SP131 needs the creation time): GetRevision
	kindSplit              // 80/20 between the template's revision and an older one: GetRevision of the older
	kindReconciling        // a deploy under way (fields may be stale): GetRevision
	kindFailedNewer        // newest revision failed, template is not what serves: GetRevision
	kindSidecar            // two containers, the sidecar reads the secret: nothing
)

// kindOf spreads the kinds so that about one service in five needs a
// GetRevision, as in a project where most services pin their secrets.
func kindOf(i int) int {
	switch i % 20 {
	case 3:
		return kindLatestEnv
	case 7:
		return kindSplit
	case 11:
		return kindReconciling
	case 15:
		return kindFailedNewer
	case 1, 9:
		return kindVolume
	case 5, 13:
		return kindAlias
	case 17:
		return kindSidecar
	}
	return kindPinned
}

// allLatestEnv is the costliest fleet: every service reads its secret at
// latest through an env var, so every serving revision is read for SP131.
func allLatestEnv(int) int { return kindLatestEnv }

// revisionsRead is how many GetRevision calls the fleet costs.
func (f *fleet) revisionsRead() int {
	c := 0
	for i := range f.n {
		switch f.kind(i) {
		case kindLatestEnv, kindSplit, kindReconciling, kindFailedNewer:
			c++
		}
	}
	return c
}

func newFleet(tb testing.TB, n int) *fleet {
	tb.Helper()
	return newFleetOf(tb, n, kindOf)
}

// newFleetOf is a fleet whose service i is of kind kindOf(i).
func newFleetOf(tb testing.TB, n int, kindOf func(int) int) *fleet {
	tb.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fx := &fakegcp.Fixture{
		Projects: map[string]string{"p": "1"},
		Secrets: []fakegcp.Secret{
			{Name: "projects/p/secrets/jwt", Aliases: map[string]int64{"current": 2}, Versions: []fakegcp.Version{
				{Data: []byte("fleet-key-one-0123456789abcdef0123"), CreateTime: t0},
				{Data: []byte("fleet-key-two-0123456789abcdef0123"), CreateTime: t0.Add(150 * 24 * time.Hour)},
			}},
			{Name: "projects/p/secrets/api-key", Versions: []fakegcp.Version{
				{Data: []byte("fleet-api-key-0123456789abcdef"), CreateTime: t0},
			}},
		},
	}
	var cfg strings.Builder
	cfg.WriteString("version: 1\ngcp: {project: p, region: r}\nsecrets:\n")
	cfg.WriteString("  - name: jwt\n    runner: {chain: [{secretmanager: jwt}]}\n    services:\n")
	var apiKey strings.Builder
	apiKey.WriteString("  - name: api-key\n    runner: {chain: [{secretmanager: api-key}]}\n    services:\n")
	ts := func(d int) *timestamppb.Timestamp { return timestamppb.New(t0.Add(time.Duration(d) * 24 * time.Hour)) }
	env := func(name, sec, version string) *runpb.EnvVar {
		return &runpb.EnvVar{Name: name, Values: &runpb.EnvVar_ValueSource{ValueSource: &runpb.EnvVarSource{
			SecretKeyRef: &runpb.SecretKeySelector{Secret: sec, Version: version}}}}
	}
	for i := range n {
		id := fmt.Sprintf("s%04d", i)
		svcName := "projects/p/locations/r/services/" + id
		kind := kindOf(i)
		rev := func(k int) string { return fmt.Sprintf("%s/revisions/%s-%05d", svcName, id, k) }
		app := &runpb.Container{Name: "app", Ports: []*runpb.ContainerPort{{ContainerPort: 8080}},
			Env: []*runpb.EnvVar{env("JWT", "jwt", "2"), env("API_KEY", "api-key", "1"), {Name: "PLAIN", Values: &runpb.EnvVar_Value{Value: "x"}}}}
		var vols []*runpb.Volume
		chain := "[JWT]"
		ctrs := []*runpb.Container{app}
		switch kind {
		case kindVolume:
			app.Env = app.Env[1:]
			app.VolumeMounts = []*runpb.VolumeMount{{Name: "jwt", MountPath: "/secrets/jwt"}}
			vols = []*runpb.Volume{{Name: "jwt", VolumeType: &runpb.Volume_Secret{Secret: &runpb.SecretVolumeSource{
				Secret: "jwt", Items: []*runpb.VersionToPath{{Path: "key", Version: "latest"}}}}}}
			chain = "[{file: /secrets/jwt/key}]"
		case kindAlias:
			app.Env[0] = env("JWT", "projects/1/secrets/jwt", "current")
		case kindLatestEnv:
			app.Env[0] = env("JWT", "jwt", "latest")
		case kindSidecar:
			app.Env = app.Env[1:]
			ctrs = append(ctrs, &runpb.Container{Name: "auth-proxy", Env: []*runpb.EnvVar{env("JWT", "projects/1/secrets/jwt", "2")}})
		}
		// The serving revision is number 2, created on day 100 or 200 (so
		// env vars at latest see a rotation on day 150 half of the time).
		created := 100 + 100*(i/20%2)
		svc := &runpb.Service{
			Name:                  svcName,
			CreateTime:            ts(10),
			UpdateTime:            ts(created),
			LatestReadyRevision:   rev(2),
			LatestCreatedRevision: rev(2),
			TrafficStatuses:       []*runpb.TrafficTargetStatus{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 100}},
			Template:              &runpb.RevisionTemplate{Containers: ctrs, Volumes: vols},
		}
		serving := &runpb.Revision{Name: rev(2), CreateTime: ts(created), Containers: ctrs, Volumes: vols}
		fx.Revisions = append(fx.Revisions, serving)
		switch kind {
		case kindSplit:
			old := &runpb.Revision{Name: rev(1), CreateTime: ts(50), Containers: []*runpb.Container{{Name: "app",
				Env: []*runpb.EnvVar{env("JWT", "jwt", "1"), env("API_KEY", "api-key", "1")}}}}
			fx.Revisions = append(fx.Revisions, old)
			svc.TrafficStatuses = []*runpb.TrafficTargetStatus{
				{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 80},
				{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: id + "-00001", Percent: 20},
			}
		case kindReconciling:
			svc.Reconciling = true
		case kindFailedNewer:
			// Revision 3 failed to start: the template describes it, not
			// the revision that serves.
			svc.LatestCreatedRevision = rev(3)
			svc.Template = &runpb.RevisionTemplate{Containers: []*runpb.Container{{Name: "app",
				Env: []*runpb.EnvVar{env("JWT", "jwt", "1"), env("API_KEY", "api-key", "1")}}}}
			fx.Revisions = append(fx.Revisions, &runpb.Revision{Name: rev(3), CreateTime: ts(created + 1), Containers: svc.Template.Containers})
		}
		fx.Services = append(fx.Services, svc)
		fmt.Fprintf(&cfg, "      - {cloudrun: %s, chain: %s}\n", id, chain)
		if i%4 == 0 && kind != kindVolume && kind != kindSidecar {
			fmt.Fprintf(&apiKey, "      - {cloudrun: %s, chain: [API_KEY]}\n", id)
		}
	}
	if n > 0 {
		cfg.WriteString(apiKey.String())
	}
	c, err := config.Parse("fleet.yaml", []byte(cfg.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return &fleet{n: n, kind: kindOf, fx: fx, cfg: c}
}

// runner serves a fleet and runs checks of it over the official clients.
type runner struct {
	srv  *fakegcp.Server
	sm   *secretmanager.Client
	svcs *runapi.ServicesClient
	revs *runapi.RevisionsClient
	fp   *secret.Fingerprinter
	now  time.Time
	// retry is the runs' retry policy (zero: the defaults).
	retry retry.Policy
}

// newRunner serves f; extra options go to every client.
func newRunner(tb testing.TB, f *fleet, extra ...option.ClientOption) *runner {
	tb.Helper()
	srv, err := fakegcp.NewServer(f.fx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	r := &runner{srv: srv, now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	opts := append(srv.ClientOptions(), extra...)
	if r.sm, err = secretmanager.NewClient(ctx, opts...); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.sm.Close() })
	if r.svcs, err = runapi.NewServicesClient(ctx, opts...); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.svcs.Close() })
	if r.revs, err = runapi.NewRevisionsClient(ctx, opts...); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.revs.Close() })
	r.fp, _ = secret.NewFingerprinter("fleet")
	return r
}

// check runs one check; full reads every resource on its own.
func (r *runner) check(tb testing.TB, f *fleet, full bool, concurrency int) *report.Report {
	tb.Helper()
	acc := sources.NewAccessor(r.sm)
	acc.Retry = r.retry
	rep, err := Run(context.Background(), f.cfg, Options{
		Resolver:     &sources.Resolver{Secrets: acc},
		CloudRun:     &sources.CloudRun{Services: r.svcs, Revisions: r.revs, FullRead: full, Retry: r.retry},
		Fingerprints: r.fp,
		FailOn:       "error",
		Concurrency:  concurrency,
		Now:          r.now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// calls are the fake's counters, per method.
type calls map[string]int

var methods = []string{"ListServices", "GetService", "GetRevision", "AccessSecretVersion", "GetSecretVersion"}

func (r *runner) calls() calls {
	c := calls{}
	for _, m := range methods {
		c[m] = r.srv.Calls(m)
	}
	return c
}

func (c calls) minus(d calls) calls {
	out := calls{}
	for _, m := range methods {
		out[m] = c[m] - d[m]
	}
	return out
}

// wantCalls is what one check of the fleet costs: each resource read
// once, services listed (pages of at most 100) when there are two or more,
// revisions only where the template cannot stand in for them. Secret
// Manager: the runners' two asks of latest teach the project number and
// version 2, which every other spelling of version 2 (by id, by number,
// pinned, latest again) then shares; the alias and version 1 cost one ask
// each, and SP131 one GetSecretVersion.
func (f *fleet) wantCalls() calls {
	c := calls{"AccessSecretVersion": 2, "GetRevision": f.revisionsRead()}
	if f.n >= 2 {
		c["ListServices"] = (f.n + 99) / 100
	} else {
		c["GetService"] = f.n
	}
	seen := map[int]bool{}
	for i := range f.n {
		seen[f.kind(i)] = true
	}
	if seen[kindAlias] {
		c["AccessSecretVersion"]++
	}
	if seen[kindSplit] {
		c["AccessSecretVersion"]++
	}
	if seen[kindLatestEnv] {
		c["GetSecretVersion"] = 1
	}
	return c
}

func (c calls) String() string {
	var b strings.Builder
	for _, m := range methods {
		fmt.Fprintf(&b, "%s=%d ", m, c[m])
	}
	return strings.TrimSpace(b.String())
}

package preflight

import (
	"context"
	"fmt"
	"strings"
	"testing"

	runapi "cloud.google.com/go/run/apiv2"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// BenchmarkRun measures a check of one secret read by 40 live services
// (each with two serving revisions) over the official clients and the
// in-process fake. The target is that a platform-sized config stays well
// under a second of our own overhead; compare runs with benchstat.
func BenchmarkRun(b *testing.B) {
	const services = 40
	var fx, cfg strings.Builder
	fx.WriteString("projects: {p: \"1\"}\nsecrets:\n  - name: projects/p/secrets/jwt\n    versions: [{value: \"bench-key-0123456789abcdef0123456789abcdef\"}]\nservices:\n")
	cfg.WriteString("version: 1\ngcp: {project: p, region: r}\nsecrets:\n  - name: jwt\n    runner: {chain: [{secretmanager: jwt}]}\n    services:\n")
	var revs strings.Builder
	for i := 0; i < services; i++ {
		svc := fmt.Sprintf("projects/p/locations/r/services/s%d", i)
		fmt.Fprintf(&fx, "  - name: %s\n    trafficStatuses:\n      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: s%d-1, percent: 50}\n      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: s%d-2, percent: 50}\n", svc, i, i)
		for r := 1; r <= 2; r++ {
			fmt.Fprintf(&revs, "  - name: %s/revisions/s%d-%d\n    containers:\n      - name: app\n        env: [{name: JWT, valueSource: {secretKeyRef: {secret: jwt, version: latest}}}]\n", svc, i, r)
		}
		fmt.Fprintf(&cfg, "      - {cloudrun: s%d, chain: [JWT]}\n", i)
	}
	fx.WriteString("revisions:\n" + revs.String())
	f, err := fakegcp.ParseFixture("bench.yaml", []byte(fx.String()))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := fakegcp.NewServer(f)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := config.Parse("bench.yaml", []byte(cfg.String()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sm, err := secretmanager.NewClient(ctx, srv.ClientOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	defer sm.Close()
	svcs, err := runapi.NewServicesClient(ctx, srv.ClientOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	defer svcs.Close()
	revc, err := runapi.NewRevisionsClient(ctx, srv.ClientOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	defer revc.Close()
	fp, _ := secret.NewFingerprinter("bench")
	b.ResetTimer()
	for b.Loop() {
		rep, err := Run(ctx, c, Options{
			Resolver:     &sources.Resolver{Secrets: sources.NewAccessor(sm)},
			CloudRun:     &sources.CloudRun{Services: svcs, Revisions: revc},
			Fingerprints: fp,
			FailOn:       "error",
		})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Result != "pass" || len(rep.Secrets[0].Consumers) != 2*services+1 {
			b.Fatalf("result %s with %d consumers", rep.Result, len(rep.Secrets[0].Consumers))
		}
	}
}

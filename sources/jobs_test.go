package sources

import (
	"context"
	"strings"
	"testing"

	run "cloud.google.com/go/run/apiv2"
	"google.golang.org/grpc/codes"
)

const jobsFixture = `
projects: {p: "100000000001"}
services:
  - name: projects/p/locations/r1/services/api
    template:
      containers:
        - name: app
          env:
            - {name: JWT, valueSource: {secretKeyRef: {secret: jwt}}}
jobs:
  - name: projects/p/locations/r1/jobs/migrate
    template:
      template:
        containers:
          - name: migrate
            env:
              - {name: JWT, valueSource: {secretKeyRef: {secret: jwt, version: "2"}}}
            volumeMounts: [{name: k, mountPath: /keys}]
        volumes:
          - {name: k, secret: {secret: projects/p/secrets/jwt, items: [{path: jwt.pem, version: "2"}]}}
  - name: projects/p/locations/r2/jobs/api
    template:
      template:
        containers: [{name: c}]
`

func TestDiscoverJobs(t *testing.T) {
	fc := discoverFake(t, jobsFixture)
	jobs, err := run.NewJobsClient(context.Background(), fc.srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jobs.Close() })

	inv, err := Discover(context.Background(), testRetry, fc.run, jobs, fc.sm, "p", []string{"r1", "r2"})
	if err != nil {
		t.Fatal(err)
	}
	want := `service r1/api projects/p/locations/r1/services/api
service r2/api projects/p/locations/r2/jobs/api
service r1/migrate projects/p/locations/r1/jobs/migrate
secret projects/p/secrets/jwt id=jwt project=p foreign=false services=2
  api/app env=[JWT] files=[]
  migrate/migrate env=[JWT] files=[/keys/jwt.pem]
`
	if got := describeInventory(inv); got != want {
		t.Errorf("inventory:\n%s\nwant:\n%s", got, want)
	}
	if !inv.Services[2].Job || inv.Services[0].Job || inv.JobsErr != nil {
		t.Errorf("job flags %v %v, err %v", inv.Services[0].Job, inv.Services[2].Job, inv.JobsErr)
	}

	// Jobs that cannot be listed are left out, and the reason kept; the
	// services are still discovered.
	fc.srv.SetFault("ListJobs", "projects/p/locations/r2", codes.PermissionDenied)
	inv, err = Discover(context.Background(), testRetry, fc.run, jobs, fc.sm, "p", []string{"r1", "r2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Services) != 1 || inv.Services[0].Job {
		t.Errorf("services %+v, want api alone (no partial list of jobs)", inv.Services)
	}
	if inv.JobsErr == nil || !strings.Contains(inv.JobsErr.Error(), "run.jobs.list") {
		t.Errorf("JobsErr = %v, want it to name run.jobs.list", inv.JobsErr)
	}

	// ListJobs goes through the retry policy: a blip costs one more call.
	fc.srv.ClearFaults()
	before := fc.srv.CallsFor("ListJobs", "projects/p/locations/r2")
	fc.srv.SetFaultTimes("ListJobs", "projects/p/locations/r2", codes.Unavailable, 1)
	inv, err = Discover(context.Background(), testRetry, fc.run, jobs, fc.sm, "p", []string{"r1", "r2"})
	if err != nil || inv.JobsErr != nil || len(inv.Services) != 3 {
		t.Fatalf("after one Unavailable: err %v, JobsErr %v, %d services", err, inv.JobsErr, len(inv.Services))
	}
	if n := fc.srv.CallsFor("ListJobs", "projects/p/locations/r2") - before; n != 2 {
		t.Errorf("ListJobs called %d times, want 2", n)
	}
}

func TestJobName(t *testing.T) {
	for in, want := range map[string]string{
		"migrate":                             "projects/p/locations/r/jobs/migrate",
		"projects/q/locations/s/jobs/migrate": "projects/q/locations/s/jobs/migrate",
		"projects/q/locations/s/services/x":   "",
		"projects/q/locations//jobs/x":        "",
	} {
		got, err := JobName("p", "r", in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("JobName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := JobName("", "r", "migrate"); err == nil {
		t.Error("a short name without a project must fail")
	}
}

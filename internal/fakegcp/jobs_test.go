package fakegcp

import (
	"context"
	"testing"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
)

const migrateByID = "projects/netra-staging/locations/us-central1/jobs/db-migrate"

func newJobsClient(t *testing.T, s *Server) *run.JobsClient {
	t.Helper()
	c, err := run.NewJobsClient(context.Background(), s.ClientOptions()...)
	if err != nil {
		t.Fatalf("run.NewJobsClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestGetJob(t *testing.T) {
	s := newBasicServer(t)
	c := newJobsClient(t, s)
	ctx := context.Background()

	for _, name := range []string{migrateByID, "projects/123456789012/locations/us-central1/jobs/db-migrate"} {
		j, err := c.GetJob(ctx, &runpb.GetJobRequest{Name: name})
		if err != nil {
			t.Fatalf("GetJob(%s): %v", name, err)
		}
		if j.GetName() != migrateByID {
			t.Errorf("name = %q, want it as stored", j.GetName())
		}
		tt := j.GetTemplate().GetTemplate()
		if ctr := tt.GetContainers(); len(ctr) != 1 || ctr[0].GetName() != "migrate" ||
			ctr[0].GetEnv()[0].GetValueSource().GetSecretKeyRef().GetVersion() != "2" {
			t.Errorf("template.template.containers = %v", ctr)
		}
		if v := tt.GetVolumes(); len(v) != 1 || v[0].GetSecret().GetSecret() != "jwt-key" {
			t.Errorf("template.template.volumes = %v", v)
		}
	}

	_, err := c.GetJob(ctx, &runpb.GetJobRequest{Name: migrateByID + "-nope"})
	checkStatus(t, err, codes.NotFound, "Resource '"+migrateByID+"-nope' was not found")
	_, err = c.GetJob(ctx, &runpb.GetJobRequest{Name: "projects/unknown/locations/us-central1/jobs/db-migrate"})
	checkStatus(t, err, codes.PermissionDenied,
		"Permission 'run.jobs.get' denied on resource 'projects/unknown/locations/us-central1/jobs/db-migrate' (or resource may not exist).")
	_, err = c.GetJob(ctx, &runpb.GetJobRequest{Name: "projects/netra-staging/jobs/db-migrate"})
	checkStatus(t, err, codes.InvalidArgument, "")

	s.SetFault("GetJob", migrateByID, codes.PermissionDenied)
	_, err = c.GetJob(ctx, &runpb.GetJobRequest{Name: "projects/123456789012/locations/us-central1/jobs/db-migrate"})
	checkStatus(t, err, codes.PermissionDenied,
		"Permission 'run.jobs.get' denied on resource 'projects/123456789012/locations/us-central1/jobs/db-migrate' (or resource may not exist).")
	if got := s.Calls("GetJob"); got != 6 {
		t.Errorf("Calls(GetJob) = %d, want 6", got)
	}

	// Running a job writes: not part of the fake.
	_, err = c.RunJob(ctx, &runpb.RunJobRequest{Name: migrateByID})
	checkStatus(t, err, codes.Unimplemented, "")
}

func TestListJobs(t *testing.T) {
	s := newBasicServer(t)
	c := newJobsClient(t, s)
	list := func(parent string) ([]string, error) {
		it := c.ListJobs(context.Background(), &runpb.ListJobsRequest{Parent: parent})
		var names []string
		for {
			j, err := it.Next()
			if err == iterator.Done {
				return names, nil
			}
			if err != nil {
				return nil, err
			}
			names = append(names, j.GetName())
		}
	}
	// Newest first, whatever spelling of the project the names carry.
	got, err := list("projects/netra-staging/locations/us-central1")
	if err != nil {
		t.Fatal(err)
	}
	checkNames(t, got, []string{"projects/123456789012/locations/us-central1/jobs/seed", migrateByID})
	got, err = list("projects/123456789012/locations/europe-west1")
	if err != nil {
		t.Fatal(err)
	}
	checkNames(t, got, []string{"projects/netra-staging/locations/europe-west1/jobs/reports"})

	_, err = list("projects/netra-staging/locations/-")
	checkStatus(t, err, codes.InvalidArgument, "Location must be a valid Google Cloud region, and cannot be the - wildcard")
	_, err = list("projects/unknown/locations/us-central1")
	checkStatus(t, err, codes.PermissionDenied,
		"Permission 'run.jobs.list' denied on resource 'projects/unknown/locations/us-central1' (or resource may not exist).")
}

func TestFixtureJobErrors(t *testing.T) {
	for doc, want := range map[string]string{
		"jobs:\n  - name: projects/p/locations/r/services/s\n":                                                            "fixture.yaml:2:5: job name \"projects/p/locations/r/services/s\": want projects/P/locations/L/jobs/J",
		"jobs:\n  - name: projects/p/locations/r/jobs/j\n":                                                                "fixture.yaml:2:5: job \"projects/p/locations/r/jobs/j\": project \"p\" is not listed under projects",
		"projects: {p: \"1\"}\njobs:\n  - name: projects/p/locations/r/jobs/j\n  - name: projects/1/locations/r/jobs/j\n": "fixture.yaml:4:5: duplicate job \"projects/1/locations/r/jobs/j\"",
		"jobs:\n  - {name: x, templat: {}}\n":                                                                             "fixture.yaml:2:15: jobs[0]: unknown field \"templat\"",
	} {
		_, err := ParseFixture("fixture.yaml", []byte(doc))
		if err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
			t.Errorf("%q: error %v, want prefix %q", doc, err, want)
		}
	}
}

package fakegcp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
)

const (
	backendByID     = "projects/netra-staging/locations/us-central1/services/netra-backend-staging"
	backendByNumber = "projects/123456789012/locations/us-central1/services/netra-backend-staging"
	rev42           = backendByID + "/revisions/netra-backend-staging-00042-abc"
)

func TestGetService(t *testing.T) {
	s := newBasicServer(t)
	c := newServicesClient(t, s)
	ctx := context.Background()

	for _, name := range []string{backendByID, backendByNumber} {
		svc, err := c.GetService(ctx, &runpb.GetServiceRequest{Name: name})
		if err != nil {
			t.Fatalf("GetService(%s): %v", name, err)
		}
		// Cloud Run answers with the name as stored, whatever the request said.
		if svc.GetName() != backendByID {
			t.Errorf("name = %q, want %q", svc.GetName(), backendByID)
		}
		if svc.GetLatestReadyRevision() != rev42 {
			t.Errorf("latest_ready_revision = %q", svc.GetLatestReadyRevision())
		}
		ts := svc.GetTrafficStatuses()
		if len(ts) != 2 || ts[1].GetRevision() != "netra-backend-staging-00041-xyz" || ts[1].GetPercent() != 10 ||
			ts[1].GetType() != runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION {
			t.Errorf("traffic_statuses = %v", ts)
		}
		if got := svc.GetTemplate().GetContainers(); len(got) != 1 || got[0].GetName() != "backend" {
			t.Errorf("template.containers = %v", got)
		}
	}

	_, err := c.GetService(ctx, &runpb.GetServiceRequest{Name: backendByID + "-nope"})
	checkStatus(t, err, codes.NotFound, "Resource '"+backendByID+"-nope' was not found")

	// Writes are not part of the fake.
	_, err = c.DeleteService(ctx, &runpb.DeleteServiceRequest{Name: backendByID})
	checkStatus(t, err, codes.Unimplemented, "")
}

func TestListServices(t *testing.T) {
	s := newBasicServer(t)
	c := newServicesClient(t, s)

	list := func(parent string) []string {
		t.Helper()
		it := c.ListServices(context.Background(), &runpb.ListServicesRequest{Parent: parent})
		var names []string
		for {
			svc, err := it.Next()
			if err == iterator.Done {
				return names
			}
			if err != nil {
				t.Fatalf("ListServices(%s): %v", parent, err)
			}
			names = append(names, svc.GetName())
		}
	}

	// Newest first, as the real API sorts them.
	checkNames(t, list("projects/netra-staging/locations/us-central1"), []string{
		"projects/netra-staging/locations/us-central1/services/netra-auth-service",
		backendByID,
	})
	checkNames(t, list("projects/123456789012/locations/europe-west1"), []string{
		"projects/netra-staging/locations/europe-west1/services/netra-worker",
	})
	checkNames(t, list("projects/netra-tools/locations/us-central1"), nil)
	if got := s.CallsFor("ListServices", "projects/123456789012/locations/europe-west1"); got != 1 {
		t.Errorf("CallsFor(ListServices) = %d, want 1", got)
	}

	// The v2 API has no every-region listing: it refuses the - wildcard.
	it := c.ListServices(context.Background(), &runpb.ListServicesRequest{Parent: "projects/netra-staging/locations/-"})
	_, err := it.Next()
	checkStatus(t, err, codes.InvalidArgument, "Location must be a valid Google Cloud region, and cannot be the - wildcard")
}

func TestRevisions(t *testing.T) {
	s := newBasicServer(t)
	c := newRevisionsClient(t, s)
	ctx := context.Background()

	rev, err := c.GetRevision(ctx, &runpb.GetRevisionRequest{Name: rev42})
	if err != nil {
		t.Fatalf("GetRevision: %v", err)
	}
	ctr := rev.GetContainers()[0]
	if ref := ctr.GetEnv()[0].GetValueSource().GetSecretKeyRef(); ref.GetSecret() != "jwt-secret-staging" || ref.GetVersion() != "latest" {
		t.Errorf("env[0] secret ref = %v", ref)
	}
	if ctr.GetPorts()[0].GetContainerPort() != 8080 {
		t.Errorf("ports = %v", ctr.GetPorts())
	}
	if item := rev.GetVolumes()[0].GetSecret().GetItems()[0]; item.GetPath() != "key" || item.GetVersion() != "3" {
		t.Errorf("volume item = %v", item)
	}

	list := func(parent string) ([]string, error) {
		it := c.ListRevisions(ctx, &runpb.ListRevisionsRequest{Parent: parent})
		var names []string
		for {
			r, err := it.Next()
			if err == iterator.Done {
				return names, nil
			}
			if err != nil {
				return nil, err
			}
			names = append(names, r.GetName())
		}
	}
	got, err := list(backendByNumber)
	if err != nil {
		t.Fatalf("ListRevisions: %v", err)
	}
	checkNames(t, got, []string{rev42, backendByID + "/revisions/netra-backend-staging-00041-xyz"})

	got, err = list("projects/netra-staging/locations/us-central1/services/-")
	if err != nil {
		t.Fatalf("ListRevisions: %v", err)
	}
	if len(got) != 3 {
		t.Errorf("all revisions of the region = %q, want 3", got)
	}
	_, err = list("projects/netra-staging/locations/-/services/-")
	checkStatus(t, err, codes.InvalidArgument, "Location must be a valid Google Cloud region, and cannot be the - wildcard")

	// An existing service without revisions lists none; a missing one fails.
	got, err = list("projects/netra-staging/locations/europe-west1/services/netra-worker")
	if err != nil || len(got) != 0 {
		t.Errorf("worker revisions = %q, %v; want none", got, err)
	}
	_, err = list(backendByID + "-nope")
	checkStatus(t, err, codes.NotFound, "")

	_, err = c.GetRevision(ctx, &runpb.GetRevisionRequest{Name: rev42 + "x"})
	checkStatus(t, err, codes.NotFound, "Resource '"+rev42+"x' was not found")

	s.SetFault("GetRevision", rev42, codes.PermissionDenied)
	_, err = c.GetRevision(ctx, &runpb.GetRevisionRequest{Name: rev42})
	checkStatus(t, err, codes.PermissionDenied,
		"Permission 'run.revisions.get' denied on resource '"+rev42+"' (or resource may not exist).")
	if got := s.Calls("GetRevision"); got != 3 {
		t.Errorf("Calls(GetRevision) = %d, want 3", got)
	}
}

func checkNames(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestListServicesPages(t *testing.T) {
	f := &Fixture{Projects: map[string]string{"p": "1"}}
	for i := range 250 {
		f.Services = append(f.Services, &runpb.Service{Name: fmt.Sprintf("projects/p/locations/r/services/s%03d", i)})
	}
	s, err := NewServer(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := newServicesClient(t, s)

	// A page size above the maximum is coerced to it, as Google APIs do.
	req := &runpb.ListServicesRequest{Parent: "projects/p/locations/r", PageSize: 1000}
	it := c.ListServices(context.Background(), req)
	var sizes []int
	seen := map[string]bool{}
	for {
		fetches := it.PageInfo().Remaining() == 0
		svc, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if fetches {
			sizes = append(sizes, len(it.Response.(*runpb.ListServicesResponse).GetServices()))
		}
		if seen[svc.GetName()] {
			t.Errorf("%s listed twice", svc.GetName())
		}
		seen[svc.GetName()] = true
	}
	if fmt.Sprint(sizes) != "[100 100 50]" || len(seen) != 250 {
		t.Errorf("pages of %v holding %d services, want [100 100 50] holding 250", sizes, len(seen))
	}
	if got := s.Calls("ListServices"); got != 3 {
		t.Errorf("Calls(ListServices) = %d, want 3", got)
	}
	_, err = c.ListServices(context.Background(), &runpb.ListServicesRequest{Parent: "projects/p/locations/r", PageToken: "x"}).Next()
	checkStatus(t, err, codes.InvalidArgument, `invalid page_token "x"`)
}

func TestLatency(t *testing.T) {
	s := newBasicServer(t)
	c := newServicesClient(t, s)
	// A latency longer than the caller waits: the call ends with the
	// caller's deadline, so the latency was applied (no sleep needed).
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.GetService(ctx, &runpb.GetServiceRequest{Name: backendByID})
	checkStatus(t, err, codes.DeadlineExceeded, "")
	s.SetLatency(0)
	if _, err := c.GetService(context.Background(), &runpb.GetServiceRequest{Name: backendByID}); err != nil {
		t.Fatalf("without latency: %v", err)
	}
}

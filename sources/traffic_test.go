package sources

import (
	"errors"
	"fmt"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
)

func TestSelectRevisions(t *testing.T) {
	const (
		latest = runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
		named  = runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
	)
	svc := &runpb.Service{
		Name:                "projects/p/locations/r/services/api",
		LatestReadyRevision: "projects/p/locations/r/services/api/revisions/api-3",
		TrafficStatuses: []*runpb.TrafficTargetStatus{
			{Type: latest, Percent: 70, Tag: "current"},
			{Type: named, Revision: "api-2", Percent: 30},
			{Type: named, Revision: "api-3", Percent: 0, Tag: "e2e"},
			{Type: named, Revision: "api-1", Percent: 0, Tag: "old"},
			{Type: named, Revision: "api-2", Percent: 0, Tag: "blue"},
			{Type: named, Revision: "api-2", Percent: 0, Tag: "::error::x ##[warning]"},
		},
	}
	for tag, want := range map[string]string{
		"":        "[{api-3 70} {api-2 30}]",
		"e2e":     "[{api-3 70}]", // the LATEST entry's revision: its whole share
		"current": "[{api-3 70}]", // a tag on a LATEST entry means latest_ready_revision
		"old":     "[{api-1 0}]",
		"blue":    "[{api-2 30}]",
	} {
		got, err := SelectRevisions(svc, tag)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("tag %q: %v, %v; want %s", tag, got, err, want)
		}
	}
	_, err := SelectRevisions(svc, "green")
	var te *TagNotFoundError
	if !errors.As(err, &te) || fmt.Sprint(te.Tags) != "[blue current e2e old]" || CodeOf(err) != "NotFound" {
		t.Errorf("missing tag: %v", err)
	}
	_, err = SelectRevisions(&runpb.Service{Name: "s"}, "e2e")
	if err == nil || err.Error() != `s: NotFound: no revision serves traffic tag "e2e" (it has no tagged revision)` {
		t.Errorf("no tags: %v", err)
	}
	if _, err := SelectRevisions(&runpb.Service{Name: "s"}, ""); err == nil {
		t.Error("a service with no traffic must fail")
	}
	// Reconciling: the spec's targets join the statuses' revisions, at
	// their current share; LATEST in the spec is the latest created one.
	moving := &runpb.Service{
		Name:                  "projects/p/locations/r/services/api",
		Reconciling:           true,
		LatestReadyRevision:   "projects/p/locations/r/services/api/revisions/api-1",
		LatestCreatedRevision: "projects/p/locations/r/services/api/revisions/api-3",
		TrafficStatuses:       []*runpb.TrafficTargetStatus{{Type: latest, Percent: 100}},
		Traffic: []*runpb.TrafficTarget{
			{Type: latest, Percent: 50},
			{Type: named, Revision: "api-2", Percent: 50},
			{Type: named, Revision: "api-9", Percent: 0, Tag: "e2e"},
		},
	}
	if got, err := SelectRevisions(moving, ""); err != nil || fmt.Sprint(got) != "[{api-1 100} {api-2 0} {api-3 0}]" {
		t.Errorf("reconciling: %v, %v", got, err)
	}
	if got, err := SelectRevisions(moving, "e2e"); err == nil {
		t.Errorf("reconciling, tag only in the spec: %v; the tag is not served yet", got)
	}
	moving.Reconciling = false
	if got, err := SelectRevisions(moving, ""); err != nil || fmt.Sprint(got) != "[{api-1 100}]" {
		t.Errorf("settled: the spec is applied, statuses say what serves: %v, %v", got, err)
	}
	// A LATEST entry with no ready revision: the entry is there, the
	// revision is not, and the error says so.
	noReady := &runpb.Service{Name: "s", TrafficStatuses: []*runpb.TrafficTargetStatus{{Type: latest, Percent: 100}}}
	if _, err := SelectRevisions(noReady, ""); err == nil ||
		err.Error() != "s: no revision serves traffic: the LATEST traffic entry (100%) names no ready revision (the service has no ready revision: latest_ready_revision is empty)" {
		t.Errorf("LATEST with no ready revision: %v", err)
	}
}

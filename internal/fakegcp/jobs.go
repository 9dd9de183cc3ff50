package fakegcp

import (
	"context"
	"sort"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// jobs implements the read side of the Cloud Run Admin v2 Jobs API: GetJob
// and ListJobs. As for services, writing methods (and RunJob) answer
// Unimplemented.
type jobs struct {
	runpb.UnimplementedJobsServer
	st *state
}

// jobName is a parsed projects/P/locations/L/jobs/J.
type jobName struct {
	project, location, job string
}

func parseJobName(name string) (jobName, bool) {
	v, ok := splitName(name, "projects", "locations", "jobs")
	if !ok {
		return jobName{}, false
	}
	return jobName{project: v[0], location: v[1], job: v[2]}, true
}

// key is the job's lookup key, spelt with the project id.
func (n jobName) key(projectID string) string {
	return "projects/" + projectID + "/locations/" + n.location + "/jobs/" + n.job
}

// errLocationWildcard is the real v2 API's refusal of the "-" location in
// the list calls of its regional resources (ListServices, ListJobs,
// ListRevisions): unlike v1, v2 has no every-region listing.
var errLocationWildcard = status.Error(codes.InvalidArgument,
	"Location must be a valid Google Cloud region, and cannot be the - wildcard")

// addJobs validates and stores the fixture's jobs. st.projects must be
// built.
func (st *state) addJobs(f *Fixture) error {
	st.jobs = map[string]*runpb.Job{}
	for i, j := range f.Jobs {
		at := posAt(f.jobAt, i)
		n, ok := parseJobName(j.GetName())
		if !ok {
			return f.errAt(at, "job name %q: want projects/P/locations/L/jobs/J", j.GetName())
		}
		id, _, ok := st.projects.resolve(n.project)
		if !ok {
			return f.errAt(at, "job %q: project %q is not listed under projects", j.GetName(), n.project)
		}
		key := n.key(id)
		if _, dup := st.jobs[key]; dup {
			return f.errAt(at, "duplicate job %q", j.GetName())
		}
		st.jobs[key] = proto.Clone(j).(*runpb.Job)
		st.jobKeys = append(st.jobKeys, key)
	}
	// Newest first, like the real List methods.
	sort.SliceStable(st.jobKeys, func(i, k int) bool {
		return st.jobs[st.jobKeys[i]].GetCreateTime().AsTime().After(st.jobs[st.jobKeys[k]].GetCreateTime().AsTime())
	})
	return nil
}

func (s *jobs) GetJob(_ context.Context, req *runpb.GetJobRequest) (*runpb.Job, error) {
	n, ok := parseJobName(req.GetName())
	if !ok {
		return nil, invalidName("name", req.GetName(), "projects/*/locations/*/jobs/*")
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	id, _, ok := s.st.projects.resolve(n.project)
	if !ok {
		return nil, permissionDenied(true, "GetJob", req.GetName())
	}
	j, ok := s.st.jobs[n.key(id)]
	if !ok {
		return nil, runNotFound(req.GetName())
	}
	return proto.Clone(j).(*runpb.Job), nil
}

// ListJobs lists a region's jobs, newest first, in one page. The "-"
// location is refused, as by the real API.
func (s *jobs) ListJobs(_ context.Context, req *runpb.ListJobsRequest) (*runpb.ListJobsResponse, error) {
	want, ok := parseLocationName(req.GetParent())
	if !ok {
		return nil, invalidName("parent", req.GetParent(), "projects/*/locations/*")
	}
	if want.location == "-" {
		return nil, errLocationWildcard
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	id, _, ok := s.st.projects.resolve(want.project)
	if !ok {
		return nil, permissionDenied(true, "ListJobs", req.GetParent())
	}
	resp := &runpb.ListJobsResponse{}
	for _, k := range s.st.jobKeys {
		j := s.st.jobs[k]
		n, _ := parseJobName(j.GetName()) // validated by addJobs
		if pid, _, _ := s.st.projects.resolve(n.project); pid == id && n.location == want.location {
			resp.Jobs = append(resp.Jobs, proto.Clone(j).(*runpb.Job))
		}
	}
	return resp, nil
}

package fakegcp

import (
	"context"
	"strconv"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// services implements the read side of the Cloud Run Admin v2 Services API.
// Get and List answer plain messages; only the writing methods, which the
// fake does not implement, are long-running operations.
type services struct {
	runpb.UnimplementedServicesServer
	st *state
}

// revisions implements the read side of the Cloud Run Admin v2 Revisions API.
type revisions struct {
	runpb.UnimplementedRevisionsServer
	st *state
}

func runNotFound(name string) error {
	return status.Errorf(codes.NotFound, "Resource '%s' was not found", name)
}

// matches reports whether resource name n (as stored, any project spelling)
// falls under the wildcard-capable filter want, whose project is an id.
func (st *state) matches(n runName, wantProjectID string, want runName) bool {
	id, _, _ := st.projects.resolve(n.project)
	return id == wantProjectID &&
		want.location == n.location &&
		(want.service == "" || want.service == "-" || want.service == n.service)
}

func (s *services) GetService(_ context.Context, req *runpb.GetServiceRequest) (*runpb.Service, error) {
	n, ok := parseServiceName(req.GetName())
	if !ok {
		return nil, invalidName("name", req.GetName(), "projects/*/locations/*/services/*")
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	id, _, ok := s.st.projects.resolve(n.project)
	if !ok {
		return nil, permissionDenied(true, "GetService", req.GetName())
	}
	svc, ok := s.st.services[n.key(id)]
	if !ok {
		return nil, runNotFound(req.GetName())
	}
	return proto.Clone(svc).(*runpb.Service), nil
}

// maxServicesPage is the most services one ListServices page holds; a larger
// page_size is coerced to it, as Google APIs do (AIP-158), so clients must
// follow next_page_token.
const maxServicesPage = 100

// ListServices lists a region's services, newest first, in pages of
// page_size (at most maxServicesPage; 0 means the maximum). The "-"
// location is refused, as by the real v2 API.
func (s *services) ListServices(_ context.Context, req *runpb.ListServicesRequest) (*runpb.ListServicesResponse, error) {
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
		return nil, permissionDenied(true, "ListServices", req.GetParent())
	}
	size := int(req.GetPageSize())
	if size <= 0 || size > maxServicesPage {
		size = maxServicesPage
	}
	// The token is the index of the page's first match; "all other
	// parameters must match", which the real API checks and the fake trusts.
	start := 0
	if tok := req.GetPageToken(); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			return nil, status.Errorf(codes.InvalidArgument, "invalid page_token %q", tok)
		}
		start = n
	}
	resp := &runpb.ListServicesResponse{}
	matched := 0
	for _, k := range s.st.serviceKeys {
		svc := s.st.services[k]
		n, _ := parseServiceName(svc.GetName()) // validated by newState
		if !s.st.matches(n, id, want) {
			continue
		}
		switch {
		case matched < start:
		case len(resp.Services) < size:
			resp.Services = append(resp.Services, proto.Clone(svc).(*runpb.Service))
		default:
			resp.NextPageToken = strconv.Itoa(matched)
			return resp, nil
		}
		matched++
	}
	return resp, nil
}

func (r *revisions) GetRevision(_ context.Context, req *runpb.GetRevisionRequest) (*runpb.Revision, error) {
	n, ok := parseRevisionName(req.GetName())
	if !ok {
		return nil, invalidName("name", req.GetName(), "projects/*/locations/*/services/*/revisions/*")
	}
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	id, _, ok := r.st.projects.resolve(n.project)
	if !ok {
		return nil, permissionDenied(true, "GetRevision", req.GetName())
	}
	rev, ok := r.st.revisions[n.key(id)]
	if !ok {
		return nil, runNotFound(req.GetName())
	}
	return proto.Clone(rev).(*runpb.Revision), nil
}

// ListRevisions lists a service's revisions, newest first, in one page. As
// in the real API, the service may be "-" for every service of the
// location, but the location must be a region.
func (r *revisions) ListRevisions(_ context.Context, req *runpb.ListRevisionsRequest) (*runpb.ListRevisionsResponse, error) {
	want, ok := parseServiceName(req.GetParent())
	if !ok {
		return nil, invalidName("parent", req.GetParent(), "projects/*/locations/*/services/*")
	}
	if want.location == "-" {
		return nil, errLocationWildcard
	}
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	id, _, ok := r.st.projects.resolve(want.project)
	if !ok {
		return nil, permissionDenied(true, "ListRevisions", req.GetParent())
	}
	resp := &runpb.ListRevisionsResponse{}
	for _, k := range r.st.revisionKeys {
		rev := r.st.revisions[k]
		n, _ := parseRevisionName(rev.GetName()) // validated by newState
		if r.st.matches(n, id, want) {
			resp.Revisions = append(resp.Revisions, proto.Clone(rev).(*runpb.Revision))
		}
	}
	// A service that exists may have no revisions listed in the fixture;
	// one that does not exist is an error, as in the real API.
	if len(resp.Revisions) == 0 && want.location != "-" && want.service != "-" {
		if _, ok := r.st.services[want.key(id)]; !ok {
			return nil, runNotFound(req.GetParent())
		}
	}
	return resp, nil
}

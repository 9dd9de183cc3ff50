// Package fakegcp is an in-process fake of the parts of Secret Manager v1 and
// Cloud Run Admin v2 (services, revisions, jobs) that secret-preflight reads, served over real gRPC so
// that tests, `secret-preflight demo` and `secret-preflight emulator` drive
// the official Go clients exactly as they would drive Google Cloud.
//
// The fake is read-only: its resources come from a Fixture and never change.
// Methods that write (create, update, delete, IAM) answer Unimplemented.
// Faults can be injected per method and resource, and calls are counted, so
// tests can check both error handling and caching.
package fakegcp

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// Server serves the fake Secret Manager and Cloud Run APIs on one gRPC
// server.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr string

	st   *state
	srv  *grpc.Server
	done chan struct{} // closed when Serve returns
}

// NewServer starts a server for f on a free port of 127.0.0.1. A nil f is an
// empty fixture.
func NewServer(f *Fixture) (*Server, error) {
	return Listen("127.0.0.1:0", f)
}

// Listen is NewServer on a given address; an empty addr means 127.0.0.1:0.
func Listen(addr string, f *Fixture) (*Server, error) {
	st, err := newState(f)
	if err != nil {
		return nil, err
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fakegcp: listen: %w", err)
	}
	s := &Server{
		Addr: lis.Addr().String(),
		st:   st,
		done: make(chan struct{}),
	}
	s.srv = grpc.NewServer(grpc.UnaryInterceptor(s.intercept))
	secretmanagerpb.RegisterSecretManagerServiceServer(s.srv, &secretManager{st: st})
	runpb.RegisterServicesServer(s.srv, &services{st: st})
	runpb.RegisterRevisionsServer(s.srv, &revisions{st: st})
	runpb.RegisterJobsServer(s.srv, &jobs{st: st})
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(lis) // returns nil once Stop is called; other errors end the fake anyway
	}()
	return s, nil
}

// Close stops the server, cutting open connections, and waits for it to
// finish. It is safe to call more than once.
func (s *Server) Close() error {
	s.srv.Stop()
	<-s.done
	return nil
}

// ClientOptions returns what an official Google Cloud client needs to talk to
// this server: its endpoint, no credentials and a plaintext connection.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(s.Addr),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// Calls returns how many calls of method (a short RPC name such as
// "AccessSecretVersion" or "GetRevision") the server received, failed or not.
// Client-side retries count as separate calls.
func (s *Server) Calls(method string) int {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return s.st.calls[method]
}

// CallsFor is Calls restricted to requests whose resource (name, or parent
// for List methods) was exactly resource, spelt as the client sent it.
func (s *Server) CallsFor(method, resource string) int {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return s.st.callsFor[callKey{method, resource}]
}

// SetFault makes later calls of method on resource fail with code. An empty
// method matches every method and an empty resource every resource; when
// several faults match, the most specific wins (method and resource, then
// method, then resource, then neither). A resource matches whether the
// caller spells its project as id or number. codes.OK removes the fault.
// Error messages imitate the real services, e.g. PermissionDenied names the
// IAM permission the method needs.
func (s *Server) SetFault(method, resource string, code codes.Code) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	k := callKey{method, s.st.projects.canonical(resource)}
	if code == codes.OK {
		delete(s.st.faults, k)
		return
	}
	s.st.faults[k] = &fault{code: code}
}

// SetFaultTimes is SetFault for the next n matching calls only: the fault
// then clears itself, as a transient outage does. n <= 0 is SetFault.
func (s *Server) SetFaultTimes(method, resource string, code codes.Code, n int) {
	s.SetFault(method, resource, code)
	if code == codes.OK || n <= 0 {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.st.faults[callKey{method, s.st.projects.canonical(resource)}].left = n
}

// SetFaultMessage is SetFault with the error message the server answers,
// e.g. text an attacker-controlled service might reflect, to test how the
// tool prints error messages.
func (s *Server) SetFaultMessage(method, resource string, code codes.Code, msg string) {
	s.SetFault(method, resource, code)
	if code == codes.OK {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.st.faults[callKey{method, s.st.projects.canonical(resource)}].msg = msg
}

// SetFaultDetails is SetFaultTimes whose errors also carry details, as the
// real services attach a google.rpc.RetryInfo (errdetails.RetryInfo) to
// RESOURCE_EXHAUSTED to say when to come back.
func (s *Server) SetFaultDetails(method, resource string, code codes.Code, n int, details ...protoadapt.MessageV1) {
	s.SetFaultTimes(method, resource, code, n)
	if code == codes.OK {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.st.faults[callKey{method, s.st.projects.canonical(resource)}].details = details
}

// ClearFaults removes every fault set by SetFault.
func (s *Server) ClearFaults() {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	clear(s.st.faults)
}

// SetLatency makes every later call wait d before it is answered, faulted or
// not, as a round trip to Google Cloud would: benchmarks measure how many
// round trips a run waits for in a row. A caller whose context ends first
// gets its context's error. Zero removes the latency.
func (s *Server) SetLatency(d time.Duration) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.st.latency = d
}

// The request shapes the interceptor reads the target resource from.
type (
	namedRequest    interface{ GetName() string }
	parentRequest   interface{ GetParent() string }
	resourceRequest interface{ GetResource() string } // IAM methods
)

func requestResource(req any) string {
	switch r := req.(type) {
	case namedRequest:
		return r.GetName()
	case parentRequest:
		return r.GetParent()
	case resourceRequest:
		return r.GetResource()
	}
	return ""
}

// intercept counts every call and applies faults before the method runs, so
// that faults also hit methods the fake does not implement.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	method := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
	run := strings.HasPrefix(info.FullMethod, "/google.cloud.run.")
	resource := requestResource(req)

	s.st.mu.Lock()
	s.st.calls[method]++
	s.st.callsFor[callKey{method, resource}]++
	var f *fault // a copy: SetFault may change the original once unlocked
	if p := s.st.fault(method, resource); p != nil {
		cp := *p
		f = &cp
	}
	latency := s.st.latency
	s.st.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}

	if f == nil {
		return handler(ctx, req)
	}
	err := faultError(run, method, resource, f.code)
	if f.msg != "" {
		err = status.Error(f.code, f.msg)
	}
	if len(f.details) > 0 {
		st, derr := status.Convert(err).WithDetails(f.details...)
		if derr != nil {
			return nil, status.Errorf(codes.Internal, "fakegcp: fault details: %v", derr)
		}
		err = st.Err()
	}
	return nil, err
}

// fault returns the most specific fault for a call, or nil, and uses up
// one of its calls when it is limited. st.mu must be held.
func (st *state) fault(method, resource string) *fault {
	canon := st.projects.canonical(resource)
	for _, k := range []callKey{{method, canon}, {method, ""}, {"", canon}, {"", ""}} {
		if f, ok := st.faults[k]; ok {
			if f.left > 0 {
				f.left--
				if f.left == 0 {
					delete(st.faults, k)
				}
			}
			return f
		}
	}
	return nil
}

// permission is the IAM permission the real services check for method, so
// that PermissionDenied messages read like the real ones.
func permission(method string) string {
	switch method {
	case "AccessSecretVersion":
		return "secretmanager.versions.access"
	case "GetSecretVersion":
		return "secretmanager.versions.get"
	case "ListSecretVersions":
		return "secretmanager.versions.list"
	case "GetSecret":
		return "secretmanager.secrets.get"
	case "ListSecrets":
		return "secretmanager.secrets.list"
	case "GetService":
		return "run.services.get"
	case "ListServices":
		return "run.services.list"
	case "GetRevision":
		return "run.revisions.get"
	case "ListRevisions":
		return "run.revisions.list"
	case "GetJob":
		return "run.jobs.get"
	case "ListJobs":
		return "run.jobs.list"
	}
	return ""
}

// permissionDenied words the error as each service does: Secret Manager and
// Cloud Run phrase the same IAM refusal differently.
func permissionDenied(run bool, method, resource string) error {
	perm := permission(method)
	switch {
	case perm == "":
		return status.Errorf(codes.PermissionDenied, "The caller does not have permission")
	case run:
		return status.Errorf(codes.PermissionDenied, "Permission '%s' denied on resource '%s' (or resource may not exist).", perm, resource)
	default:
		return status.Errorf(codes.PermissionDenied, "Permission '%s' denied for resource '%s' (or it may not exist).", perm, resource)
	}
}

// faultError builds the error of an injected fault, worded like the real
// service's error for that code where there is a typical one.
func faultError(run bool, method, resource string, code codes.Code) error {
	switch code {
	case codes.PermissionDenied:
		return permissionDenied(run, method, resource)
	case codes.NotFound:
		switch {
		case run:
			return status.Errorf(code, "Resource '%s' was not found", resource)
		case strings.Contains(resource, "/versions/"):
			return status.Errorf(code, "Secret Version [%s] not found.", resource)
		default:
			return status.Errorf(code, "Secret [%s] not found or has no versions.", resource)
		}
	case codes.FailedPrecondition:
		if strings.Contains(resource, "/versions/") {
			return status.Errorf(code, "Secret Version [%s] is in DISABLED state.", resource)
		}
	case codes.Unauthenticated:
		return status.Errorf(code, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
	case codes.Unavailable:
		return status.Errorf(code, "The service is currently unavailable.")
	case codes.DeadlineExceeded:
		return status.Errorf(code, "Deadline Exceeded")
	case codes.ResourceExhausted:
		return status.Errorf(code, "Quota exceeded for method %s.", method)
	}
	return status.Errorf(code, "fakegcp: injected %s fault on %s %s", code, method, resource)
}

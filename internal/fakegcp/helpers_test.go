package fakegcp

import (
	"context"
	"testing"

	run "cloud.google.com/go/run/apiv2"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// newBasicServer serves testdata/basic.yaml for the duration of the test.
func newBasicServer(t *testing.T) *Server {
	t.Helper()
	f, err := LoadFixture("testdata/basic.yaml")
	if err != nil {
		t.Fatalf("LoadFixture: %v", err)
	}
	s, err := NewServer(f)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newSecretManagerClient(t *testing.T, s *Server) *secretmanager.Client {
	t.Helper()
	c, err := secretmanager.NewClient(context.Background(), s.ClientOptions()...)
	if err != nil {
		t.Fatalf("secretmanager.NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newServicesClient(t *testing.T, s *Server) *run.ServicesClient {
	t.Helper()
	c, err := run.NewServicesClient(context.Background(), s.ClientOptions()...)
	if err != nil {
		t.Fatalf("run.NewServicesClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newRevisionsClient(t *testing.T, s *Server) *run.RevisionsClient {
	t.Helper()
	c, err := run.NewRevisionsClient(context.Background(), s.ClientOptions()...)
	if err != nil {
		t.Fatalf("run.NewRevisionsClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkStatus fails the test unless err carries code and, when msg is not
// empty, exactly that message.
func checkStatus(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("error = %v, want code %v", err, code)
	}
	if msg != "" && st.Message() != msg {
		t.Fatalf("message = %q, want %q", st.Message(), msg)
	}
}

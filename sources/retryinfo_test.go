package sources

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/secret-preflight/secret-preflight/internal/retry"
)

// TestResourceExhaustedRetryInfo: Secret Manager refuses with
// RESOURCE_EXHAUSTED and a google.rpc.RetryInfo. A delay within the budget
// is waited out, however short the policy's own pauses; one past the budget
// ends the read at once with an error that says so.
func TestResourceExhaustedRetryInfo(t *testing.T) {
	const name = "projects/p/secrets/jwt/versions/1"
	srv, sm := secretFake(t, nil, fakeSecret("jwt", "v1"))
	after := func(d time.Duration) *errdetails.RetryInfo {
		return &errdetails.RetryInfo{RetryDelay: durationpb.New(d)}
	}

	t.Run("within the budget", func(t *testing.T) {
		srv.SetFaultDetails("AccessSecretVersion", name, codes.ResourceExhausted, 1, after(200*time.Millisecond))
		a := NewAccessor(sm)
		a.Retry = retry.Policy{Initial: time.Millisecond, Max: time.Millisecond}
		before := srv.Calls("AccessSecretVersion")
		start := time.Now()
		if _, err := a.Access(context.Background(), name); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited < 200*time.Millisecond {
			t.Errorf("retried after %v, before the 200ms the server asked for", waited)
		}
		if n := srv.Calls("AccessSecretVersion") - before; n != 2 {
			t.Errorf("%d calls, want 2", n)
		}
	})

	t.Run("beyond the budget", func(t *testing.T) {
		srv.SetFaultDetails("AccessSecretVersion", name, codes.ResourceExhausted, 1, after(30*time.Second))
		a := NewAccessor(sm)
		a.Retry = retry.Policy{Budget: 15 * time.Second}
		before := srv.Calls("AccessSecretVersion")
		_, err := a.Access(context.Background(), name)
		want := name + ": ResourceExhausted: the server asked to retry after 30s, beyond the 15s retry budget"
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v, want it to start with %q", err, want)
		}
		if n := srv.Calls("AccessSecretVersion") - before; n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
	})
}

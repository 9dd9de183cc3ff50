package sources

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A client that could not be created (no Application Default Credentials)
// makes every read through it Unauthenticated, so the report's hint says
// how to authenticate instead of "Unknown".
func TestClientErrorIsUnauthenticated(t *testing.T) {
	cause := errors.New("credentials: could not find default credentials")
	a := NewAccessor(nil)
	a.InitErr = &ClientError{API: "Secret Manager", Err: cause}
	_, err := a.Access(context.Background(), "projects/p/secrets/s/versions/1")
	if err == nil {
		t.Fatal("access through a client that could not be created succeeded")
	}
	if got := CodeOf(err); got != "Unauthenticated" {
		t.Errorf("code %q, want Unauthenticated (err: %v)", got, err)
	}
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "connecting to Secret Manager: credentials:") {
		t.Errorf("error %q does not carry its cause", err)
	}
}

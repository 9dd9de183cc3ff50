package sources

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// CloudError is a failed call to a Google Cloud API, reduced to what a
// person needs: the resource, the gRPC code and, for permission errors,
// the IAM permission that is missing.
type CloudError struct {
	Resource   string
	Code       codes.Code
	Permission string // the IAM permission the call needs
	Detail     string // the server's message
	Err        error
}

func (e *CloudError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Resource, e.Code)
	switch e.Code {
	case codes.PermissionDenied:
		fmt.Fprintf(&b, ": the caller lacks IAM permission %s on it", e.Permission)
	case codes.NotFound:
		b.WriteString(": not found")
	case codes.FailedPrecondition:
		b.WriteString(": the version is disabled or destroyed")
	case codes.DeadlineExceeded:
		b.WriteString(": timed out")
	case codes.Unavailable:
		b.WriteString(": service unavailable")
	case codes.Unauthenticated:
		b.WriteString(": no valid credentials (run google-github-actions/auth or gcloud auth application-default login)")
	}
	// The server's own text adds nothing to a permission error but noise
	// ("or it may not exist"); for the rest it may carry the specifics.
	if e.Detail != "" && e.Code != codes.PermissionDenied {
		fmt.Fprintf(&b, " (%s)", e.Detail)
	}
	return b.String()
}

func (e *CloudError) Unwrap() error { return e.Err }

// cloudError wraps err from a call on resource that needs permission.
func cloudError(resource, permission string, err error) error {
	ce := &CloudError{Resource: resource, Permission: permission, Err: err, Code: codes.Unknown}
	switch st, ok := status.FromError(err); {
	case errors.Is(err, context.DeadlineExceeded):
		ce.Code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		ce.Code = codes.Canceled
	case ok:
		ce.Code = st.Code()
		ce.Detail = st.Message()
	default:
		ce.Detail = err.Error()
	}
	return ce
}

// CodeOf returns the gRPC code name of a CloudError in err's chain, or "".
func CodeOf(err error) string {
	var ce *CloudError
	if errors.As(err, &ce) {
		return ce.Code.String()
	}
	var te *TagNotFoundError
	if errors.As(err, &te) {
		return codes.NotFound.String()
	}
	return ""
}

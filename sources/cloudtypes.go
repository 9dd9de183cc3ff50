package sources

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/secret-preflight/secret-preflight/internal/retry"
)

// CloudError is a failed call to a Google Cloud API, reduced to what a
// person needs: the resource, the gRPC code and, for permission errors,
// the IAM permission that is missing.
type CloudError struct {
	Resource   string
	Code       codes.Code
	Permission string // the IAM permission the call needs
	Detail     string // the server's message
	// Attempts is how many calls were made (see package retry); the code
	// and detail are the last call's. RetryBudget is set when the retry
	// time budget, not the attempt count, stopped the retries.
	Attempts    int
	RetryBudget time.Duration
	// RetryAfter is set when the server asked to retry after that long,
	// beyond what Beyond names (the retry budget or --timeout).
	RetryAfter time.Duration
	Beyond     string
	Err        error
}

func (e *CloudError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Resource, e.Code)
	switch {
	case e.Attempts > 1 && e.RetryBudget > 0 && e.RetryAfter == 0:
		fmt.Fprintf(&b, " after %d attempts (the %s retry budget ran out)", e.Attempts, e.RetryBudget)
	case e.Attempts > 1:
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
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
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ": the server asked to retry after %s, beyond %s", e.RetryAfter, e.Beyond)
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
	ce := &CloudError{Resource: resource, Permission: permission, Err: err, Code: codes.Unknown, Attempts: 1}
	var re *retry.Error
	if errors.As(err, &re) {
		// The code and message are the last attempt's; status.FromError
		// on the wrapper would fold the wrapper's text into the message.
		ce.Attempts, ce.RetryBudget = re.Attempts, re.Budget
		if re.RetryAfter > 0 {
			ce.RetryAfter, ce.Beyond = re.RetryAfter, re.Beyond()
		}
		err = re.Err
	}
	var pt *PageTimeoutError
	switch st, ok := status.FromError(err); {
	case errors.As(err, &pt):
		ce.Code, ce.Detail = codes.DeadlineExceeded, pt.Error()
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

// ClientError is a Google client that could not be created. With the
// official clients that means no Application Default Credentials were
// found, so every read through it counts as Unauthenticated, and the
// report's hint says how to authenticate.
type ClientError struct {
	API string // "Secret Manager", "Cloud Run"
	Err error
}

func (e *ClientError) Error() string { return "connecting to " + e.API + ": " + e.Err.Error() }
func (e *ClientError) Unwrap() error { return e.Err }

// ExecRefusedError is an exec link not run for want of --allow-exec. It
// reads as a FailedPrecondition (CodeOf): the run was not allowed to.
type ExecRefusedError struct {
	Ref string // the link's argv as the report shows it
}

func (e *ExecRefusedError) Error() string {
	return fmt.Sprintf("exec link %s refused: pass --allow-exec to run commands (never for a config from a pull request)", e.Ref)
}

// CodeOf returns the gRPC code name of a CloudError in err's chain, or "".
func CodeOf(err error) string {
	var ce *CloudError
	if errors.As(err, &ce) {
		return ce.Code.String()
	}
	var cl *ClientError
	if errors.As(err, &cl) {
		return codes.Unauthenticated.String()
	}
	var te *TagNotFoundError
	if errors.As(err, &te) {
		return codes.NotFound.String()
	}
	var xe *ExecRefusedError
	if errors.As(err, &xe) {
		return codes.FailedPrecondition.String()
	}
	return ""
}

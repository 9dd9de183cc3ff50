package fakegcp

import (
	"bytes"
	"context"
	"hash/crc32"
	"testing"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	jwtByID     = "projects/netra-staging/secrets/jwt-secret-staging"
	jwtByNumber = "projects/123456789012/secrets/jwt-secret-staging"
	keyByID     = "projects/netra-staging/secrets/jwt-key"
	keyByNumber = "projects/123456789012/secrets/jwt-key"
)

func TestAccessSecretVersion(t *testing.T) {
	s := newBasicServer(t)
	c := newSecretManagerClient(t, s)

	tests := []struct {
		name     string
		req      string
		wantName string
		wantData string
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "latest by id answers with number", req: jwtByID + "/versions/latest",
			wantName: jwtByNumber + "/versions/2", wantData: "new-signing-key-fedcba9876543210"},
		{name: "latest by number", req: jwtByNumber + "/versions/latest",
			wantName: jwtByNumber + "/versions/2", wantData: "new-signing-key-fedcba9876543210"},
		{name: "pinned older version", req: jwtByID + "/versions/1",
			wantName: jwtByNumber + "/versions/1", wantData: "old-signing-key-0123456789abcdef"},
		{name: "alias resolves to its number", req: jwtByID + "/versions/current",
			wantName: jwtByNumber + "/versions/2", wantData: "new-signing-key-fedcba9876543210"},
		{name: "fixture by number, request by id", req: keyByID + "/versions/3",
			wantName: keyByNumber + "/versions/3", wantData: "key-v3"},
		{name: "binary payload", req: "projects/netra-tools/secrets/binary-blob/versions/1",
			wantName: "projects/555555555555/secrets/binary-blob/versions/1", wantData: "\x00\x01\x02\xff"},
		{name: "disabled latest does not fall back", req: keyByID + "/versions/latest",
			wantCode: codes.FailedPrecondition,
			wantMsg:  "Secret Version [" + keyByNumber + "/versions/4] is in DISABLED state."},
		{name: "destroyed version", req: keyByID + "/versions/2",
			wantCode: codes.FailedPrecondition,
			wantMsg:  "Secret Version [" + keyByNumber + "/versions/2] is in DESTROYED state."},
		{name: "unknown secret", req: "projects/netra-staging/secrets/nope/versions/latest",
			wantCode: codes.NotFound,
			wantMsg:  "Secret [projects/123456789012/secrets/nope] not found or has no versions."},
		{name: "unknown version", req: jwtByID + "/versions/9",
			wantCode: codes.NotFound,
			wantMsg:  "Secret Version [" + jwtByNumber + "/versions/9] not found."},
		{name: "unknown alias", req: jwtByID + "/versions/previous",
			wantCode: codes.NotFound,
			wantMsg:  "Secret Version [" + jwtByNumber + "/versions/previous] not found."},
		{name: "unknown project", req: "projects/elsewhere/secrets/s/versions/1",
			wantCode: codes.PermissionDenied,
			wantMsg:  "Permission 'secretmanager.versions.access' denied for resource 'projects/elsewhere/secrets/s/versions/1' (or it may not exist)."},
		{name: "malformed name", req: jwtByID, wantCode: codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.AccessSecretVersion(context.Background(), &secretmanagerpb.AccessSecretVersionRequest{Name: tt.req})
			if tt.wantCode != codes.OK {
				checkStatus(t, err, tt.wantCode, tt.wantMsg)
				return
			}
			if err != nil {
				t.Fatalf("AccessSecretVersion: %v", err)
			}
			if resp.GetName() != tt.wantName {
				t.Errorf("name = %q, want %q", resp.GetName(), tt.wantName)
			}
			data := resp.GetPayload().GetData()
			if !bytes.Equal(data, []byte(tt.wantData)) {
				t.Errorf("data differs from the fixture (%d bytes, want %d)", len(data), len(tt.wantData))
			}
			wantCRC := int64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
			if resp.GetPayload().DataCrc32C == nil || resp.GetPayload().GetDataCrc32C() != wantCRC {
				t.Errorf("data_crc32c = %v, want %d", resp.GetPayload().DataCrc32C, wantCRC)
			}
		})
	}
}

func TestGetSecretVersion(t *testing.T) {
	s := newBasicServer(t)
	c := newSecretManagerClient(t, s)
	ctx := context.Background()

	// Metadata of a disabled latest is readable: only access is refused.
	v, err := c.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: keyByID + "/versions/latest"})
	if err != nil {
		t.Fatalf("GetSecretVersion: %v", err)
	}
	if v.GetName() != keyByNumber+"/versions/4" || v.GetState() != secretmanagerpb.SecretVersion_DISABLED {
		t.Errorf("got %s in state %v, want version 4 DISABLED", v.GetName(), v.GetState())
	}
	// Default creation times are a fixed base plus an hour per version.
	if got, want := v.GetCreateTime().AsTime(), time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("create_time = %v, want %v", got, want)
	}

	v, err = c.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: jwtByNumber + "/versions/current"})
	if err != nil {
		t.Fatalf("GetSecretVersion: %v", err)
	}
	if got, want := v.GetCreateTime().AsTime(), time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("create_time = %v, want %v", got, want)
	}
	if v.GetState() != secretmanagerpb.SecretVersion_ENABLED {
		t.Errorf("state = %v, want ENABLED", v.GetState())
	}
}

func TestGetSecret(t *testing.T) {
	s := newBasicServer(t)
	c := newSecretManagerClient(t, s)

	sec, err := c.GetSecret(context.Background(), &secretmanagerpb.GetSecretRequest{Name: jwtByID})
	if err != nil {
		t.Fatalf("GetSecret: %v", err)
	}
	if sec.GetName() != jwtByNumber {
		t.Errorf("name = %q, want %q", sec.GetName(), jwtByNumber)
	}
	if got := sec.GetVersionAliases(); len(got) != 1 || got["current"] != 2 {
		t.Errorf("version_aliases = %v, want map[current:2]", got)
	}

	_, err = c.GetSecret(context.Background(), &secretmanagerpb.GetSecretRequest{Name: "projects/netra-staging/secrets/nope"})
	checkStatus(t, err, codes.NotFound, "Secret [projects/123456789012/secrets/nope] not found.")
}

func TestListSecretVersions(t *testing.T) {
	s := newBasicServer(t)
	c := newSecretManagerClient(t, s)

	it := c.ListSecretVersions(context.Background(), &secretmanagerpb.ListSecretVersionsRequest{Parent: keyByID})
	var got []string
	for {
		v, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatalf("ListSecretVersions: %v", err)
		}
		got = append(got, v.GetName()+" "+v.GetState().String())
	}
	want := []string{
		keyByNumber + "/versions/4 DISABLED",
		keyByNumber + "/versions/3 ENABLED",
		keyByNumber + "/versions/2 DESTROYED",
		keyByNumber + "/versions/1 ENABLED",
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("version[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestFaults(t *testing.T) {
	s := newBasicServer(t)
	sm := newSecretManagerClient(t, s)
	svc := newServicesClient(t, s)
	ctx := context.Background()
	access := func(name string) error {
		_, err := sm.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
		return err
	}

	latest := jwtByID + "/versions/latest"
	s.SetFault("AccessSecretVersion", latest, codes.PermissionDenied)
	checkStatus(t, access(latest), codes.PermissionDenied,
		"Permission 'secretmanager.versions.access' denied for resource '"+latest+"' (or it may not exist).")
	// The same resource spelt with the project number is the same resource.
	checkStatus(t, access(jwtByNumber+"/versions/latest"), codes.PermissionDenied, "")
	if err := access(jwtByID + "/versions/1"); err != nil {
		t.Errorf("other version: %v", err)
	}

	// A method-wide fault loses to the resource-specific one.
	s.SetFault("AccessSecretVersion", "", codes.NotFound)
	checkStatus(t, access(latest), codes.PermissionDenied, "")
	checkStatus(t, access(jwtByID+"/versions/1"), codes.NotFound,
		"Secret Version ["+jwtByID+"/versions/1] not found.")

	// Removing one fault with codes.OK leaves the others.
	s.SetFault("AccessSecretVersion", latest, codes.OK)
	checkStatus(t, access(latest), codes.NotFound, "")

	// The catch-all fault reaches the other API too, with its own wording.
	s.ClearFaults()
	s.SetFault("", "", codes.PermissionDenied)
	svcName := "projects/netra-staging/locations/us-central1/services/netra-backend-staging"
	_, err := svc.GetService(ctx, &runpb.GetServiceRequest{Name: svcName})
	checkStatus(t, err, codes.PermissionDenied,
		"Permission 'run.services.get' denied on resource '"+svcName+"' (or resource may not exist).")

	s.ClearFaults()
	if err := access(latest); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
}

func TestCalls(t *testing.T) {
	s := newBasicServer(t)
	c := newSecretManagerClient(t, s)
	ctx := context.Background()

	names := []string{jwtByID + "/versions/latest", jwtByID + "/versions/latest", jwtByNumber + "/versions/latest", "bad-name"}
	for _, n := range names {
		_, _ = c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: n})
	}
	if _, err := c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: jwtByID}); err != nil {
		t.Fatalf("GetSecret: %v", err)
	}

	for _, tc := range []struct {
		method, resource string
		want             int
	}{
		{"AccessSecretVersion", "", 4}, // failed calls count too
		{"GetSecret", "", 1},
		{"GetSecretVersion", "", 0},
		{"AccessSecretVersion", jwtByID + "/versions/latest", 2},
		{"AccessSecretVersion", jwtByNumber + "/versions/latest", 1}, // as sent, not normalised
		{"AccessSecretVersion", "bad-name", 1},
		{"GetSecret", jwtByID, 1},
	} {
		var got int
		if tc.resource == "" {
			got = s.Calls(tc.method)
		} else {
			got = s.CallsFor(tc.method, tc.resource)
		}
		if got != tc.want {
			t.Errorf("calls(%s, %q) = %d, want %d", tc.method, tc.resource, got, tc.want)
		}
	}
}

// getRev42 returns a GetRevision of rev42 with no retries: each call is one
// call on the wire.
func getRev42(t *testing.T, s *Server) func() error {
	t.Helper()
	rev := newRevisionsClient(t, s)
	return func() error {
		_, err := rev.GetRevision(context.Background(), &runpb.GetRevisionRequest{Name: rev42}, gax.WithRetry(nil))
		return err
	}
}

func TestFaultTimes(t *testing.T) {
	s := newBasicServer(t)
	get := getRev42(t, s)
	s.SetFaultTimes("GetRevision", rev42, codes.Unavailable, 2)
	checkStatus(t, get(), codes.Unavailable, "The service is currently unavailable.")
	checkStatus(t, get(), codes.Unavailable, "")
	if err := get(); err != nil {
		t.Fatalf("third call, after the fault ran out: %v", err)
	}
	if got := s.CallsFor("GetRevision", rev42); got != 3 {
		t.Errorf("calls = %d, want 3", got)
	}
}

func TestFaultMessage(t *testing.T) {
	s := newBasicServer(t)
	sm := newSecretManagerClient(t, s)
	ctx := context.Background()
	latest := jwtByID + "/versions/latest"
	access := func() error {
		_, err := sm.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: latest})
		return err
	}
	s.SetFaultMessage("AccessSecretVersion", latest, codes.Internal, "::set-output name=x::y")
	checkStatus(t, access(), codes.Internal, "::set-output name=x::y")
	// A later SetFault on the same call words its error as usual.
	s.SetFault("AccessSecretVersion", latest, codes.NotFound)
	checkStatus(t, access(), codes.NotFound, "Secret Version ["+latest+"] not found.")
	s.SetFault("AccessSecretVersion", latest, codes.OK)
	if err := access(); err != nil {
		t.Errorf("after codes.OK: %v", err)
	}
}

// A fault can carry details, as a quota error carries RetryInfo; it clears
// itself like SetFaultTimes.
func TestFaultDetails(t *testing.T) {
	s := newBasicServer(t)
	get := getRev42(t, s)
	s.SetFaultDetails("GetRevision", rev42, codes.ResourceExhausted, 1, &errdetails.RetryInfo{RetryDelay: durationpb.New(7 * time.Second)})
	err := get()
	checkStatus(t, err, codes.ResourceExhausted, "Quota exceeded for method GetRevision.")
	var delay time.Duration
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			delay = ri.GetRetryDelay().AsDuration()
		}
	}
	if delay != 7*time.Second {
		t.Errorf("RetryInfo delay %v, want 7s", delay)
	}
	if err := get(); err != nil {
		t.Fatalf("second call, after the fault ran out: %v", err)
	}
}

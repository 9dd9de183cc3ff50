package fakegcp

import (
	"context"
	"hash/crc32"
	"strconv"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// secretManager implements the read side of Secret Manager v1.
type secretManager struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer
	st *state
}

func invalidName(field, name, pattern string) error {
	return status.Errorf(codes.InvalidArgument, "Invalid resource field value in the request: %s %q does not match %s.", field, name, pattern)
}

// secret finds the secret named by n and returns it with its name as the
// real service spells it in responses: with the project number. An unknown
// project is PermissionDenied, as it is for real callers: IAM is checked
// before existence, and nobody holds permissions on a missing project.
// st.mu must be held.
func (st *state) secret(method, raw string, n secretName, notFound string) (*secretEntry, string, error) {
	id, number, ok := st.projects.resolve(n.project)
	if !ok {
		return nil, "", permissionDenied(false, method, raw)
	}
	name := "projects/" + number + "/secrets/" + n.secret
	e, ok := st.secrets[id+"/"+n.secret]
	if !ok {
		return nil, "", status.Errorf(codes.NotFound, notFound, name)
	}
	return e, name, nil
}

// version resolves a version reference: "latest" is the most recently
// created version whatever its state (it never falls back to an older one),
// a number is itself, anything else is an alias. st.mu must be held.
func (st *state) version(method, raw string) (*secretEntry, int, string, error) {
	n, ok := parseVersionName(raw)
	if !ok {
		return nil, 0, "", invalidName("name", raw, "projects/*/secrets/*/versions/*")
	}
	e, secretName, err := st.secret(method, raw, n.secretName, "Secret [%s] not found or has no versions.")
	if err != nil {
		return nil, 0, "", err
	}
	num := 0
	switch {
	case n.version == "latest":
		if len(e.versions) == 0 {
			return nil, 0, "", status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", secretName)
		}
		num = len(e.versions)
	case projectNumberRE.MatchString(n.version):
		if v, err := strconv.Atoi(n.version); err == nil {
			num = v
		}
	default:
		num = int(e.aliases[n.version]) // 0 if unknown
	}
	if num < 1 || num > len(e.versions) {
		return nil, 0, "", status.Errorf(codes.NotFound, "Secret Version [%s/versions/%s] not found.", secretName, n.version)
	}
	return e, num, secretName + "/versions/" + strconv.Itoa(num), nil
}

func (s *secretManager) AccessSecretVersion(_ context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	e, num, name, err := s.st.version("AccessSecretVersion", req.GetName())
	if err != nil {
		return nil, err
	}
	v := e.versions[num-1]
	if v.state != secretmanagerpb.SecretVersion_ENABLED {
		return nil, status.Errorf(codes.FailedPrecondition, "Secret Version [%s] is in %s state.", name, v.state)
	}
	// Clients verify payloads against this checksum, so it must be right.
	crc := int64(crc32.Checksum(v.data, crc32.MakeTable(crc32.Castagnoli)))
	return &secretmanagerpb.AccessSecretVersionResponse{
		Name: name,
		Payload: &secretmanagerpb.SecretPayload{
			Data:       append([]byte(nil), v.data...),
			DataCrc32C: &crc,
		},
	}, nil
}

func (s *secretManager) GetSecretVersion(_ context.Context, req *secretmanagerpb.GetSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	e, num, name, err := s.st.version("GetSecretVersion", req.GetName())
	if err != nil {
		return nil, err
	}
	return versionProto(name, e.versions[num-1]), nil
}

func versionProto(name string, v versionEntry) *secretmanagerpb.SecretVersion {
	return &secretmanagerpb.SecretVersion{
		Name:       name,
		CreateTime: timestamppb.New(v.createTime),
		State:      v.state,
	}
}

func (s *secretManager) GetSecret(_ context.Context, req *secretmanagerpb.GetSecretRequest) (*secretmanagerpb.Secret, error) {
	n, ok := parseSecretName(req.GetName())
	if !ok {
		return nil, invalidName("name", req.GetName(), "projects/*/secrets/*")
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	e, name, err := s.st.secret("GetSecret", req.GetName(), n, "Secret [%s] not found.")
	if err != nil {
		return nil, err
	}
	aliases := make(map[string]int64, len(e.aliases))
	for k, v := range e.aliases {
		aliases[k] = v
	}
	return &secretmanagerpb.Secret{
		Name: name,
		Replication: &secretmanagerpb.Replication{
			Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}},
		},
		CreateTime:     timestamppb.New(e.createTime),
		VersionAliases: aliases,
	}, nil
}

// ListSecretVersions returns every version, newest first as the real API
// does, in one page.
func (s *secretManager) ListSecretVersions(_ context.Context, req *secretmanagerpb.ListSecretVersionsRequest) (*secretmanagerpb.ListSecretVersionsResponse, error) {
	n, ok := parseSecretName(req.GetParent())
	if !ok {
		return nil, invalidName("parent", req.GetParent(), "projects/*/secrets/*")
	}
	if req.GetFilter() != "" {
		return nil, status.Errorf(codes.InvalidArgument, "fakegcp: ListSecretVersions filter %q is not supported", req.GetFilter())
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	e, name, err := s.st.secret("ListSecretVersions", req.GetParent(), n, "Secret [%s] not found.")
	if err != nil {
		return nil, err
	}
	resp := &secretmanagerpb.ListSecretVersionsResponse{TotalSize: int32(len(e.versions))}
	for i := len(e.versions) - 1; i >= 0; i-- {
		resp.Versions = append(resp.Versions, versionProto(name+"/versions/"+strconv.Itoa(i+1), e.versions[i]))
	}
	return resp, nil
}

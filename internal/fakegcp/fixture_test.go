package fakegcp

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
)

func TestParseFixtureErrors(t *testing.T) {
	const head = "projects: {p1: '1'}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key",
			head + "secret: []\n",
			"f.yaml:2:1: unknown key \"secret\" in fixture"},
		{"unknown version key",
			head + "secrets:\n  - name: projects/p1/secrets/s\n    versions:\n      - {value: a, sate: ENABLED}\n",
			"f.yaml:5:20: unknown key \"sate\""},
		{"bad state",
			head + "secrets:\n  - name: projects/p1/secrets/s\n    versions:\n      - {state: GONE}\n",
			"f.yaml:5:17: secret \"projects/p1/secrets/s\": version 1: state \"GONE\""},
		{"alias to a missing version",
			head + "secrets:\n  - name: projects/p1/secrets/s\n    aliases: {cur: 3}\n    versions:\n      - {value: a}\n",
			"f.yaml:4:20: secret \"projects/p1/secrets/s\": alias \"cur\" points to version 3"},
		{"value and value_base64",
			head + "secrets:\n  - name: projects/p1/secrets/s\n    versions:\n      - {value: a, value_base64: YQ==}\n",
			"f.yaml:5:34: secret \"projects/p1/secrets/s\": version 1: value and value_base64 are mutually exclusive"},
		{"bad base64",
			head + "secrets:\n  - name: projects/p1/secrets/s\n    versions:\n      - value_base64: '!!!'\n",
			"f.yaml:5:23: secret \"projects/p1/secrets/s\": version 1: value_base64: illegal base64"},
		{"versions out of creation order",
			head + "secrets:\n  - name: projects/p1/secrets/s\n    versions:\n      - {create_time: 2026-02-01T00:00:00Z}\n      - {create_time: 2026-01-01T00:00:00Z}\n",
			"f.yaml:6:9: secret \"projects/p1/secrets/s\": version 2 is created before version 1"},
		{"unlisted project",
			head + "secrets:\n  - name: projects/p2/secrets/s\n",
			"f.yaml:3:5: secret \"projects/p2/secrets/s\": project \"p2\" is not listed under projects"},
		{"same secret by id and number",
			head + "secrets:\n  - name: projects/p1/secrets/s\n  - name: projects/1/secrets/s\n",
			"f.yaml:4:5: duplicate secret \"projects/1/secrets/s\""},
		{"project number not a number",
			"projects:\n  p1: x\n",
			"f.yaml:2:3: project \"p1\": number \"x\" is not a project number"},
		{"misspelt service field",
			head + "services:\n  - name: projects/p1/locations/r/services/s\n    template:\n      contaners: []\n",
			"f.yaml:5:7: services[0]: unknown field \"contaners\""},
		{"bad enum in a service",
			head + "services:\n  - name: projects/p1/locations/r/services/s\n    trafficStatuses: [{type: BOGUS}]\n",
			"f.yaml:4:30: services[0]: invalid value for enum field type: \"BOGUS\""},
		{"bad number in a revision",
			head + "revisions:\n  - name: projects/p1/locations/r/services/s/revisions/r1\n    containers:\n      - ports: [{containerPort: abc}]\n",
			"f.yaml:5:33: revisions[0]: invalid value for int32 field containerPort"},
		{"malformed revision name",
			head + "revisions:\n  - name: projects/p1/locations/r/services/s\n",
			"f.yaml:3:5: revision name \"projects/p1/locations/r/services/s\": want projects/P/locations/L/services/S/revisions/R"},
		{"yaml syntax",
			head + "secrets: [\n",
			"f.yaml:2: did not find expected node content"},
		{"unknown anchor",
			head + "secrets:\n  - name: projects/p1/secrets/s\n    versions:\n      - {value: *s3cr3t}\n",
			"f.yaml:5:17: unknown anchor '…' referenced"},
		{"json with tabs",
			"{\n\t\"projects\": {\"p1\": \"1\"},\n\t\"secrets\": [{\"name\": \"projects/p1/secrets/s\", \"versions\": [{\"state\": \"GONE\"}]}]\n}\n",
			"f.yaml:3:71: secret \"projects/p1/secrets/s\": version 1: state \"GONE\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFixture("f.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParseFixture succeeded, want error %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant prefix %q", err, tt.want)
			}
			for e := error(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), "s3cr3t") {
					t.Errorf("error chain holds the value: %q", e)
				}
			}
			var fe *FixtureError
			if !errors.As(err, &fe) || fe.File != "f.yaml" {
				t.Errorf("error %T does not unwrap to a *FixtureError for f.yaml", err)
			}
		})
	}
}

func TestLoadFixtureMissing(t *testing.T) {
	_, err := LoadFixture("testdata/does-not-exist.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error = %v, want fs.ErrNotExist", err)
	}
}

// A fixture built in Go goes through the same validation, without positions.
func TestNewServerValidatesGoFixture(t *testing.T) {
	_, err := NewServer(&Fixture{Secrets: []Secret{{Name: "projects/p/secrets/s"}}})
	if err == nil || err.Error() != `fixture: secret "projects/p/secrets/s": project "p" is not listed under projects` {
		t.Fatalf("NewServer error = %v", err)
	}
}

// JSON is accepted, and a fixture built in Go works like a parsed one.
func TestFixtureFromJSONAndGo(t *testing.T) {
	fromJSON, err := ParseFixture("f.json", []byte(`{
	"projects": {"p": "42"},
	"secrets": [{"name": "projects/p/secrets/s", "versions": [{"value": "v1"}, {"value": "v2\n"}]}]
}`))
	if err != nil {
		t.Fatalf("ParseFixture: %v", err)
	}
	fromGo := &Fixture{
		Projects: map[string]string{"p": "42"},
		Secrets:  []Secret{{Name: "projects/42/secrets/s", Versions: []Version{{Data: []byte("v1")}, {Data: []byte("v2\n")}}}},
	}
	for name, f := range map[string]*Fixture{"json": fromJSON, "go": fromGo} {
		t.Run(name, func(t *testing.T) {
			s, err := Listen("127.0.0.1:0", f)
			if err != nil {
				t.Fatalf("Listen: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			c := newSecretManagerClient(t, s)
			resp, err := c.AccessSecretVersion(context.Background(), &secretmanagerpb.AccessSecretVersionRequest{Name: "projects/p/secrets/s/versions/latest"})
			if err != nil {
				t.Fatalf("AccessSecretVersion: %v", err)
			}
			if resp.GetName() != "projects/42/secrets/s/versions/2" || string(resp.GetPayload().GetData()) != "v2\n" {
				t.Errorf("got %s with %d bytes, want version 2 with its trailing newline", resp.GetName(), len(resp.GetPayload().GetData()))
			}
		})
	}
}

func TestEmptyServer(t *testing.T) {
	s, err := NewServer(nil)
	if err != nil {
		t.Fatalf("NewServer(nil): %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

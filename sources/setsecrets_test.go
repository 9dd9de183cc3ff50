package sources

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSetSecrets(t *testing.T) {
	tests := []struct {
		name, value string
		want        []string // describeSecrets lines
	}{
		{"one env var", "JWT_SECRET=jwt-signing:3", []string{"JWT_SECRET -> jwt-signing:3"}},
		{"design example", "JWT_SECRET_STAGING=jwt-secret-staging:latest,/secrets/jwt=jwt-key:3", []string{
			"JWT_SECRET_STAGING -> jwt-secret-staging:latest",
			"mount /secrets jwt-key [jwt:3]",
		}},
		{"missing version means latest", "A=s", []string{"A -> s:latest"}},
		{"version alias", "A=s:current", []string{"A -> s:current"}},
		{"cross-project name", "A=projects/shared/secrets/s:2,/etc/k/key.pem=projects/123456/secrets/tls", []string{
			"A -> projects/shared/secrets/s:2",
			"mount /etc/k projects/123456/secrets/tls [key.pem:latest]",
		}},
		{"deploy-cloudrun multi-line input", "\n  JWT_SECRET=jwt:latest\n\n  DB_URL = db-url : 4  \n", []string{
			"JWT_SECRET -> jwt:latest",
			"DB_URL -> db-url:4",
		}},
		{"commas and newlines mixed, CRLF, blanks", "A=a:1, B=b:2,\r\nC=c:3,,\n\n/m/x=d:4", []string{
			"A -> a:1", "B -> b:2", "C -> c:3", "mount /m d [x:4]",
		}},
		{"files of one secret in one directory share a volume", "/s/a=k:1,/s/b=k:2", []string{"mount /s k [a:1 b:2]"}},
		{"files in different directories", "/s/a=k:1,/t/a=k:2", []string{"mount /s k [a:1]", "mount /t k [a:2]"}},
		{"gcloud alternative delimiter", "^;^A=a:1;B=b:latest", []string{"A -> a:1", "B -> b:latest"}},
		{"dotted file name", "/run/secrets/admin.password=admin:1", []string{"mount /run/secrets admin [admin.password:1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseSetSecrets(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != "" || !c.Ingress {
				t.Errorf("container name %q ingress %v, want \"\" true", c.Name, c.Ingress)
			}
			if got := describeSecrets(c); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseSetSecretsErrors(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"empty", "  \n ", "set_secrets is empty"},
		{"deploy-cloudrun empty object", "{}", "set_secrets is empty"},
		{"missing =", "A=a:1,hunter2", "set_secrets entry 2: missing '='"},
		{"nothing before =", "=a:1", "set_secrets entry 1: nothing before '='"},
		{"empty secret", "A=a:1\nB=:3", "set_secrets entry 2: empty secret name"},
		{"empty secret, no version", "A=", "set_secrets entry 1: empty secret name"},
		{"empty version", "A=a:", "set_secrets entry 1: empty version after ':'"},
		{"relative mount path", "secrets/jwt=jwt:1", "set_secrets entry 1: the part before '=' is a relative path: a mount path must start with /"},
		{"mount path is a directory", "/secrets/=jwt:1", "set_secrets entry 1: the mount path ends in '/': it must name a file"},
		{"bad secret name", "A=not a name:1", "set_secrets entry 1: the secret is not a Secret Manager secret id"},
		{"bad project path", "A=projects/p/secret/s:1", "the secret is not a Secret Manager secret id"},
		{"bad version", "A=s:1.5", "set_secrets entry 1: the version is not latest, a number or an alias"},
		{"env var twice", "A=a:1,B=b:1,A=a:2", "set_secrets entry 3: sets the same env var as entry 1"},
		{"file twice", "/s/a=k:1,/s/./a=k:2", "set_secrets entry 2: mounts the same file as entry 1"},
		{"two secrets in one directory", "/s/a=k:1,/s/b=zz:1", "set_secrets entry 2: the directory of its mount path already holds another secret (entry 1)"},
		{"whitespace in name", "MY VAR=a:1", "set_secrets entry 1: the part before '=' is not an env var name or an absolute path"},
		// A base64 value pasted as an entry: its padding is the '='.
		// The part before the padding is a valid env var name: never echoed.
		{"pasted base64", "A=a:1,dGhpcyBpcyBhIHNlY3JldA==", "set_secrets entry 2: the secret is not a Secret Manager secret id"},
		{"pasted base64, one =", "dGhpcyBpcyBhIHNlY3JldA=", "set_secrets entry 1: empty secret name"},
		// Text that would form a workflow command in GitHub Actions.
		{"workflow command in a name", "X##[add-mask]y=s:1", "set_secrets entry 1: the part before '=' is not an env var name or an absolute path"},
		{"workflow command in a path", "/s/##[add-mask]y=s:1", "set_secrets entry 1: the part before '=' is not an env var name or an absolute path"},
		{"leading digit", "1A=s:1", "the part before '=' is not an env var name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseSetSecrets(tt.value)
			if err == nil {
				t.Fatalf("no error; got %+v", c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			// What follows '=' may be a value pasted by mistake.
			// No part of a failing entry is echoed, name included: a base64
			// value without its padding is a valid env var name.
			for _, part := range strings.FieldsFunc(tt.value, func(r rune) bool { return strings.ContainsRune(",\n=:", r) }) {
				if part = strings.TrimSpace(part); len(part) > 1 && strings.Contains(err.Error(), part) {
					t.Errorf("error %q echoes %q from the entry", err, part)
				}
			}
			if strings.Contains(err.Error(), "##[") {
				t.Errorf("error %q holds a workflow command", err)
			}
		})
	}
}

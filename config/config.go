// Package config defines secret-preflight's configuration file, version 1,
// and loads it with positions so that every error names file:line:col.
package config

import (
	"fmt"
	"time"

	"github.com/secret-preflight/secret-preflight/secret"
)

// Pos is a position in a config file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Config is a loaded version 1 file.
type Config struct {
	Path    string
	Version int
	GCP     GCP
	Secrets []*Secret
	Policy  Policy
	Ignore  []Ignore
}

// GCP holds defaults for short names.
type GCP struct {
	Project string
	Region  string
}

// Secret is one logical secret and everything that consumes it.
type Secret struct {
	Name           string
	JWT            *JWT
	MustDifferFrom []string
	Runner         *Consumer // nil when the config declares no runner
	Services       []*Consumer
	// Probes are live endpoints to send probe tokens to (DESIGN.md 5a).
	Probes []*Probe
	Pos    Pos
}

// JWT says the secret is JWT key material.
type JWT struct {
	Algorithm string
	Issuer    string
	Audience  string
	// Claims are extra claims of the probe tokens (sub, scope...). An
	// entry for iss, aud, nbf or iat replaces the default; exp can only
	// move earlier (checks.ProbeClaims caps a probe token at a minute).
	Claims map[string]any
	Pos    Pos
}

// ConsumerKind is one of the kinds in DESIGN.md section 2.
type ConsumerKind string

const (
	KindRunner     ConsumerKind = "runner"
	KindCloudRun   ConsumerKind = "cloudrun"
	KindManifest   ConsumerKind = "manifest"
	KindSetSecrets ConsumerKind = "set_secrets"
	// KindCloudRunJob is a Cloud Run job (DESIGN.md section 5): its
	// consumers are the containers of the job's template.
	KindCloudRunJob ConsumerKind = "cloudrun_job"
)

// DefaultSetSecretsName names a set_secrets consumer without name: (its
// id is set_secrets:deploy).
const DefaultSetSecretsName = "deploy"

// Consumer is one declared reader of a secret.
type Consumer struct {
	Kind ConsumerKind
	// Target is the cloudrun service or cloudrun_job job (short or full
	// name), the manifest
	// path (relative paths are resolved against the config file's
	// directory by the loader), or the set_secrets flag value. Empty for
	// the runner.
	Target string
	// Path is a manifest's path as the config writes it, cleaned: what
	// its consumer id and report target say, the same from any working
	// directory (Target is where the file is read).
	Path      string
	Name      string // optional display name (set_secrets uses it in the id)
	Container string // optional; empty means every container
	// Tag is a cloudrun consumer's traffic tag: the revision serving that
	// tag's URL, at any traffic percent, instead of the serving revisions.
	Tag   string
	Trim  bool
	Chain []Link
	// JWT is what this service's code expects of a token when it differs
	// from the secret's jwt: block; nil for the runner and when unset.
	JWT *ConsumerJWT
	Pos Pos
}

// LinkKind is the kind of one link of a chain.
type LinkKind string

const (
	LinkEnv           LinkKind = "env"
	LinkFile          LinkKind = "file"
	LinkDotenv        LinkKind = "dotenv"
	LinkLiteral       LinkKind = "literal"
	LinkSecretManager LinkKind = "secretmanager"
	LinkExec          LinkKind = "exec"
	// LinkJWKSURL is a service that verifies with the JWKS served at a URL.
	LinkJWKSURL LinkKind = "jwks_url"
)

// Link is one step of a fallback chain. Exactly one of the kind-specific
// fields is meaningful, as Kind says.
type Link struct {
	Kind LinkKind
	// Name is the env var name (env), the path (file), the Secret
	// Manager resource (secretmanager) or the URL (jwks_url).
	Name    string
	Dotenv  Dotenv
	Literal secret.Value
	Exec    []string
	Pos     Pos
}

// Ref is how the link is named in reports. A literal is never shown, nor
// an exec link's arguments, which may carry a token (-token=...): only the
// command and how many arguments follow it, e.g. ["vault" +3 args].
func (l Link) Ref() string {
	switch l.Kind {
	case LinkLiteral:
		return "literal"
	case LinkDotenv:
		return l.Dotenv.Path + ":" + l.Dotenv.Key
	case LinkExec:
		switch n := len(l.Exec) - 1; {
		case n < 0:
			return "[]"
		case n == 0:
			return fmt.Sprintf("[%q]", l.Exec[0])
		case n == 1:
			return fmt.Sprintf("[%q +1 arg]", l.Exec[0])
		default:
			return fmt.Sprintf("[%q +%d args]", l.Exec[0], n)
		}
	default:
		return l.Name
	}
}

// Dotenv names a key in a .env file.
type Dotenv struct {
	Path string
	Key  string
}

// Policy holds the checks' settings.
type Policy struct {
	FailOn           string // error, warning, never; empty means error
	ForbidServiceEnv []string
	Placeholders     []secret.Value
}

// Ignore silences one finding code, optionally for one secret, until a date.
type Ignore struct {
	Code   string
	Secret string
	Reason string
	Until  time.Time // zero: no expiry
	Pos    Pos
}

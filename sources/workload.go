package sources

import (
	"time"

	"github.com/secret-preflight/secret-preflight/secret"
)

// Workload is what a service runs, reduced to what matters for secrets. The
// live cloudrun source, the manifest parser and the set_secrets parser all
// produce it, so the same link resolution serves all three.
type Workload struct {
	// Service is the service name as its source gives it (short name for
	// manifests and set_secrets, full resource name for live services).
	Service string
	// Revision is the short revision name; empty for manifests.
	Revision string
	// TrafficPercent is the revision's share of traffic (live only).
	TrafficPercent int
	// Created is when the revision was created (live only): instances
	// started after it resolved env-var secrets at their own start.
	Created    time.Time
	Containers []Container
	// Err is set when the revision could not be read; the other fields
	// but Containers are still filled, so the report can name it.
	Err error
	// Problems are things the source found wrong that do not stop parsing,
	// such as a malformed run.googleapis.com/secrets annotation. Each is a
	// message prefixed with its position where one is known.
	Problems []string
}

// Container is one container of a workload.
type Container struct {
	Name string
	// Ingress is true for the container that serves traffic (the one with
	// ports, or the only container).
	Ingress bool
	Env     []EnvVar
	Mounts  []SecretMount
}

// EnvVar is one environment variable of a container.
type EnvVar struct {
	Name string
	// Value is the plain value when Secret is nil.
	Value secret.Value
	// Secret is set when the variable comes from Secret Manager.
	Secret *SecretRef
}

// SecretRef names a Secret Manager secret version as a service refers to it.
type SecretRef struct {
	// Secret is a bare secret id (same project as the service) or
	// projects/P/secrets/S, where P may be an id or a number.
	Secret string
	// Version is "latest", a number, or an alias. Empty means latest.
	Version string
}

// SecretMount is a secret volume mounted into a container.
type SecretMount struct {
	// MountPath is the directory the volume is mounted at, as written
	// (it may end in a slash).
	MountPath string
	Secret    string
	// Items map files under MountPath to versions. When empty, one file
	// named after the secret holds its latest version.
	Items []MountItem
}

// MountItem is one file of a secret volume.
type MountItem struct {
	Path    string
	Version string
}

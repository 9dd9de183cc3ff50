package fakegcp

import (
	"regexp"
	"strings"
)

// projectIndex maps between project ids and numbers. Real GCP APIs accept
// either form in a resource name, so every lookup goes through it; it is
// built once from the fixture and never changes afterwards.
type projectIndex struct {
	numberOf map[string]string // id -> number
	idOf     map[string]string // number -> id
}

// resolve returns the project id and number for a name segment that holds
// either of them.
func (p projectIndex) resolve(seg string) (id, number string, ok bool) {
	if n, ok := p.numberOf[seg]; ok {
		return seg, n, true
	}
	if id, ok := p.idOf[seg]; ok {
		return id, seg, true
	}
	return "", "", false
}

var (
	projectNumberRE = regexp.MustCompile(`^[0-9]+$`)
	// The documented secret id charset; anything else is rejected by the real
	// service with INVALID_ARGUMENT, so a fixture using it would be unreachable.
	secretIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	// Version aliases: letters, digits, '-' and '_', not starting with '-'.
	aliasRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$`)
)

// splitName checks that name has the shape lit0/*/lit1/*/... given by the
// literal collection segments in pattern, and returns the variable segments.
// Empty variable segments are rejected, as the real services do.
func splitName(name string, pattern ...string) ([]string, bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 2*len(pattern) {
		return nil, false
	}
	vars := make([]string, 0, len(pattern))
	for i, lit := range pattern {
		if parts[2*i] != lit || parts[2*i+1] == "" {
			return nil, false
		}
		vars = append(vars, parts[2*i+1])
	}
	return vars, true
}

// secretName is a parsed projects/P/secrets/S.
type secretName struct {
	project string // as written
	secret  string
}

func parseSecretName(name string) (secretName, bool) {
	v, ok := splitName(name, "projects", "secrets")
	if !ok || !secretIDRE.MatchString(v[1]) {
		return secretName{}, false
	}
	return secretName{project: v[0], secret: v[1]}, true
}

// versionName is a parsed projects/P/secrets/S/versions/V, where V is a
// number, "latest" or an alias.
type versionName struct {
	secretName
	version string
}

func parseVersionName(name string) (versionName, bool) {
	v, ok := splitName(name, "projects", "secrets", "versions")
	if !ok || !secretIDRE.MatchString(v[1]) {
		return versionName{}, false
	}
	return versionName{secretName{project: v[0], secret: v[1]}, v[2]}, true
}

// runName is a parsed Cloud Run name: projects/P/locations/L/services/S and,
// for revisions, .../revisions/R. Empty trailing fields are absent.
type runName struct {
	project, location, service, revision string
}

func parseLocationName(name string) (runName, bool) {
	v, ok := splitName(name, "projects", "locations")
	if !ok {
		return runName{}, false
	}
	return runName{project: v[0], location: v[1]}, true
}

func parseServiceName(name string) (runName, bool) {
	v, ok := splitName(name, "projects", "locations", "services")
	if !ok {
		return runName{}, false
	}
	return runName{project: v[0], location: v[1], service: v[2]}, true
}

func parseRevisionName(name string) (runName, bool) {
	v, ok := splitName(name, "projects", "locations", "services", "revisions")
	if !ok {
		return runName{}, false
	}
	return runName{project: v[0], location: v[1], service: v[2], revision: v[3]}, true
}

// key is the lookup key of a Cloud Run resource: its name with the project
// id, so that id and number spellings of one name meet.
func (n runName) key(projectID string) string {
	k := "projects/" + projectID + "/locations/" + n.location + "/services/" + n.service
	if n.revision != "" {
		k += "/revisions/" + n.revision
	}
	return k
}

// canonical rewrites the project segment of any projects/P/... name to the
// project id, so that fault resources match however the caller spells the
// project. Names it cannot interpret are returned unchanged.
func (p projectIndex) canonical(name string) string {
	rest, ok := strings.CutPrefix(name, "projects/")
	if !ok {
		return name
	}
	seg, tail, _ := strings.Cut(rest, "/")
	id, _, ok := p.resolve(seg)
	if !ok {
		return name
	}
	if tail == "" {
		return "projects/" + id
	}
	return "projects/" + id + "/" + tail
}

// Package setsecrets parses the value of gcloud's --set-secrets flag (and
// google-github-actions/deploy-cloudrun's secrets input). It is a leaf:
// the config loader validates set_secrets strings with it, and the sources
// turn its result into a container to resolve.
package setsecrets

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

var (
	// A Secret Manager secret id, bare or under a project (id or number).
	nameRE = regexp.MustCompile(`^(projects/[A-Za-z0-9._:-]+/secrets/)?[A-Za-z0-9_-]+$`)
	// latest, a version number or a version alias.
	versionRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// What Cloud Run and Kubernetes accept as an env var name (the config's
	// env links use the same grammar).
	envNameRE = regexp.MustCompile(`^[-._A-Za-z][-._A-Za-z0-9]*$`)
	// An absolute mount path: no whitespace, no '#', '[' or the like that
	// could turn an echo of it into something else.
	mountPathRE = regexp.MustCompile(`^(/[-._@+A-Za-z0-9]+)+/?$`)
)

const want = "want ENV_VAR=SECRET:VERSION or /mount/path=SECRET:VERSION"

// Env is an env var set from a secret.
type Env struct {
	Name string
	// Secret is a bare secret id or projects/P/secrets/S.
	Secret string
	// Version is latest, a number or an alias.
	Version string
	// Entry is the 1-based number of the entry that set it, for messages
	// that must not quote the entry.
	Entry int
}

// Mount is a secret volume: the files under Dir, all of one secret.
type Mount struct {
	Dir    string
	Secret string
	Items  []Item
}

// Item is one file of a Mount and the version it holds.
type Item struct {
	Path    string
	Version string
	// Entry is the 1-based number of the entry that mounted it.
	Entry int
}

// Set is what a --set-secrets value sets, in the order written.
type Set struct {
	Env    []Env
	Mounts []Mount
}

// Parse parses the value of gcloud's --set-secrets flag or of
// google-github-actions/deploy-cloudrun's `secrets:` input.
//
// Entries are separated by commas and/or newlines. ENV_VAR=SECRET:VERSION
// sets an env var; /dir/file=SECRET:VERSION mounts the secret as that file,
// which Cloud Run does with a volume at /dir holding one item, file. SECRET
// may be projects/P/secrets/S; a missing :VERSION means latest. gcloud's
// ^DELIM^ prefix, which deploy-cloudrun itself uses when calling gcloud, is
// understood too. Errors name the entry by its 1-based number and never
// quote any of its text: a value pasted here by mistake would be a secret
// (a base64 one, cut at its '=' padding, even looks like an env var name),
// and in GitHub Actions an echoed name could form a workflow command.
func Parse(value string) (Set, error) {
	entries := split(value)
	if len(entries) == 0 {
		return Set{}, fmt.Errorf("set_secrets is empty: %s", want)
	}
	b := builder{envAt: map[string]int{}, fileAt: map[string]int{}, dirAt: map[string]int{}}
	for i, e := range entries {
		if err := b.add(i+1, e); err != nil {
			return Set{}, fmt.Errorf("set_secrets entry %d: %w", i+1, err)
		}
	}
	return b.s, nil
}

// ShortNames returns, in entry order, the numbers of the entries whose
// secret is a bare id rather than projects/P/secrets/S: they can only be
// read with a default project.
func (s Set) ShortNames() []int {
	var out []int
	for _, e := range s.Env {
		if !strings.HasPrefix(e.Secret, "projects/") {
			out = append(out, e.Entry)
		}
	}
	for _, m := range s.Mounts {
		if !strings.HasPrefix(m.Secret, "projects/") {
			for _, it := range m.Items {
				out = append(out, it.Entry)
			}
		}
	}
	slices.Sort(out)
	return out
}

// split returns the non-blank entries, trimmed.
func split(value string) []string {
	value = strings.TrimSpace(value)
	delim := ","
	// gcloud list/dict flags accept ^D^ at the start to use D instead of a
	// comma, for values that contain commas.
	if rest, ok := strings.CutPrefix(value, "^"); ok {
		if d, tail, ok := strings.Cut(rest, "^"); ok && d != "" {
			delim, value = d, tail
		}
	}
	if value == "{}" { // deploy-cloudrun's "no entries"
		return nil
	}
	value = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(value)
	var out []string
	for _, line := range strings.Split(value, "\n") {
		for _, e := range strings.Split(line, delim) {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// builder accumulates entries and remembers where each env var,
// file and mount directory was set, to report conflicts by entry number.
type builder struct {
	s      Set
	envAt  map[string]int
	fileAt map[string]int
	dirAt  map[string]int // mount directory -> index in s.Mounts
}

func (b *builder) add(n int, entry string) error {
	key, ref, ok := strings.Cut(entry, "=")
	if !ok {
		return fmt.Errorf("missing '=' (%s)", want)
	}
	key = strings.TrimSpace(key)
	// The name is checked first, so that no later message is about an
	// entry whose name is not one.
	switch {
	case key == "":
		return fmt.Errorf("nothing before '=' (%s)", want)
	case strings.HasPrefix(key, "/"):
		if !mountPathRE.MatchString(key) {
			return fmt.Errorf("the part before '=' is not an env var name or an absolute path (%s)", want)
		}
	case strings.Contains(key, "/") && mountPathRE.MatchString("/"+key):
		return fmt.Errorf("the part before '=' is a relative path: a mount path must start with /")
	case !envNameRE.MatchString(key):
		return fmt.Errorf("the part before '=' is not an env var name or an absolute path (%s)", want)
	}
	name, version, err := parseSecretVersion(strings.TrimSpace(ref))
	if err != nil {
		return err
	}
	if strings.HasPrefix(key, "/") {
		return b.addMount(n, key, name, version)
	}
	if prev, dup := b.envAt[key]; dup {
		return fmt.Errorf("sets the same env var as entry %d", prev)
	}
	b.envAt[key] = n
	b.s.Env = append(b.s.Env, Env{Name: key, Secret: name, Version: version, Entry: n})
	return nil
}

// addMount adds one file. Cloud Run mounts one secret per directory, so
// files of the same secret in one directory share a volume, and files of
// different secrets in one directory are an error, as gcloud would say.
func (b *builder) addMount(n int, file, name, version string) error {
	if strings.HasSuffix(file, "/") {
		return fmt.Errorf("the mount path ends in '/': it must name a file, not a directory (e.g. /dir/NAME)")
	}
	clean := path.Clean(file)
	if prev, dup := b.fileAt[clean]; dup {
		return fmt.Errorf("mounts the same file as entry %d", prev)
	}
	dir, base := path.Dir(clean), path.Base(clean)
	item := Item{Path: base, Version: version, Entry: n}
	if i, ok := b.dirAt[dir]; ok {
		m := &b.s.Mounts[i]
		if m.Secret != name {
			return fmt.Errorf("the directory of its mount path already holds another secret (entry %d); Cloud Run mounts one secret per directory", b.fileAt[path.Join(dir, m.Items[0].Path)])
		}
		m.Items = append(m.Items, item)
	} else {
		b.dirAt[dir] = len(b.s.Mounts)
		b.s.Mounts = append(b.s.Mounts, Mount{Dir: dir, Secret: name, Items: []Item{item}})
	}
	b.fileAt[clean] = n
	return nil
}

// parseSecretVersion splits SECRET[:VERSION]. Secret names hold no colon,
// so the last one separates the version.
func parseSecretVersion(ref string) (string, string, error) {
	name, version := ref, "latest"
	if i := strings.LastIndex(ref, ":"); i >= 0 {
		name, version = strings.TrimSpace(ref[:i]), strings.TrimSpace(ref[i+1:])
		if version == "" {
			return "", "", fmt.Errorf("empty version after ':' (use latest, a number or an alias)")
		}
	}
	switch {
	case name == "":
		return "", "", fmt.Errorf("empty secret name after '=' (%s)", want)
	case !nameRE.MatchString(name):
		return "", "", fmt.Errorf("the secret is not a Secret Manager secret id or projects/PROJECT/secrets/ID")
	case !versionRE.MatchString(version):
		return "", "", fmt.Errorf("the version is not latest, a number or an alias")
	}
	return name, version, nil
}

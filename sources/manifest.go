package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/secret-preflight/secret-preflight/internal/yamlerr"
	"github.com/secret-preflight/secret-preflight/secret"
)

// ManifestError is a manifest that cannot be used, with the position of the
// offending text so that the user can go straight to it.
type ManifestError struct {
	Path   string
	Line   int
	Column int
	Msg    string
	// Err is an underlying error safe to print, if any. It is never the
	// YAML parser's own error, whose text can quote the manifest (an
	// unknown anchor's name): Msg holds a redacted form of it.
	Err error
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
}

func (e *ManifestError) Unwrap() error { return e.Err }

// secretsAnnotation maps aliases used in a Knative manifest to full secret
// names, most often secrets of another project.
const secretsAnnotation = "run.googleapis.com/secrets"

const renderHint = "render it first (envsubst, helm template) and point manifest: at the output"

// manifestPlaceholderRE matches the placeholder styles found in real
// unrendered manifests: ${VAR} (envsubst), {{ .Values.x }} (Go, Helm),
// %VAR% and __VAR__ (sed). It is deliberately narrow: __VAR__ must not
// match inside APP__DB__PASSWORD. A match is quoted only where it is known
// to be a name or a version (checkPlaceholder); hints about a line give
// its position, since a plain env value may be shaped like a placeholder.
var manifestPlaceholderRE = regexp.MustCompile(
	`\$\{[A-Za-z_][A-Za-z0-9_]*\}|\{\{-?\s*[A-Za-z0-9_.$]+\s*-?\}\}|%[A-Z][A-Z0-9_]*%|\b__[A-Z][A-Z0-9_]*__\b`)

var (
	aliasNameRE    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	aliasTargetRE  = regexp.MustCompile(`^projects/[^/\s]+/secrets/[^/\s]+$`)
	manifestLineRE = regexp.MustCompile(`\r?\n`)
)

// ParseManifest parses a Cloud Run service manifest about to be deployed.
//
// It accepts the Knative Service that `gcloud run services replace` takes
// and the Cloud Run Admin API v2 Service (YAML or JSON), telling them apart
// by shape, and returns one Workload per service document. Errors are
// *ManifestError values that name path:line:col.
func ParseManifest(path string, data []byte) ([]Workload, error) {
	src := newManifestSource(path, data)
	docs, err := src.documents()
	if err != nil {
		return nil, err
	}
	var out []Workload
	for _, doc := range docs {
		w, err := (&docParser{src: src}).service(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, &ManifestError{Path: path, Line: 1, Column: 1,
			Msg: "no Cloud Run service in the file (it is empty or holds only comments)"}
	}
	return out, nil
}

// manifestSource is the raw file, kept for positions and template hints.
type manifestSource struct {
	path  string
	data  []byte
	lines []string
}

func newManifestSource(path string, data []byte) *manifestSource {
	return &manifestSource{path: path, data: data, lines: manifestLineRE.Split(string(data), -1)}
}

// documents decodes every YAML document, skipping empty ones.
func (s *manifestSource) documents() ([]*yaml.Node, error) {
	// JSON is YAML too (tabs included, for yaml.v3), so one decoder serves both.
	dec := yaml.NewDecoder(bytes.NewReader(s.data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, s.syntaxError(err)
		}
		if root := yamlDeref(&doc); root != nil && !isYAMLNull(root) {
			docs = append(docs, root)
		}
	}
}

// syntaxError positions a YAML parse error. yaml.v3 reports only a line
// (none for an unknown anchor, which yamlerr then finds), and for parser
// (as opposed to scanner) errors it is the line before the construct that
// failed (yamlerr.Locate finds the line of the token it choked on), so
// when a placeholder sits on yaml's line or the next, its position is the
// better one to show: it is almost always the cause. The message
// keeps none of the manifest's text, the placeholder included: yaml.v3
// quotes input, and a manifest's plain env values may be secrets, shaped
// like a placeholder or not.
func (s *manifestSource) syntaxError(err error) error {
	line, col, msg := yamlerr.Locate(s.data, err)
	if line < 1 {
		line, col = 1, 0
	}
	if col == 0 {
		col = s.firstColumn(line)
	}
	e := &ManifestError{Path: s.path, Line: line, Column: col, Msg: "not valid YAML: " + msg}
	// Locate names the line yaml.v3 choked on; the placeholder to blame
	// is usually the first one in the construct that failed, which
	// starts on the line after the one yaml.v3 names itself.
	yamlLine, _ := yamlerr.Describe(err)
	for _, l := range []int{yamlLine, yamlLine + 1, line} {
		if _, col, ok := s.placeholderOnLine(l); ok {
			e.Line, e.Column = l, col
			e.Msg += "; the file looks like an unrendered template (a placeholder starts here): " + renderHint
			return e
		}
	}
	if hint := s.templateHint(); hint != "" {
		e.Msg += "; " + hint
	}
	return e
}

// templateHint says why a file that does not parse may be a template, or "".
func (s *manifestSource) templateHint() string {
	for i := range s.lines {
		if _, col, ok := s.placeholderOnLine(i + 1); ok {
			return fmt.Sprintf("the file looks like an unrendered template (a placeholder at %d:%d): %s", i+1, col, renderHint)
		}
	}
	if bytes.Contains(s.data, []byte("${")) || bytes.Contains(s.data, []byte("{{")) {
		return "the file looks like an unrendered template (it holds ${ or {{): " + renderHint
	}
	return ""
}

// placeholderOnLine finds the first placeholder on a 1-based line.
func (s *manifestSource) placeholderOnLine(line int) (string, int, bool) {
	if line < 1 || line > len(s.lines) {
		return "", 0, false
	}
	text := s.lines[line-1]
	loc := manifestPlaceholderRE.FindStringIndex(text)
	if loc == nil {
		return "", 0, false
	}
	return text[loc[0]:loc[1]], utf8.RuneCountInString(text[:loc[0]]) + 1, true
}

// firstColumn is the column of the first non-blank character of a line.
func (s *manifestSource) firstColumn(line int) int {
	if line < 1 || line > len(s.lines) {
		return 1
	}
	text := s.lines[line-1]
	return utf8.RuneCountInString(text[:len(text)-len(strings.TrimLeft(text, " \t"))]) + 1
}

// column finds sub on n's line at or after n's column, so that a problem in
// one entry of a long annotation points at that entry; it falls back to the
// node's own column when the text is not found there verbatim (escapes,
// multi-line scalars).
func (s *manifestSource) column(n *yaml.Node, sub string) int {
	if n.Line < 1 || n.Line > len(s.lines) || sub == "" {
		return n.Column
	}
	runes := []rune(s.lines[n.Line-1])
	if n.Column-1 > len(runes) {
		return n.Column
	}
	rest := string(runes[n.Column-1:])
	if i := strings.Index(rest, sub); i >= 0 {
		return n.Column + utf8.RuneCountInString(rest[:i])
	}
	return n.Column
}

// manifestDialect names the fields that differ between the two accepted
// shapes; everything else is walked by the same code.
type manifestDialect struct {
	name string
	// env var secret: <envSource>.secretKeyRef.{<refSecret>, <refVersion>}
	envSource, refSecret, refVersion string
	// secret volume: secret.{<volSecret>, items[{path, <itemVersion>}]}
	volSecret, itemVersion string
}

func knativeDialect() manifestDialect {
	return manifestDialect{name: "Knative", envSource: "valueFrom", refSecret: "name", refVersion: "key",
		volSecret: "secretName", itemVersion: "key"}
}

func v2Dialect() manifestDialect {
	return manifestDialect{name: "v2", envSource: "valueSource", refSecret: "secret", refVersion: "version",
		volSecret: "secret", itemVersion: "version"}
}

// docParser turns one YAML document into a Workload.
type docParser struct {
	src      *manifestSource
	dialect  manifestDialect
	aliases  map[string]string
	problems []string
}

// secretVolume is a volume of the pod spec that holds a secret.
type secretVolume struct {
	secret string
	items  []MountItem
}

func (p *docParser) service(root *yaml.Node) (Workload, error) {
	if root.Kind != yaml.MappingNode {
		return Workload{}, p.errorf(root, "the document is a %s, want a Cloud Run service mapping", yamlKindName(root))
	}
	spec, prefix, name, err := p.detect(root)
	if err != nil {
		return Workload{}, err
	}
	cs, err := p.podSpec(spec, prefix)
	if err != nil {
		return Workload{}, err
	}
	return Workload{Service: name, Containers: cs, Problems: p.problems}, nil
}

// detect tells the two shapes apart and returns the node holding containers
// and volumes, its path for messages, and the service name.
func (p *docParser) detect(root *yaml.Node) (*yaml.Node, string, string, error) {
	apiVersion, _, err := p.str(root, "apiVersion", "apiVersion")
	if err != nil {
		return nil, "", "", err
	}
	kind, _, err := p.str(root, "kind", "kind")
	if err != nil {
		return nil, "", "", err
	}
	switch {
	case strings.HasPrefix(apiVersion, "serving.knative.dev/") && kind == "Service":
		p.dialect = knativeDialect()
		return p.knative(root)
	case apiVersion != "" || kind != "":
		return nil, "", "", p.errorf(root, "apiVersion %q kind %q is not a Cloud Run service: want apiVersion serving.knative.dev/v1, kind Service (or a Cloud Run v2 Service)", apiVersion, kind)
	case yamlField(root, "template") != nil:
		p.dialect = v2Dialect()
		return p.v2(root)
	}
	return nil, "", "", p.errorf(root, "neither a Knative Service (apiVersion: serving.knative.dev/v1, kind: Service) nor a Cloud Run v2 Service (template.containers)")
}

func (p *docParser) knative(root *yaml.Node) (*yaml.Node, string, string, error) {
	meta, err := p.obj(root, "metadata", "metadata")
	if err != nil {
		return nil, "", "", err
	}
	name, _, err := p.str(meta, "name", "metadata.name")
	if err != nil {
		return nil, "", "", err
	}
	if misplaced := yamlField(yamlField(meta, "annotations"), secretsAnnotation); misplaced != nil {
		p.problemf(misplaced, "%s sits on metadata.annotations, where Cloud Run ignores it: move it to spec.template.metadata.annotations", secretsAnnotation)
	}
	template, err := p.path(root, "spec.template", "spec", "template")
	if err != nil {
		return nil, "", "", err
	}
	tmeta, err := p.obj(template, "metadata", "spec.template.metadata")
	if err != nil {
		return nil, "", "", err
	}
	if err := p.readAliases(tmeta); err != nil {
		return nil, "", "", err
	}
	spec, err := p.path(template, "spec.template.spec", "spec")
	if err != nil {
		return nil, "", "", err
	}
	return spec, "spec.template.spec", name, nil
}

func (p *docParser) v2(root *yaml.Node) (*yaml.Node, string, string, error) {
	name, _, err := p.str(root, "name", "name")
	if err != nil {
		return nil, "", "", err
	}
	// The v2 name is a full resource name; the service is its last segment.
	name = name[strings.LastIndex(name, "/")+1:]
	template, err := p.path(root, "template", "template")
	if err != nil {
		return nil, "", "", err
	}
	return template, "template", name, nil
}

// path walks a chain of required mappings.
func (p *docParser) path(from *yaml.Node, what string, keys ...string) (*yaml.Node, error) {
	n := from
	for _, k := range keys {
		next, err := p.obj(n, k, what)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return nil, p.errorf(n, "no %s: a %s service keeps its containers under it", what, p.dialect.name)
		}
		n = next
	}
	return n, nil
}

// readAliases reads the run.googleapis.com/secrets annotation. Malformed
// entries become problems rather than errors: the rest of the manifest is
// still worth checking, and the references that used the alias stay
// unresolved, which the report then shows.
func (p *docParser) readAliases(meta *yaml.Node) error {
	n := yamlField(yamlField(meta, "annotations"), secretsAnnotation)
	if n == nil || isYAMLNull(n) {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return p.errorf(n, "%s must be a string, found a %s", secretsAnnotation, yamlKindName(n))
	}
	p.aliases = map[string]string{}
	for _, entry := range strings.Split(n.Value, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		alias, target, ok := strings.Cut(entry, ":")
		if !ok || !aliasNameRE.MatchString(alias) || !aliasTargetRE.MatchString(target) {
			p.problems = append(p.problems, fmt.Sprintf("%s:%d:%d: malformed %s entry %q (want ALIAS:projects/NUMBER/secrets/NAME)",
				p.src.path, n.Line, p.src.column(n, entry), secretsAnnotation, entry))
			continue
		}
		p.aliases[alias] = target
		p.checkPlaceholder(n, target, "the "+secretsAnnotation+" target of alias "+alias)
	}
	return nil
}

// podSpec reads containers and volumes and joins them through volumeMounts.
func (p *docParser) podSpec(spec *yaml.Node, prefix string) ([]Container, error) {
	vols, err := p.volumes(spec, prefix+".volumes")
	if err != nil {
		return nil, err
	}
	items, seq, err := p.seq(spec, "containers", prefix+".containers")
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		at := spec
		if seq != nil {
			at = seq
		}
		return nil, p.errorf(at, "%s.containers is missing or empty: a service needs at least one container", prefix)
	}
	cs := make([]Container, 0, len(items))
	var withPorts []int
	for i, item := range items {
		c, hasPorts, err := p.container(item, fmt.Sprintf("%s.containers[%d]", prefix, i), vols)
		if err != nil {
			return nil, err
		}
		if hasPorts {
			withPorts = append(withPorts, i)
		}
		cs = append(cs, c)
	}
	p.markIngress(cs, withPorts, seq)
	return cs, nil
}

// markIngress flags the container that serves traffic: the only one, or the
// one with ports. Cloud Run rejects multi-container services with no or
// several ingress containers, so those become problems.
func (p *docParser) markIngress(cs []Container, withPorts []int, at *yaml.Node) {
	if len(cs) == 1 {
		cs[0].Ingress = true
		return
	}
	for _, i := range withPorts {
		cs[i].Ingress = true
	}
	switch {
	case len(withPorts) == 0:
		p.problemf(at, "none of the %d containers declares ports: Cloud Run needs exactly one ingress container", len(cs))
	case len(withPorts) > 1:
		p.problemf(at, "%d containers declare ports: Cloud Run needs exactly one ingress container", len(withPorts))
	}
}

func (p *docParser) container(n *yaml.Node, where string, vols map[string]*secretVolume) (Container, bool, error) {
	if n.Kind != yaml.MappingNode {
		return Container{}, false, p.errorf(n, "%s must be a mapping, found a %s", where, yamlKindName(n))
	}
	name, _, err := p.str(n, "name", where+".name")
	if err != nil {
		return Container{}, false, err
	}
	ports := yamlField(n, "ports")
	hasPorts := ports != nil && !isYAMLNull(ports) && len(ports.Content) > 0
	c := Container{Name: name}
	if c.Env, err = p.envVars(n, where+".env"); err != nil {
		return Container{}, false, err
	}
	if c.Mounts, err = p.mounts(n, where+".volumeMounts", vols); err != nil {
		return Container{}, false, err
	}
	return c, hasPorts, nil
}

func (p *docParser) envVars(container *yaml.Node, where string) ([]EnvVar, error) {
	items, _, err := p.seq(container, "env", where)
	if err != nil {
		return nil, err
	}
	out := make([]EnvVar, 0, len(items))
	for i, item := range items {
		ev, err := p.envVar(item, fmt.Sprintf("%s[%d]", where, i))
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func (p *docParser) envVar(n *yaml.Node, where string) (EnvVar, error) {
	if n.Kind != yaml.MappingNode {
		return EnvVar{}, p.errorf(n, "%s must be a mapping, found a %s", where, yamlKindName(n))
	}
	name, nameNode, err := p.str(n, "name", where+".name")
	if err != nil {
		return EnvVar{}, err
	}
	if name == "" {
		return EnvVar{}, p.errorf(orNode(nameNode, n), "%s has no name", where)
	}
	source, err := p.obj(n, p.dialect.envSource, where+"."+p.dialect.envSource)
	if err != nil {
		return EnvVar{}, err
	}
	if source != nil {
		return p.secretEnv(name, source, where+"."+p.dialect.envSource)
	}
	// The value is never quoted in messages: a secret may have been pasted
	// into the manifest as a plain value.
	v := yamlField(n, "value")
	if v != nil && v.Kind != yaml.ScalarNode {
		return EnvVar{}, p.errorf(v, "%s.value (env %s) must be a string, found a %s%s", where, name, yamlKindName(v), p.lineHint(v))
	}
	value := ""
	if v != nil && !isYAMLNull(v) {
		value = v.Value
	}
	return EnvVar{Name: name, Value: secret.FromString(value)}, nil
}

func (p *docParser) secretEnv(name string, source *yaml.Node, where string) (EnvVar, error) {
	ref, err := p.obj(source, "secretKeyRef", where+".secretKeyRef")
	if err != nil {
		return EnvVar{}, err
	}
	if ref == nil {
		return EnvVar{}, p.errorf(source, "%s (env %s) has no secretKeyRef: Cloud Run takes only Secret Manager references here", where, name)
	}
	where += ".secretKeyRef"
	secretName, secretNode, err := p.str(ref, p.dialect.refSecret, where+"."+p.dialect.refSecret)
	if err != nil {
		return EnvVar{}, err
	}
	if secretName == "" {
		return EnvVar{}, p.errorf(orNode(secretNode, ref), "%s (env %s) names no secret", where, name)
	}
	version, versionNode, err := p.str(ref, p.dialect.refVersion, where+"."+p.dialect.refVersion)
	if err != nil {
		return EnvVar{}, err
	}
	role := "env " + name
	full := p.resolveSecret(secretNode, secretName, role)
	p.checkPlaceholder(versionNode, version, "the version of "+role)
	return EnvVar{Name: name, Secret: &SecretRef{Secret: full, Version: orLatest(version)}}, nil
}

// resolveSecret maps an alias of the secrets annotation to the full secret
// name; other names (bare ids, projects/…/secrets/…) are kept as written.
func (p *docParser) resolveSecret(n *yaml.Node, name, role string) string {
	if full, ok := p.aliases[name]; ok {
		return full
	}
	p.checkPlaceholder(n, name, "the secret name of "+role)
	return name
}

func (p *docParser) volumes(spec *yaml.Node, where string) (map[string]*secretVolume, error) {
	items, _, err := p.seq(spec, "volumes", where)
	if err != nil {
		return nil, err
	}
	// Non-secret volumes map to nil: mounting them is fine, they just hold
	// nothing this tool reads.
	vols := map[string]*secretVolume{}
	for i, item := range items {
		at := fmt.Sprintf("%s[%d]", where, i)
		if item.Kind != yaml.MappingNode {
			return nil, p.errorf(item, "%s must be a mapping, found a %s", at, yamlKindName(item))
		}
		name, _, err := p.str(item, "name", at+".name")
		if err != nil {
			return nil, err
		}
		sv, err := p.secretVolume(item, at+".secret", name)
		if err != nil {
			return nil, err
		}
		vols[name] = sv
	}
	return vols, nil
}

func (p *docParser) secretVolume(volume *yaml.Node, where, name string) (*secretVolume, error) {
	s, err := p.obj(volume, "secret", where)
	if err != nil || s == nil {
		return nil, err
	}
	role := "volume " + name
	secretName, secretNode, err := p.str(s, p.dialect.volSecret, where+"."+p.dialect.volSecret)
	if err != nil {
		return nil, err
	}
	if secretName == "" {
		return nil, p.errorf(orNode(secretNode, s), "%s (%s) names no secret", where, role)
	}
	sv := &secretVolume{secret: p.resolveSecret(secretNode, secretName, role)}
	items, _, err := p.seq(s, "items", where+".items")
	if err != nil {
		return nil, err
	}
	for i, item := range items {
		it, err := p.mountItem(item, fmt.Sprintf("%s.items[%d]", where, i), role)
		if err != nil {
			return nil, err
		}
		sv.items = append(sv.items, it)
	}
	return sv, nil
}

func (p *docParser) mountItem(n *yaml.Node, where, role string) (MountItem, error) {
	if n.Kind != yaml.MappingNode {
		return MountItem{}, p.errorf(n, "%s must be a mapping, found a %s", where, yamlKindName(n))
	}
	file, fileNode, err := p.str(n, "path", where+".path")
	if err != nil {
		return MountItem{}, err
	}
	if file == "" {
		return MountItem{}, p.errorf(orNode(fileNode, n), "%s (%s) has no path", where, role)
	}
	version, versionNode, err := p.str(n, p.dialect.itemVersion, where+"."+p.dialect.itemVersion)
	if err != nil {
		return MountItem{}, err
	}
	p.checkPlaceholder(fileNode, file, "an item path of "+role)
	p.checkPlaceholder(versionNode, version, "an item version of "+role)
	return MountItem{Path: file, Version: orLatest(version)}, nil
}

func (p *docParser) mounts(container *yaml.Node, where string, vols map[string]*secretVolume) ([]SecretMount, error) {
	items, _, err := p.seq(container, "volumeMounts", where)
	if err != nil {
		return nil, err
	}
	var out []SecretMount
	for i, item := range items {
		at := fmt.Sprintf("%s[%d]", where, i)
		if item.Kind != yaml.MappingNode {
			return nil, p.errorf(item, "%s must be a mapping, found a %s", at, yamlKindName(item))
		}
		name, nameNode, err := p.str(item, "name", at+".name")
		if err != nil {
			return nil, err
		}
		mountPath, mountNode, err := p.str(item, "mountPath", at+".mountPath")
		if err != nil {
			return nil, err
		}
		sv, known := vols[name]
		if !known {
			return nil, p.errorf(orNode(nameNode, item), "%s names volume %q, which is not declared in volumes", at, name)
		}
		if sv == nil {
			continue
		}
		if mountPath == "" {
			return nil, p.errorf(item, "%s (volume %s) has no mountPath", at, name)
		}
		p.checkPlaceholder(mountNode, mountPath, "the mount path of volume "+name)
		out = append(out, SecretMount{MountPath: mountPath, Secret: sv.secret, Items: append([]MountItem(nil), sv.items...)})
	}
	return out, nil
}

// checkPlaceholder records a problem when a name or version still holds a
// template placeholder. The reference is kept as written, so the report
// still shows what the manifest says; the problem explains why it fails.
func (p *docParser) checkPlaceholder(n *yaml.Node, value, role string) {
	if n == nil {
		return
	}
	ph := manifestPlaceholderRE.FindString(value)
	if ph == "" {
		return
	}
	p.problems = append(p.problems, fmt.Sprintf("%s:%d:%d: the manifest holds an unrendered placeholder %q as %s: %s",
		p.src.path, n.Line, p.src.column(n, ph), ph, role, renderHint))
}

// lineHint adds the template advice when the offending node's line holds a
// placeholder: `name: {{ .Values.x }}` parses as a mapping, not a string.
// It gives the placeholder's position, not its text: the line may hold a
// plain env value too.
func (p *docParser) lineHint(n *yaml.Node) string {
	if _, col, ok := p.src.placeholderOnLine(n.Line); ok {
		return fmt.Sprintf("; the file looks like an unrendered template (a placeholder at %d:%d): %s", n.Line, col, renderHint)
	}
	return ""
}

func (p *docParser) errorf(n *yaml.Node, format string, args ...any) error {
	return &ManifestError{Path: p.src.path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

func (p *docParser) problemf(n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("%s:%d:%d: ", p.src.path, n.Line, n.Column)+fmt.Sprintf(format, args...))
}

// str reads an optional string field. Numbers and booleans are accepted as
// written (`key: 2` is version "2"); mappings and sequences are errors.
func (p *docParser) str(m *yaml.Node, key, where string) (string, *yaml.Node, error) {
	n := yamlField(m, key)
	if n == nil || isYAMLNull(n) {
		return "", n, nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", n, p.errorf(n, "%s must be a string, found a %s%s", where, yamlKindName(n), p.lineHint(n))
	}
	return strings.TrimSpace(n.Value), n, nil
}

// obj reads an optional mapping field.
func (p *docParser) obj(m *yaml.Node, key, where string) (*yaml.Node, error) {
	n := yamlField(m, key)
	if n == nil || isYAMLNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "%s must be a mapping, found a %s%s", where, yamlKindName(n), p.lineHint(n))
	}
	return n, nil
}

// seq reads an optional sequence field, returning its items and the node.
func (p *docParser) seq(m *yaml.Node, key, where string) ([]*yaml.Node, *yaml.Node, error) {
	n := yamlField(m, key)
	if n == nil || isYAMLNull(n) {
		return nil, n, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, n, p.errorf(n, "%s must be a list, found a %s%s", where, yamlKindName(n), p.lineHint(n))
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		items[i] = yamlDeref(c)
	}
	return items, n, nil
}

// yamlField returns the value of key in mapping m, or nil. camelCase and
// snake_case spellings match each other, since v2 resources appear in both
// (REST JSON and proto field names).
func yamlField(m *yaml.Node, key string) *yaml.Node {
	m = yamlDeref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	want := yamlKeyNorm(key)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if yamlKeyNorm(m.Content[i].Value) == want {
			return yamlDeref(m.Content[i+1])
		}
	}
	return nil
}

func yamlKeyNorm(k string) string { return strings.ToLower(strings.ReplaceAll(k, "_", "")) }

// yamlDeref follows document wrappers and YAML aliases (*anchor).
func yamlDeref(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch {
		case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
			n = n.Content[0]
		case n.Kind == yaml.DocumentNode:
			return nil
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

func isYAMLNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func yamlKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "YAML node"
}

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

// orLatest applies Cloud Run's default: a reference without a version reads
// the latest one.
func orLatest(version string) string {
	if version == "" {
		return "latest"
	}
	return version
}

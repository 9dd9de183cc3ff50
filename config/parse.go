package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/secret-preflight/secret-preflight/internal/setsecrets"
	"github.com/secret-preflight/secret-preflight/internal/yamlerr"
	"github.com/secret-preflight/secret-preflight/secret"
)

// The walker reads yaml.v3 nodes rather than decoding into tagged structs:
// only nodes know their line and column, and struct decoding stops at the
// first problem where users want all of them.
//
// Error messages never quote a scalar that could be a value (a literal, a
// placeholder, an exec argument, an env var name that may be a pasted
// secret, a Secret Manager name that is not one): only keys, codes, names
// and resource references are quoted, and a key only when it looks like
// one. yaml.v3's own messages quote the input (an unknown anchor's name),
// so they go through internal/yamlerr.

// Key sets and enumerations; read-only.
var (
	topKeys      = []string{"version", "gcp", "secrets", "policy", "ignore"}
	gcpKeys      = []string{"project", "region"}
	secretKeys   = []string{"name", "jwt", "must_differ_from", "runner", "services", "probes"}
	jwtKeys      = []string{"algorithm", "issuer", "audience", "claims"}
	runnerKeys   = []string{"chain", "trim"}
	serviceKinds = []string{string(KindCloudRun), string(KindCloudRunJob), string(KindManifest), string(KindSetSecrets)}
	serviceKeys  = append(slices.Clone(serviceKinds), "name", "container", "tag", "trim", "chain", "jwt")
	linkKinds    = []string{
		string(LinkEnv), string(LinkFile), string(LinkDotenv),
		string(LinkLiteral), string(LinkSecretManager), string(LinkExec),
		string(LinkJWKSURL),
	}
	dotenvKeys = []string{"path", "key"}
	policyKeys = []string{"fail_on", "forbid_service_env", "placeholders"}
	ignoreKeys = []string{"code", "secret", "reason", "until"}

	jwtAlgorithms = []string{
		"HS256", "HS384", "HS512",
		"RS256", "RS384", "RS512",
		"PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512",
		"EdDSA",
	}
	failOnValues = []string{"error", "warning", "never"}
	// knownCodes mirrors DESIGN.md section 7.
	knownCodes = []string{
		"SP100", "SP101", "SP102", "SP110", "SP111", "SP120", "SP121", "SP122",
		"SP130", "SP131", "SP132", "SP140", "SP141", "SP150", "SP160", "SP162",
		"SP163", "SP170",
	}

	secretIDRe     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	versionRe      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)
	serviceShortRe = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	// envNameRe is what Cloud Run and Kubernetes accept as an env var
	// name; schema/config-v1.json's envName has the same pattern.
	envNameRe = regexp.MustCompile(`^[-._A-Za-z][-._A-Za-z0-9]*$`)
	// dotenvKeyRe is a key godotenv can read from a .env file (ASCII);
	// schema/config-v1.json's dotenvKey has the same pattern.
	dotenvKeyRe = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)
	// keyLikeRe is a key that may be quoted in a message: an unknown key
	// of another shape may be a value (a flow map {literal:VALUE} has the
	// key "literal:VALUE").
	keyLikeRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
)

// maxNodes bounds the walk. YAML aliases can make a small file expand
// exponentially ("billion laughs"); real configs are far below this.
const maxNodes = 1 << 20

// Parse parses a config from data. path names the file in positions and is
// the base for relative manifest paths. On failure the error is Errors,
// holding every problem found.
func Parse(path string, data []byte) (*Config, error) {
	p := &parser{file: path, dir: filepath.Dir(path)}
	var cfg *Config
	if root := p.decode(data); root != nil {
		cfg = p.config(root)
	}
	if len(p.errs) > 0 {
		return nil, p.errs.normalize()
	}
	return cfg, nil
}

type parser struct {
	file      string
	dir       string
	gcp       GCP
	gcpBroken bool
	errs      Errors
	visited   int
	tooBig    bool
	// refs to other secrets, checked once every name is known.
	differRefs []ref
}

type ref struct {
	from string // the secret that names it
	name string
	node *yaml.Node
}

// entry is a key of a map and its value.
type entry struct{ key, val *yaml.Node }

func (p *parser) pos(n *yaml.Node) Pos { return Pos{File: p.file, Line: n.Line, Col: n.Column} }

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errorAt(p.pos(n), format, args...)
}

func (p *parser) errorAt(pos Pos, format string, args ...any) {
	if p.tooBig {
		return // the walk is being abandoned; further errors would be noise
	}
	p.errs = append(p.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// decode parses the YAML text and returns the root content node, or nil
// after recording why there is none.
func (p *parser) decode(data []byte) (root *yaml.Node) {
	defer func() {
		// A panic in the YAML library must not take the CLI down without a
		// position, nor print the input it choked on.
		if r := recover(); r != nil {
			p.errorAt(Pos{File: p.file}, "the YAML parser failed on this file")
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorAt(Pos{File: p.file, Line: 1, Col: 1}, "the config is empty; it must be a map starting with version: 1")
		} else {
			p.syntaxError(data, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errorf(&extra, "a config is a single YAML document; remove this second one")
	case !errors.Is(err, io.EOF):
		p.syntaxError(data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errorAt(Pos{File: p.file, Line: 1, Col: 1}, "the config is empty; it must be a map starting with version: 1")
		return nil
	}
	return doc.Content[0]
}

// syntaxError turns a yaml.v3 error into a positioned one without the
// input text yaml quotes. yaml.v3 mostly reports a line and no column, so
// the error then points at the line's start.
func (p *parser) syntaxError(data []byte, err error) {
	line, col, msg := yamlerr.Locate(data, err)
	if line > 0 && col == 0 {
		col = 1
	}
	p.errorAt(Pos{File: p.file, Line: line, Col: col}, "invalid YAML: %s", msg)
}

// node follows an alias and charges the visit to the walk's budget. Past the
// budget it returns an empty node, so callers need no nil checks and the
// walk winds down.
func (p *parser) node(n *yaml.Node) *yaml.Node {
	p.visited++
	if p.visited > maxNodes && !p.tooBig {
		p.errorf(n, "the config is too large once YAML aliases are expanded")
		p.tooBig = true
	}
	if p.tooBig {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	}
	// An alias never points at another alias: only nodes with content can
	// carry an anchor.
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node's shape for "got ..." messages without showing its
// content.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		default:
			return "a string"
		}
	}
	return "an unsupported YAML value"
}

// mapping checks that n (already followed) is a map whose keys are all in
// allowed and returns its entries by key. want completes "X must be a map"
// so that a bare string where a map belongs gets a useful hint.
func (p *parser) mapping(n *yaml.Node, what, want string, allowed []string) (fields, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a map%s, got %s", what, want, describe(n))
		return fields{}, false
	}
	f := fields{m: make(map[string]entry, len(n.Content)/2)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := p.node(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "a key in %s must be a plain word, got %s", what, describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.errorf(k, "YAML merge keys (<<) are not supported; write the keys out or alias the whole value")
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			hint, near := suggestion(k.Value, allowed)
			if near != "" {
				if f.typo == nil {
					f.typo = map[string]bool{}
				}
				f.typo[near] = true
			}
			switch {
			case keyLikeRe.MatchString(k.Value):
				p.errorf(k, "unknown key %q in %s%s", k.Value, what, hint)
			case kindHint(k.Value) != "":
				p.errorf(k, "unknown key in %s; %s", what, kindHint(k.Value))
			default:
				p.errorf(k, "unknown key in %s%s (not shown: it does not look like a key, and may be a value)", what, hint)
			}
			continue
		}
		if prev, dup := f.m[k.Value]; dup {
			p.errorf(k, "duplicate key %q in %s (first at %s)", k.Value, what, p.pos(prev.key))
			continue
		}
		f.m[k.Value] = entry{key: k, val: n.Content[i+1]}
	}
	return f, true
}

// fields are the known keys of a map. typo records keys that an unknown key
// looked like a misspelling of, so that "chian" is not also reported as a
// missing chain.
type fields struct {
	m    map[string]entry
	typo map[string]bool
}

func (f fields) get(key string) (entry, bool) {
	e, ok := f.m[key]
	return e, ok
}

// missing reports whether a required key is absent and no near miss of it
// was already reported.
func (f fields) missing(key string) bool {
	_, ok := f.m[key]
	return !ok && !f.typo[key]
}

// str reads a non-empty string. An empty value is reported at its key:
// yaml.v3 places an implicit null just after the colon, which reads oddly.
func (p *parser) str(e entry, what string) (string, bool) {
	n := p.node(e.val)
	switch {
	case isNull(n) || (n.Kind == yaml.ScalarNode && n.Value == ""):
		p.errorf(e.key, "%s is empty", what)
	case n.Kind != yaml.ScalarNode:
		p.errorf(n, "%s must be a string, got %s", what, describe(n))
	default:
		return n.Value, true
	}
	return "", false
}

func (p *parser) boolean(e entry, what string) bool {
	n := p.node(e.val)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		if b, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil {
			return b
		}
	}
	p.errorf(n, "%s must be true or false, got %s", what, describe(n))
	return false
}

// list reads a sequence. An empty value (null) reads as an empty list; the
// caller decides whether that is allowed.
func (p *parser) list(e entry, what string) ([]*yaml.Node, bool) {
	n := p.node(e.val)
	switch {
	case isNull(n):
		return nil, true
	case n.Kind != yaml.SequenceNode:
		p.errorf(n, "%s must be a list, got %s", what, describe(n))
		return nil, false
	}
	return n.Content, true
}

// strs reads a list of non-empty strings.
func (p *parser) strs(e entry, what string) []string {
	items, _ := p.list(e, what)
	var out []string
	for _, it := range items {
		if s, ok := p.str(entry{key: it, val: it}, what+" entry"); ok {
			out = append(out, s)
		}
	}
	return out
}

// oneOf reads a string that must be one of allowed.
func (p *parser) oneOf(e entry, what string, allowed []string) (string, bool) {
	s, ok := p.str(e, what)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		p.errorf(e.val, "%s %q is not one of %s%s", what, s, strings.Join(allowed, ", "), suggest(s, allowed))
		return "", false
	}
	return s, true
}

func (p *parser) config(root *yaml.Node) *Config {
	root = p.node(root)
	if isNull(root) {
		p.errorf(root, "the config is empty; it must be a map starting with version: 1")
		return nil
	}
	top, ok := p.mapping(root, "the config", " starting with version: 1", topKeys)
	if !ok {
		return nil
	}
	cfg := &Config{Path: p.file}

	if e, ok := top.get("version"); !ok {
		if top.missing("version") {
			p.errorf(root, "missing version: 1")
		}
	} else if !p.version(e, cfg) {
		// Another version's keys would only produce misleading errors.
		return nil
	}
	// gcp first: short names elsewhere resolve against it.
	if e, ok := top.get("gcp"); ok {
		p.gcpDefaults(e, cfg)
	}
	p.gcp = cfg.GCP
	if e, ok := top.get("secrets"); ok {
		cfg.Secrets = p.secrets(e)
	} else if top.missing("secrets") {
		p.errorf(root, "missing secrets: declare at least one secret")
	}
	names := make([]string, 0, len(cfg.Secrets))
	for _, s := range cfg.Secrets {
		names = append(names, s.Name)
	}
	p.checkDifferRefs(names)
	if e, ok := top.get("policy"); ok {
		cfg.Policy = p.policy(e)
	}
	if e, ok := top.get("ignore"); ok {
		cfg.Ignore = p.ignores(e, names)
	}
	return cfg
}

// version returns false when the file is for another format version.
func (p *parser) version(e entry, cfg *Config) bool {
	n := p.node(e.val)
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		p.errorf(n, "version must be the number 1, got %s", describe(n))
		return true // a typo, not another format: keep checking the rest
	}
	if v != 1 {
		p.errorf(n, "unsupported config version %d: this secret-preflight reads version 1", v)
		return false
	}
	cfg.Version = v
	return true
}

// gcpDefaults reads gcp:. When it is broken, p.gcpBroken keeps every short
// name in the file from also reporting a missing project or region.
func (p *parser) gcpDefaults(e entry, cfg *Config) {
	f, ok := p.mapping(p.node(e.val), "gcp", " with project and region", gcpKeys)
	if !ok {
		p.gcpBroken = true
		return
	}
	p.gcpBroken = f.typo["project"] || f.typo["region"]
	read := func(key string) string {
		e, ok := f.get(key)
		if !ok {
			return ""
		}
		s, ok := p.str(e, "gcp."+key)
		if ok && !validSegment(s) {
			p.errorf(e.val, "gcp.%s %q is not a valid %s", key, s, key)
			ok = false
		}
		if !ok {
			p.gcpBroken = true
			return ""
		}
		return s
	}
	cfg.GCP.Project = read("project")
	cfg.GCP.Region = read("region")
}

// validSegment accepts what can sit between slashes of a resource name.
func validSegment(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/ \t\r\n")
}

func (p *parser) secrets(e entry) []*Secret {
	items, ok := p.list(e, "secrets")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(e.key, "secrets is empty: declare at least one secret")
		return nil
	}
	var out []*Secret
	seen := map[string]Pos{}
	for _, it := range items {
		s, nameNode := p.secret(it)
		if s == nil {
			continue
		}
		if s.Name != "" {
			if first, dup := seen[s.Name]; dup {
				p.errorf(nameNode, "duplicate secret name %q (first declared at %s)", s.Name, first)
			} else {
				seen[s.Name] = p.pos(nameNode)
			}
		}
		out = append(out, s)
	}
	return out
}

// secret returns the parsed secret and the node of its name, for duplicate
// reports.
func (p *parser) secret(item *yaml.Node) (*Secret, *yaml.Node) {
	n := p.node(item)
	f, ok := p.mapping(n, "secret", " with a name and its consumers", secretKeys)
	if !ok {
		return nil, nil
	}
	s := &Secret{Pos: p.pos(n)}
	nameNode := n
	if e, ok := f.get("name"); ok {
		s.Name, _ = p.str(e, "name")
		nameNode = p.node(e.val)
	} else if f.missing("name") {
		p.errorf(n, "secret has no name")
	}
	if e, ok := f.get("jwt"); ok {
		s.JWT = p.jwt(e)
	}
	if e, ok := f.get("must_differ_from"); ok {
		items, _ := p.list(e, "must_differ_from")
		for _, it := range items {
			if name, ok := p.str(entry{key: it, val: it}, "must_differ_from entry"); ok {
				s.MustDifferFrom = append(s.MustDifferFrom, name)
				p.differRefs = append(p.differRefs, ref{from: s.Name, name: name, node: p.node(it)})
			}
		}
	}
	if e, ok := f.get("runner"); ok {
		s.Runner = p.runner(e)
	}
	if e, ok := f.get("probes"); ok {
		s.Probes = p.probes(e)
		if _, hasJWT := f.get("jwt"); !hasJWT && f.missing("jwt") {
			p.errorf(e.key, "probes need a jwt: block (algorithm, issuer, audience) to mint the probe tokens")
		}
	}
	// Count declared consumers, not parsed ones: a consumer with errors
	// has already been reported and must not also read as missing.
	_, declared := f.get("runner")
	servicesKey, hasServices := f.get("services")
	if hasServices {
		items, ok := p.list(servicesKey, "services")
		declared = declared || !ok || len(items) > 0
		// A set_secrets consumer's id is set_secrets:NAME (NAME defaults
		// to deploy): two with one id could not be told apart in a report.
		setSecretsAt := map[string]Pos{}
		for _, it := range items {
			c := p.service(it)
			if c == nil {
				continue
			}
			s.Services = append(s.Services, c)
			if c.Kind != KindSetSecrets || c.Target == "" {
				continue // not one, or already reported
			}
			name := c.Name
			if name == "" {
				name = DefaultSetSecretsName
			}
			if first, dup := setSecretsAt[name]; dup {
				p.errorf(p.node(it), "a second set_secrets consumer with id set_secrets:%s (first at %s): give each set_secrets consumer its own name:", name, first)
				continue
			}
			setSecretsAt[name] = c.Pos
		}
	}
	switch {
	case declared || !f.missing("runner"):
	case hasServices:
		p.errorf(p.node(servicesKey.val), "services is empty and there is no runner: the secret has no consumers to compare")
	case f.missing("services"):
		p.errorf(n, "secret declares no consumers: add runner: and/or services:")
	}
	return s, nameNode
}

func (p *parser) checkDifferRefs(names []string) {
	for _, r := range p.differRefs {
		switch {
		case r.name == r.from:
			p.errorf(r.node, "must_differ_from names the secret itself")
		case !slices.Contains(names, r.name):
			p.errorf(r.node, "must_differ_from: no secret named %q in this file%s", r.name, suggest(r.name, names))
		}
	}
}

func (p *parser) jwt(e entry) *JWT {
	f, ok := p.mapping(p.node(e.val), "jwt", " with an algorithm", jwtKeys)
	if !ok {
		return nil
	}
	j := &JWT{Pos: p.pos(e.key)}
	if a, ok := f.get("algorithm"); ok {
		j.Algorithm, _ = p.oneOf(a, "jwt.algorithm", jwtAlgorithms)
	} else if f.missing("algorithm") {
		p.errorf(e.key, "jwt has no algorithm (one of %s)", strings.Join(jwtAlgorithms, ", "))
	}
	if v, ok := f.get("issuer"); ok {
		j.Issuer, _ = p.str(v, "jwt.issuer")
	}
	if v, ok := f.get("audience"); ok {
		j.Audience, _ = p.str(v, "jwt.audience")
	}
	if v, ok := f.get("claims"); ok {
		j.Claims = p.claims(v)
	}
	return j
}

func (p *parser) runner(e entry) *Consumer {
	f, ok := p.mapping(p.node(e.val), "runner", " with a chain", runnerKeys)
	if !ok {
		return nil
	}
	c := &Consumer{Kind: KindRunner, Pos: p.pos(e.key)}
	if v, ok := f.get("trim"); ok {
		c.Trim = p.boolean(v, "trim")
	}
	if v, ok := f.get("chain"); ok {
		c.Chain = p.chain(v, false)
	} else if f.missing("chain") {
		p.errorf(e.key, "runner has no chain")
	}
	return c
}

func (p *parser) service(item *yaml.Node) *Consumer {
	n := p.node(item)
	f, ok := p.mapping(n, "consumer", " with one of "+strings.Join(serviceKinds, ", "), serviceKeys)
	if !ok {
		return nil
	}
	c := &Consumer{Pos: p.pos(n)}

	var kinds []entry
	for _, k := range serviceKinds {
		if v, ok := f.get(k); ok {
			kinds = append(kinds, v)
		}
	}
	sortByPos(kinds)
	switch len(kinds) {
	case 0:
		if !slices.ContainsFunc(serviceKinds, func(k string) bool { return f.typo[k] }) {
			p.errorf(n, "consumer needs one of %s", strings.Join(serviceKinds, ", "))
		}
	case 1:
		c.Kind = ConsumerKind(kinds[0].key.Value)
		c.Target, _ = p.target(c.Kind, kinds[0])
		if c.Kind == KindManifest && c.Target != "" {
			c.Path = filepath.ToSlash(filepath.Clean(p.node(kinds[0].val).Value))
		}
	default:
		p.errorf(kinds[1].key, "consumer has both %s and %s; declare one per entry", kinds[0].key.Value, kinds[1].key.Value)
	}

	if v, ok := f.get("name"); ok {
		c.Name, _ = p.str(v, "name")
	}
	if v, ok := f.get("container"); ok {
		c.Container, _ = p.str(v, "container")
	}
	if v, ok := f.get("tag"); ok {
		c.Tag, _ = p.tag(v, c.Kind)
	}
	if v, ok := f.get("trim"); ok {
		c.Trim = p.boolean(v, "trim")
	}
	if v, ok := f.get("jwt"); ok {
		c.JWT = p.consumerJWT(v)
	}
	if v, ok := f.get("chain"); ok {
		c.Chain = p.chain(v, true)
	} else if f.missing("chain") {
		p.errorf(n, "consumer has no chain")
	}
	return c
}

func sortByPos(es []entry) {
	slices.SortFunc(es, func(a, b entry) int {
		if a.key.Line != b.key.Line {
			return a.key.Line - b.key.Line
		}
		return a.key.Column - b.key.Column
	})
}

// target validates what a service consumer points at. Short cloudrun names
// are kept as written: resolving them is the sources' job, but whether they
// can be resolved at all is known now.
func (p *parser) target(kind ConsumerKind, e entry) (string, bool) {
	s, ok := p.str(e, string(kind))
	if !ok {
		return "", false
	}
	switch kind {
	case KindCloudRun:
		return p.runTarget(e, s, "cloudrun", "services", "service")
	case KindCloudRunJob:
		return p.runTarget(e, s, "cloudrun_job", "jobs", "job")
	case KindManifest:
		if filepath.IsAbs(s) {
			return filepath.Clean(s), true
		}
		// Relative to the config, not the working directory, so that
		// `-c sub/secret-preflight.yaml` works from anywhere.
		return filepath.Join(p.dir, s), true
	case KindSetSecrets:
		// check would read it the same way and fail with SP102; a
		// malformed deploy flag is a config error, found without the
		// network. The messages never quote what follows '='.
		set, err := setsecrets.Parse(s)
		if err != nil {
			p.errorf(e.val, "%v", err)
			return "", false
		}
		// A bare secret id is read in gcp.project: without one, check
		// could only fail with SP102, so say it now, like a short
		// cloudrun name. Entries are named by number, never quoted.
		if short := set.ShortNames(); len(short) > 0 && p.gcp.Project == "" {
			if p.gcpBroken {
				return "", false // gcp: itself is already reported
			}
			p.errorf(e.val, "set_secrets entry %d names its secret by a short id, which needs gcp.project (or write projects/P/secrets/S:VERSION)", short[0])
			return "", false
		}
		return s, true
	default:
		return s, true
	}
}

// runTarget validates a Cloud Run service or job name: a short name, which
// needs gcp.project and gcp.region, or projects/P/locations/R/COLLECTION/N.
func (p *parser) runTarget(e entry, s, key, collection, what string) (string, bool) {
	full := "projects/P/locations/R/" + collection + "/" + strings.ToUpper(what[:1])
	if strings.Contains(s, "/") {
		parts := strings.Split(s, "/")
		if len(parts) != 6 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != collection ||
			!validSegment(parts[1]) || !validSegment(parts[3]) || !validSegment(parts[5]) {
			p.errorf(e.val, "%s %q is neither a %s name nor %s", key, s, what, full)
			return "", false
		}
		return s, true
	}
	if !serviceShortRe.MatchString(s) {
		p.errorf(e.val, "%s %q is not a Cloud Run %s name (lowercase letters, digits and hyphens)", key, s, what)
		return "", false
	}
	var missing []string
	if p.gcp.Project == "" {
		missing = append(missing, "gcp.project")
	}
	if p.gcp.Region == "" {
		missing = append(missing, "gcp.region")
	}
	if len(missing) > 0 {
		if p.gcpBroken {
			return "", false // gcp: itself is already reported
		}
		p.errorf(e.val, "%s %q is a short name, which needs %s (or write %s)",
			key, s, strings.Join(missing, " and "), full)
		return "", false
	}
	return s, true
}

// tag validates a cloudrun consumer's traffic tag. Cloud Run tags are
// lowercase letters, digits and hyphens, starting with a letter.
func (p *parser) tag(e entry, kind ConsumerKind) (string, bool) {
	s, ok := p.str(e, "tag")
	if !ok {
		return "", false
	}
	if kind != KindCloudRun && kind != "" {
		p.errorf(e.key, "tag applies to cloudrun consumers only (the revision serving that tag's URL), not to %s", kind)
		return "", false
	}
	if !serviceShortRe.MatchString(s) {
		p.errorf(e.val, "tag %q is not a Cloud Run traffic tag (lowercase letters, digits and hyphens, starting with a letter)", s)
		return "", false
	}
	return s, true
}

func (p *parser) chain(e entry, service bool) []Link {
	items, ok := p.list(e, "chain")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(e.key, "chain is empty: list at least one link")
		return nil
	}
	var out []Link
	for _, it := range items {
		if l, ok := p.link(it, service); ok {
			out = append(out, l)
		}
	}
	return out
}

func (p *parser) link(item *yaml.Node, service bool) (Link, bool) {
	n := p.node(item)
	l := Link{Pos: p.pos(n)}
	switch n.Kind {
	case yaml.ScalarNode:
		// A bare string is the common case: an env var name.
		name, ok := p.str(entry{key: n, val: n}, "chain link")
		if !ok || !p.envName(n, name, true) {
			return l, false
		}
		l.Kind, l.Name = LinkEnv, name
		return l, true
	case yaml.MappingNode:
	default:
		p.errorf(n, "a chain link must be an env var name or a map like {file: PATH}, got %s", describe(n))
		return l, false
	}

	f, _ := p.mapping(n, "link", "", linkKinds)
	if len(f.m) == 0 {
		if len(n.Content) == 0 {
			p.errorf(n, "link names no source; use one of %s", strings.Join(linkKinds, ", "))
		}
		return l, false // otherwise its unknown keys are already reported
	}
	if len(f.m) > 1 {
		var es []entry
		var names []string
		for _, v := range f.m {
			es = append(es, v)
		}
		sortByPos(es)
		for _, v := range es {
			names = append(names, v.key.Value)
		}
		p.errorf(n, "link has more than one kind (%s); a link names exactly one source, so split it", strings.Join(names, ", "))
		return l, false
	}
	var e entry
	for _, only := range f.m {
		e = only
	}
	l.Kind = LinkKind(e.key.Value)
	v := p.node(e.val)
	switch l.Kind {
	case LinkEnv:
		name, ok := p.str(e, "env")
		if !ok || !p.envName(v, name, false) {
			return l, false
		}
		l.Name = name
	case LinkFile:
		name, ok := p.str(e, "file")
		if !ok {
			return l, false
		}
		// Cloud Run mounts secret volumes at absolute paths; a relative one
		// is a runner path put in the wrong chain.
		if service && !path.IsAbs(name) {
			p.errorf(v, "file in a service chain is a path inside the container covered by a secret volume, and must be absolute")
			return l, false
		}
		l.Name = name
	case LinkDotenv:
		if service {
			p.errorf(e.key, "dotenv links read the CI machine's files; a service cannot use them")
			return l, false
		}
		d, ok := p.dotenv(e)
		if !ok {
			return l, false
		}
		l.Dotenv = d
	case LinkLiteral:
		switch {
		case isNull(v):
			p.errorf(e.key, `literal has no value (write literal: "" for an empty fallback)`)
			return l, false
		case v.Kind != yaml.ScalarNode:
			p.errorf(e.key, "literal must be a string, got %s", describe(v))
			return l, false
		}
		// An empty literal is a real code fallback (getenv("X") or "").
		l.Literal = secret.FromString(v.Value)
	case LinkSecretManager:
		name, ok := p.str(e, "secretmanager")
		if !ok {
			return l, false
		}
		full, ok := p.secretVersion(v, name)
		if !ok {
			return l, false
		}
		l.Name = full
	case LinkExec:
		if service {
			p.errorf(e.key, "exec links run a command on the CI machine; a service cannot use them")
			return l, false
		}
		argv, ok := p.argv(e)
		if !ok {
			return l, false
		}
		l.Exec = argv
	case LinkJWKSURL:
		if !service {
			p.errorf(e.key, "jwks_url links are how a service fetches its verification keys; the runner signs with a key from another link")
			return l, false
		}
		u, ok := p.str(e, "jwks_url")
		if !ok || !p.jwksURL(v, u) {
			return l, false
		}
		l.Name = u
	}
	return l, true
}

// envName accepts what Cloud Run and Kubernetes accept as an env var name.
// Anything else may be a value: NAME=VALUE, or `- literal:VALUE` (no space
// after the colon), which YAML reads as one string. The message never
// repeats the text.
func (p *parser) envName(n *yaml.Node, name string, bare bool) bool {
	switch {
	case envNameRe.MatchString(name):
		return true
	case bare && kindHint(name) != "":
		p.errorf(n, "a bare string is an env var name; %s", kindHint(name))
	case strings.ContainsAny(name, "=\x00"):
		p.errorf(n, "an env var name cannot contain '=' (write the name only; a fallback value belongs in a literal link)")
	default:
		p.errorf(n, "an env var name must start with a letter, '_', '-' or '.' and hold only letters, digits, '_', '-' and '.' (not shown, in case it is a value)")
	}
	return false
}

// kindHint explains a string that starts with a link kind and a colon,
// such as "literal:VALUE", without repeating what follows the colon; "" for
// other strings.
func kindHint(s string) string {
	kind, rest, ok := strings.Cut(s, ":")
	kind = strings.ToLower(kind)
	if !ok || !slices.Contains(linkKinds, kind) {
		return ""
	}
	if rest != "" && strings.TrimLeft(rest, " \t") != rest {
		// The space is there, so the whole link was quoted as one string.
		return fmt.Sprintf(`this looks like a %q link written as one quoted string: write %s: VALUE without the quotes`, kind, kind)
	}
	return fmt.Sprintf(`this looks like "%s:..." without a space after the colon: write "%s: VALUE"`, kind, kind)
}

func (p *parser) dotenv(e entry) (Dotenv, bool) {
	f, ok := p.mapping(p.node(e.val), "dotenv", " with path and key", dotenvKeys)
	if !ok {
		return Dotenv{}, false
	}
	var d Dotenv
	good := true
	for _, k := range dotenvKeys {
		v, ok := f.get(k)
		if !ok {
			if f.missing(k) {
				p.errorf(e.key, "dotenv has no %s", k)
			}
			good = false
			continue
		}
		s, ok := p.str(v, "dotenv."+k)
		if ok && k == "key" && !dotenvKeyRe.MatchString(s) {
			// Never repeated: a pasted KEY=VALUE line would put the value
			// in every message that names the link.
			if strings.ContainsAny(s, "=:") {
				p.errorf(p.node(v.val), "dotenv.key is the variable's name only, without '=' or ':' and a value (not shown, in case it is one)")
			} else {
				p.errorf(p.node(v.val), "dotenv.key must be letters, digits, '_' and '.', as a .env file's keys are (not shown, in case it is a value)")
			}
			ok = false
		}
		good = good && ok
		if k == "path" {
			d.Path = s
		} else {
			d.Key = s
		}
	}
	return d, good
}

func (p *parser) argv(e entry) ([]string, bool) {
	items, ok := p.list(e, "exec (the command's argv)")
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		p.errorf(e.key, "exec is empty: give the command and its arguments as a list")
		return nil, false
	}
	argv := make([]string, 0, len(items))
	for i, it := range items {
		n := p.node(it)
		if n.Kind != yaml.ScalarNode || isNull(n) || (i == 0 && n.Value == "") {
			p.errorf(n, "exec entries must be strings and the command must not be empty")
			return nil, false
		}
		argv = append(argv, n.Value)
	}
	return argv, true
}

// secretVersion resolves the accepted spellings of a Secret Manager version
// to projects/P/secrets/S/versions/V, so that later stages compare one form.
// A name that is not one is not quoted: it may be a value pasted in the
// wrong place.
func (p *parser) secretVersion(n *yaml.Node, s string) (string, bool) {
	parts := strings.Split(s, "/")
	var project, id, version string
	switch {
	case len(parts) == 6 && parts[0] == "projects" && parts[2] == "secrets" && parts[4] == "versions":
		project, id, version = parts[1], parts[3], parts[5]
	case len(parts) == 4 && parts[0] == "projects" && parts[2] == "secrets":
		project, id, version = parts[1], parts[3], "latest"
	case len(parts) == 3 && parts[1] == "versions":
		id, version = parts[0], parts[2]
	case len(parts) == 1:
		id, version = parts[0], "latest"
	default:
		p.errorf(n, "secretmanager is not projects/P/secrets/S/versions/V, projects/P/secrets/S, S/versions/V or S")
		return "", false
	}
	if len(parts) >= 4 && !validSegment(project) {
		p.errorf(n, "secretmanager has an empty or invalid project")
		return "", false
	}
	if !secretIDRe.MatchString(id) {
		p.errorf(n, "secretmanager: the secret id must be 1-255 letters, digits, '-' or '_'")
		return "", false
	}
	if !versionRe.MatchString(version) {
		p.errorf(n, "secretmanager: the version must be a number, latest or an alias")
		return "", false
	}
	if project == "" {
		if p.gcp.Project == "" {
			if p.gcpBroken {
				return "", false // gcp: itself is already reported
			}
			p.errorf(n, "secretmanager %q is a short name, which needs gcp.project (or write projects/P/secrets/S/versions/V)", s)
			return "", false
		}
		project = p.gcp.Project
	}
	return "projects/" + project + "/secrets/" + id + "/versions/" + version, true
}

func (p *parser) policy(e entry) Policy {
	var pol Policy
	f, ok := p.mapping(p.node(e.val), "policy", "", policyKeys)
	if !ok {
		return pol
	}
	if v, ok := f.get("fail_on"); ok {
		pol.FailOn, _ = p.oneOf(v, "policy.fail_on", failOnValues)
	}
	if v, ok := f.get("forbid_service_env"); ok {
		pol.ForbidServiceEnv = p.strs(v, "policy.forbid_service_env")
	}
	if v, ok := f.get("placeholders"); ok {
		items, _ := p.list(v, "policy.placeholders")
		for _, it := range items {
			n := p.node(it)
			// Placeholders are weak secrets someone may still use: never
			// echo one.
			if n.Kind != yaml.ScalarNode || isNull(n) || n.Value == "" {
				p.errorf(n, "policy.placeholders entries must be non-empty strings, got %s", describe(n))
				continue
			}
			pol.Placeholders = append(pol.Placeholders, secret.FromString(n.Value))
		}
	}
	return pol
}

func (p *parser) ignores(e entry, secretNames []string) []Ignore {
	items, ok := p.list(e, "ignore")
	if !ok {
		return nil
	}
	var out []Ignore
	for _, it := range items {
		n := p.node(it)
		f, ok := p.mapping(n, "ignore entry", " with code and reason", ignoreKeys)
		if !ok {
			continue
		}
		ig := Ignore{Pos: p.pos(n)}
		good := true
		if v, ok := f.get("code"); ok {
			ig.Code, ok = p.oneOfCode(v)
			good = good && ok
		} else {
			if f.missing("code") {
				p.errorf(n, "ignore entry has no code")
			}
			good = false
		}
		if v, ok := f.get("secret"); ok {
			name, ok := p.str(v, "ignore.secret")
			if ok && !slices.Contains(secretNames, name) {
				p.errorf(v.val, "ignore.secret: no secret named %q in this file%s", name, suggest(name, secretNames))
				ok = false
			}
			ig.Secret = name
			good = good && ok
		}
		if v, ok := f.get("reason"); ok {
			ig.Reason, ok = p.str(v, "ignore.reason")
			if ok && strings.TrimSpace(ig.Reason) == "" {
				p.errorf(v.val, "ignore.reason is blank: say why the finding is acceptable")
				ok = false
			}
			good = good && ok
		} else {
			if f.missing("reason") {
				p.errorf(n, "ignore entry has no reason: say why the finding is acceptable")
			}
			good = false
		}
		if v, ok := f.get("until"); ok {
			ig.Until, ok = p.date(v)
			good = good && ok
		}
		if good {
			out = append(out, ig)
		}
	}
	return out
}

func (p *parser) oneOfCode(e entry) (string, bool) {
	s, ok := p.str(e, "ignore.code")
	if !ok {
		return "", false
	}
	if !slices.Contains(knownCodes, s) {
		p.errorf(e.val, "ignore.code %q is not a known finding code%s", s, suggest(s, knownCodes))
		return "", false
	}
	return s, true
}

// date reads YYYY-MM-DD. yaml.v3 tags an unquoted date !!timestamp and a
// quoted one !!str; both are accepted, but not a time of day.
func (p *parser) date(e entry) (time.Time, bool) {
	s, ok := p.str(e, "ignore.until")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		p.errorf(e.val, "ignore.until must be a date like 2027-01-31")
		return time.Time{}, false
	}
	return t, true
}

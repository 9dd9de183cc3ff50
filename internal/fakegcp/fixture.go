package fakegcp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/secret-preflight/secret-preflight/internal/localfile"
	"github.com/secret-preflight/secret-preflight/internal/yamlerr"
)

// Fixture is the state a Server starts with. It is usually read from a file
// with LoadFixture or ParseFixture, but may also be built in Go; NewServer
// validates it either way and copies it, so it may be reused afterwards.
type Fixture struct {
	// Projects maps each project id to its number. Every project named
	// anywhere in the fixture must be listed, because the fake, like the
	// real services, answers with the number where the id was asked for.
	Projects map[string]string
	// Secrets are Secret Manager secrets, named projects/P/secrets/S.
	Secrets []Secret
	// Services and Revisions are Cloud Run Admin v2 resources, returned as
	// they are (names included) apart from lookups that accept either
	// spelling of the project.
	Services  []*runpb.Service
	Revisions []*runpb.Revision
	// Jobs are Cloud Run Admin v2 jobs, returned as they are.
	Jobs []*runpb.Job

	// Where entries came from, so that validation errors found after parsing
	// can still point into the file.
	file       string
	projectAt  map[string]pos
	serviceAt  []pos
	revisionAt []pos
	jobAt      []pos
}

// Secret is one Secret Manager secret and its versions.
type Secret struct {
	Name string // projects/P/secrets/S, P being the project id or number
	// Aliases maps a version alias to a version number.
	Aliases map[string]int64
	// Versions are numbered 1, 2, 3... in order; the last one is what
	// "latest" names, whatever its state.
	Versions []Version

	at pos
}

// Version is one secret version.
type Version struct {
	Data []byte
	// State defaults to ENABLED when left unspecified.
	State secretmanagerpb.SecretVersion_State
	// CreateTime defaults to 2026-01-01T00:00:00Z plus one hour per version
	// index, so fixtures that do not care about time still get stable,
	// ordered timestamps.
	CreateTime time.Time

	at pos
}

func defaultCreateTime(index int) time.Time {
	return time.Date(2026, 1, 1, index, 0, 0, 0, time.UTC)
}

// FixtureError is a problem in a fixture, located in its file when the
// fixture was parsed from one.
type FixtureError struct {
	File         string
	Line, Column int // 0 when unknown (YAML syntax errors have no column)
	Msg          string
	Err          error // the underlying error, if any
}

func (e *FixtureError) Error() string {
	file := e.File
	if file == "" {
		file = "fixture"
	}
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
	}
	return file + ": " + e.Msg
}

func (e *FixtureError) Unwrap() error { return e.Err }

type pos struct{ line, col int }

func posOf(n *yaml.Node) pos { return pos{n.Line, n.Column} }

func (f *Fixture) errAt(p pos, format string, args ...any) error {
	return &FixtureError{File: f.file, Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)}
}

// LoadFixture reads and parses a fixture file (YAML or JSON).
func LoadFixture(path string) (*Fixture, error) {
	data, err := localfile.Read(path, localfile.LimitManifest, "a fixture")
	if err != nil {
		return nil, fmt.Errorf("fakegcp: load fixture: %w", err)
	}
	return ParseFixture(path, data)
}

// ParseFixture parses a fixture (YAML or JSON) and validates it. name is used
// in error messages only.
func ParseFixture(name string, data []byte) (*Fixture, error) {
	// JSON is YAML, except that YAML forbids tabs where JSON indenters like
	// to put them. A raw tab cannot occur inside a valid JSON string, so
	// turning every tab into a space is safe and keeps columns intact.
	if json.Valid(data) {
		data = bytes.ReplaceAll(data, []byte("\t"), []byte(" "))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 quotes input (an unknown anchor's name) and fixtures hold
		// secret values, so neither its message nor its error is kept.
		line, col, msg := yamlerr.Locate(data, err)
		return nil, &FixtureError{File: name, Line: line, Column: col, Msg: msg}
	}
	f := &Fixture{file: name}
	if len(doc.Content) > 0 {
		if err := f.decode(doc.Content[0]); err != nil {
			return nil, err
		}
	}
	if _, err := newState(f); err != nil {
		return nil, err
	}
	return f, nil
}

// mapping returns the values of a mapping node by key, rejecting keys not in
// allowed and duplicates (yaml.v3 only catches those when decoding into Go
// maps and structs, not into nodes).
func (f *Fixture) mapping(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, error) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil, f.errAt(posOf(n), "%s must be a mapping", what)
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if allowed != nil && !contains(allowed, k.Value) {
			return nil, f.errAt(posOf(k), "unknown key %q in %s (want one of %s)", k.Value, what, strings.Join(allowed, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, f.errAt(posOf(k), "duplicate key %q in %s", k.Value, what)
		}
		out[k.Value] = deref(v)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (f *Fixture) sequence(n *yaml.Node, what string) ([]*yaml.Node, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, f.errAt(posOf(n), "%s must be a list", what)
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out, nil
}

// scalar returns the text of a scalar node. Nulls are refused: in YAML an
// empty value is null, and silently reading it as "" hides mistakes.
func (f *Fixture) scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", f.errAt(posOf(n), "%s must be a string", what)
	}
	return n.Value, nil
}

func (f *Fixture) decode(root *yaml.Node) error {
	top, err := f.mapping(root, "fixture", "projects", "secrets", "services", "revisions", "jobs")
	if err != nil {
		return err
	}
	if n, ok := top["projects"]; ok {
		if err := f.decodeProjects(n); err != nil {
			return err
		}
	}
	if n, ok := top["secrets"]; ok {
		entries, err := f.sequence(n, "secrets")
		if err != nil {
			return err
		}
		for i, e := range entries {
			s, err := f.decodeSecret(e, fmt.Sprintf("secrets[%d]", i))
			if err != nil {
				return err
			}
			f.Secrets = append(f.Secrets, s)
		}
	}
	if n, ok := top["services"]; ok {
		entries, err := f.sequence(n, "services")
		if err != nil {
			return err
		}
		for i, e := range entries {
			svc := &runpb.Service{}
			if err := f.decodeProto(e, svc, fmt.Sprintf("services[%d]", i)); err != nil {
				return err
			}
			f.Services = append(f.Services, svc)
			f.serviceAt = append(f.serviceAt, posOf(e))
		}
	}
	if n, ok := top["revisions"]; ok {
		entries, err := f.sequence(n, "revisions")
		if err != nil {
			return err
		}
		for i, e := range entries {
			rev := &runpb.Revision{}
			if err := f.decodeProto(e, rev, fmt.Sprintf("revisions[%d]", i)); err != nil {
				return err
			}
			f.Revisions = append(f.Revisions, rev)
			f.revisionAt = append(f.revisionAt, posOf(e))
		}
	}
	if n, ok := top["jobs"]; ok {
		entries, err := f.sequence(n, "jobs")
		if err != nil {
			return err
		}
		for i, e := range entries {
			j := &runpb.Job{}
			if err := f.decodeProto(e, j, fmt.Sprintf("jobs[%d]", i)); err != nil {
				return err
			}
			f.Jobs = append(f.Jobs, j)
			f.jobAt = append(f.jobAt, posOf(e))
		}
	}
	return nil
}

func (f *Fixture) decodeProjects(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return f.errAt(posOf(n), "projects must be a mapping of project id to project number")
	}
	f.Projects = make(map[string]string, len(n.Content)/2)
	f.projectAt = make(map[string]pos, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if _, dup := f.Projects[k.Value]; dup {
			return f.errAt(posOf(k), "duplicate project %q", k.Value)
		}
		num, err := f.scalar(v, fmt.Sprintf("the number of project %q", k.Value))
		if err != nil {
			return err
		}
		f.Projects[k.Value] = num
		f.projectAt[k.Value] = posOf(k)
	}
	return nil
}

func (f *Fixture) decodeSecret(n *yaml.Node, what string) (Secret, error) {
	m, err := f.mapping(n, what, "name", "aliases", "versions")
	if err != nil {
		return Secret{}, err
	}
	s := Secret{at: posOf(n)}
	nameNode, ok := m["name"]
	if !ok {
		return Secret{}, f.errAt(posOf(n), "%s: missing name", what)
	}
	if s.Name, err = f.scalar(nameNode, what+".name"); err != nil {
		return Secret{}, err
	}
	what = fmt.Sprintf("secret %q", s.Name)
	if a, ok := m["aliases"]; ok && !(a.Kind == yaml.ScalarNode && a.Tag == "!!null") {
		if a.Kind != yaml.MappingNode {
			return Secret{}, f.errAt(posOf(a), "%s: aliases must be a mapping of alias to version number", what)
		}
		s.Aliases = make(map[string]int64, len(a.Content)/2)
		for i := 0; i+1 < len(a.Content); i += 2 {
			k, v := deref(a.Content[i]), deref(a.Content[i+1])
			if _, dup := s.Aliases[k.Value]; dup {
				return Secret{}, f.errAt(posOf(k), "%s: duplicate alias %q", what, k.Value)
			}
			var num int64
			if err := v.Decode(&num); err != nil || v.Kind != yaml.ScalarNode {
				return Secret{}, f.errAt(posOf(v), "%s: alias %q must name a version number", what, k.Value)
			}
			if num < 1 || num > int64(len(nodeContent(m["versions"]))) {
				return Secret{}, f.errAt(posOf(v), "%s: alias %q points to version %d, which does not exist", what, k.Value, num)
			}
			s.Aliases[k.Value] = num
		}
	}
	if vn, ok := m["versions"]; ok {
		entries, err := f.sequence(vn, what+": versions")
		if err != nil {
			return Secret{}, err
		}
		for i, e := range entries {
			v, err := f.decodeVersion(e, fmt.Sprintf("%s: version %d", what, i+1))
			if err != nil {
				return Secret{}, err
			}
			s.Versions = append(s.Versions, v)
		}
	}
	return s, nil
}

func nodeContent(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func (f *Fixture) decodeVersion(n *yaml.Node, what string) (Version, error) {
	m, err := f.mapping(n, what, "value", "value_base64", "state", "create_time")
	if err != nil {
		return Version{}, err
	}
	v := Version{at: posOf(n)}
	raw, hasRaw := m["value"]
	b64, hasB64 := m["value_base64"]
	switch {
	case hasRaw && hasB64:
		return Version{}, f.errAt(posOf(b64), "%s: value and value_base64 are mutually exclusive", what)
	case hasRaw:
		s, err := f.scalar(raw, what+": value")
		if err != nil {
			return Version{}, err
		}
		v.Data = []byte(s)
	case hasB64:
		s, err := f.scalar(b64, what+": value_base64")
		if err != nil {
			return Version{}, err
		}
		if v.Data, err = base64.StdEncoding.DecodeString(s); err != nil {
			return Version{}, &FixtureError{File: f.file, Line: b64.Line, Column: b64.Column,
				Msg: fmt.Sprintf("%s: value_base64: %v", what, err), Err: err}
		}
	}
	if sn, ok := m["state"]; ok {
		s, err := f.scalar(sn, what+": state")
		if err != nil {
			return Version{}, err
		}
		st, ok := secretmanagerpb.SecretVersion_State_value[strings.ToUpper(s)]
		if !ok || st == int32(secretmanagerpb.SecretVersion_STATE_UNSPECIFIED) {
			return Version{}, f.errAt(posOf(sn), "%s: state %q: want ENABLED, DISABLED or DESTROYED", what, s)
		}
		v.State = secretmanagerpb.SecretVersion_State(st)
	}
	if tn, ok := m["create_time"]; ok {
		s, err := f.scalar(tn, what+": create_time")
		if err != nil {
			return Version{}, err
		}
		if v.CreateTime, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return Version{}, &FixtureError{File: f.file, Line: tn.Line, Column: tn.Column,
				Msg: fmt.Sprintf("%s: create_time %q is not an RFC 3339 time", what, s), Err: err}
		}
	}
	return v, nil
}

// decodeProto fills m from a YAML node through protojson, so fixtures use
// the real v2 resource shapes and field names, and misspelt fields fail.
func (f *Fixture) decodeProto(n *yaml.Node, m proto.Message, what string) error {
	var b jsonBuilder
	if err := b.value(n); err != nil {
		var fe *FixtureError
		if errors.As(err, &fe) {
			fe.File = f.file
			fe.Msg = what + ": " + fe.Msg
		}
		return err
	}
	err := protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(b.buf.Bytes(), m)
	if err == nil {
		return nil
	}
	p, msg := b.locate(err)
	if p.line == 0 {
		p = posOf(n)
	}
	return &FixtureError{File: f.file, Line: p.line, Column: p.col, Msg: what + ": " + msg, Err: err}
}

// jsonBuilder turns a YAML node into JSON with one token per line and
// remembers the YAML node behind each line: protojson errors carry a JSON
// line number, which is thereby mapped back to a YAML position.
type jsonBuilder struct {
	buf   bytes.Buffer
	lines []*yaml.Node // lines[i] is JSON line i+1
}

func (b *jsonBuilder) emit(n *yaml.Node, tok string) {
	if len(b.lines) > 0 {
		b.buf.WriteByte('\n')
	}
	b.buf.WriteString(tok)
	b.lines = append(b.lines, n)
}

func (b *jsonBuilder) value(n *yaml.Node) error {
	n = deref(n)
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			b.emit(n, "null")
			return nil
		}
		return b.value(n.Content[0])
	case yaml.MappingNode:
		b.emit(n, "{")
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return &FixtureError{Line: k.Line, Column: k.Column, Msg: "keys must be plain strings (merge keys are not supported)"}
			}
			if i > 0 {
				b.emit(k, ",")
			}
			b.emit(k, jsonString(k.Value))
			b.emit(k, ":")
			if err := b.value(n.Content[i+1]); err != nil {
				return err
			}
		}
		b.emit(n, "}")
	case yaml.SequenceNode:
		b.emit(n, "[")
		for i, c := range n.Content {
			if i > 0 {
				b.emit(c, ",")
			}
			if err := b.value(c); err != nil {
				return err
			}
		}
		b.emit(n, "]")
	case yaml.ScalarNode:
		b.emit(n, scalarJSON(n))
	default:
		return &FixtureError{Line: n.Line, Column: n.Column, Msg: "unsupported YAML node"}
	}
	return nil
}

// scalarJSON keeps YAML's typing where JSON has the same type, and passes
// everything else (timestamps, binary) as the literal text, which is what
// protojson expects for Timestamp and bytes fields.
func scalarJSON(n *yaml.Node) string {
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!bool":
		var v bool
		if n.Decode(&v) == nil {
			return strconv.FormatBool(v)
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return strconv.FormatInt(i, 10)
		}
		var u uint64
		if n.Decode(&u) == nil {
			return strconv.FormatUint(u, 10)
		}
	case "!!float":
		var v float64
		if n.Decode(&v) == nil {
			switch {
			case math.IsNaN(v):
				return `"NaN"`
			case math.IsInf(v, 1):
				return `"Infinity"`
			case math.IsInf(v, -1):
				return `"-Infinity"`
			}
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return jsonString(n.Value)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // cannot fail for a string
	return string(b)
}

// protojsonPosRE matches the position protojson puts in its messages,
// after a "proto:" prefix whose space it randomises (ASCII or U+00A0) to
// discourage parsing. Parsing it anyway is a convenience: if the format
// changes, errors fall back to the entry's position.
var protojsonPosRE = regexp.MustCompile(`^(?:proto:[\s\x{00a0}]*)?(?:syntax error )?\(line (\d+):\d+\):[\s\x{00a0}]*`)

// locate maps a protojson error to the YAML position of the offending token
// and a message stripped of JSON positions, which would only confuse.
func (b *jsonBuilder) locate(err error) (pos, string) {
	msg := err.Error()
	m := protojsonPosRE.FindStringSubmatchIndex(msg)
	if m == nil {
		return pos{}, msg
	}
	line, _ := strconv.Atoi(msg[m[2]:m[3]])
	rest := msg[m[1]:]
	if line < 1 || line > len(b.lines) {
		return pos{}, rest
	}
	return posOf(b.lines[line-1]), rest
}

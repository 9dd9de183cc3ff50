package schema_test

// These tests hold config-v1.json to the loader in package config, which is
// authoritative. The schema is never stricter than the loader: whatever
// config.Parse accepts, the schema accepts. It is as strict as JSON Schema
// can be: where both can see a rule, they agree (TestAgreement checks that
// value by value).
//
// Rules only the loader checks. The schema accepts files that break them;
// loaderOnly lists a file for each, and the tests assert that the schema
// does accept it, so that the list stays honest:
//
//   - secret names are unique (uniqueItems compares whole items, not one
//     property of them);
//   - must_differ_from names another secret of the file, not the secret
//     itself, and ignore.secret names a secret of the file (JSON Schema
//     cannot compare a value with values elsewhere in the document);
//   - YAML merge keys (<<) are rejected: a schema sees the merged map;
//   - a config is a single YAML document: editors validate each document
//     of a stream on its own;
//   - scalars are checked on their text, while the schema sees YAML types:
//     version: 1.0 is a float to the loader but equals 1 to the schema; a
//     number or boolean where a shaped string belongs (secretmanager: 1.5,
//     cloudrun: True) is accepted by type because some texts of that type
//     pass (secretmanager: 123, cloudrun: true), and the schema must not
//     reject what the loader accepts; likewise an env var name that is a
//     number (- 123 is none, - -1 is one);
//   - the bound on nodes after alias expansion ("billion laughs"); no
//     file here: config/load_test.go tests it, and such a file is not one
//     to keep in testdata.
//
// YAML-level errors (syntax, tabs, duplicate keys) come before any schema:
// the YAML parser of an editor reports them, as yaml.v3 does here
// (notYAML).
//
// Rules the schema does express, for reference when the loader changes:
// unknown keys (additionalProperties: false), version const 1, the enums
// of jwt.algorithm, policy.fail_on and ignore.code, a link naming exactly
// one kind (oneOf), dotenv and exec links only in the runner chain, file
// links in service chains absolute, exactly one of cloudrun, cloudrun_job,
// manifest and set_secrets per service, tag only with cloudrun
// (dependentRequired), non-empty chains and exec argv, a secret with a
// runner: or a services: key, the shapes of cloudrun, cloudrun_job, tag
// and secretmanager names, of gcp.project and gcp.region, of env var names
// and of ignore.until (a real calendar date, leap years included), a blank
// ignore.reason (Unicode white space, as strings.TrimSpace), and gcp
// defaults required by short cloudrun, cloudrun_job and secretmanager
// names (if/then).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/schema"
)

const (
	configInvalid = "../config/testdata/invalid/"
	ownInvalid    = "testdata/invalid/"
	ownLoaderOnly = "testdata/loader-only/"
)

// bothReject are the loader's invalid files that the schema rejects too,
// with what the schema catches when that is not the file's main point.
var bothReject = map[string]string{
	"chain_not_list.yaml":          "",
	"cloudrun.yaml":                "",
	"cloudrun_job_tag.yaml":        "",
	"comments_only.yaml":           "an empty stream reads as one null document",
	"consumer_no_chain.yaml":       "",
	"dotenv_string.yaml":           "",
	"empty.yaml":                   "an empty stream reads as one null document",
	"empty_chain.yaml":             "",
	"env_with_value.yaml":          "",
	"exec_bad.yaml":                "",
	"gcp_broken.yaml":              "",
	"gcp_string.yaml":              "",
	"ignore.yaml":                  "all but secret: jtw (see loader-only/ignore_unknown_secret.yaml)",
	"jwt.yaml":                     "",
	"link_two_kinds.yaml":          "",
	"link_zero_kinds.yaml":         "",
	"literal_canary.yaml":          "",
	"merge_key.yaml":               "only through the unknown top-level key base (see loader-only/merge_key.yaml)",
	"missing_name.yaml":            "",
	"must_differ_from.yaml":        "only the string where a list belongs (see loader-only/must_differ_from_*.yaml)",
	"no_consumers.yaml":            "",
	"not_a_map.yaml":               "",
	"null_document.yaml":           "",
	"policy.yaml":                  "",
	"runner_only_links.yaml":       "",
	"runner_string.yaml":           "",
	"secretmanager.yaml":           "",
	"service_kinds.yaml":           "",
	"set_secrets_empty.yaml":       "",
	"set_secrets_malformed.yaml":   "",
	"set_secrets_no_project.yaml":  "",
	"trim_not_bool.yaml":           "",
	"two_documents.yaml":           "only because the second document has no secrets (see loader-only/two_documents.yaml)",
	"unknown_key_consumer.yaml":    "",
	"unknown_keys_everywhere.yaml": "",
	"version_2.yaml":               "",
	"version_missing.yaml":         "",
	"version_string.yaml":          "",
}

// notYAML are invalid files that yaml.v3 (like an editor's YAML parser)
// rejects before a schema applies.
var notYAML = map[string]string{
	configInvalid + "syntax.yaml":        "unclosed flow mapping",
	configInvalid + "tab_syntax.yaml":    "tab indentation",
	configInvalid + "duplicate_key.yaml": "duplicate mapping key",
}

// loaderOnly are invalid files the schema cannot catch, and why.
var loaderOnly = map[string]string{
	configInvalid + "duplicate_secret.yaml":          "duplicate secret names: uniqueItems cannot key on name",
	configInvalid + "set_secrets_same_id.yaml":       "two set_secrets consumers of one secret with one name (or none): uniqueItems cannot key on name",
	ownLoaderOnly + "duplicate_secret.yaml":          "duplicate secret names: uniqueItems cannot key on name",
	ownLoaderOnly + "must_differ_from_unknown.yaml":  "must_differ_from names no secret of the file: a cross-reference",
	ownLoaderOnly + "set_secrets_duplicate.yaml":     "a set_secrets target set twice, or two secrets in one mount directory: a pattern cannot compare entries",
	ownLoaderOnly + "must_differ_from_self.yaml":     "must_differ_from names the secret itself: a cross-reference",
	ownLoaderOnly + "ignore_unknown_secret.yaml":     "ignore.secret names no secret of the file: a cross-reference",
	ownLoaderOnly + "merge_key.yaml":                 "YAML merge keys: the schema sees the merged map",
	ownLoaderOnly + "two_documents.yaml":             "two documents, each valid: editors validate documents one by one",
	ownLoaderOnly + "version_float.yaml":             "version: 1.0 is a float to the loader and 1 to JSON Schema",
	ownLoaderOnly + "secretmanager_float.yaml":       "secretmanager: 1.5 is a number; numbers are allowed because 123 is a valid secret id",
	ownLoaderOnly + "cloudrun_capitalised_bool.yaml": "cloudrun: True is a boolean; booleans are allowed because true is a valid service name",
}

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.ConfigV1))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schema.ConfigV1ID, doc); err != nil {
		return nil, err
	}
	return c.Compile(schema.ConfigV1ID)
})

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sch, err := compiled()
	if err != nil {
		t.Fatalf("compile config-v1.json: %v", err)
	}
	return sch
}

// yamlDocs converts every document of a YAML stream to JSON values by
// decoding into any, as an editor sees them: timestamps stay strings (YAML
// 1.2 has none) and map keys are strings. An empty stream is one null
// document.
func yamlDocs(data []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []any
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		timestampsAsStrings(&n, map[*yaml.Node]bool{})
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		docs = append(docs, jsonValue(v))
	}
	if len(docs) == 0 {
		docs = []any{nil}
	}
	return docs, nil
}

// timestampsAsStrings keeps an unquoted 2027-01-31 the string it is to
// editors and to the loader; decoding into any would make it a time.Time.
func timestampsAsStrings(n *yaml.Node, seen map[*yaml.Node]bool) {
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!timestamp" {
		n.Tag = "!!str"
	}
	timestampsAsStrings(n.Alias, seen)
	for _, c := range n.Content {
		timestampsAsStrings(c, seen)
	}
}

// jsonValue turns the maps with non-string keys that yaml.v3 makes (from
// keys like 1: or true:) into map[string]any.
func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonValue(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonValue(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = jsonValue(e)
		}
		return v
	}
	return v
}

// verdict is what the loader and the schema say of one file.
type verdict struct {
	loader error // config.Parse
	yaml   error // the YAML to JSON conversion
	schema error // the first document the schema rejects
}

func judge(t *testing.T, path string, data []byte) verdict {
	t.Helper()
	var v verdict
	_, v.loader = config.Parse(path, data)
	docs, err := yamlDocs(data)
	if err != nil {
		v.yaml = err
		return v
	}
	sch := compile(t)
	for _, d := range docs {
		if err := sch.Validate(d); err != nil {
			v.schema = err
			break
		}
	}
	return v
}

func judgeFile(t *testing.T, path string) verdict {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return judge(t, path, data)
}

func TestSchemaDocument(t *testing.T) {
	compile(t)
	var doc map[string]any
	if err := json.Unmarshal(schema.ConfigV1, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["$id"] != schema.ConfigV1ID {
		t.Errorf("$id = %v, want schema.ConfigV1ID %q", doc["$id"], schema.ConfigV1ID)
	}
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", doc["$schema"])
	}
	lintSchema(t, "#", doc)
}

// lintSchema checks that every object the schema defines is closed and
// that every property has a description for editors' hovers. Conditions
// (if, then, contains) only test a document, so they are exempt.
func lintSchema(t *testing.T, at string, v any) {
	t.Helper()
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			lintSchema(t, fmt.Sprintf("%s/%d", at, i), e)
		}
	case map[string]any:
		_, hasProps := v["properties"]
		if (hasProps || v["type"] == "object") && v["additionalProperties"] != false {
			t.Errorf("%s: an object schema without additionalProperties: false", at)
		}
		if props, ok := v["properties"].(map[string]any); ok {
			for name, p := range props {
				if d, _ := p.(map[string]any)["description"].(string); d == "" {
					t.Errorf("%s/properties/%s has no description", at, name)
				}
			}
		}
		for k, e := range v {
			switch k {
			case "if", "then", "contains", "enum", "const", "default":
				continue
			}
			lintSchema(t, at+"/"+k, e)
		}
	}
}

var (
	modeline      = regexp.MustCompile(`^#\s*yaml-language-server:\s*\$schema=(\S+)`)
	versionLine   = regexp.MustCompile(`(?m)^version:[ \t]*1[ \t]*(#.*)?$`)
	secretsLine   = regexp.MustCompile(`(?m)^secrets:`)
	schemaOnDisk  = "config-v1.json"
	examplesDir   = "../examples"
	exampleConfig = "staging-incident/secret-preflight.yaml"
)

// isConfig tells secret-preflight configs from the other YAML files of the
// examples (emulator fixtures, Cloud Run manifests).
func isConfig(path string, data []byte) bool {
	base := filepath.Base(path)
	switch {
	case filepath.Ext(base) != ".yaml" && filepath.Ext(base) != ".yml":
		return false
	case strings.Contains(base, "fixture") || strings.HasSuffix(base, ".service.yaml") || strings.HasSuffix(base, ".service.yml"):
		return false
	case strings.Contains(base, "secret-preflight") && filepath.Ext(base) == ".yaml":
		return true
	}
	return versionLine.Match(data) && secretsLine.Match(data)
}

func TestExamples(t *testing.T) {
	want, err := filepath.Abs(schemaOnDisk)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	err = filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !isConfig(path, data) {
			return nil
		}
		rel, _ := filepath.Rel(examplesDir, path)
		found = append(found, filepath.ToSlash(rel))
		t.Run(rel, func(t *testing.T) {
			first, _, _ := bytes.Cut(data, []byte("\n"))
			if m := modeline.FindSubmatch(first); m != nil {
				got, err := filepath.Abs(filepath.Join(filepath.Dir(path), filepath.FromSlash(string(m[1]))))
				if err != nil || got != want {
					t.Errorf("the yaml-language-server comment names %s, which is not schema/config-v1.json", m[1])
				}
			}
			v := judge(t, path, data)
			if v.loader != nil {
				t.Errorf("config.Parse: %v", v.loader)
			}
			if v.yaml != nil {
				t.Errorf("YAML: %v", v.yaml)
			}
			if v.schema != nil {
				t.Errorf("schema: %v", v.schema)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(found, exampleConfig) {
		t.Errorf("the walk found %v, not %s: is isConfig wrong?", found, exampleConfig)
	}
}

func TestIsConfig(t *testing.T) {
	for _, tt := range []struct {
		path string
		data string
		want bool
	}{
		{"x/secret-preflight.yaml", "", true},
		{"x/secret-preflight.fixed.yaml", "", true},
		{"x/other.yaml", "# c\nversion: 1\nsecrets:\n  - name: s\n", true},
		{"x/other.yaml", "version: 2\nsecrets: []\n", false},
		{"x/fixture.yaml", "version: 1\nsecrets: []\n", false},
		{"x/secret-preflight.fixture.yaml", "version: 1\nsecrets: []\n", false},
		{"x/backend.service.yaml", "version: 1\nsecrets: []\n", false},
		{"x/secret-preflight.json", "", false},
		{"x/secret-preflight.yml", "on: push\njobs: {}\n", false},
		{"x/secret-preflight.yml", "version: 1\nsecrets: []\n", true},
	} {
		if got := isConfig(tt.path, []byte(tt.data)); got != tt.want {
			t.Errorf("isConfig(%q, %q) = %v, want %v", tt.path, tt.data, got, tt.want)
		}
	}
}

func TestValidBoth(t *testing.T) {
	files, _ := filepath.Glob("../config/testdata/*.yaml")
	own, _ := filepath.Glob("testdata/valid/*.yaml")
	files = append(files, own...)
	if len(files) < 3 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			v := judgeFile(t, f)
			if v.loader != nil || v.yaml != nil || v.schema != nil {
				t.Errorf("want both to accept; loader: %v; YAML: %v; schema: %v", v.loader, v.yaml, v.schema)
			}
		})
	}
}

func TestInvalidBoth(t *testing.T) {
	var files []string
	for name := range bothReject {
		files = append(files, configInvalid+name)
	}
	own, _ := filepath.Glob(ownInvalid + "*.yaml")
	if len(own) == 0 {
		t.Fatal("no files in " + ownInvalid)
	}
	files = append(files, own...)
	slices.Sort(files)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			v := judgeFile(t, f)
			if v.loader == nil {
				t.Error("config.Parse accepts it")
			}
			if v.yaml != nil {
				t.Errorf("not YAML (%v): the schema must reject it by itself, or list it in notYAML", v.yaml)
			} else if v.schema == nil {
				t.Error("the schema accepts it; if it cannot say why, move it to loaderOnly with the reason")
			}
		})
	}
}

func TestInvalidLoaderOnly(t *testing.T) {
	for f, why := range loaderOnly {
		t.Run(f, func(t *testing.T) {
			v := judgeFile(t, f)
			if v.loader == nil {
				t.Errorf("config.Parse accepts it (listed because: %s)", why)
			}
			if v.yaml != nil || v.schema != nil {
				t.Errorf("the schema now rejects it (YAML: %v; schema: %v): move it to the files both reject", v.yaml, v.schema)
			}
		})
	}
}

func TestInvalidNotYAML(t *testing.T) {
	for f, why := range notYAML {
		t.Run(f, func(t *testing.T) {
			v := judgeFile(t, f)
			if v.loader == nil {
				t.Error("config.Parse accepts it")
			}
			if v.yaml == nil {
				t.Errorf("yaml.v3 decodes it (listed because: %s)", why)
			}
		})
	}
}

// TestEveryInvalidFileClassified keeps the lists complete: a new invalid
// file in config/testdata/invalid must be placed in exactly one of them.
func TestEveryInvalidFileClassified(t *testing.T) {
	files, _ := filepath.Glob(configInvalid + "*.yaml")
	if len(files) == 0 {
		t.Fatal("no files in " + configInvalid)
	}
	for _, f := range files {
		_, both := bothReject[filepath.Base(f)]
		_, only := loaderOnly[f]
		_, yml := notYAML[f]
		if n := btoi(both) + btoi(only) + btoi(yml); n != 1 {
			t.Errorf("%s is in %d of bothReject, loaderOnly and notYAML in schema/schema_test.go; put it in exactly one", f, n)
		}
	}
	own, _ := filepath.Glob(ownLoaderOnly + "*.yaml")
	for _, f := range own {
		if _, ok := loaderOnly[f]; !ok {
			t.Errorf("%s has no entry in loaderOnly", f)
		}
	}
	for name := range bothReject {
		if _, err := os.Stat(configInvalid + name); err != nil {
			t.Errorf("bothReject lists %s: %v", name, err)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// agreement is one generated config and whether the loader alone rejects
// it (a rule the schema cannot express).
type agreement struct {
	name       string
	doc        string
	loaderOnly bool
}

// withRunner is a config whose runner chain is the given flow list.
func withRunner(gcp, chain string) string {
	return "version: 1\n" + gcp + "secrets:\n  - name: s\n    runner:\n      chain: " + chain + "\n"
}

// withService is a config whose one service is the given flow map.
func withService(gcp, service string) string {
	return "version: 1\n" + gcp + "secrets:\n  - name: s\n    services:\n      - " + service + "\n"
}

const (
	gcpFull    = "gcp: {project: p, region: r}\n"
	gcpProject = "gcp: {project: p}\n"
	gcpRegion  = "gcp: {region: r}\n"
	gcpEmpty   = "gcp: {}\n"
	gcpNone    = ""
)

var gcps = map[string]string{"full": gcpFull, "project": gcpProject, "region": gcpRegion, "empty": gcpEmpty, "none": gcpNone}

// TestAgreement feeds the loader and the schema the same small configs,
// one rule at a time, and checks that they agree on each.
func TestAgreement(t *testing.T) {
	var cases []agreement
	add := func(name, doc string) { cases = append(cases, agreement{name: name, doc: doc}) }

	// Scalars the loader reads as text: YAML values as written.
	scalars := []string{`x`, `""`, `~`, `123`, `1.5`, `true`, `[x]`, `{a: b}`, `"  "`}
	envNames := append(slices.Clone(scalars), `A_B`, `a-b.c`, `"A=B"`, `"="`, `"A\0B"`, `"ü"`, `" A "`,
		`_x`, `.x`, `-x`, `-1`, `.5`, `"9A"`, `A9`, `"a b"`, `A:B`, `"literal:x"`, `"literal: x"`, `"A/B"`, `"A$"`)
	// The schema cannot read a number's text: 123 is no env var name, -1 is.
	numberOnly := map[string]bool{`123`: true, `1.5`: true}
	for _, v := range envNames {
		only := numberOnly[v]
		cases = append(cases,
			agreement{"bare env " + v, withRunner(gcpNone, "["+v+"]"), only},
			agreement{"env " + v, withRunner(gcpNone, "[{env: "+v+"}]"), only},
			agreement{"service env " + v, withService(gcpNone, "{manifest: m.yaml, chain: [{env: "+v+"}]}"), only})
	}
	for _, v := range append(slices.Clone(scalars), `/abs`, `./rel`, `"/"`) {
		add("runner file "+v, withRunner(gcpNone, "[{file: "+v+"}]"))
		add("service file "+v, withService(gcpNone, "{manifest: m.yaml, chain: [{file: "+v+"}]}"))
		add("literal "+v, withRunner(gcpNone, "[{literal: "+v+"}]"))
		add("service literal "+v, withService(gcpNone, "{manifest: m.yaml, chain: [{literal: "+v+"}]}"))
		add("dotenv path "+v, withRunner(gcpNone, "[{dotenv: {path: "+v+", key: K}}]"))
		add("dotenv key "+v, withRunner(gcpNone, "[{dotenv: {path: .env, key: "+v+"}}]"))
		add("manifest "+v, withService(gcpNone, "{manifest: "+v+", chain: [A]}"))
		add("set_secrets "+v, withService(gcpNone, "{set_secrets: "+v+", chain: [A]}"))
		add("service name "+v, withService(gcpNone, "{manifest: m.yaml, name: "+v+", chain: [A]}"))
		add("container "+v, withService(gcpNone, "{manifest: m.yaml, container: "+v+", chain: [A]}"))
		add("secret name "+v, "version: 1\nsecrets:\n  - name: "+v+"\n    runner: {chain: [A]}\n")
		// The names referred to exist: references are the loader's alone.
		add("must_differ_from "+v, "version: 1\nsecrets:\n  - {name: a, must_differ_from: ["+v+"], runner: {chain: [A]}}\n  - {name: "+v+", runner: {chain: [A]}}\n")
		add("jwt issuer "+v, "version: 1\nsecrets:\n  - {name: a, jwt: {algorithm: HS256, issuer: "+v+"}, runner: {chain: [A]}}\n")
		add("jwt audience "+v, "version: 1\nsecrets:\n  - {name: a, jwt: {algorithm: HS256, audience: "+v+"}, runner: {chain: [A]}}\n")
		add("forbid_service_env "+v, "version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\npolicy: {forbid_service_env: ["+v+"]}\n")
		add("placeholders "+v, "version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\npolicy: {placeholders: ["+v+"]}\n")
		add("exec argument "+v, withRunner(gcpNone, "[{exec: [cat, "+v+"]}]"))
		add("exec command "+v, withRunner(gcpNone, "[{exec: ["+v+", x]}]"))
		add("project "+v, withRunner("gcp: {project: "+v+"}\n", "[A]"))
		add("region "+v, withRunner("gcp: {region: "+v+"}\n", "[A]"))
		add("ignore reason "+v, "version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: SP130, reason: "+v+"}]\n")
		add("ignore secret "+v, "version: 1\nsecrets: [{name: "+v+", runner: {chain: [A]}}]\nignore: [{code: SP130, reason: r, secret: "+v+"}]\n")
		add("trim "+v, withRunner(gcpNone, "[A]\n      trim: "+v))
	}
	for _, v := range []string{`"a b"`, `"a/b"`, `"a\tb"`, `"a\nb"`, `"a\rb"`, `"a\vb"`, `"ü"`, `my-project`, `123456789012`} {
		add("project "+v, withRunner("gcp: {project: "+v+"}\n", "[A]"))
		add("region "+v, withRunner("gcp: {region: "+v+"}\n", "[A]"))
	}
	// A reason of any one rune: the spaces of strings.TrimSpace are blank.
	for r := range rune(0x3100) {
		if r == 0 || (r >= 0xd800 && r < 0xe000) {
			continue // not in a YAML document
		}
		v := fmt.Sprintf(`"\U%08X"`, r)
		add("ignore reason "+v, "version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: SP130, reason: "+v+"}]\n")
	}
	for _, v := range []string{`"\ufeff"`, `"\t\n\v\f\r "`, `" x "`, `"\u2000\u200a"`, `"\u205f\u202f"`, `"\U0001F600"`} {
		add("ignore reason "+v, "version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: SP130, reason: "+v+"}]\n")
	}
	for _, v := range []string{`true`, `false`, `True`, `FALSE`, `"yes"`, `yes`, `1`, `[]`} {
		add("trim "+v, withRunner(gcpNone, "[A]\n      trim: "+v))
		add("service trim "+v, withService(gcpNone, "{manifest: m.yaml, trim: "+v+", chain: [A]}"))
	}
	for _, v := range []string{`[cat]`, `[]`, `[""]`, `[cat, ""]`, `[cat, ~]`, `[1, 2]`, `cat`, `[cat, [x]]`, `~`, `[true]`, `{a: b}`} {
		add("exec "+v, withRunner(gcpNone, "[{exec: "+v+"}]"))
		add("service exec "+v, withService(gcpNone, "{manifest: m.yaml, chain: [{exec: "+v+"}]}"))
	}
	for _, v := range []string{`{path: .env, key: K}`, `{path: .env}`, `{key: K}`, `{}`, `.env`, `~`, `{path: .env, key: K, x: y}`} {
		add("dotenv "+v, withRunner(gcpNone, "[{dotenv: "+v+"}]"))
		add("service dotenv "+v, withService(gcpNone, "{manifest: m.yaml, chain: [{dotenv: "+v+"}]}"))
	}
	for _, v := range []string{`"A=s"`, `"A=s:1"`, `"A = s : latest"`, `"A=projects/p/secrets/s:2,/k/f=t"`, `"A=s:1,\n B=t"`,
		`"JWT="`, `"JWT jwt:1"`, `"A=s:1.5"`, `"A=s:"`, `"=s:1"`, `"A=:1"`, `"a/b=s"`, `"/k/=s"`, `"/=s"`, `"A B=s"`, `"{}"`, `","`} {
		add("set_secrets "+v, withService(gcpNone, "{set_secrets: "+v+", chain: [A]}"))
	}
	// A bare secret id is read in gcp.project.
	for _, v := range []string{`"A=s"`, `"A=projects/p/secrets/s:1"`, `"/k/f=projects/p/secrets/s,B=t:2"`, `"^;^A=s;B=projects/p/secrets/t"`} {
		for g, gcp := range gcps {
			add("set_secrets "+v+" gcp "+g, withService(gcp, "{set_secrets: "+v+", chain: [A]}"))
		}
	}
	cases = append(cases, agreement{"set_secrets duplicate", withService(gcpProject, `{set_secrets: "A=s:1,A=s:2", chain: [A]}`), true})
	for _, v := range []string{`A_B`, `a.b`, `9A`, `"K=value"`, `"K: value"`, `A-B`, `"A B"`, `"ü"`, `"A\nB"`} {
		add("dotenv key "+v, withRunner(gcpNone, "[{dotenv: {path: .env, key: "+v+"}}]"))
	}
	for _, v := range []string{`[A]`, `[]`, `~`, `A`, `{env: A}`, `[{}]`, `[{env: A, file: B}]`, `[{nope: A}]`, `[[A]]`, `[{literal: x}, B]`} {
		add("chain "+v, withRunner(gcpNone, v))
		add("service chain "+v, withService(gcpNone, "{manifest: m.yaml, chain: "+v+"}"))
	}

	// Secret Manager names, with and without the default project.
	sm := []string{
		`projects/p/secrets/s/versions/1`, `projects/p/secrets/s/versions/latest`,
		`projects/p/secrets/s`, `projects/123/secrets/s_S-9/versions/my-alias`,
		`projects/p/secrets`, `projects//secrets/s`, `"projects/p q/secrets/s"`,
		`"projects/p\tq/secrets/s"`, `"projects/ü/secrets/s"`, `projects/p/secret/s`,
		`projects/p/secrets/s/version/1`, `projects/p/secrets/s/versions/1/x`,
		`projects/p/secrets/s/versions/`, `projects/p/secrets/s/`, `/projects/p/secrets/s`,
		`s`, `s/versions/3`, `s/versions/latest`, `s/versions`, `s/versions/1.5`, `s/versions/`,
		`a/b`, `a/b/c`, `bad.id`, `"bad id"`, `"ü"`, `projects/versions/x`, `projects`,
		strings.Repeat("a", 255), strings.Repeat("a", 256),
		"s/versions/" + strings.Repeat("v", 63), "s/versions/" + strings.Repeat("v", 64),
		"projects/p/secrets/" + strings.Repeat("a", 255) + "/versions/" + strings.Repeat("v", 63),
		"projects/p/secrets/" + strings.Repeat("a", 256) + "/versions/1",
		"projects/p/secrets/s/versions/" + strings.Repeat("v", 64),
		"projects/p/secrets/" + strings.Repeat("a", 256),
		`""`, `~`, `123`, `-5`, `1e3`, `true`, `False`, `[s]`,
	}
	for _, v := range sm {
		for _, g := range []string{"project", "none"} {
			add("secretmanager "+v+" gcp "+g, withRunner(gcps[g], "[{secretmanager: "+v+"}]"))
			add("service secretmanager "+v+" gcp "+g, withService(gcps[g], "{manifest: m.yaml, chain: [A, {secretmanager: "+v+"}]}"))
		}
	}
	cases = append(cases,
		agreement{"secretmanager 1.5", withRunner(gcpProject, "[{secretmanager: 1.5}]"), true},
		agreement{"secretmanager 1.0", withRunner(gcpProject, "[{secretmanager: 1.0}]"), true},
	)

	// Cloud Run names, with every combination of defaults.
	cr := []string{
		`backend`, `netra-backend-staging`, `a`, `a1`, `a-`, `-a`, `1a`, `Backend`, `back_end`,
		`projects/p/locations/r/services/s`, `projects/p/regions/r/services/s`,
		`projects/p/locations/r/services/s/x`, `projects//locations/r/services/s`,
		`"projects/p q/locations/r/services/s"`, `projects/p/locations/r/services/`,
		`services/s`, `"back end"`, `""`, `~`, `123`, `true`, `[a]`,
	}
	for _, v := range cr {
		for g, gcp := range gcps {
			add("cloudrun "+v+" gcp "+g, withService(gcp, "{cloudrun: "+v+", chain: [A]}"))
		}
	}
	cases = append(cases, agreement{"cloudrun True", withService(gcpFull, "{cloudrun: True, chain: [A]}"), true})
	// Cloud Run jobs: the same short names, and full names under jobs/.
	jobs := append(slices.Clone(cr), `projects/p/locations/r/jobs/j`, `projects/p/locations/r/jobs/j/x`,
		`projects//locations/r/jobs/j`, `projects/p/locations/r/jobs/`, `jobs/j`)
	for _, v := range jobs {
		for g, gcp := range gcps {
			add("cloudrun_job "+v+" gcp "+g, withService(gcp, "{cloudrun_job: "+v+", chain: [A]}"))
		}
	}
	cases = append(cases, agreement{"cloudrun_job True", withService(gcpFull, "{cloudrun_job: True, chain: [A]}"), true})
	// Traffic tags: their shape, and only on cloudrun consumers.
	for _, v := range []string{`e2e`, `green-1`, `a`, `E2E`, `e2e_tag`, `-e2e`, `e2e-`, `1e2e`, `"e 2e"`, `""`, `~`, `123`, `true`, `[e2e]`} {
		add("tag "+v, withService(gcpFull, "{cloudrun: api, tag: "+v+", chain: [A]}"))
		add("job tag "+v, withService(gcpFull, "{cloudrun_job: migrate, tag: "+v+", chain: [A]}"))
		add("manifest tag "+v, withService(gcpFull, "{manifest: m.yaml, tag: "+v+", chain: [A]}"))
	}
	cases = append(cases, agreement{"tag True", withService(gcpFull, "{cloudrun: api, tag: True, chain: [A]}"), true})
	for g, gcp := range gcps {
		add("cloudrun and secretmanager full, gcp "+g, withService(gcp,
			"{cloudrun: projects/p/locations/r/services/s, chain: [{secretmanager: projects/p/secrets/s}]}"))
		add("cloudrun full, secretmanager short, gcp "+g, withService(gcp,
			"{cloudrun: projects/p/locations/r/services/s, chain: [{secretmanager: s}]}"))
		add("two secrets, one short name, gcp "+g, "version: 1\n"+gcp+
			"secrets:\n  - {name: a, runner: {chain: [A]}}\n  - {name: b, runner: {chain: [{secretmanager: s}]}}\n")
		add("gcp "+g, withRunner(gcp, "[A]"))
	}
	for _, v := range []string{`~`, `p`, `[p]`, `{project: p, zone: z}`} {
		add("gcp "+v, withRunner("gcp: "+v+"\n", "[A]"))
	}

	// Service kinds and consumers.
	for _, v := range []string{
		`{chain: [A]}`, `{name: n, chain: [A]}`, `{manifest: m.yaml, set_secrets: "A=a:1", chain: [A]}`,
		`{cloudrun: s, manifest: m.yaml, chain: [A]}`, `{cloudrun: s, cloudrun_job: j, chain: [A]}`,
		`{cloudrun_job: j, set_secrets: "A=a:1", chain: [A]}`, `{cloudrun_job: j}`, `{manifest: m.yaml}`, `{manifest: m.yaml, chain: [A], chian: [A]}`,
		`{set_secrets: "A=a:1", chain: [A]}`, `m.yaml`, `~`, `[manifest]`,
	} {
		add("service "+v, withService(gcpFull, v))
	}
	for _, v := range []string{
		`{name: a}`, `{name: a, services: []}`, `{name: a, services: ~}`, `{name: a, runner: {chain: [A]}, services: []}`,
		`{name: a, runner: {chain: [A]}, services: ~}`, `{name: a, services: [{manifest: m.yaml, chain: [A]}]}`,
		`{name: a, runner: ~}`, `{name: a, runner: {}}`, `{name: a, runner: {trim: true}}`, `{runner: {chain: [A]}}`,
		`{name: a, runner: {chain: [A]}, must_differ_from: ~}`, `{name: a, runner: {chain: [A]}, must_differ_from: []}`,
		`{name: a, runner: {chain: [A]}, jwt: ~}`, `{name: a, runner: {chain: [A]}, jwt: {}}`,
		`{name: a, runner: {chain: [A]}, services: {manifest: m.yaml}}`, `{name: a, runner: {chain: [A]}, x: 1}`,
		`a`, `~`,
	} {
		add("secret "+v, "version: 1\nsecrets:\n  - "+v+"\n")
	}

	// Top level.
	for _, v := range []string{
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\n",
		"version: 0x1\nsecrets: [{name: a, runner: {chain: [A]}}]\n",
		"version: +1\nsecrets: [{name: a, runner: {chain: [A]}}]\n",
		"version: \"1\"\nsecrets: [{name: a, runner: {chain: [A]}}]\n",
		"version: 2\nsecrets: [{name: a, runner: {chain: [A]}}]\n",
		"version: ~\nsecrets: [{name: a, runner: {chain: [A]}}]\n",
		"version: [1]\nsecrets: [{name: a, runner: {chain: [A]}}]\n",
		"version: 1\nsecrets: []\n",
		"version: 1\nsecrets: ~\n",
		"version: 1\nsecrets: {name: a}\n",
		"version: 1\n",
		"secrets: [{name: a, runner: {chain: [A]}}]\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\n1: x\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\ntrue: x\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\npolicy: ~\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\npolicy: {}\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\npolicy: {forbid_service_env: ~, placeholders: ~}\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\npolicy: {forbid_service_env: A}\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: ~\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: []\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: {code: SP130}\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [SP130]\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: SP130}]\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{reason: r}]\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: SP130, reason: r, until: ~}]\n",
		"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: SP130, reason: r, untill: 2027-01-01}]\n",
	} {
		add("top "+strings.ReplaceAll(v, "\n", "; "), v)
	}
	cases = append(cases, agreement{"version 1.0", "version: 1.0\nsecrets: [{name: a, runner: {chain: [A]}}]\n", true})

	// Enumerations: every code the loader might know, and near misses.
	for i := range 1000 {
		add(fmt.Sprintf("code SP%03d", i), fmt.Sprintf(
			"version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: SP%03d, reason: r}]\n", i))
	}
	for _, v := range []string{`sp130`, `SP13`, `SP1300`, `130`, `~`, `""`, `[SP130]`} {
		add("code "+v, "version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: "+v+", reason: r}]\n")
	}
	var algs []string
	for _, fam := range []string{"HS", "RS", "PS", "ES", "hs", "Hs", "ED", "Ed"} {
		for _, bits := range []string{"256", "384", "512", "1", "224", "256K", "DSA"} {
			algs = append(algs, fam+bits)
		}
	}
	algs = append(algs, "EdDSA", "eddsa", "EDDSA", "none", "None", "RSA", "ES256K", `""`, `~`, `256`, `[HS256]`)
	for _, v := range algs {
		add("algorithm "+v, "version: 1\nsecrets:\n  - {name: a, jwt: {algorithm: "+v+"}, runner: {chain: [A]}}\n")
	}
	for _, v := range []string{`{issuer: i}`, `HS256`, `{algorithm: HS256, kid: k}`} {
		add("jwt "+v, "version: 1\nsecrets:\n  - {name: a, jwt: "+v+", runner: {chain: [A]}}\n")
	}
	// JWT expectations, jwks_url links and probes (DESIGN.md 5 and 5a).
	withProbe := func(probe string) string {
		return "version: 1\nsecrets:\n  - {name: a, jwt: {algorithm: HS256}, runner: {chain: [A]}, probes: [" + probe + "]}\n"
	}
	for _, v := range []string{
		`https://auth.example.com/jwks.json`, `https://auth.example.com`, `"https://auth.example.com:8443/a/b?c=d&e=f"`,
		`http://127.0.0.1:8080/jwks`, `http://localhost/x`, `"http://[::1]:9/x"`, `http://127.1.2.3`, `http://example.com/x`,
		`http://localhost.example.com/x`, `http://127.0.0.1.nip.io/x`, `"https://user:pw@example.com/"`, `"https://example.com/#frag"`,
		`wss://api.example.com/ws`, `ws://127.0.0.1/ws`, `ws://example.com/ws`, `ftp://example.com/x`, `https://`,
		`"https://example.com?x=%41"`, `"https://example.com/%zz"`, `"https://exa mple.com"`, `"https://[::1]/x"`,
		`""`, `~`, `123`, `[x]`, `HTTPS://example.com`, `http://LOCALHOST/x`, `ws://LocalHost:8080/ws`,
		`"http://user:pw@127.0.0.1/x"`, `"http://127.0.0.1:/x"`, `http://LOCALHOST.example.com/x`,
	} {
		add("jwks_url "+v, withService(gcpNone, "{manifest: m.yaml, chain: [{jwks_url: "+v+"}]}"))
		add("runner jwks_url "+v, withRunner(gcpNone, "[{jwks_url: "+v+"}]"))
		add("probe url "+v, withProbe("{url: "+v+"}"))
	}
	for _, v := range []string{`header`, `subprotocol`, `query:access_token`, `query:`, `"query:a b"`, `cookie:session`,
		`"cookie:a b"`, `cookie:a=b`, `bogus`, `Header`, `~`, `""`, `[header]`} {
		add("probe token "+v, withProbe("{url: https://api.example.com/x, token: "+v+"}"))
		add("ws probe token "+v, withProbe("{url: wss://api.example.com/ws, token: "+v+"}"))
	}
	for _, v := range []string{`[200]`, `[101, 200]`, `[]`, `[99]`, `[100]`, `[599]`, `[600]`, `["200"]`, `[2xx]`, `200`,
		`[1.5]`, `[0x65]`, `~`, `[~]`, `[[200]]`} {
		add("probe accept "+v, withProbe("{url: https://api.example.com/x, accept: "+v+"}"))
	}
	for _, v := range []string{`{X-E2E-Test: "true"}`, `{X-E2E-Test: true}`, `{X-Test-Mode: 1.5}`, `{"X Bad": x}`,
		`{"X:Y": x}`, `{X: ~}`, `{X: [a]}`, `{X: {a: b}}`, `~`, `{}`, `x`, `[X]`, `{X: "a\nb"}`, `{X: "a\tb"}`, `{X: ""}`} {
		add("probe bypass_headers "+v, withProbe("{url: https://api.example.com/x, bypass_headers: "+v+"}"))
	}
	for _, v := range []string{`5s`, `500ms`, `2m`, `1h`, `0s`, `000ms`, `0`, `5`, `10x`, `1000000s`, `999999s`, `1.5s`,
		`-1s`, `5S`, `~`, `""`, `[5s]`} {
		add("probe timeout "+v, withProbe("{url: https://api.example.com/x, timeout: "+v+"}"))
		add("consumer leeway "+v, withService(gcpNone, "{manifest: m.yaml, jwt: {leeway: "+v+"}, chain: [A]}"))
	}
	for _, v := range []string{`{issuer: i}`, `{audience: a}`, `{algorithms: [HS256, RS256]}`, `{algorithms: []}`,
		`{algorithms: [none]}`, `{algorithms: HS256}`, `{algorithm: HS256}`, `{kid: k}`, `{}`, `~`, `x`, `[x]`} {
		add("consumer jwt "+v, withService(gcpNone, "{manifest: m.yaml, jwt: "+v+", chain: [A]}"))
		add("runner jwt "+v, withRunner(gcpNone, "[A]\n      jwt: "+v))
	}
	for _, v := range []string{`{sub: e2e}`, `~`, `{}`, `x`, `[a]`, `{exp: 1, nested: {a: [1, 2]}}`, `{1: x}`} {
		add("claims "+v, "version: 1\nsecrets:\n  - {name: a, jwt: {algorithm: HS256, claims: "+v+"}, runner: {chain: [A]}}\n")
	}
	for _, v := range []string{
		`{name: a, runner: {chain: [A]}, probes: [{url: "https://x.example"}]}`,
		`{name: a, jwt: {algorithm: HS256}, runner: {chain: [A]}, probes: ~}`,
		`{name: a, jwt: {algorithm: HS256}, runner: {chain: [A]}, probes: []}`,
		`{name: a, jwt: {algorithm: HS256}, runner: {chain: [A]}, probes: [https://x.example]}`,
		`{name: a, jwt: {algorithm: HS256}, runner: {chain: [A]}, probes: [{token: header}]}`,
		`{name: a, jwt: {algorithm: HS256}, runner: {chain: [A]}, probes: [{url: "https://x.example", method: GET}]}`,
		`{name: a, jwt: {algorithm: HS256}, runner: {chain: [A]}, probes: {url: "https://x.example"}}`,
	} {
		add("probes "+v, "version: 1\nsecrets:\n  - "+v+"\n")
	}
	for _, v := range []string{`error`, `warning`, `never`, `Error`, `warn`, `info`, `none`, `""`, `~`, `[error]`, `0`} {
		add("fail_on "+v, "version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\npolicy: {fail_on: "+v+"}\n")
	}

	// Dates: every month and day number around the valid ones in a few
	// years, and the end of February in every year of two centuries and
	// in every century year.
	var dates []string
	for _, y := range []int{0, 1900, 2000, 2024, 2027, 9999} {
		for m := range 14 {
			for d := range 33 {
				dates = append(dates, fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	var years []int
	for y := 1900; y < 2100; y++ {
		years = append(years, y)
	}
	for y := 0; y < 10000; y += 100 {
		years = append(years, y)
	}
	for _, y := range years {
		for _, d := range []int{28, 29, 30} {
			dates = append(dates, fmt.Sprintf("%04d-02-%02d", y, d))
		}
	}
	dates = append(dates, `"2027-01-31"`, `2027-1-31`, `2027-01-1`, `27-01-31`, `12027-01-31`, `2027/01/31`,
		`2027-01-31T10:00:00Z`, `"2027-01-31 "`, `" 2027-01-31"`, `20270131`, `"+999-01-31"`, `~`, `""`, `[2027-01-31]`)
	for _, v := range dates {
		add("until "+v, "version: 1\nsecrets: [{name: a, runner: {chain: [A]}}]\nignore: [{code: SP130, reason: r, until: "+v+"}]\n")
	}

	sch := compile(t)
	accepted := 0
	for _, c := range cases {
		_, loaderErr := config.Parse("c.yaml", []byte(c.doc))
		docs, err := yamlDocs([]byte(c.doc))
		if err != nil {
			t.Errorf("%s: not YAML: %v\n%s", c.name, err, c.doc)
			continue
		}
		schemaErr := sch.Validate(docs[0])
		if len(docs) != 1 {
			t.Errorf("%s: %d documents", c.name, len(docs))
		}
		switch {
		case c.loaderOnly:
			if loaderErr == nil || schemaErr != nil {
				t.Errorf("%s: want the loader alone to reject it; loader: %v; schema: %v\n%s", c.name, loaderErr, schemaErr, c.doc)
			}
		case loaderErr == nil && schemaErr != nil:
			t.Errorf("%s: the schema rejects what the loader accepts: %v\n%s", c.name, schemaErr, c.doc)
		case loaderErr != nil && schemaErr == nil:
			t.Errorf("%s: the schema accepts what the loader rejects: %v\n%s", c.name, loaderErr, c.doc)
		case loaderErr == nil:
			accepted++
		}
	}
	// Guard against a generator that produces only invalid configs.
	if accepted < len(cases)/5 {
		t.Errorf("only %d of %d generated configs are valid", accepted, len(cases))
	}
}

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	write := func(t *testing.T, path string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("version: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("root wins", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "secret-preflight.yaml"))
		write(t, filepath.Join(dir, ".github", "secret-preflight.yaml"))
		got, err := Find(dir)
		if want := filepath.Join(dir, "secret-preflight.yaml"); err != nil || got != want {
			t.Errorf("Find = %q, %v; want %q", got, err, want)
		}
	})
	t.Run(".github fallback", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, ".github", "secret-preflight.yaml"))
		got, err := Find(dir)
		if want := filepath.Join(dir, ".github", "secret-preflight.yaml"); err != nil || got != want {
			t.Errorf("Find = %q, %v; want %q", got, err, want)
		}
	})
	t.Run("a directory is not a config", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "secret-preflight.yaml"), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, ".github", "secret-preflight.yaml"))
		got, err := Find(dir)
		if want := filepath.Join(dir, ".github", "secret-preflight.yaml"); err != nil || got != want {
			t.Errorf("Find = %q, %v; want %q", got, err, want)
		}
	})
	t.Run(".yml", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "secret-preflight.yml"))
		write(t, filepath.Join(dir, ".github", "secret-preflight.yaml"))
		got, err := Find(dir)
		if want := filepath.Join(dir, "secret-preflight.yml"); err != nil || got != want {
			t.Errorf("Find = %q, %v; want %q", got, err, want)
		}
	})
	t.Run(".github .yml", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, ".github", "secret-preflight.yml"))
		got, err := Find(dir)
		if want := filepath.Join(dir, ".github", "secret-preflight.yml"); err != nil || got != want {
			t.Errorf("Find = %q, %v; want %q", got, err, want)
		}
	})
	t.Run("both extensions", func(t *testing.T) {
		for _, sub := range []string{"", ".github"} {
			dir := t.TempDir()
			write(t, filepath.Join(dir, sub, "secret-preflight.yaml"))
			write(t, filepath.Join(dir, sub, "secret-preflight.yml"))
			_, err := Find(dir)
			if err == nil {
				t.Fatalf("Find picked one of two configs in %q", sub)
			}
			for _, name := range []string{filepath.Join(dir, sub, "secret-preflight.yaml"), filepath.Join(dir, sub, "secret-preflight.yml")} {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %q", err, name)
				}
			}
		}
	})
	t.Run("neither", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Find(dir)
		if err == nil {
			t.Fatal("Find found a config in an empty directory")
		}
		for _, name := range []string{"secret-preflight.yaml", "secret-preflight.yml", filepath.Join(".github", "secret-preflight.yaml"), filepath.Join(".github", "secret-preflight.yml"), dir, "SECRET_PREFLIGHT_CONFIG"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %q", err, name)
			}
		}
	})
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want fs.ErrNotExist", err)
	}
	if errors.As(err, &Errors{}) {
		t.Errorf("a read failure is not a config error")
	}
}

func TestErrorsAsSingle(t *testing.T) {
	_, err := Parse("c.yaml", []byte("version: 1\nsecrets: []\nbogus: 1\n"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(*Error) failed on %v", err)
	}
	if e.Pos != (Pos{File: "c.yaml", Line: 2, Col: 1}) {
		t.Errorf("first error at %v, want c.yaml:2:1 (sorted by position)", e.Pos)
	}
}

// The literal's value, like a placeholder's or an exec argument's, must
// never reach an error message, whatever else is wrong around it.
func TestSecretsNeverInErrors(t *testing.T) {
	const canary = "CANARY-xyz"
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	sawCanary := false
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), canary) {
			continue
		}
		sawCanary = true
		_, err = Parse(f, data)
		if err == nil {
			t.Fatalf("%s loaded", f)
		}
		if strings.Contains(err.Error(), canary) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), canary) {
			t.Errorf("%s: error text holds the literal:\n%v", f, err)
		}
	}
	if !sawCanary {
		t.Fatal("no test file holds the canary")
	}

	// A canary in each place a value can be misplaced, inline.
	for _, doc := range []string{
		"version: 1\nsecrets:\n  - name: s\n    runner: {chain: [{literal: CANARY-xyz, file: x}]}\n",
		"version: 1\nsecrets:\n  - name: s\n    runner: {chain: [CANARY-xyz=1]}\n",
		"version: 1\nsecrets:\n  - name: s\n    runner: {chain: [{exec: [echo, CANARY-xyz, {}]}]}\n",
		"version: 1\nsecrets:\n  - name: s\n    runner: CANARY-xyz\n",
		"version: 1\nsecrets:\n  - name: s\n    runner: {chain: [A], trim: CANARY-xyz}\n",
		"version: 1\nsecrets:\n  - name: s\n    runner: {chain: [{dotenv: CANARY-xyz}]}\n",
		"version: 1\nsecrets: CANARY-xyz\n",
		"CANARY-xyz\n",
		"version: CANARY-xyz\n",
		"version: 1\npolicy: {placeholders: [CANARY-xyz, [CANARY-xyz]]}\nsecrets: [{name: s, runner: {chain: [{literal: CANARY-xyz}, {literal: [CANARY-xyz]}]}}]\n",
	} {
		_, err := Parse("c.yaml", []byte(doc))
		if err == nil {
			t.Errorf("no error for %q", doc)
			continue
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("error holds the canary:\n%v", err)
		}
	}
}

func TestManifestPathIsRelativeToConfig(t *testing.T) {
	abs := filepath.Join(string(filepath.Separator), "etc", "sp", "c.yaml")
	for _, tc := range []struct{ config, manifest, want string }{
		{"secret-preflight.yaml", "deploy/svc.yaml", filepath.Join("deploy", "svc.yaml")},
		{".github/secret-preflight.yaml", "../deploy/./svc.yaml", filepath.Join("deploy", "svc.yaml")},
		{abs, "svc.yaml", filepath.Join(filepath.Dir(abs), "svc.yaml")},
		{"c.yaml", "/srv//svc.yaml", filepath.Clean("/srv/svc.yaml")},
	} {
		doc := "version: 1\nsecrets:\n  - name: s\n    services:\n      - manifest: " + tc.manifest + "\n        chain: [A]\n"
		cfg, err := Parse(tc.config, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Secrets[0].Services[0].Target; got != tc.want {
			t.Errorf("config %s, manifest %s: Target = %q, want %q", tc.config, tc.manifest, got, tc.want)
		}
	}
}

// A "billion laughs" file within the schema: a thousand secrets, each with
// a thousand services, each with a thousand links, all through aliases. The
// walk must give up with a positioned error instead of expanding it.
func TestAliasBomb(t *testing.T) {
	more := func(alias string) string { return strings.Repeat(", *"+alias, 999) }
	doc := "version: 1\n" +
		"secrets:\n" +
		"  - &sec\n" +
		"    name: s\n" +
		"    services: [&svc {set_secrets: A=a:1, chain: [&link {env: A}" + more("link") + "]}" + more("svc") + "]\n" +
		strings.Repeat("  - *sec\n", 999)
	_, err := Parse("bomb.yaml", []byte(doc))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("the bomb loaded or failed oddly: %v", err)
	}
	found := false
	for _, e := range errs {
		found = found || strings.Contains(e.Msg, "too large once YAML aliases are expanded")
	}
	if !found || len(errs) > 10 {
		t.Errorf("want a short list with the too-large error, got %d errors:\n%.2000s", len(errs), err)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"chain", "trim", "name", "container", "env", "file"}
	for _, tc := range []struct{ got, want string }{
		{"chian", "chain"},
		{"Chain", "chain"},
		{"tirm", "trim"},
		{"contianer", "container"},
		{"evn", "env"},
		{"fiel", "file"},
		{"xyz", ""},
		{"chains_and_more", ""},
		{"", ""},
	} {
		want := ""
		if tc.want != "" {
			want = ` (did you mean "` + tc.want + `"?)`
		}
		if got := suggest(tc.got, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", tc.got, got, want)
		}
	}
}

func TestErrorsSortedAndDeduplicated(t *testing.T) {
	e := func(line, col int, msg string) *Error {
		return &Error{Pos: Pos{File: "f", Line: line, Col: col}, Msg: msg}
	}
	got := Errors{e(3, 1, "c"), e(1, 5, "b"), e(1, 2, "a"), e(3, 1, "c"), e(0, 0, "whole file")}.normalize()
	want := "f: whole file\nf:1:2: a\nf:1:5: b\nf:3:1: c"
	if got.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// FuzzParse checks that no input makes Parse panic, and that an error is
// always Errors with every entry positioned in the named file. Under plain
// `go test` it runs only the seeds: every file in testdata.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, s := range append(seeds, more...) {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without an error")
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is not a non-empty Errors: %T %v", err, err)
		}
		for _, e := range errs {
			if e.Pos.File != "fuzz.yaml" {
				t.Fatalf("error without the file name: %v", e)
			}
		}
	})
}

// Mistakes that put a value where the loader expects a name or YAML
// syntax: the error points at it without repeating it.
func TestValuesNotEchoed(t *testing.T) {
	const canary = "Hunter2SecretValue"
	chain := func(links ...string) string {
		return "version: 1\nsecrets:\n  - name: s\n    runner:\n      chain:\n" + strings.Join(links, "") + "\n"
	}
	tests := []struct {
		name string
		doc  string
		want string // "line:col: message substring"
	}{
		{"literal through an unknown anchor", chain("        - literal: *" + canary),
			"6:20: invalid YAML: unknown anchor '…' referenced"},
		{"unknown anchor in a flow chain", "version: 1\nsecrets: [{name: s, runner: {chain: [A, *" + canary + "]}}]\n",
			"2:41: invalid YAML: unknown anchor '…' referenced"},
		{"anchor defined after its use", chain("        - literal: *"+canary+"\n", "        - &"+canary+" {env: A}"),
			"6:20: invalid YAML: unknown anchor '…' referenced"},
		{"literal without a space", chain("        - A\n", "        - literal:"+canary),
			`7:11: a bare string is an env var name; this looks like "literal:..." without a space after the colon: write "literal: VALUE"`},
		{"capitalised kind without a space", chain("        - Literal:" + canary),
			`6:11: a bare string is an env var name; this looks like "literal:..." without a space after the colon`},
		{"exec without a space", chain("        - exec:[vault, -token=" + canary + "]"),
			`6:11: a bare string is an env var name; this looks like "exec:..." without a space after the colon: write "exec: VALUE"`},
		{"link quoted whole", chain(`        - "literal: ` + canary + `"`),
			`6:11: a bare string is an env var name; this looks like a "literal" link written as one quoted string`},
		{"literal without a space in a flow map", chain("        - {literal:" + canary + "}"),
			`6:12: unknown key in link; this looks like "literal:..." without a space after the colon`},
		{"a value as a key", chain(`        - {"` + canary + ` x": 1}`),
			"6:12: unknown key in link (not shown: it does not look like a key, and may be a value)"},
		{"bare string that is no env var name", chain(`        - "` + canary + ` !"`),
			"6:11: an env var name must start with a letter, '_', '-' or '.'"},
		{"bare string starting with a digit", chain("        - 9" + canary),
			"6:11: an env var name must start with a letter"},
		{"env link that is no env var name", chain(`        - env: "` + canary + `/x"`),
			"6:16: an env var name must start with a letter"},
		{"env link with a kind prefix", chain("        - env: literal:" + canary),
			"6:16: an env var name must start with a letter"},
		{"NAME=VALUE", chain("        - A=" + canary),
			"6:11: an env var name cannot contain '='"},
		{"secretmanager holding a value", chain(`        - secretmanager: "` + canary + `+/=="`),
			"6:26: secretmanager is not projects/P/secrets/S/versions/V"},
		{"secretmanager with a bad version", chain("        - secretmanager: projects/p/secrets/s/versions/" + canary + ".x"),
			"6:26: secretmanager: the version must be a number, latest or an alias"},
		{"dotenv key holding a line", chain(`        - dotenv: {path: .env, key: "K=` + canary + `"}`),
			"6:37: dotenv.key is the variable's name only"},
		{"dotenv key in yaml style", chain(`        - dotenv: {path: .env, key: "K: ` + canary + `"}`),
			"6:37: dotenv.key is the variable's name only"},
		{"unclosed quote", chain(`        - literal: "` + canary),
			"invalid YAML: found unexpected end of stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.doc))
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v, want Errors", err)
			}
			if strings.Contains(err.Error(), canary) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), canary) {
				t.Errorf("error holds the canary:\n%v", err)
			}
			lc, msg, ok := strings.Cut(tt.want, ": ")
			if !ok || !strings.Contains(lc, ":") {
				lc, msg = "", tt.want // yaml.v3 names the position only roughly
			}
			got := errs[0].Error()
			if prefix := "c.yaml:" + lc + ": "; lc != "" && !strings.HasPrefix(got, prefix) {
				t.Errorf("error %q does not start with %q", got, prefix)
			}
			if !strings.Contains(got, msg) {
				t.Errorf("error %q does not contain %q", got, msg)
			}
			if len(errs) != 1 {
				t.Errorf("want one error, got:\n%v", err)
			}
		})
	}
}

func TestExecRef(t *testing.T) {
	const canary = "Hunter2SecretValue"
	doc := "version: 1\nsecrets:\n  - name: s\n    runner:\n      chain:\n" +
		"        - exec: [vault, kv, get, -token=" + canary + "]\n" +
		"        - exec: [op, --token=" + canary + "]\n" +
		"        - exec: [./print-secret]\n"
	cfg, err := Parse("c.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	chain := cfg.Secrets[0].Runner.Chain
	for i, want := range []string{`["vault" +3 args]`, `["op" +1 arg]`, `["./print-secret"]`} {
		if got := chain[i].Ref(); got != want {
			t.Errorf("link %d: Ref() = %q, want %q", i, got, want)
		}
		if strings.Contains(chain[i].Ref(), canary) {
			t.Errorf("link %d: Ref() holds an argument: %q", i, chain[i].Ref())
		}
	}
	if got := (Link{Kind: LinkExec}).Ref(); got != "[]" {
		t.Errorf("Ref() of an empty exec link = %q", got)
	}
}

package sources

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/secret"
)

// The manifest parser reads files a pull request can change: it must never
// panic, and its errors and problems must never quote a plain env value.
func FuzzParseManifest(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "manifests", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	const canary = "FUZZCANARYVALUE"
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := ParseManifest("m.yaml", data)
		if err != nil {
			if strings.Contains(err.Error(), canary) && !strings.Contains(string(data), "name: "+canary) {
				t.Errorf("error quotes input: %v", err)
			}
			return
		}
		for _, w := range ws {
			for _, c := range w.Containers {
				for _, e := range c.Env {
					if e.Secret == nil && strings.Contains(e.Value.String(), canary) {
						t.Errorf("a plain value prints: %v", e.Value)
					}
				}
			}
		}
	})
}

func FuzzParseSetSecrets(f *testing.F) {
	for _, s := range []string{
		"JWT=jwt:latest", "A=projects/p/secrets/s:3,/m/f=s:1", "^;^A=s:1;B=t:2", "A=s\nB=t:2\r\n", "{}", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c, err := ParseSetSecrets(v)
		if err != nil {
			return
		}
		for _, e := range c.Env {
			if e.Secret == nil || e.Secret.Secret == "" {
				t.Errorf("env %q without a secret reference", e.Name)
			}
		}
		for _, m := range c.Mounts {
			if !strings.HasPrefix(m.MountPath, "/") {
				t.Errorf("mount path %q is not absolute", m.MountPath)
			}
		}
	})
}

// The .env parser reads a file that holds secrets: it must never panic,
// and an error is always a DotenvError naming the file, a line of it and a
// reason from a fixed set, so no byte of the file can reach the message.
func FuzzDotenvValue(f *testing.F) {
	f.Add([]byte("JWT_SECRET=FUZZCANARYVALUE\n"))
	reasons := map[string]bool{
		"expected KEY=VALUE, with a key of letters, digits, '_' and '.'": true,
		"a quoted value has no closing quote":                            true,
		"godotenv cannot parse it":                                       true,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, _, err := DotenvValue("f.env", data, "JWT_SECRET")
		if err == nil {
			if v.String() != secret.Redacted {
				t.Errorf("the value prints: %v", v)
			}
			return
		}
		var de *DotenvError
		if !errors.As(err, &de) {
			t.Fatalf("error is %T, not a DotenvError: %v", err, err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		if de.Path != "f.env" || !reasons[de.Reason] || de.Line < 0 || de.Line > lines {
			t.Errorf("error outside the fixed forms (path %q, line %d of %d): %v", de.Path, de.Line, lines, err)
		}
	})
}

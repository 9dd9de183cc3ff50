package sources

import (
	"errors"
	"strings"
	"testing"
)

func TestDotenvDialect(t *testing.T) {
	const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
	file := strings.Join([]string{
		`# a comment`,
		`QUOTED="abc" # trailing comment`,
		`SINGLE='a\nb'`,
		`ESCAPED="a\nb"`,
		`DUP=first`,
		`DUP=second`,
		`export EXPORTED=yes`,
		`YAML: style`,
		`UNQUOTED=plain value # comment`,
		`HASH=abc#def`,
		`PEM="` + pem + `"`,
		`CRLF=x` + "\r",
		`EMPTY=`,
		``,
	}, "\n")
	for key, want := range map[string]string{
		"QUOTED":   "abc",
		"SINGLE":   `a\nb`,
		"ESCAPED":  "a\nb",
		"DUP":      "second",
		"EXPORTED": "yes",
		"YAML":     "style",
		"UNQUOTED": "plain value",
		"HASH":     "abc#def",
		"PEM":      pem,
		"CRLF":     "x",
		"EMPTY":    "",
	} {
		v, ok, err := DotenvValue(".env", []byte(file), key)
		if err != nil || !ok {
			t.Fatalf("%s: ok %v err %v", key, ok, err)
		}
		if got := string(v.Reveal()); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if _, ok, err := DotenvValue(".env", []byte(file), "MISSING"); ok || err != nil {
		t.Errorf("MISSING: ok %v err %v", ok, err)
	}
}

func TestDotenvErrorsNameTheLineNotItsText(t *testing.T) {
	const canary = "CANARY-dotenv-bad-line-Aa1Bb2Cc3"
	for _, tc := range []struct {
		name, file string
		line       int
		reason     string
	}{
		{"no equals", "A=1\n\nJWT_SECRET " + canary + "\nB=2\n", 3, "KEY=VALUE"},
		{"bad key", "A=1\nJWT-SECRET=" + canary + "\n", 2, "KEY=VALUE"},
		{"bad key after crlf", "A=1\r\nB=2\r\nJWT/SECRET=" + canary + "\r\n", 3, "KEY=VALUE"},
		{"unterminated", "A=1\nB=\"x\"\nC=\"" + canary + "\nD=2\n", 3, "closing quote"},
		{"unterminated after an escaped copy", "A=\"v\"\nB=\"" + canary + " \\\"" + canary + "\n", 2, "closing quote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DotenvValue("/ci/.env", []byte(tc.file), "A")
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a DotenvError", err)
			}
			if de.Line != tc.line || !strings.Contains(err.Error(), tc.reason) ||
				!strings.HasPrefix(err.Error(), "/ci/.env:") {
				t.Errorf("line %d, err %q; want line %d and %q", de.Line, err, tc.line, tc.reason)
			}
			for _, frag := range []string{canary, "CANARY", "JWT"} {
				if strings.Contains(err.Error(), frag) {
					t.Errorf("the error quotes the file: %q", err)
				}
			}
		})
	}
}

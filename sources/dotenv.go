package sources

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/joho/godotenv"

	"github.com/secret-preflight/secret-preflight/secret"
)

// The .env dialect is godotenv's (github.com/joho/godotenv), which the
// test helpers that read these files most often use or imitate: quoted
// values end at their closing quote (`K="abc" # comment` is abc), double
// quotes unescape \n and \r and may span lines (PEM keys), `export ` and
// `KEY: value` are accepted, ${VAR} expands from earlier keys of the same
// file, and the last of duplicate keys wins, as when a shell sources the
// file. Reading the library's output rather than imitating it keeps the
// check comparing what the runner really loads.

// DotenvError is a .env file that godotenv cannot parse. It names the file
// and the line, never the line's text: the file holds secrets.
type DotenvError struct {
	Path   string
	Line   int // 0 when the line could not be found
	Reason string
}

func (e *DotenvError) Error() string {
	at := e.Path
	if e.Line > 0 {
		at = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	return fmt.Sprintf("%s: not a valid .env entry: %s (the line is not shown: it may hold a secret)", at, e.Reason)
}

// DotenvValue returns the value of key in the .env content data, and
// whether the file sets it. path only names the file in errors. Parsing is
// a function of the bytes alone, so callers decide how the file is read.
func DotenvValue(path string, data []byte, key string) (secret.Value, bool, error) {
	vars, err := godotenv.UnmarshalBytes(data)
	if err != nil {
		return secret.Value{}, false, dotenvError(path, data, err)
	}
	v, ok := vars[key]
	// The map's other values go out of scope here; only the key's value
	// leaves, wrapped.
	return secret.FromString(v), ok, nil
}

// dotenvError turns a godotenv error, which quotes the file's text, into a
// position and a reason. godotenv v1.5.1 has three errors:
//
//   - `unexpected character "C" in variable name near "REST"`, where REST is
//     the file from the start of the failing statement to its end;
//   - `unterminated quoted value TEXT`, where TEXT runs from the opening
//     quote to the end of that line;
//   - `zero length string`.
//
// Each text is a suffix or a piece of the file, which locates the line.
func dotenvError(path string, data []byte, err error) error {
	src := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")) // as godotenv reads it
	msg := err.Error()
	lineAt := func(off int) int { return bytes.Count(src[:off], []byte("\n")) + 1 }
	switch {
	case strings.HasPrefix(msg, "unexpected character "):
		e := &DotenvError{Path: path, Reason: "expected KEY=VALUE, with a key of letters, digits, '_' and '.'"}
		if i := strings.Index(msg, " near "); i >= 0 {
			if rest, uerr := strconv.Unquote(msg[i+len(" near "):]); uerr == nil && len(rest) <= len(src) &&
				bytes.HasSuffix(src, []byte(rest)) {
				e.Line = lineAt(len(src) - len(rest))
			}
		}
		return e
	case strings.HasPrefix(msg, "unterminated quoted value "):
		e := &DotenvError{Path: path, Reason: "a quoted value has no closing quote"}
		text := []byte(strings.TrimPrefix(msg, "unterminated quoted value "))
		// No unescaped quote follows the opening one, so the last
		// occurrence that is not itself escaped is the opening quote.
		for end := len(src); end > 0; {
			i := bytes.LastIndex(src[:end], text)
			if i < 0 {
				break
			}
			if i == 0 || src[i-1] != '\\' {
				e.Line = lineAt(i)
				break
			}
			end = i + len(text) - 1
		}
		return e
	}
	return &DotenvError{Path: path, Reason: "godotenv cannot parse it"}
}

// Package yamlerr turns go.yaml.in/yaml/v3 errors into positioned messages
// that are safe to print.
//
// yaml.v3 quotes its input in some messages: the name of an unknown anchor
// ("unknown anchor 'Hunter2' referenced"), the start of a scalar it could
// not decode ("cannot unmarshal !!str `s3cr3t...` into int"), a duplicate
// key, a custom tag. The files secret-preflight reads hold secret values,
// and an anchor or a value is exactly where a pasted secret ends up, so
// every message that leaves this package keeps yaml's wording and its line
// but none of the input's text: what yaml quoted becomes Placeholder.
package yamlerr

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Placeholder stands for the text of the input a message quoted.
const Placeholder = "'…'"

// Describe returns the 1-based line a yaml.v3 error names (0 when it names
// none) and its message, without the "yaml: " and "line N: " prefixes and
// without any text of the input. A nil error gives 0, "".
func Describe(err error) (line int, msg string) {
	if err == nil {
		return 0, ""
	}
	// Decoding into Go values collects one "line N: ..." per problem.
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		parts := make([]string, 0, len(te.Errors))
		for i, e := range te.Errors {
			l, m := splitLine(e)
			m = redact(m)
			switch {
			case i == 0:
				line = l
			case l > 0:
				m = "line " + strconv.Itoa(l) + ": " + m
			}
			parts = append(parts, m)
		}
		return line, strings.Join(parts, "; ")
	}
	line, msg = splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
	return line, redact(msg)
}

// Locate is Describe for an error from decoding data, with a column when
// it can tell one (0 otherwise). yaml.v3 gives neither line nor column for
// an unknown anchor, the very error a secret pasted after a '*' causes, so
// Locate finds the alias in data: the first *NAME token outside comments
// and quotes, which is where yaml.v3 stopped.
func Locate(data []byte, err error) (line, col int, msg string) {
	line, msg = Describe(err)
	if err == nil {
		return line, 0, msg
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return line, 0, msg // decoding errors name their node's line
	}
	if m := unknownAnchorRE.FindStringSubmatch(strings.TrimPrefix(err.Error(), "yaml: ")); m != nil && line == 0 {
		line, col = findAlias(data, m[1])
		return line, col, msg
	}
	if l := errorLine(data, err); l > 0 {
		line = l
	}
	return line, col, msg
}

// errorLine finds the line of a syntax error: the fewest leading lines of
// data that fail with the very same error. yaml.v3 names, for a parser
// error, the line where the enclosing block or flow collection starts,
// counted from 0, rather than the line of the token it choked on. The
// parser stops at its first error, so every prefix that holds the bad
// token fails the same way and a shorter one does not (it ends cleanly, or
// with another error such as an unexpected end of stream): a binary
// search over prefixes finds the line in a few parses. It returns 0 when
// data on its own does not fail with err (a caller decoding otherwise).
func errorLine(data []byte, err error) int {
	want := err.Error()
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	fails := func(n int) bool {
		return syntaxErrorOf(bytes.Join(lines[:n], nil)) == want
	}
	if len(lines) == 0 || !fails(len(lines)) {
		return 0
	}
	lo, hi := 1, len(lines) // fails(hi); the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// syntaxErrorOf decodes every document of data into nodes and returns the
// first error's text, or "" (a panic in the parser counts as no error, so
// the caller keeps yaml's line).
func syntaxErrorOf(data []byte) (msg string) {
	defer func() {
		if recover() != nil {
			msg = ""
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return ""
			}
			return err.Error()
		}
	}
}

var (
	lineRE          = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	unknownAnchorRE = regexp.MustCompile(`^unknown anchor '([A-Za-z0-9_-]+)' referenced$`)
)

// findAlias returns the 1-based line and column of the first *name token
// in data, or 0, 0. It reads each line on its own, so a quoted scalar that
// spans lines can hide the alias or fake one; the worst outcome is a wrong
// or missing position, never text in a message.
func findAlias(data []byte, name string) (int, int) {
	for i, text := range strings.Split(string(data), "\n") {
		text = strings.TrimSuffix(text, "\r")
		var quote byte // the quote a scalar on this line is open with, or 0
		for j := 0; j < len(text); j++ {
			c := text[j]
			start := j == 0 || strings.IndexByte(" \t[{,", text[j-1]) >= 0
			switch {
			case quote == '"' && c == '\\':
				j++ // an escaped character
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '#' && (j == 0 || text[j-1] == ' ' || text[j-1] == '\t'):
				j = len(text) // a comment runs to the end of the line
			case (c == '"' || c == '\'') && start:
				quote = c
			case c == '*' && start && strings.HasPrefix(text[j+1:], name):
				end := j + 1 + len(name)
				if end == len(text) || strings.IndexByte(" \t,]}?:%@`", text[end]) >= 0 {
					return i + 1, utf8.RuneCountInString(text[:j]) + 1
				}
			}
		}
	}
	return 0, 0
}

// splitLine separates yaml's "line N: " prefix from the message.
func splitLine(s string) (int, string) {
	m := lineRE.FindStringSubmatch(s)
	if m == nil {
		return 0, s
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, m[2] // too many digits to be a line: drop it
	}
	return n, m[2]
}

// quotedConstants are the fixed messages of yaml's scanner and parser that
// quote a syntax character rather than the input; they pass unchanged.
var quotedConstants = []string{
	"could not find expected ':'",
	"did not find expected '!'",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected digit or '.' character",
	"did not find the expected '>'",
}

// shape is a yaml.v3 message that carries input text, and how to rewrite
// it. The rewrite may use $n for groups that hold only yaml's own words
// (tags are checked against knownTags, Go types against goTypeRE).
type shape struct {
	re      *regexp.Regexp
	rewrite func(m []string) string
}

var (
	// knownTags are the tags yaml.v3 names itself; any other tag was
	// written in the input.
	knownTags = []string{"!!null", "!!bool", "!!str", "!!int", "!!float", "!!timestamp", "!!seq", "!!map", "!!binary", "!!merge"}
	// goTypeRE matches the Go type names yaml puts after "into" and "in
	// type"; they come from the program, never from the input.
	goTypeRE = regexp.MustCompile(`^[A-Za-z0-9_.*\[\]{} ]+$`)

	shapes = []shape{
		{regexp.MustCompile(`(?s)^unknown anchor .* referenced$`), func([]string) string {
			return "unknown anchor " + Placeholder + " referenced"
		}},
		{regexp.MustCompile(`(?s)^anchor .* value contains itself$`), func([]string) string {
			return "anchor " + Placeholder + " value contains itself"
		}},
		// cannot unmarshal !!str `Hunter2` into int; the value is cut to 7
		// bytes plus "..." but may itself hold backquotes and " into ".
		{regexp.MustCompile("(?s)^cannot unmarshal (\\S+) `.*` into (.*)$"), func(m []string) string {
			return "cannot unmarshal " + tag(m[1]) + " " + Placeholder + " into " + goType(m[2])
		}},
		// cannot unmarshal !!seq into string: no value, but the tag may be
		// the input's own.
		{regexp.MustCompile(`(?s)^cannot unmarshal (\S+) into (.*)$`), func(m []string) string {
			return "cannot unmarshal " + tag(m[1]) + " into " + goType(m[2])
		}},
		{regexp.MustCompile("(?s)^cannot decode (\\S+) `.*` as a (\\S+)$"), func(m []string) string {
			return "cannot decode " + tag(m[1]) + " " + Placeholder + " as a " + tag(m[2])
		}},
		{regexp.MustCompile(`(?s)^mapping key .* already defined at line (\d+)$`), func(m []string) string {
			return "mapping key " + Placeholder + " already defined at line " + m[1]
		}},
		{regexp.MustCompile(`(?s)^invalid map key: `), func([]string) string {
			return "invalid map key: " + Placeholder
		}},
		{regexp.MustCompile(`(?s)^field .* (not found|already set) in type (.*)$`), func(m []string) string {
			return "field " + Placeholder + " " + m[1] + " in type " + goType(m[2])
		}},
	}

	// quotedRE matches what a message may quote from the input: '…', "…"
	// with Go escapes (%q, %#v), and `…`.
	quotedRE = regexp.MustCompile("'[^']*'|\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`")
)

func tag(t string) string {
	if slices.Contains(knownTags, t) {
		return t
	}
	return Placeholder
}

func goType(t string) string {
	if goTypeRE.MatchString(t) {
		return t
	}
	return Placeholder
}

// redact rewrites one message so that it holds no input text.
func redact(msg string) string {
	if slices.Contains(quotedConstants, msg) {
		return msg
	}
	for _, s := range shapes {
		if m := s.re.FindStringSubmatch(msg); m != nil {
			return s.rewrite(m)
		}
	}
	// Any other message (a later yaml.v3, an UnmarshalText error): replace
	// whatever is quoted, and drop everything from a quote that does not
	// close, since what follows it is likely input.
	msg = quotedRE.ReplaceAllLiteralString(msg, "\x00")
	if i := strings.IndexAny(msg, "'\"`"); i >= 0 {
		msg = msg[:i] + "\x00"
	}
	return strings.ReplaceAll(msg, "\x00", Placeholder)
}

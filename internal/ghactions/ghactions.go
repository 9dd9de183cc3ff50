// Package ghactions owns what the tool prints in GitHub Actions
// (GITHUB_ACTIONS=true), where the runner reads every line of a step's
// stdout and stderr as a possible workflow command.
//
// The runner's rules (actions/runner, ActionCommandManager and
// ActionCommand.TryParseV2 / TryParse), which this package is designed
// against:
//
//   - the output is cut into lines at \n, \r and \r\n;
//   - a line whose text, after leading Unicode white space is trimmed,
//     starts with "::NAME" and holds a second "::" is the command NAME;
//   - failing that, a line holding "##[NAME" and a later "]" is the legacy
//     command NAME, wherever "##[" is on the line;
//   - "::stop-commands::TOKEN" suspends both forms, on stdout and stderr
//     alike, until a line "::TOKEN::".
//
// Pull requests control configs, manifests and service names, so any of
// that text could be a command (::set-output, ##[set-env], ##[add-mask]).
// The tool's own commands (masks, annotations, groups) go through
// WriteCommand; every other byte goes through Inert.
//
// Why escaping rather than a stop-commands token around everything else:
// the stop state is shared by stdout and stderr, which the runner reads
// concurrently, so a mask written on one stream could land inside a stop
// block opened on the other, be ignored, and print its value in the
// clear; a run cut short inside a block would leave the runner deaf to
// every later command of the step. Escaping holds line by line, whatever
// the interleaving, and needs no state in the runner.
package ghactions

import (
	"bytes"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Inert rewrites text so that no line of it is a workflow command, for the
// runner or for a stricter reader that also breaks lines at NEL, LS and PS
// (U+0085, U+2028, U+2029; .NET trims them as white space, and log
// viewers may break there):
//
//   - "##[" becomes `#\u0023[`;
//   - NEL, LS and PS become `\u0085`, `\u2028`, `\u2029`;
//   - a line whose trimmed text starts with "::" gets a `\` in front.
//
// In JSON, and in YAML double-quoted strings, the only places these can
// occur, the first two are escapes that decode to the original text, so
// a JSON report stays valid and exact; in text they show what was there.
// A JSON or YAML line never starts with "::".
func Inert(s string) string {
	if !needsInert(s) {
		return s
	}
	return insertBeforeCommands(legacyReplacer.Replace(s))
}

// insertBeforeCommands puts a backslash at the start of every line whose
// trimmed text starts with "::".
func insertBeforeCommands(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	lineStart, atLineStart := 0, true
	copied := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n' || r == '\r':
			lineStart, atLineStart = i+size, true
		case !atLineStart:
		case IsSpace(r):
		case strings.HasPrefix(s[i:], "::"):
			b.WriteString(s[copied:lineStart])
			b.WriteByte('\\')
			copied = lineStart
			atLineStart = false
		default:
			atLineStart = false
		}
		i += size
	}
	b.WriteString(s[copied:])
	return b.String()
}

var legacyReplacer = strings.NewReplacer(
	"##[", `#\u0023[`,
	"\u0085", `\u0085`,
	"\u2028", `\u2028`,
	"\u2029", `\u2029`,
)

// needsInert reports whether Inert has anything to change, the common
// case being no.
func needsInert(s string) bool {
	return strings.Contains(s, "::") || strings.Contains(s, "##[") ||
		strings.ContainsAny(s, "\u0085\u2028\u2029")
}

// IsSpace reports whether the runner's left trim (.NET char.IsWhiteSpace)
// may remove r, erring on the side of more: Unicode white space, plus the
// invisible U+180E, U+200B, U+2060 and U+FEFF.
func IsSpace(r rune) bool {
	switch r {
	case '\u180e', '\u200b', '\u2060', '\ufeff':
		return true
	}
	return unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

// EscapeData escapes the data of a workflow command (after the second
// "::"): the runner turns %25, %0D and %0A back into %, CR and LF, so the
// data stays one line; "##[" and NEL, LS, PS are made inert as by Inert.
// Not for ::add-mask:: data, which must reach the runner exactly: see
// EscapeMask.
func EscapeData(s string) string {
	return legacyReplacer.Replace(dataReplacer.Replace(s))
}

// EscapeProperty escapes a property value (title=, file=) of a workflow
// command, where ":" and "," also end the value.
func EscapeProperty(s string) string {
	return legacyReplacer.Replace(propertyReplacer.Replace(s))
}

// EscapeMask escapes the data of ::add-mask:: with only the escapes the
// runner reverses, so that the runner masks exactly the value. The line
// starts with the command, which the runner parses first, so text after
// it cannot be another command. The value must hold no NEL, LS or PS:
// mask the parts between them separately.
func EscapeMask(s string) string { return dataReplacer.Replace(s) }

var (
	dataReplacer     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyReplacer = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// commander is a writer that keeps the tool's own workflow commands apart
// from text: *Writer.
type commander interface {
	WriteCommand(line string) error
}

// MakesInert reports whether w is a *Writer: text written to it can form
// no workflow command, and only WriteCommand lines reach the runner.
func MakesInert(w io.Writer) bool {
	_, ok := w.(*Writer)
	return ok
}

// WriteCommand writes line, one workflow command built with the escapes
// above and without its newline, as a command: through w's WriteCommand
// when w is a *Writer (in Actions), else as plain text (a file, a test).
func WriteCommand(w io.Writer, line string) error {
	if c, ok := w.(commander); ok {
		return c.WriteCommand(line)
	}
	_, err := io.WriteString(w, line+"\n")
	return err
}

// Writer makes everything written to it inert (Inert, line by line)
// except the lines given to WriteCommand. It holds back a line until its
// end, since "::" or "##[" may be split between writes: call Flush when
// done. After a write fails, every later one fails with the same error.
type Writer struct {
	w       io.Writer
	pending []byte // the start of a line not yet ended
	err     error
}

// NewWriter wraps one of the step's output streams.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes every complete line of p, made inert, and keeps the rest.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.pending = append(w.pending, p...)
	end := bytes.LastIndexByte(w.pending, '\n')
	if end < 0 {
		return len(p), nil
	}
	w.put(Inert(string(w.pending[:end+1])))
	w.pending = append(w.pending[:0], w.pending[end+1:]...)
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// WriteCommand writes one of the tool's own workflow commands on a line
// of its own. line must be built with EscapeData, EscapeProperty or
// EscapeMask from text it does not control.
func (w *Writer) WriteCommand(line string) error {
	w.endLine()
	w.put(line + "\n")
	return w.err
}

// Flush writes a line that has not ended yet, with a newline so that
// whatever comes next starts a line of its own.
func (w *Writer) Flush() error {
	w.endLine()
	return w.err
}

// Err is the first error a write met, or nil.
func (w *Writer) Err() error { return w.err }

func (w *Writer) endLine() {
	if len(w.pending) == 0 {
		return
	}
	w.put(Inert(string(w.pending) + "\n"))
	w.pending = w.pending[:0]
}

func (w *Writer) put(s string) {
	if w.err != nil {
		return
	}
	_, w.err = io.WriteString(w.w, s)
}

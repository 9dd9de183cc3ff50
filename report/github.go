package report

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/secret-preflight/secret-preflight/internal/ghactions"
)

// GitHub writes GitHub Actions workflow commands: masks (with Masks set),
// one annotation per finding (::error, ::warning, ::notice), one
// ::notice per change since the baseline, then the consumer tables in
// collapsible groups and the verdict.
type GitHub struct {
	// Masks starts the output with an ::add-mask:: line per resolved
	// value. Set it only for the stdout of a step running in GitHub
	// Actions: anywhere else (a terminal, a file) the mask lines would
	// print the values in the clear. For("github") leaves it off; the CLI
	// turns it on when GITHUB_ACTIONS=true.
	Masks bool
	// Workspace is GITHUB_WORKSPACE: annotations name files relative to
	// it, or GitHub cannot attach them to the file in the UI.
	Workspace string
}

func (g GitHub) Write(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	if g.Masks {
		writeMasks(ew, r)
	}
	for _, f := range r.Findings {
		if f.Ignored != "" {
			// Silenced on purpose: no annotation; the log lists it below.
			continue
		}
		ew.command(annotation(f, g.Workspace))
	}
	for _, n := range r.Notes {
		ew.command("::notice title=" + escapeProperty("secret-preflight note") + "::" + escapeData(n))
	}
	if r.NotEnforced() {
		// The annotations above say error; the step's green tick must not
		// read as "no errors".
		// A command of the tool's own: through the text path, in Actions,
		// it would be made inert and never fire.
		ew.command("::warning title=" + escapeProperty("secret-preflight findings not enforced") + "::" + escapeData(verdictLine(r)))
	}
	if r.BaselineNote != "" {
		ew.command("::notice title=" + escapeProperty("changes since baseline") + "::" + escapeData(r.BaselineNote))
	}
	for _, c := range r.Changes {
		ew.command("::notice title=" + escapeProperty("changes since baseline: "+c.Kind) + "::" + escapeData(c.Message))
	}

	for _, s := range r.Secrets {
		var b bytes.Buffer
		writeConsumerTable(&errWriter{w: &b}, s)
		writeGroup(ew, fmt.Sprintf("secret %s (%s)", s.Name, strings.ToUpper(s.Verdict)), b.Bytes())
	}
	writeProbesGroup(ew, r)
	var ignored bytes.Buffer
	n := 0
	for _, f := range r.Findings {
		if f.Ignored != "" {
			n++
			fmt.Fprintf(&ignored, "  %s %s: %s\n          ignored: %s\n", f.Code, f.Secret, f.Message, f.Ignored)
		}
	}
	if n > 0 {
		writeGroup(ew, fmt.Sprintf("ignored findings (%d)", n), ignored.Bytes())
	}
	ew.printf("secret-preflight: %s  (%s)\n", resultWord(r), countText(r.Summary))
	if r.FingerprintScope == "run" {
		ew.printf("fingerprints use a per-run key: compare them within this report only\n")
	}
	ew.printf("%s\n", verdictLine(r))
	return ew.err
}

// WriteMasks writes only the ::add-mask:: lines, for a step in GitHub
// Actions whose stdout carries another format (the runner reads workflow
// commands from stderr as well).
func WriteMasks(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	writeMasks(ew, r)
	return ew.err
}

// writeMasks is the one place in the program that writes secret values,
// and it writes them for the GitHub runner to hide: from then on the
// runner replaces each masked string (and the encodings it derives, such as
// base64) with *** in the logs of this and every later step of the job.
// The runner matches log lines one at a time, so a multi-line value (a
// PEM key) is masked line by line; a single mask of the whole value would
// hide none of its lines. Lines are trimmed (a trimmed mask still hides the
// untrimmed text) and blank ones skipped: a mask of spaces would hide every
// space in the log.
func writeMasks(ew *errWriter, r *Report) {
	for _, line := range maskLines(r) {
		ew.command("::add-mask::" + ghactions.EscapeMask(line))
	}
}

func maskLines(r *Report) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range r.Secrets {
		for _, c := range s.Consumers {
			if !c.Value.IsSet() {
				continue
			}
			// NEL, LS and PS too: ghactions.EscapeMask keeps them, and a
			// stricter reader than the runner would break the line there.
			split := func(r rune) bool {
				return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
			}
			for _, line := range strings.FieldsFunc(string(c.Value.Reveal()), split) {
				line = strings.TrimSpace(line)
				if line == "" || seen[line] {
					continue
				}
				seen[line] = true
				out = append(out, line)
			}
		}
	}
	return out
}

// annotation is the workflow command of one finding: the message, then
// the fix on the next line of the annotation.
// workspaceRel is file relative to the workspace, with forward slashes;
// false when there is no file or it lies outside the workspace (GitHub
// could not show it). Without a workspace the path is used as given.
func workspaceRel(file, workspace string) (string, bool) {
	if file == "" {
		return "", false
	}
	if workspace == "" {
		return file, true
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(workspace, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func annotation(f *Finding, workspace string) string {
	cmd := "notice"
	switch f.Severity {
	case SevError:
		cmd = "error"
	case SevWarning:
		cmd = "warning"
	}
	title := f.Code
	if f.Secret != "" {
		title += " " + f.Secret
	}
	props := []string{"title=" + escapeProperty(title)}
	if file, ok := workspaceRel(f.File, workspace); ok {
		props = append(props, "file="+escapeProperty(file))
		if f.Line > 0 {
			props = append(props, "line="+strconv.Itoa(f.Line))
		}
	}
	msg := f.Message
	if f.Hint != "" {
		msg += "\nfix: " + f.Hint
	}
	return "::" + cmd + " " + strings.Join(props, ",") + "::" + escapeData(msg)
}

// writeGroup writes body in a collapsed ::group::. The body holds text from
// the config, the cloud and error messages.
//
// In Actions the CLI writes through a ghactions.Writer, which makes the
// body inert line by line, and no stop-commands block is opened: the
// runner's stop state is shared by stdout and stderr, so a mask written
// on stderr while the block is open on stdout would be ignored and its
// value printed in the clear.
//
// Anywhere else (a file, a terminal) command processing is stopped around
// the body, for a later step that prints the file: a line of it that reads
// like ::add-mask:: or ::error must not be run. The resume token is a
// digest of the body, which the body cannot contain, and it keeps the
// output reproducible.
func writeGroup(ew *errWriter, title string, body []byte) {
	stop := !ghactions.MakesInert(ew.w)
	sum := sha256.Sum256(body)
	token := "sp-" + hex.EncodeToString(sum[:16])
	ew.command("::group::" + escapeData(title))
	if stop {
		ew.command("::stop-commands::" + token)
	}
	ew.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		ew.printf("\n")
	}
	if stop {
		ew.command("::" + token + "::")
	}
	ew.command("::endgroup::")
}

// escapeData escapes the message of a workflow command.
func escapeData(s string) string { return ghactions.EscapeData(s) }

// escapeProperty escapes a property value (title=, file=) of a workflow
// command, where : and , end the value.
func escapeProperty(s string) string { return ghactions.EscapeProperty(s) }

// WriteGitHubOutputs writes the step outputs result, errors, warnings and
// report (a JSON report's path, or empty) in the syntax of the
// GITHUB_OUTPUT file. It writes everything in one call so an append does
// not leave half an output behind.
func WriteGitHubOutputs(w io.Writer, r *Report, reportPath string) error {
	return writeGitHubOutputs(w, r, reportPath, rand.Reader)
}

func writeGitHubOutputs(w io.Writer, r *Report, reportPath string, rnd io.Reader) error {
	outputs := []struct{ name, value string }{
		{"result", r.Result},
		{"errors", strconv.Itoa(r.Summary.Errors)},
		{"warnings", strconv.Itoa(r.Summary.Warnings)},
		{"report", reportPath},
	}
	var b strings.Builder
	for _, o := range outputs {
		if !strings.ContainsAny(o.value, "\r\n") {
			fmt.Fprintf(&b, "%s=%s\n", o.name, o.value)
			continue
		}
		delim, err := outputDelimiter(o.value, rnd)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.name, delim, o.value, delim)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// outputDelimiter picks a random heredoc delimiter that does not occur in
// the value, as actions/toolkit does: a value cannot end its own output
// early and inject another one.
func outputDelimiter(value string, rnd io.Reader) (string, error) {
	for range 10 {
		var buf [16]byte
		if _, err := io.ReadFull(rnd, buf[:]); err != nil {
			return "", fmt.Errorf("choosing an output delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(buf[:])
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", errors.New("choosing an output delimiter: every candidate occurs in the value")
}

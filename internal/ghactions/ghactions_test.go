package ghactions_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/internal/ghactions"
	"github.com/secret-preflight/secret-preflight/internal/ghactions/runnertest"
)

// Hostile is text a pull request could put in a name, a value quoted in an
// error, or an API answer, each trying to be a workflow command.
var Hostile = []string{
	"::set-output name=x::y",
	"##[add-mask]x",
	"##[set-env name=A;]b",
	"  ::warning::x",
	"\t::error::x",
	"\u00a0\u3000::notice::x",
	"\u200b::debug::x",
	"ok\r::set-env name=A::b",
	"ok\n::add-path::/tmp/evil",
	"ok\r\n  ::save-state name=s::v",
	"ok\u2028::set-output name=x::y",
	"ok\u2029::set-output name=x::y",
	"ok\u0085::set-output name=x::y",
	"a ##[set-output name=x;]y b",
	"###[add-mask]x",
	"#\u0023[add-mask]x",
	"::stop-commands::pwn",
	"::pwn::",
	"::SET-OUTPUT name=x::y",
	"::",
	":::",
	"%0A::set-output name=x::y",
}

func TestInertLeavesNoCommand(t *testing.T) {
	for _, h := range Hostile {
		for _, text := range []string{h, "prefix " + h, h + " suffix", "line\n" + h + "\n"} {
			var r runnertest.Runner
			r.Feed(ghactions.Inert(text))
			if len(r.Commands) > 0 || len(r.Suspicious) > 0 {
				t.Errorf("Inert(%q) = %q: commands %+v, suspicious %q", text, ghactions.Inert(text), r.Commands, r.Suspicious)
			}
		}
	}
}

func TestInertKeepsPlainTextAndJSON(t *testing.T) {
	for _, s := range []string{"", "plain text\n", "a: b\n", "x :: y", "# heading\n", "key=value"} {
		if got := ghactions.Inert(s); got != s {
			t.Errorf("Inert(%q) = %q, want it unchanged", s, got)
		}
	}
	// A JSON document stays valid and decodes to the same strings.
	in := map[string]string{}
	for i, h := range Hostile {
		in[string(rune('a'+i))] = h
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(in); err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(ghactions.Inert(b.String())), &out); err != nil {
		t.Fatalf("inert JSON does not decode: %v", err)
	}
	for k, v := range in {
		if out[k] != v {
			t.Errorf("%s: %q decoded as %q", k, v, out[k])
		}
	}
	var r runnertest.Runner
	r.Feed(ghactions.Inert(b.String()))
	if len(r.Commands)+len(r.Suspicious) > 0 {
		t.Errorf("JSON: commands %+v, suspicious %q", r.Commands, r.Suspicious)
	}
}

func TestEscapesKeepOneCommand(t *testing.T) {
	for _, h := range Hostile {
		var r runnertest.Runner
		r.Feed("::error title=" + ghactions.EscapeProperty(h) + ",file=" + ghactions.EscapeProperty(h) + "::" + ghactions.EscapeData(h) + "\n")
		if len(r.Commands) != 1 || r.Commands[0].Name != "error" || len(r.Suspicious) > 0 {
			t.Errorf("%q: commands %+v, suspicious %q", h, r.Commands, r.Suspicious)
			continue
		}
		if got := r.Commands[0].Props; len(got) != 2 {
			t.Errorf("%q: properties %q", h, got)
		}
	}
	// A mask reaches the runner exactly as the value.
	for _, v := range []string{"50%off", "a::b", "##[add-mask]x", "  ::warning::x"} {
		var r runnertest.Runner
		r.Feed("::add-mask::" + ghactions.EscapeMask(v) + "\n")
		if len(r.Commands) != 1 || r.Commands[0].Name != "add-mask" || r.Commands[0].Data != v {
			t.Errorf("mask of %q: %+v", v, r.Commands)
		}
	}
}

func TestWriterHoldsLinesAndPassesCommands(t *testing.T) {
	var b bytes.Buffer
	w := ghactions.NewWriter(&b)
	// A command split across writes, and after a line that has not ended.
	for _, p := range []string{"fine\n:", ":set-output name=x::y\n#", "#[add-mask]z\npartial"} {
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ghactions.WriteCommand(w, "::add-mask::secret"); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("::tail"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "fine\n\\::set-output name=x::y\n#\\u0023[add-mask]z\npartial\n::add-mask::secret\n\\::tail\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	var r runnertest.Runner
	r.Feed(b.String())
	if len(r.Commands) != 1 || r.Commands[0].Data != "secret" || len(r.Suspicious) > 0 {
		t.Errorf("commands %+v, suspicious %q", r.Commands, r.Suspicious)
	}
}

type failing struct{}

var errBroken = errors.New("broken pipe")

func (failing) Write([]byte) (int, error) { return 0, errBroken }

func TestWriterKeepsTheFirstError(t *testing.T) {
	w := ghactions.NewWriter(failing{})
	if _, err := w.Write([]byte("a line\n")); !errors.Is(err, errBroken) {
		t.Errorf("Write: %v", err)
	}
	if err := w.WriteCommand("::endgroup::"); !errors.Is(err, errBroken) {
		t.Errorf("WriteCommand: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, errBroken) || !errors.Is(w.Err(), errBroken) {
		t.Errorf("Flush: %v", err)
	}
}

// The model itself, so that the tests built on it mean something.
func TestRunnerModel(t *testing.T) {
	var r runnertest.Runner
	r.Feed(strings.Join([]string{
		"::add-mask::v",
		"  ::Warning file=a%3Ab,line=3::msg%0Anext",
		"text ##[set-env name=A;]b",
		"::unknown::x",
		"::stop-commands::tok123",
		"::error::ignored",
		"##[add-mask]ignored",
		"::tok123::",
		"::notice::after",
	}, "\n"))
	var got []string
	for _, c := range r.Commands {
		got = append(got, c.Name+"|"+c.Data)
	}
	want := []string{"add-mask|v", "warning|msg\nnext", "set-env|b", "stop-commands|tok123", "tok123|", "notice|after"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("commands %q, want %q", got, want)
	}
	if r.Commands[1].Props["file"] != "a:b" || !r.Commands[2].Legacy || r.Commands[2].Props["name"] != "A" || !r.Commands[4].Resume {
		t.Errorf("details: %+v", r.Commands)
	}
	if len(r.Suspicious) != 3 { // ::unknown::x and the two inside the block
		t.Errorf("suspicious %q", r.Suspicious)
	}
	if r.Stopped() {
		t.Error("still stopped after the resume line")
	}
}

// IsSpace must cover every character .NET's char.IsWhiteSpace accepts,
// which the runner's TrimStart removes before looking for "::".
func TestIsSpaceCoversDotNetWhiteSpace(t *testing.T) {
	dotnet := []rune{'\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680',
		'\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
		'\u2028', '\u2029', '\u202f', '\u205f', '\u3000'}
	for _, r := range dotnet {
		if !ghactions.IsSpace(r) {
			t.Errorf("IsSpace(%U) = false", r)
		}
		var m runnertest.Runner
		m.Feed(ghactions.Inert(string(r) + "::warning::x\n"))
		if len(m.Commands)+len(m.Suspicious) > 0 {
			t.Errorf("%U before ::warning:: stays a command", r)
		}
	}
}

// Package runnertest is a model, for tests, of how the GitHub Actions
// runner reads workflow commands from a step's output (actions/runner:
// ActionCommandManager.TryProcessCommand, ActionCommand.TryParseV2 and the
// legacy ActionCommand.TryParse). Tests feed it what the tool printed and
// check which commands the runner would have run.
//
// Where the runner's behaviour could be read two ways the model takes the
// stricter one: it also breaks lines at NEL, LS and PS, trims the white
// space ghactions.IsSpace names, and Suspicious reports every line that
// reads like a command, whatever its name, registered or not.
package runnertest

import (
	"strings"

	"github.com/secret-preflight/secret-preflight/internal/ghactions"
)

// Registered are the command names the runner acts on (its command
// extensions plus stop-commands), matched without regard to case.
var Registered = []string{
	"add-mask", "add-path", "set-env", "set-output", "save-state",
	"add-matcher", "remove-matcher", "debug", "notice", "warning", "error",
	"group", "endgroup", "echo", "stop-commands", "internal-set-repo-path",
}

// Command is one command the runner would act on.
type Command struct {
	Name  string            // lower case
	Props map[string]string // unescaped
	Data  string            // unescaped
	// Legacy is set for the ##[name ...]data form.
	Legacy bool
	// Resume is set when the line ended a stop-commands block.
	Resume bool
	Line   string // the line as printed
}

// Runner is the state of one step: both streams share it, as in the
// runner.
type Runner struct {
	Commands []Command
	// Suspicious are lines that were not run as commands but read like
	// one: trimmed, they start with "::", or they hold "##[". Output made
	// inert has none, inside stop-commands blocks included.
	Suspicious []string
	stopToken  string
	extra      []string // registered resume tokens
}

// Feed reads text, line by line.
func (r *Runner) Feed(text string) {
	for _, line := range Lines(text) {
		r.Line(line)
	}
}

// Lines cuts text at \r\n, \r and \n as the runner does, and at NEL, LS
// and PS as a stricter reader might.
func Lines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.FieldsFunc(text, func(r rune) bool {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			return true
		}
		return false
	})
	return lines
}

// Interleavings are the orders in which the runner may read the lines of
// a step's two streams, which it reads concurrently into one command
// state: b's lines landing as one batch before each line of a (and after
// the last), and a's landing before each line of b. Each order keeps the
// order within a stream. A stop-commands block opened on one stream then
// holds, in some order, every line of the other.
func Interleavings(a, b string) [][]string {
	la, lb := Lines(a), Lines(b)
	var out [][]string
	splice := func(x, y []string) {
		for i := 0; i <= len(x); i++ {
			order := make([]string, 0, len(x)+len(y))
			order = append(order, x[:i]...)
			order = append(order, y...)
			out = append(out, append(order, x[i:]...))
		}
	}
	splice(la, lb)
	splice(lb, la)
	return out
}

// Line processes one line as TryProcessCommand does.
func (r *Runner) Line(line string) {
	cmd, ok := parseV2(line, r.registered)
	if !ok {
		cmd, ok = parseLegacy(line, r.registered)
	}
	if !ok || r.stopToken != "" {
		r.noteSuspicious(line)
	}
	if !ok {
		return
	}
	cmd.Line = line
	if r.stopToken != "" {
		if cmd.Name == strings.ToLower(r.stopToken) {
			cmd.Resume = true
			r.stopToken, r.extra = "", nil
			r.Commands = append(r.Commands, cmd)
		}
		return
	}
	if cmd.Name == "stop-commands" && cmd.Data != "" {
		r.stopToken = cmd.Data
		r.extra = []string{strings.ToLower(cmd.Data)}
	}
	r.Commands = append(r.Commands, cmd)
}

// Stopped reports whether commands are suspended at the end of the
// output: a block that never resumed.
func (r *Runner) Stopped() bool { return r.stopToken != "" }

func (r *Runner) noteSuspicious(line string) {
	if strings.HasPrefix(strings.TrimLeftFunc(line, ghactions.IsSpace), "::") || strings.Contains(line, "##[") {
		// A resume line of our own reads like a command too.
		if r.stopToken != "" && strings.EqualFold(strings.TrimSpace(line), "::"+r.stopToken+"::") {
			return
		}
		r.Suspicious = append(r.Suspicious, line)
	}
}

func (r *Runner) registered(name string) bool {
	for _, n := range Registered {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	for _, n := range r.extra {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// parseV2 is ActionCommand.TryParseV2: ::name k=v,k=v::data.
func parseV2(line string, registered func(string) bool) (Command, bool) {
	msg := strings.TrimLeftFunc(line, ghactions.IsSpace)
	if !strings.HasPrefix(msg, "::") {
		return Command{}, false
	}
	end := strings.Index(msg[2:], "::")
	if end < 0 {
		return Command{}, false
	}
	info := msg[2 : 2+end]
	name, props, _ := strings.Cut(info, " ")
	if !registered(name) {
		return Command{}, false
	}
	c := Command{Name: strings.ToLower(name), Props: map[string]string{}, Data: unescapeData(msg[2+end+2:])}
	for _, p := range strings.Split(props, ",") {
		k, v, ok := strings.Cut(p, "=")
		if ok && k != "" && v != "" {
			c.Props[k] = unescapeProperty(v)
		}
	}
	return c, true
}

// parseLegacy is ActionCommand.TryParse: ##[name k=v;k=v]data, from the
// first "##[" of the line.
func parseLegacy(line string, registered func(string) bool) (Command, bool) {
	i := strings.Index(line, "##[")
	if i < 0 {
		return Command{}, false
	}
	rest := line[i+3:]
	rb := strings.IndexByte(rest, ']')
	if rb < 0 {
		return Command{}, false
	}
	name, props, _ := strings.Cut(rest[:rb], " ")
	if !registered(name) {
		return Command{}, false
	}
	c := Command{Name: strings.ToLower(name), Props: map[string]string{}, Data: rest[rb+1:], Legacy: true}
	for _, p := range strings.Split(props, ";") {
		k, v, ok := strings.Cut(p, "=")
		if ok && k != "" && v != "" {
			c.Props[k] = v
		}
	}
	return c, true
}

func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(s)
}

func unescapeProperty(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

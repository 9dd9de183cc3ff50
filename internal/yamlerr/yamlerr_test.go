package yamlerr

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const canary = "Hunter2Canary"

// textErr fails like an UnmarshalText that quotes its input.
type textErr struct{}

func (*textErr) UnmarshalText(b []byte) error { return fmt.Errorf("parsing %q: invalid syntax", b) }

func decodeNode(doc string) error {
	var n yaml.Node
	return yaml.Unmarshal([]byte(doc), &n)
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		err  func() error
		line int
		msg  string
	}{
		// yaml.v3 names no line here; Locate finds one.
		{"unknown anchor", func() error { return decodeNode("a: 1\nb: *" + canary + "\n") },
			0, "unknown anchor '…' referenced"},
		{"value into int", func() error {
			var v struct{ A int }
			return yaml.Unmarshal([]byte("a: "+canary+"\n"), &v)
		}, 1, "cannot unmarshal !!str '…' into int"},
		{"short value into int", func() error {
			var v struct{ A int }
			return yaml.Unmarshal([]byte("a: ab` into c\n"), &v)
		}, 1, "cannot unmarshal !!str '…' into int"},
		{"custom tag", func() error {
			var v struct{ A []int }
			return yaml.Unmarshal([]byte("a: !"+canary+" {b: c}\n"), &v)
		}, 1, "cannot unmarshal '…' '…' into []int"},
		{"several type errors", func() error {
			var v struct{ A, B int }
			return yaml.Unmarshal([]byte("a: "+canary+"\nb: [x]\n"), &v)
		}, 1, "cannot unmarshal !!str '…' into int; line 2: cannot unmarshal !!seq into int"},
		{"duplicate key", func() error {
			var v map[string]int
			return yaml.Unmarshal([]byte(canary+": 1\n"+canary+": 2\n"), &v)
		}, 2, "mapping key '…' already defined at line 1"},
		{"unknown field", func() error {
			var v struct{ A int }
			dec := yaml.NewDecoder(strings.NewReader(canary + ": 1\n"))
			dec.KnownFields(true)
			return dec.Decode(&v)
		}, 1, "field '…' not found in type struct { A int }"},
		{"UnmarshalText quoting its input", func() error {
			var v struct{ A textErr }
			return yaml.Unmarshal([]byte("a: "+canary+"\n"), &v)
		}, 0, "parsing '…': invalid syntax"},
		{"syntax: quoted syntax characters stay", func() error { return decodeNode("a: {b: c\nd: " + canary + "\n") },
			1, "did not find expected ',' or '}'"},
		// yaml.v3 counts this line from 0, and so names none for line 1.
		{"syntax: no quotes", func() error { return decodeNode("a: b: " + canary + "\n") },
			0, "mapping values are not allowed in this context"},
		{"syntax: tab", func() error { return decodeNode("a:\n\tb: " + canary + "\n") },
			2, "found character that cannot start any token"},
		{"no line", func() error { return errors.New(`yaml: input error: open "` + canary + `": nope`) },
			0, "input error: open '…': nope"},
		{"unclosed quote", func() error { return errors.New("yaml: line 4: bad `" + canary) },
			4, "bad '…'"},
		{"nil", func() error { return nil }, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil && tt.msg != "" {
				t.Fatal("no error")
			}
			line, msg := Describe(err)
			if line != tt.line || msg != tt.msg {
				t.Errorf("Describe(%q) = %d, %q; want %d, %q", err, line, msg, tt.line, tt.msg)
			}
			if strings.Contains(msg, canary) || strings.Contains(msg, "Hunter") {
				t.Errorf("message holds input: %q", msg)
			}
		})
	}
}

// TestDescribeNeverEchoes runs yaml.v3 over documents that put a canary
// where yaml quotes input, decoding into a node and into a few Go types.
func TestDescribeNeverEchoes(t *testing.T) {
	docs := []string{
		"a: *C",
		"- *C",
		"a: &x [*x]",
		"{a: *C}",
		"a: C\na: C",
		"C: 1\nC: 2",
		"a: !C x",
		"a: !!C x",
		"a: !<C> x",
		"a: !C\n  b: c",
		"a: \"C",
		"a: 'C",
		"a: C\n\tb: C",
		"a: [C",
		"a: {C",
		"? C\n",
		"a: C: b",
		"%YAML C\n---\na: b",
		"%TAG ! C\n---\na: b",
		"a: |C\n  x",
		"a: \"\\xC\"",
		"a: C\nb: *C",
		"*C: x",
	}
	targets := []func() any{
		func() any { return new(yaml.Node) },
		func() any { return new(map[string]int) },
		func() any { return new([]int) },
		func() any { return new(struct{ A []int }) },
		func() any { return new(struct{ A map[string]bool }) },
		func() any { return new(int) },
	}
	for _, d := range docs {
		for _, c := range []string{canary, "s3cr3t", "x-y_z"} {
			doc := strings.ReplaceAll(d, "C", c)
			for _, newTarget := range targets {
				err := yaml.Unmarshal([]byte(doc), newTarget())
				if err == nil {
					continue
				}
				_, msg := Describe(err)
				if strings.Contains(msg, c) {
					t.Errorf("Describe(%q) = %q: holds the input %q", err, msg, c)
				}
			}
		}
	}
}

func TestLocate(t *testing.T) {
	tests := []struct {
		name, doc string
		line, col int
	}{
		{"block value", "a: 1\nb: *C\n", 2, 4},
		{"list item", "a:\n  - x\n  - *C\n", 3, 5},
		{"flow list", "a: [x, *C]\n", 1, 8},
		{"flow map", "a: {b: *C}\n", 1, 8},
		{"after lookalikes", "# *C in a comment\na: \"*C\" # *C\nb: '*C'\nc: x*C\nd: &Cx v\ne: *Cx\nf: *C\n", 7, 4},
		{"defined later", "a: *C\nb: &C x\n", 1, 4},
		{"CRLF", "a: 1\r\nb: *C\r\n", 2, 4},
		{"multibyte before", "ü: [é, *C]\n", 1, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.ReplaceAll(tt.doc, "C", canary)
			err := decodeNode(doc)
			line, col, msg := Locate([]byte(doc), err)
			if line != tt.line || col != tt.col || msg != "unknown anchor '…' referenced" {
				t.Errorf("Locate = %d:%d %q, want %d:%d", line, col, msg, tt.line, tt.col)
			}
		})
	}
	// Errors that carry a line keep it, with no column.
	if line, col, msg := Locate([]byte("a: [b\n"), decodeNode("a: [b\n")); line != 1 || col != 0 || msg == "" {
		t.Errorf("Locate of a syntax error = %d:%d %q", line, col, msg)
	}
	if line, col, msg := Locate(nil, nil); line != 0 || col != 0 || msg != "" {
		t.Errorf("Locate(nil) = %d:%d %q", line, col, msg)
	}
}

// yaml.v3 names the line where the enclosing collection starts (counted
// from 0) for a parser error, not the line of the token it choked on:
// Locate finds that line.
func TestLocateSyntaxErrorLine(t *testing.T) {
	tests := []struct {
		name, doc string
		line      int
	}{
		{"bad indentation", "version: 1\nsecrets:\n  - name: s\n   runner: [\n", 4},
		{"bad indentation far from the list's start", "a:\n  - x\n  - y\n  - z\n  - w\n b: 1\n", 6},
		{"unclosed flow map", "version: 1\nsecrets:\n  - name: s\n    runner: {chain: [A]\n", 4},
		{"tab", "version: 1\nsecrets:\n\t- name: s\n", 3},
		{"mapping in a scalar", "a: 1\nb: c: d\n", 2},
		{"second document", "a: 1\n---\nb: 1\nc: [\n", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodeAll(tt.doc)
			if err == nil {
				t.Fatal("no error")
			}
			line, _, msg := Locate([]byte(tt.doc), err)
			if line != tt.line {
				t.Errorf("Locate = line %d (%q), want %d; yaml said %q", line, msg, tt.line, err)
			}
		})
	}
}

func decodeAll(doc string) error {
	dec := yaml.NewDecoder(strings.NewReader(doc))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return err
		}
	}
}

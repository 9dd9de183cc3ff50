package runnertest

import (
	"slices"
	"strings"
	"testing"
)

// Every order keeps each stream's own order, and the other stream lands
// before each line and after the last, both ways round.
func TestInterleavings(t *testing.T) {
	var got []string
	for _, o := range Interleavings("a1\na2\n", "b1\n") {
		got = append(got, strings.Join(o, " "))
	}
	want := []string{
		"b1 a1 a2", "a1 b1 a2", "a1 a2 b1",
		"a1 a2 b1", "b1 a1 a2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Interleavings = %q, want %q", got, want)
	}
}

// A stop-commands block opened on one stream silences the other's masks
// in the orders where they land inside it: the shared state the
// interleavings exist to expose.
func TestInterleavingsExposeSharedStopState(t *testing.T) {
	stdout := "::group::g\n::stop-commands::tok\nbody\n::tok::\n::endgroup::\n"
	stderr := "::add-mask::v\n"
	lost := 0
	for _, o := range Interleavings(stdout, stderr) {
		var r Runner
		for _, l := range o {
			r.Line(l)
		}
		if !slices.ContainsFunc(r.Commands, func(c Command) bool { return c.Name == "add-mask" }) {
			lost++
		}
	}
	if lost != 2 {
		t.Errorf("the mask was lost in %d orders, want 2 (landing after the stop and after the body)", lost)
	}
}

package config

import (
	"slices"
	"strings"

	"github.com/secret-preflight/secret-preflight/internal/typo"
)

// Error is one problem in a config file, at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every problem found in one config file, sorted by position, so
// that a user fixes them all in one round rather than one per run. Parse and
// Load return it as their error; use errors.As to get at the positions.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find a single *Error too.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// normalize sorts by position and drops exact repeats, which arise when a
// YAML alias makes the walker visit the same node more than once.
func (es Errors) normalize() Errors {
	slices.SortStableFunc(es, func(a, b *Error) int {
		if c := strings.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	return slices.CompactFunc(es, func(a, b *Error) bool { return *a == *b })
}

// suggest returns ` (did you mean "x"?)` for the closest candidate when got
// looks like a typo of it, else "".
func suggest(got string, candidates []string) string {
	hint, _ := suggestion(got, candidates)
	return hint
}

// suggestion is suggest that also returns the candidate it chose.
func suggestion(got string, candidates []string) (hint, near string) {
	best, bestDist := "", -1
	g := strings.ToLower(got)
	for _, c := range candidates {
		d := typo.Distance(g, strings.ToLower(c))
		// Short words need a tighter bound, or every three-letter key would
		// "suggest" every other one.
		limit := 1
		if len(c) > 4 {
			limit = 2
		}
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	if best == "" || best == got {
		return "", ""
	}
	return ` (did you mean "` + best + `"?)`, best
}

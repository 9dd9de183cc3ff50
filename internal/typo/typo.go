// Package typo finds names that are a typo away from each other, for "did
// you mean" hints in config errors and in reports.
package typo

import (
	"sort"
	"strings"
	"unicode"
)

// Distance is the optimal string alignment distance: Levenshtein plus
// adjacent transpositions, the most common typo ("chian").
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rolling rows: transpositions look two rows back.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Near returns the names among have that look like a misspelling of want,
// closest first, at most max of them. A name is near when it differs only
// in case, is a few edits away (one for short names, two up to 12
// characters, three beyond), or has the same words (split at '_', '-' and
// '.') reordered or with one word more or less, sharing at least two:
// STAGING_JWT_SECRET for JWT_SECRET_STAGING, JWT_SECRET for
// JWT_SECRET_STAGNG. want itself and the names in skip are never returned,
// nor names shorter than three characters or without a letter or digit
// (the shell's `_`), and an edit-distance match must keep most of the name.
func Near(want string, have, skip []string, max int) []string {
	type hit struct {
		name  string
		score int
	}
	var hits []hit
	seen := map[string]bool{want: true}
	for _, s := range skip {
		seen[s] = true
	}
	for _, h := range have {
		if seen[h] {
			continue
		}
		seen[h] = true
		if score, ok := nearness(want, h); ok {
			hits = append(hits, hit{h, score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score < hits[j].score
		}
		return hits[i].name < hits[j].name
	})
	var out []string
	for i := 0; i < len(hits) && i < max; i++ {
		out = append(out, hits[i].name)
	}
	return out
}

// nearness scores how close b is to a (lower is closer).
func nearness(a, b string) (int, bool) {
	if !nameLike(b) {
		return 0, false
	}
	la, lb := strings.ToUpper(a), strings.ToUpper(b)
	if la == lb {
		return 0, true
	}
	limit := 1
	switch n := len([]rune(a)); {
	case n > 12:
		limit = 3
	case n > 5:
		limit = 2
	}
	// The edits must leave most of the name: B is one edit from A, and
	// neither is a misspelling of the other.
	if d := Distance(la, lb); d <= limit && 3*d <= min(len([]rune(la)), len([]rune(lb))) {
		return d, true
	}
	wa, wb := words(la), words(lb)
	shared := 0
	for w, n := range wa {
		shared += min(n, wb[w])
	}
	na, nb := total(wa), total(wb)
	switch {
	case shared < 2:
		return 0, false
	case shared == na && shared == nb:
		return 4, true // the same words, reordered
	case shared == min(na, nb) && max(na, nb)-shared == 1:
		return 5, true // one word more or less: a suffix like _STAGING
	}
	return 0, false
}

// nameLike reports whether s can be worth suggesting: at least three
// characters, one of them a letter or digit. The shell's `_` (its last
// argument) and the like are in every environment and mean nothing.
func nameLike(s string) bool {
	return len([]rune(s)) >= 3 && strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

func words(s string) map[string]int {
	out := map[string]int{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		out[w]++
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

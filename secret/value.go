// Package secret holds secret values in a type that cannot be printed, and
// the keyed fingerprints that are shown and compared in their place.
package secret

import (
	"fmt"
	"strings"
)

// Redacted is what every formatting of a Value prints.
const Redacted = "[REDACTED]"

// Value is a secret value. Its String, GoString, Format, MarshalJSON,
// MarshalText and MarshalYAML methods all redact, so a value cannot reach a
// log line, an error message or a report by accident. Reveal is the only way
// to the bytes, and only code that must compare or use the value calls it.
type Value struct {
	b   []byte
	set bool
}

// New wraps b. The caller should not use b afterwards.
func New(b []byte) Value { return Value{b: b, set: true} }

// FromString wraps s.
func FromString(s string) Value { return New([]byte(s)) }

// IsSet reports whether the value was produced by a source, as opposed to
// being the zero Value.
func (v Value) IsSet() bool { return v.set }

// Len is the length of the value in bytes; it is safe to show.
func (v Value) Len() int { return len(v.b) }

// Reveal returns the raw bytes. Never pass them to anything that prints.
func (v Value) Reveal() []byte { return v.b }

// TrimSpace returns the value without surrounding whitespace, as a consumer
// that trims (config `trim: true`) would see it.
func (v Value) TrimSpace() Value {
	if !v.set {
		return v
	}
	return Value{b: []byte(strings.TrimSpace(string(v.b))), set: true}
}

// Equal compares two values in constant time with respect to their contents.
func (v Value) Equal(o Value) bool { return constantTimeEqual(v.b, o.b) }

func (v Value) String() string   { return Redacted }
func (v Value) GoString() string { return "secret.Value(" + Redacted + ")" }

// Format makes every verb, %x and %q included, print the redaction.
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, v.GoString())
		return
	}
	fmt.Fprint(f, Redacted)
}

func (v Value) MarshalJSON() ([]byte, error)      { return []byte(`"` + Redacted + `"`), nil }
func (v Value) MarshalText() ([]byte, error)      { return []byte(Redacted), nil }
func (v Value) MarshalYAML() (interface{}, error) { return Redacted, nil }

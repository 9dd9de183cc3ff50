package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
)

// Scope says whether fingerprints can be compared with another run's.
type Scope string

const (
	// ScopeRun fingerprints use a random key and mean nothing outside the run.
	ScopeRun Scope = "run"
	// ScopeStable fingerprints use SECRET_PREFLIGHT_FINGERPRINT_KEY.
	ScopeStable Scope = "stable"
)

// domain separates our HMAC inputs from any other use of the same key.
const domain = "secret-preflight/v1\x00"

// Fingerprinter computes keyed fingerprints. An unkeyed hash is never
// offered: a low-entropy secret could be recovered from it by brute force.
type Fingerprinter struct {
	key   []byte
	scope Scope
}

// NewFingerprinter uses key when it is non-empty (stable scope), else a
// random per-run key.
func NewFingerprinter(key string) (*Fingerprinter, error) {
	if key != "" {
		return &Fingerprinter{key: []byte(key), scope: ScopeStable}, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generating a fingerprint key: %w", err)
	}
	return &Fingerprinter{key: k, scope: ScopeRun}, nil
}

// Scope reports whether fingerprints are comparable across runs.
func (f *Fingerprinter) Scope() Scope { return f.scope }

// KeyID identifies a stable key: an HMAC of a fixed label, which says
// nothing about the key or any value. Empty for a per-run key.
func (f *Fingerprinter) KeyID() string {
	if f.scope != ScopeStable {
		return ""
	}
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte("secret-preflight/v1 key id"))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))[:12]
}

// Digest is the full HMAC of a value; compare digests, show Short.
func (f *Fingerprinter) Digest(v Value) []byte {
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(domain))
	m.Write(v.Reveal())
	return m.Sum(nil)
}

// Fingerprint is the displayable form: "hmac-sha256:" and 12 hex digits.
func (f *Fingerprinter) Fingerprint(v Value) string {
	return "hmac-sha256:" + hex.EncodeToString(f.Digest(v))[:12]
}

func constantTimeEqual(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

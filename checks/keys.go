package checks

import (
	"bytes"
	"crypto/subtle"
	"strings"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// Fingerprint sets what c is shown and compared by. Asymmetric key
// material (PEM, JWK, JWKS) is identified by the RFC 7638 thumbprint of
// each public key, so a runner's private key and a service's public key,
// certificate or JWKS compare equal; it is safe to show unkeyed. For HMAC
// algorithms, an "oct" JWK or JWKS compares by the keyed HMAC of its key
// bytes, so it matches the same key given raw. Anything else gets the
// keyed HMAC of the value.
func Fingerprint(c *report.Consumer, j *config.JWT, fp *secret.Fingerprinter) {
	digests, prints := keyCandidates(c.Value, j, fp)
	if len(digests) == 0 {
		c.Digest, c.Fingerprint = fp.Digest(c.Value), fp.Fingerprint(c.Value)
		return
	}
	c.Digest, c.Fingerprint = digests[0], prints[0]
	if len(digests) > 1 {
		c.KeyDigests, c.Keys = digests, prints
	}
}

func keyCandidates(v secret.Value, j *config.JWT, fp *secret.Fingerprinter) ([][]byte, []string) {
	set, err := secret.ParseKeys(v)
	if err != nil {
		return nil, nil
	}
	hmac := j != nil && strings.HasPrefix(j.Algorithm, "HS")
	var digests [][]byte
	var prints []string
	for _, k := range set.Keys {
		switch {
		case hmac && k.Symmetric() != nil:
			kv := secret.New(k.Symmetric())
			digests, prints = append(digests, fp.Digest(kv)), append(prints, fp.Fingerprint(kv))
		case !hmac && k.Thumbprint() != nil:
			digests, prints = append(digests, k.Thumbprint()), append(prints, secret.KeyFingerprint(k.Thumbprint()))
		}
	}
	return digests, prints
}

// alignKeys picks, for each consumer holding several keys (a JWKS), the
// key the comparison is about: the runner's, when the set holds it. A
// service that verifies with a JWKS agrees with the runner when the
// runner's key is one of the set, whatever else the set holds (a rotation
// publishes two keys for a while).
func alignKeys(s *report.Secret, j *config.JWT, fp *secret.Fingerprinter) {
	ref := referenceDigest(s, j, fp)
	if ref == nil {
		return
	}
	for _, c := range s.Consumers {
		for i, d := range c.KeyDigests {
			if bytes.Equal(d, ref) {
				c.Digest, c.Fingerprint = d, c.Keys[i]
				break
			}
		}
	}
}

// referenceDigest is the runner's key, else the key most single-key
// consumers hold. A runner holding several keys is known by the one
// NewSigner signs with, not by the first of its set: that may be a public
// key it cannot sign with.
func referenceDigest(s *report.Secret, j *config.JWT, fp *secret.Fingerprinter) []byte {
	counts := map[string]int{}
	var best []byte
	for _, c := range s.Consumers {
		if !c.Resolved || c.Digest == nil {
			continue
		}
		if c.Kind == string(config.KindRunner) {
			if d := signingDigest(c, j, fp); d != nil {
				return d
			}
			return c.Digest
		}
		if len(c.KeyDigests) > 0 {
			continue
		}
		counts[string(c.Digest)]++
		if best == nil || counts[string(c.Digest)] > counts[string(best)] {
			best = c.Digest
		}
	}
	return best
}

// signingDigest is the digest of the key a runner holding several keys
// signs with, nil when it holds one or cannot sign.
func signingDigest(c *report.Consumer, j *config.JWT, fp *secret.Fingerprinter) []byte {
	if len(c.KeyDigests) < 2 || j == nil || fp == nil {
		return nil
	}
	set, err := secret.ParseKeys(c.Value)
	if err != nil {
		return nil
	}
	k := signingKey(j.Algorithm, set)
	switch {
	case k == nil:
		return nil
	case k.Symmetric() != nil:
		return fp.Digest(secret.New(k.Symmetric()))
	}
	return k.Thumbprint()
}

// identities are the digests a consumer's value is known by, through the
// same path as its fingerprint: each key's for key material, else the
// keyed HMAC of the value, with and without surrounding whitespace.
func identities(v secret.Value, j *config.JWT, fp *secret.Fingerprinter) [][]byte {
	if d, _ := keyCandidates(v, j, fp); len(d) > 0 {
		return d
	}
	return [][]byte{fp.Digest(v), fp.Digest(v.TrimSpace())}
}

// secretIdentities are the identities of the secret keys in v: a
// literal's private key is known by its public half's thumbprint (a
// verifier's JWKS holds that), an HMAC key by its bytes however they are
// written. A literal public key or certificate is no secret: it has none.
func secretIdentities(v secret.Value, j *config.JWT, fp *secret.Fingerprinter) [][]byte {
	set, err := secret.ParseKeys(v)
	if err != nil {
		return [][]byte{fp.Digest(v), fp.Digest(v.TrimSpace())}
	}
	hmac := j != nil && strings.HasPrefix(j.Algorithm, "HS")
	var out [][]byte
	for _, k := range set.Keys {
		switch {
		case hmac && k.Symmetric() != nil:
			out = append(out, fp.Digest(secret.New(k.Symmetric())))
		case !hmac && k.Signer() != nil && k.Thumbprint() != nil:
			out = append(out, k.Thumbprint())
		}
	}
	return out
}

// sameKey reports whether a literal holds a secret key that v also holds,
// in whatever encoding each is written.
func sameKey(literal, v secret.Value, j *config.JWT, fp *secret.Fingerprinter) bool {
	if literal.TrimSpace().Equal(v.TrimSpace()) {
		return true
	}
	return anyEqual(secretIdentities(literal, j, fp), identities(v, j, fp))
}

// anyEqual reports whether a and b share a digest.
func anyEqual(a, b [][]byte) bool {
	for _, x := range a {
		for _, y := range b {
			if subtle.ConstantTimeCompare(x, y) == 1 {
				return true
			}
		}
	}
	return false
}

package checks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/secret"
)

// ProbeLifetime is how long a probe token is valid: long enough for one
// run's requests, short enough that a token caught in a proxy log is
// useless soon after.
const ProbeLifetime = time.Minute

// Signer signs probe tokens with one key.
type Signer struct {
	method jwt.SigningMethod
	key    any
	kid    string
}

// NewSigner reads the runner's key material for alg: HMAC bytes (or an
// "oct" JWK), or a private key in PEM or JWK form.
func NewSigner(alg string, v secret.Value) (*Signer, error) {
	method := jwt.GetSigningMethod(alg)
	if method == nil {
		return nil, fmt.Errorf("unknown algorithm %s", alg)
	}
	set, err := secret.ParseKeys(v)
	if strings.HasPrefix(alg, "HS") {
		if err == nil {
			if k := signingKey(alg, set); k != nil {
				return &Signer{method: method, key: k.Symmetric(), kid: k.KID}, nil
			}
		}
		if v.Len() == 0 {
			return nil, errors.New("the key is empty")
		}
		return &Signer{method: method, key: v.Reveal()}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the value is not PEM or JWK key material, so it cannot sign %s tokens", alg)
	}
	if k := signingKey(alg, set); k != nil {
		return &Signer{method: method, key: k.Signer(), kid: k.KID}, nil
	}
	// Name what it holds: a private key of another type or on another
	// curve is not the same mistake as a public key alone.
	for _, k := range set.Keys {
		if k.Signer() != nil && k.Public() != nil {
			return nil, fmt.Errorf("the runner's private key is %s, which cannot sign %s tokens: %s needs %s", keyKind(k.Public()), alg, alg, algNeeds(alg))
		}
	}
	return nil, fmt.Errorf("the value holds no private key that can sign %s tokens (only public keys, or keys of another type)", alg)
}

// signingKey is the key of set that signs alg tokens: the first
// symmetric key for HMAC, else the first private key of alg's type. The
// runner's reference fingerprint is this key's (referenceDigest), so
// what is compared is what is signed with.
func signingKey(alg string, set *secret.KeySet) *secret.Key {
	for _, k := range set.Keys {
		switch {
		case strings.HasPrefix(alg, "HS"):
			if k.Symmetric() != nil {
				return k
			}
		case k.Signer() != nil && keyFits(alg, k.Public()) == nil:
			return k
		}
	}
	return nil
}

// RandomSigner signs with a fresh random key of alg's type: a forged token
// that no honest consumer can verify.
func RandomSigner(alg string) (*Signer, error) {
	method := jwt.GetSigningMethod(alg)
	if method == nil {
		return nil, fmt.Errorf("unknown algorithm %s", alg)
	}
	var key any
	var err error
	switch {
	case strings.HasPrefix(alg, "HS"):
		b := make([]byte, 64)
		_, err = rand.Read(b)
		key = b
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case alg == "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case alg == "ES384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case alg == "ES512":
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case alg == "EdDSA":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("unknown algorithm %s", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generating a %s key: %w", alg, err)
	}
	return &Signer{method: method, key: key}, nil
}

// WithKID returns a signer that puts kid in the header, so a forged token
// looks like the runner's to a consumer that picks keys by kid.
func (s *Signer) WithKID(kid string) *Signer {
	c := *s
	c.kid = kid
	return &c
}

// KID is the kid the signer puts in the header, "" for none.
func (s *Signer) KID() string { return s.kid }

// Alg is the signing algorithm.
func (s *Signer) Alg() string { return s.method.Alg() }

// Sign returns a signed token. It is a credential: callers never print it.
func (s *Signer) Sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(s.method, claims)
	if s.kid != "" {
		tok.Header["kid"] = s.kid
	}
	str, err := tok.SignedString(s.key)
	if err != nil {
		// The library's message names the key's Go type, nothing of it.
		return "", fmt.Errorf("signing a %s probe token: %w", s.method.Alg(), err)
	}
	return str, nil
}

// UnsignedToken is the alg "none" form of claims (RFC 7519 section 6):
// a consumer that accepts it checks no signature at all.
func UnsignedToken(claims jwt.MapClaims, kid string) (string, error) {
	h := map[string]any{"alg": "none", "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("the probe claims cannot be written as JSON: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(hb) + "." + enc.EncodeToString(cb) + ".", nil
}

// ProbeClaims are the claims of a valid probe token: iss and aud from the
// secret's jwt: block, iat now, exp a minute ahead, then the configured
// extra claims, which may replace any of these but cannot make a token
// live longer than ProbeLifetime: an exp further ahead is cut back.
func ProbeClaims(j *config.JWT, now time.Time) jwt.MapClaims {
	limit := now.Add(ProbeLifetime).Unix()
	c := jwt.MapClaims{"iat": now.Unix(), "exp": limit}
	if j.Issuer != "" {
		c["iss"] = j.Issuer
	}
	if j.Audience != "" {
		c["aud"] = j.Audience
	}
	maps.Copy(c, j.Claims)
	// Dates given as floats are written back as saturated integers: a
	// float such as 1e30 has no int64 form, and verifiers convert it each
	// their own way (golang-jwt wraps it into the past).
	for _, k := range []string{"nbf", "iat", "exp"} {
		if t, ok := unixSeconds(c[k]); ok && (isFloat(c[k]) || t == maxUnixSeconds || t == -maxUnixSeconds) {
			c[k] = t
		}
	}
	if exp, ok := unixSeconds(c["exp"]); !ok || exp > limit {
		c["exp"] = limit
	}
	return c
}

func isFloat(v any) bool { _, ok := v.(float64); return ok }

// maxUnixSeconds is the end of year 9999: NumericDates are saturated to
// ±this, which every verifier can read back (JSON numbers are floats to
// most of them, and a float near the int64 limit wraps round on the way
// back to an integer).
const maxUnixSeconds = 253402300799

// unixSeconds reads a NumericDate as YAML or JSON decoding gives it,
// saturated to ±maxUnixSeconds: a value beyond (1e30) must read as far in
// the future, not wrap round to the past and escape the cap. NaN and
// infinities are no date.
func unixSeconds(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return clampSeconds(float64(n)), true
	case int64:
		return clampSeconds(float64(n)), true
	case uint64:
		return clampSeconds(float64(n)), true
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return 0, false
		}
		return clampSeconds(n), true
	}
	return 0, false
}

func clampSeconds(f float64) int64 {
	return int64(max(-maxUnixSeconds, min(f, maxUnixSeconds)))
}

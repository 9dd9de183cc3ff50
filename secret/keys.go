package secret

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is one key of a secret's key material: an asymmetric key pair or
// public key (PEM, JWK, certificate), or a symmetric JWK ("kty": "oct").
// It formats as its key id and thumbprint only: the private half and the
// symmetric bytes never reach a log line by accident.
type Key struct {
	// KID is the JWK's kid member; "" for PEM and for JWKs without one.
	KID string
	// Alg is the JWK's alg member, "" when it has none.
	Alg string
	// Use is the JWK's use member ("sig", "enc"), "" when it has none.
	Use string

	public     crypto.PublicKey
	private    crypto.Signer
	symmetric  []byte
	thumbprint []byte
}

// Public is the public half; nil for a symmetric key.
func (k *Key) Public() crypto.PublicKey { return k.public }

// Signer is the private half, nil when the material holds only the public
// key. Only code that signs probe tokens calls it.
func (k *Key) Signer() crypto.Signer { return k.private }

// Symmetric is the HMAC key of an "oct" JWK, nil for asymmetric keys.
// Like Value.Reveal, never pass it to anything that prints.
func (k *Key) Symmetric() []byte { return k.symmetric }

// Thumbprint is the RFC 7638 SHA-256 thumbprint of the public half; nil
// for a symmetric key, whose thumbprint would be an unkeyed hash of it.
func (k *Key) Thumbprint() []byte { return k.thumbprint }

// String names the key by what is safe to show.
func (k *Key) String() string {
	id := "symmetric key"
	if k.thumbprint != nil {
		id = KeyFingerprint(k.thumbprint)
	}
	if k.KID != "" {
		return fmt.Sprintf("kid %q (%s)", k.KID, id)
	}
	return id
}

// GoString and Format keep the private fields out of %v and %#v.
func (k *Key) GoString() string { return "secret.Key(" + k.String() + ")" }

func (k *Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// KeyFormat says how key material was written.
type KeyFormat string

const (
	FormatPEM  KeyFormat = "pem"
	FormatJWK  KeyFormat = "jwk"
	FormatJWKS KeyFormat = "jwks"
)

// KeySet is the keys a value holds, in document order.
type KeySet struct {
	Format KeyFormat
	Keys   []*Key
	// Skipped counts JWKS entries that are not keys this tool can use (an
	// encryption-only curve, an unknown kty); they cannot verify a JWS.
	Skipped int
}

// ErrNotKeyMaterial is returned for a value that is neither PEM nor JWK
// nor JWKS JSON: for HMAC algorithms, the bytes themselves are the key.
var ErrNotKeyMaterial = errors.New("not PEM, JWK or JWKS key material")

// ParseKeys reads structured key material: a JWKS document ({"keys": [...]}),
// a single JWK, or PEM (private key, public key or certificate). Errors are
// fixed sentences: JSON and PEM parser messages can quote the input, which
// may be a private key.
func ParseKeys(v Value) (*KeySet, error) {
	b := bytes.TrimSpace(v.Reveal())
	if len(b) > 0 && b[0] == '{' {
		return parseJSONKeys(b)
	}
	if pub, priv, ok := pemKey(b); ok {
		k, err := newKey(pub, priv, nil)
		if err != nil {
			return nil, err
		}
		return &KeySet{Format: FormatPEM, Keys: []*Key{k}}, nil
	}
	return nil, ErrNotKeyMaterial
}

func parseJSONKeys(b []byte) (*KeySet, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, errors.New("the value starts like JSON but is not a JSON object")
	}
	raw, isSet := probe["keys"]
	if !isSet {
		k, err := jwkKey(b)
		if err != nil {
			return nil, err
		}
		return &KeySet{Format: FormatJWK, Keys: []*Key{k}}, nil
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, errors.New(`the JWKS "keys" member is not an array`)
	}
	set := &KeySet{Format: FormatJWKS}
	for _, e := range entries {
		// One unusable entry (an X25519 key, a kty from a later RFC) must
		// not hide the signing keys next to it.
		k, err := jwkKey(e)
		if err != nil {
			set.Skipped++
			continue
		}
		set.Keys = append(set.Keys, k)
	}
	if len(set.Keys) == 0 {
		return set, fmt.Errorf("the JWKS holds no usable key (%d entries)", len(entries))
	}
	return set, nil
}

func jwkKey(b []byte) (*Key, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(b); err != nil {
		return nil, errors.New("the value is JSON but not a JWK that go-jose can read (kty RSA, EC, OKP Ed25519 or oct)")
	}
	var k *Key
	var err error
	switch key := jwk.Key.(type) {
	case []byte:
		k = &Key{symmetric: key}
	case crypto.Signer:
		k, err = newKey(key.Public(), key, nil)
	default:
		k, err = newKey(key, nil, nil)
	}
	if err != nil {
		return nil, err
	}
	k.KID, k.Alg, k.Use = jwk.KeyID, jwk.Algorithm, jwk.Use
	return k, nil
}

func newKey(pub crypto.PublicKey, priv crypto.Signer, sym []byte) (*Key, error) {
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
	tp, err := JWKThumbprint(pub)
	if err != nil {
		return nil, err
	}
	return &Key{public: pub, private: priv, symmetric: sym, thumbprint: tp}, nil
}

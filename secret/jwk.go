package secret

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// PublicKey extracts the public half of asymmetric key material: PEM (a
// private key, public key or certificate), a JWK or the first key of a
// JWKS. ok is false when v holds none of these.
func PublicKey(v Value) (crypto.PublicKey, bool) {
	set, err := ParseKeys(v)
	if err != nil {
		return nil, false
	}
	for _, k := range set.Keys {
		if k.public != nil {
			return k.public, true
		}
	}
	return nil, false
}

// pemKey returns the first key in PEM text: PKCS#1, PKCS#8 or SEC 1
// private keys (with their public half), PKIX or PKCS#1 public keys, or a
// certificate's public key.
func pemKey(rest []byte) (crypto.PublicKey, crypto.Signer, bool) {
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, nil, false
		}
		if pub, priv, ok := parsePEMBlock(block); ok {
			return pub, priv, true
		}
	}
}

func parsePEMBlock(b *pem.Block) (crypto.PublicKey, crypto.Signer, bool) {
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s.Public(), s, true
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k.Public(), k, true
	}
	if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
		return k.Public(), k, true
	}
	if k, err := x509.ParsePKIXPublicKey(b.Bytes); err == nil {
		return k, nil, true
	}
	if k, err := x509.ParsePKCS1PublicKey(b.Bytes); err == nil {
		return k, nil, true
	}
	if c, err := x509.ParseCertificate(b.Bytes); err == nil {
		return c.PublicKey, nil, true
	}
	return nil, nil, false
}

// JWKThumbprint is the RFC 7638 thumbprint (SHA-256) of a public key: the
// hash of its required JWK members in lexicographic order, as go-jose
// computes it. It identifies a key pair by its public half, so a signer's
// private key and a verifier's public key compare equal, and it is safe
// to publish.
func JWKThumbprint(pub crypto.PublicKey) ([]byte, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("thumbprint of a %T: %w", pub, err)
	}
	if len(tp) != sha256.Size {
		return nil, fmt.Errorf("thumbprint of a %T has %d bytes", pub, len(tp))
	}
	return tp, nil
}

// KeyFingerprint is the displayable thumbprint: "jwk-sha256:" and the
// base64url RFC 7638 thumbprint.
func KeyFingerprint(thumbprint []byte) string {
	return "jwk-sha256:" + base64.RawURLEncoding.EncodeToString(thumbprint)
}

package secret

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
)

// PublicKey extracts the public half of asymmetric key material in PEM: a
// private key (PKCS#1, PKCS#8, SEC 1), a public key (PKIX, PKCS#1) or a
// certificate. ok is false when v holds none of these.
func PublicKey(v Value) (crypto.PublicKey, bool) {
	rest := v.Reveal()
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, false
		}
		if pub, ok := parsePEMBlock(block); ok {
			return pub, true
		}
	}
}

func parsePEMBlock(b *pem.Block) (crypto.PublicKey, bool) {
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s.Public(), true
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k.Public(), true
	}
	if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
		return k.Public(), true
	}
	if k, err := x509.ParsePKIXPublicKey(b.Bytes); err == nil {
		return k, true
	}
	if k, err := x509.ParsePKCS1PublicKey(b.Bytes); err == nil {
		return k, true
	}
	if c, err := x509.ParseCertificate(b.Bytes); err == nil {
		return c.PublicKey, true
	}
	return nil, false
}

// JWKThumbprint is the RFC 7638 thumbprint (SHA-256) of a public key: the
// hash of its required JWK members in lexicographic order. It identifies a
// key pair by its public half, so a signer's private key and a verifier's
// public key compare equal, and it is safe to publish.
func JWKThumbprint(pub crypto.PublicKey) ([]byte, error) {
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	var members string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		members = fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, b64(big.NewInt(int64(k.E)).Bytes()), b64(k.N.Bytes()))
	case *ecdsa.PublicKey:
		crv, size := "", (k.Curve.Params().BitSize+7)/8
		switch k.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
			crv = k.Curve.Params().Name
		default:
			return nil, fmt.Errorf("unsupported curve %s", k.Curve.Params().Name)
		}
		members = fmt.Sprintf(`{"crv":"%s","kty":"EC","x":"%s","y":"%s"}`, crv, b64(k.X.FillBytes(make([]byte, size))), b64(k.Y.FillBytes(make([]byte, size))))
	case ed25519.PublicKey:
		members = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":"%s"}`, b64(k))
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
	sum := sha256.Sum256([]byte(members))
	return sum[:], nil
}

// KeyFingerprint is the displayable thumbprint: "jwk-sha256:" and the
// base64url RFC 7638 thumbprint.
func KeyFingerprint(thumbprint []byte) string {
	return "jwk-sha256:" + base64.RawURLEncoding.EncodeToString(thumbprint)
}

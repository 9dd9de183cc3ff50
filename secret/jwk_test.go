package secret

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"testing"
)

// RFC 7638 section 3.1 gives this RSA key and its thumbprint.
func TestJWKThumbprintRFC7638Example(t *testing.T) {
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if err != nil {
		t.Fatal(err)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	tp, err := JWKThumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	if got := KeyFingerprint(tp); got != "jwk-sha256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Errorf("thumbprint %s", got)
	}
}

// A private key and its public key, in every PEM form, identify the same
// key pair; another key does not.
func TestPublicKeyFromPEMForms(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	pemOf := func(typ string, der []byte) Value {
		return New(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	must := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string][]Value{
		"rsa": {
			pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)),
			pemOf("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(rsaKey))),
			pemOf("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(&rsaKey.PublicKey))),
			pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)),
		},
		"ec": {
			pemOf("EC PRIVATE KEY", must(x509.MarshalECPrivateKey(ecKey))),
			pemOf("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(&ecKey.PublicKey))),
		},
		"ed25519": {
			pemOf("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(edPriv))),
			pemOf("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(edPub))),
		},
	}
	seen := map[string]string{}
	for name, forms := range cases {
		var first string
		for i, v := range forms {
			pub, ok := PublicKey(v)
			if !ok {
				t.Fatalf("%s form %d: not recognised", name, i)
			}
			tp, err := JWKThumbprint(pub)
			if err != nil {
				t.Fatal(err)
			}
			fp := KeyFingerprint(tp)
			if i == 0 {
				first = fp
			} else if fp != first {
				t.Errorf("%s form %d: %s, want %s", name, i, fp, first)
			}
		}
		if other, dup := seen[first]; dup {
			t.Errorf("%s and %s share a thumbprint", name, other)
		}
		seen[first] = name
	}
	if _, ok := PublicKey(FromString("an HMAC secret, not PEM")); ok {
		t.Error("a plain secret is not a key")
	}
}

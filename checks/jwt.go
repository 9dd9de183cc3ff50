package checks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/secret"
)

// VerifyToken says why a consumer holding key would refuse token under the
// secret's jwt settings, or returns nil when it would accept it. Reasons
// are fixed sentences: the JWT library's own messages can quote parts of
// the token, which is a credential too.
func VerifyToken(token string, j *config.JWT, key secret.Value, now time.Time) error {
	unverified, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		return errors.New("the token is malformed (not three base64url parts with JSON header and claims)")
	}
	if alg := unverified.Method.Alg(); alg != j.Algorithm {
		return fmt.Errorf("the token is signed with %s, but the config says %s: consumers verifying %s refuse it", alg, j.Algorithm, j.Algorithm)
	}
	keyFunc := func(*jwt.Token) (any, error) {
		if strings.HasPrefix(j.Algorithm, "HS") {
			return key.Reveal(), nil
		}
		pub, ok := secret.PublicKey(key)
		if !ok {
			return nil, errNotAKey
		}
		if err := keyFits(j.Algorithm, pub); err != nil {
			return nil, err
		}
		return pub, nil
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{j.Algorithm}), jwt.WithTimeFunc(func() time.Time { return now })}
	if j.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(j.Issuer))
	}
	if j.Audience != "" {
		opts = append(opts, jwt.WithAudience(j.Audience))
	}
	_, err = jwt.Parse(token, keyFunc, opts...)
	return tokenReason(err, j)
}

var errNotAKey = errors.New("the consumer's value is not a PEM key, so it cannot verify an asymmetric signature")

// keyMismatch says the consumer's key is of another kind than the algorithm
// needs; the library would only say the signature is invalid.
type keyMismatch struct{ msg string }

func (k *keyMismatch) Error() string { return k.msg }

func keyFits(alg string, pub crypto.PublicKey) error {
	var want string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS") {
			return nil
		}
		want = "an RSA key"
	case *ecdsa.PublicKey:
		curve := map[string]string{"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
		if curve == k.Curve.Params().Name {
			return nil
		}
		want = "an EC key on " + k.Curve.Params().Name
	case ed25519.PublicKey:
		if alg == "EdDSA" {
			return nil
		}
		want = "an Ed25519 key"
	default:
		want = fmt.Sprintf("a %T", pub)
	}
	return &keyMismatch{fmt.Sprintf("the consumer holds %s, which cannot verify %s signatures", want, alg)}
}

// tokenReason maps the library's sentinel errors to sentences that hold
// nothing of the token.
func tokenReason(err error, j *config.JWT) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNotAKey):
		return errNotAKey
	case errors.As(err, new(*keyMismatch)):
		var km *keyMismatch
		errors.As(err, &km)
		return km
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return errors.New("the signature does not verify with this consumer's key: the token was signed with another key")
	case errors.Is(err, jwt.ErrTokenExpired):
		return errors.New("the token has expired (exp is in the past)")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return errors.New("the token is not valid yet (nbf is in the future)")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return errors.New("the token was issued in the future (iat): check the minting machine's clock")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return fmt.Errorf("the issuer (iss) is not %q", j.Issuer)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return fmt.Errorf("the audience (aud) does not include %q", j.Audience)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return errors.New("the token is malformed")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return errors.New("the token cannot be verified with this consumer's key material")
	}
	return errors.New("the token is invalid")
}

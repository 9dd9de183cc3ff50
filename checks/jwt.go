package checks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/secret"
)

// SP160 reasons (DESIGN.md 5a): each refusal names exactly one.
const (
	ReasonSignature   = "signature"
	ReasonAlgorithm   = "algorithm"
	ReasonIssuer      = "issuer"
	ReasonAudience    = "audience"
	ReasonExpired     = "expired"
	ReasonNotYetValid = "not_yet_valid"
	ReasonKID         = "kid"
	ReasonKeyType     = "key_type"
	// ReasonMalformed is for tokens given to the token command that are
	// not JWTs; the tool's own probe tokens never are.
	ReasonMalformed = "malformed"
)

// SP160Reasons are the only reason words an SP160 finding carries.
var SP160Reasons = []string{ReasonSignature, ReasonAlgorithm, ReasonIssuer, ReasonAudience,
	ReasonExpired, ReasonNotYetValid, ReasonKID, ReasonKeyType}

// Refusal says why a consumer would refuse a token: one reason word and a
// sentence. Sentences are fixed or name only config values: the JWT
// library's own messages can quote parts of the token, a credential too.
type Refusal struct {
	Reason string
	Detail string
	// KID is the token's kid when it picked the consumer's keys that
	// then failed the signature: the kid names another key. Hints use it;
	// Detail never names it (a second reason word).
	KID string
}

func (r *Refusal) Error() string { return r.Detail }

// VerifyToken says why a consumer holding key would refuse token under the
// secret's jwt settings, or returns nil when it would accept it.
func VerifyToken(token string, j *config.JWT, key secret.Value, now time.Time) error {
	if r := Verify(token, key, config.EffectiveJWT(j, nil), now); r != nil {
		return r
	}
	return nil
}

// Verify checks token as a consumer holding key material v (HMAC bytes,
// PEM, JWK or JWKS) and expecting exp would: the algorithm, a key of the
// right type, the kid, the signature, then exp, nbf, iss and aud. It
// returns the first refusal, nil when the consumer accepts the token.
func Verify(token string, v secret.Value, exp config.ConsumerJWT, now time.Time) *Refusal {
	unverified, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		return &Refusal{Reason: ReasonMalformed, Detail: "the token is malformed (not three base64url parts with JSON header and claims)"}
	}
	alg := unverified.Method.Alg()
	if !slices.Contains(exp.Algorithms, alg) {
		return &Refusal{Reason: ReasonAlgorithm, Detail: fmt.Sprintf("the token is signed with %s, but the config says %s: consumers verifying %s refuse it",
			alg, strings.Join(exp.Algorithms, ", "), strings.Join(exp.Algorithms, " or "))}
	}
	kid, _ := unverified.Header["kid"].(string)
	keys, r := verificationKeys(alg, v)
	if r != nil {
		return r
	}
	pickedBy := ""
	if kid != "" {
		var withKID, matching []verificationKey
		for _, k := range keys {
			if k.kid != "" {
				withKID = append(withKID, k)
			}
			if k.kid == kid {
				matching = append(matching, k)
			}
		}
		switch {
		case len(matching) > 0:
			keys, pickedBy = matching, kid
		case len(withKID) > 0:
			var ids []string
			for _, k := range withKID {
				ids = append(ids, fmt.Sprintf("%q", k.kid))
			}
			return &Refusal{Reason: ReasonKID, Detail: fmt.Sprintf("the consumer has no key with the token's kid %q (it has %s)", kid, strings.Join(ids, ", "))}
		}
	}
	verified := false
	for _, k := range keys {
		_, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return k.key, nil },
			jwt.WithValidMethods([]string{alg}), jwt.WithoutClaimsValidation())
		if err == nil {
			verified = true
			break
		}
	}
	switch {
	case !verified && pickedBy != "":
		return &Refusal{Reason: ReasonSignature, Detail: "the signature does not verify with the key this consumer picks for the token by its header: that is another key than the runner's", KID: pickedBy}
	case !verified:
		return &Refusal{Reason: ReasonSignature, Detail: "the signature does not verify with this consumer's key: the token was signed with another key"}
	}
	return claimsRefusal(token, exp, now)
}

// claimsRefusal validates the registered claims of a token whose
// signature verified.
func claimsRefusal(token string, exp config.ConsumerJWT, now time.Time) *Refusal {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return &Refusal{Reason: ReasonMalformed, Detail: "the token's claims are not a JSON object"}
	}
	opts := []jwt.ParserOption{jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithLeeway(exp.Leeway), jwt.WithIssuedAt()}
	if exp.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(exp.Issuer))
	}
	if exp.Audience != "" {
		opts = append(opts, jwt.WithAudience(exp.Audience))
	}
	err := jwt.NewValidator(opts...).Validate(claims)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrTokenExpired):
		return &Refusal{Reason: ReasonExpired, Detail: "the token has expired (exp is in the past)"}
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return &Refusal{Reason: ReasonNotYetValid, Detail: "the token is not valid yet (nbf is in the future)"}
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return &Refusal{Reason: ReasonNotYetValid, Detail: "the token was issued in the future (iat): check the minting machine's clock"}
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return &Refusal{Reason: ReasonIssuer, Detail: fmt.Sprintf("the issuer (iss) is not %q", exp.Issuer)}
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return &Refusal{Reason: ReasonAudience, Detail: fmt.Sprintf("the audience (aud) does not include %q", exp.Audience)}
	}
	return claimTypeRefusal(claims, exp)
}

// claimTypeRefusal names the registered claim a verifier cannot read, in
// the reason word of what it then cannot check: an exp that is no number
// leaves expiry unchecked, so it is "expired", and so on. Only a refusal
// with no such claim is malformed (the token command's word, never
// SP160's).
func claimTypeRefusal(claims jwt.MapClaims, exp config.ConsumerJWT) *Refusal {
	if _, err := claims.GetExpirationTime(); err != nil {
		return &Refusal{Reason: ReasonExpired, Detail: "the token's exp is not a NumericDate (a number), so the consumer cannot tell whether it has expired"}
	}
	if _, err := claims.GetNotBefore(); err != nil {
		return &Refusal{Reason: ReasonNotYetValid, Detail: "the token's nbf is not a NumericDate (a number), so the consumer cannot tell whether it is valid yet"}
	}
	if _, err := claims.GetIssuedAt(); err != nil {
		return &Refusal{Reason: ReasonNotYetValid, Detail: "the token's iat is not a NumericDate (a number), so the consumer cannot tell whether it is valid yet"}
	}
	if _, err := claims.GetIssuer(); err != nil {
		return &Refusal{Reason: ReasonIssuer, Detail: "the issuer claim (iss) is not a string"}
	}
	if aud, err := claims.GetAudience(); err != nil || (exp.Audience != "" && len(aud) == 0) {
		return &Refusal{Reason: ReasonAudience, Detail: "the audience claim (aud) is neither a string nor a list of strings"}
	}
	if iss, _ := claims.GetIssuer(); exp.Issuer != "" && iss == "" {
		return &Refusal{Reason: ReasonIssuer, Detail: "the issuer claim (iss) is missing or empty"}
	}
	return &Refusal{Reason: ReasonMalformed, Detail: "the token's claims are invalid"}
}

type verificationKey struct {
	kid string
	key any
}

// verificationKeys are the keys of v that can verify alg.
func verificationKeys(alg string, v secret.Value) ([]verificationKey, *Refusal) {
	set, err := secret.ParseKeys(v)
	if strings.HasPrefix(alg, "HS") {
		if err != nil {
			// Plain bytes: the common case, the value is the key.
			return []verificationKey{{key: v.Reveal()}}, nil
		}
		var out []verificationKey
		var marked *secret.Key
		for _, k := range set.Keys {
			switch {
			case k.Symmetric() == nil:
			case jwkAlgFits(k, alg):
				out = append(out, verificationKey{kid: k.KID, key: k.Symmetric()})
			case marked == nil:
				marked = k
			}
		}
		switch {
		case len(out) > 0:
			return out, nil
		case marked != nil:
			// The shared bytes are there; the JWK's own alg or use
			// forbids them for alg, as JOSE libraries honour.
			return nil, &Refusal{Reason: ReasonKeyType, Detail: fmt.Sprintf("the consumer's HMAC key (an oct JWK) %s %s, so a verifier honouring the JWK will not use it for %s tokens", markedFor, jwkMarks(marked), alg)}
		}
		return nil, &Refusal{Reason: ReasonKeyType, Detail: fmt.Sprintf("the consumer holds an asymmetric key (%s), which cannot verify %s: HMAC needs the shared secret bytes", set.Format, alg)}
	}
	if err != nil {
		return nil, &Refusal{Reason: ReasonKeyType, Detail: fmt.Sprintf("the consumer's value is not PEM, JWK or JWKS key material, so it cannot verify %s tokens", alg)}
	}
	var out []verificationKey
	var mismatch error
	for _, k := range set.Keys {
		if k.Public() == nil {
			mismatch = fmt.Errorf("the consumer holds a symmetric key, which cannot verify %s tokens", alg)
			continue
		}
		if err := keyFits(alg, k.Public()); err != nil {
			mismatch = err
			continue
		}
		if !jwkAlgFits(k, alg) {
			// Named by thumbprint alone: its kid would put a second
			// reason word in an SP160 message.
			mismatch = fmt.Errorf("the consumer's key %s %s %s, not %s", secret.KeyFingerprint(k.Thumbprint()), markedFor, jwkMarks(k), alg)
			continue
		}
		out = append(out, verificationKey{kid: k.KID, key: k.Public()})
	}
	if len(out) == 0 {
		return nil, &Refusal{Reason: ReasonKeyType, Detail: mismatch.Error()}
	}
	return out, nil
}

// markedFor is how a refusal says a JWK's alg or use member rules it out;
// refusalHint looks for it to give the fix for the JWK, not the key.
const markedFor = "is marked for"

// jwkMarks says what a JWK's alg and use members allow.
func jwkMarks(k *secret.Key) string {
	var out []string
	if k.Alg != "" {
		out = append(out, fmt.Sprintf("alg %q", k.Alg))
	}
	if k.Use != "" {
		out = append(out, fmt.Sprintf("use %q", k.Use))
	}
	return strings.Join(out, " and ")
}

// jwkAlgFits honours a JWK's alg and use members, as JOSE libraries do.
func jwkAlgFits(k *secret.Key, alg string) bool {
	return (k.Alg == "" || k.Alg == alg) && (k.Use == "" || k.Use == "sig")
}

func keyFits(alg string, pub crypto.PublicKey) error {
	if kindFits(alg, pub) {
		return nil
	}
	return fmt.Errorf("the consumer holds %s, which cannot verify %s tokens: %s needs %s", keyKind(pub), alg, alg, algNeeds(alg))
}

// kindFits reports whether a key of pub's type (and curve) can sign or
// verify alg.
func kindFits(alg string, pub crypto.PublicKey) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		return ecCurves[alg] == k.Curve.Params().Name
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// ecCurves is the curve each ECDSA algorithm is defined on (RFC 7518
// section 3.4): a key on another curve cannot sign or verify it, however
// strong it is.
var ecCurves = map[string]string{"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}

// keyKind names a public key's type, and an EC key's curve.
func keyKind(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PublicKey:
		return "an EC key on " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "an Ed25519 key"
	}
	return fmt.Sprintf("a %T", pub)
}

// algNeeds names the key type alg signs and verifies with.
func algNeeds(alg string) string {
	switch {
	case strings.HasPrefix(alg, "HS"):
		return "the shared HMAC bytes"
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return "an RSA key"
	case ecCurves[alg] != "":
		return "an EC key on " + ecCurves[alg]
	case alg == "EdDSA":
		return "an Ed25519 key"
	}
	return "a key of another type"
}

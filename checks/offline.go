package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
)

// offlineProbe reports SP160: it signs a probe token with the runner's key
// and verifies it as each resolved service consumer would, with the
// consumer's key and expectations. Notes say what could not be checked.
// disagree says an SP100 was reported for the secret, which a hint may
// then point to.
func offlineProbe(cs *config.Secret, s *report.Secret, now time.Time, disagree bool) ([]*report.Finding, []string) {
	if cs == nil || cs.JWT == nil {
		return nil, nil
	}
	var runner *report.Consumer
	for _, c := range s.Consumers {
		if c.Kind == string(config.KindRunner) && c.Resolved {
			runner = c
		}
	}
	if runner == nil {
		if cs.Runner == nil {
			// Nothing says so otherwise: the services may agree with each
			// other, yet nobody checked they accept the helper's tokens.
			return nil, []string{fmt.Sprintf("%s: SP160 not checked: the secret has no runner, so there is no runner key to sign a probe token with", s.Name)}
		}
		return nil, nil // SP101/SP102 already says why the runner has no key
	}
	// A runner that cannot sign is the failure SP160 exists for: the test
	// helper could not mint a single token the services accept, so E2E
	// tests would fail. A note would let the run pass.
	signer, err := NewSigner(cs.JWT.Algorithm, runner.Value)
	if err != nil {
		return []*report.Finding{runnerCannotSign(cs, s, runner, err)}, nil
	}
	tok, err := signer.Sign(ProbeClaims(cs.JWT, now))
	if err != nil {
		return []*report.Finding{runnerCannotSign(cs, s, runner, err)}, nil
	}
	var out []*report.Finding
	for _, c := range s.Consumers {
		if c.Kind == string(config.KindRunner) || !c.Resolved {
			continue
		}
		exp := Expectations(cs, c)
		r := Verify(tok, c.Value, exp, now)
		if r == nil {
			continue
		}
		reason := r.Reason
		if !slices.Contains(SP160Reasons, reason) {
			// A probe token is well formed by construction, and every
			// registered claim maps to a word: this is a verifier that
			// cannot check the token's signature over what it reads.
			reason = ReasonSignature
		}
		out = append(out, &report.Finding{
			Code: "SP160", Severity: report.SevError, Secret: s.Name, Consumers: []string{c.ID},
			Reason:  reason,
			Message: fmt.Sprintf("%s refuses a probe token signed with the runner's key: %s: %s", c.ID, reason, r.Detail),
			Hint:    refusalHint(r, cs.JWT, exp, signer.KID(), disagree),
			File:    c.File, Line: c.Line,
		})
	}
	return out, nil
}

// runnerCannotSign is SP160 key_type for a runner whose key material
// cannot sign the secret's algorithm: a certificate or public key only,
// a key of another type, or a signing error.
func runnerCannotSign(cs *config.Secret, s *report.Secret, runner *report.Consumer, err error) *report.Finding {
	return &report.Finding{
		Code: "SP160", Severity: report.SevError, Secret: s.Name, Consumers: []string{runner.ID},
		Reason: ReasonKeyType,
		// The reason word in the message, as in every SP160 (the formats
		// other than JSON show no reason field).
		Message: fmt.Sprintf("%s cannot sign %s probe tokens: %s: the test helper cannot mint tokens with what it holds: %v",
			runner.ID, cs.JWT.Algorithm, ReasonKeyType, err),
		Hint: fmt.Sprintf("give the runner the private key (PEM or JWK) whose public half the services hold, of the type %s needs (%s): a certificate or public key can only verify", cs.JWT.Algorithm, algNeeds(cs.JWT.Algorithm)),
		File: runner.File, Line: runner.Line,
	}
}

// signatureHint says what to change for a signature refusal, in the
// situation at hand: a kid that picks another key, a disagreement SP100
// already describes, or neither (the fingerprints agree, so no SP100 to
// point to).
func signatureHint(r *Refusal, j *config.JWT, disagree bool) string {
	switch {
	case r.KID != "":
		h := fmt.Sprintf("the service's key under kid %q is not the runner's public key: publish the runner's public key under that kid in the service's JWKS (retiring the other key), or give the runner's key the kid its public key is published under", r.KID)
		if disagree {
			h += "; SP100 names the key each side holds"
		}
		return h
	case disagree:
		return "the service verifies with another key than the runner signs with: make both read the same secret version (see SP100), or add the runner's public key to the service's JWKS"
	case j != nil && strings.HasPrefix(j.Algorithm, "HS"):
		return "the service verifies with other bytes than the runner signs with: give both the same key"
	}
	return "the service verifies with another key than the runner signs with: add the runner's public key to the service's key material (its JWKS, or the PEM or certificate it reads)"
}

// Expectations are what consumer c of secret cs expects of a token: its
// own jwt: override over the secret's jwt: block.
func Expectations(cs *config.Secret, c *report.Consumer) config.ConsumerJWT {
	return config.EffectiveJWT(cs.JWT, consumerJWT(cs, c))
}

// consumerJWT finds the jwt: override of the configured service consumer
// report consumer c was expanded from, by its full position: two
// flow-style consumers can share a line, and each must get its own
// expectations, not its neighbour's. A consumer without a column (built
// by hand, not by a run) matches by line only when that is unambiguous.
func consumerJWT(cs *config.Secret, c *report.Consumer) *config.ConsumerJWT {
	var onLine []*config.Consumer
	for _, sc := range cs.Services {
		if sc.Pos.File != c.File || sc.Pos.Line != c.Line {
			continue
		}
		if sc.Pos.Col == c.Col {
			return sc.JWT
		}
		onLine = append(onLine, sc)
	}
	if c.Col == 0 && len(onLine) == 1 {
		return onLine[0].JWT
	}
	return nil
}

// refusalHint says what to change for each reason, in the terms of the
// two sides: the test helper that mints tokens and the service's code.
// disagree says the secret has an SP100, which names each side's value.
func refusalHint(r *Refusal, j *config.JWT, exp config.ConsumerJWT, kid string, disagree bool) string {
	switch r.Reason {
	case ReasonSignature:
		return signatureHint(r, j, disagree)
	case ReasonAlgorithm:
		return fmt.Sprintf("make the helper sign with one of %s (jwt.algorithm), or let the service accept %s (consumer jwt.algorithms, and the service's code)", strings.Join(exp.Algorithms, ", "), j.Algorithm)
	case ReasonIssuer:
		return fmt.Sprintf("set the helper's iss to %q (jwt.issuer), or change the issuer the service expects to %q", exp.Issuer, j.Issuer)
	case ReasonAudience:
		return fmt.Sprintf("set the helper's aud to %q (jwt.audience), or add %q to the audiences the service expects", exp.Audience, j.Audience)
	case ReasonExpired:
		return "the helper's tokens reach the service expired: drop exp from jwt.claims, and check the service's clock and its leeway (consumer jwt.leeway)"
	case ReasonNotYetValid:
		return "the helper's tokens are not yet valid for the service: drop nbf/iat from jwt.claims, sync the clocks, or give the service a leeway (consumer jwt.leeway)"
	case ReasonKID:
		return fmt.Sprintf("publish the runner's public key under kid %q in the service's JWKS, or give the runner's key the kid the service publishes", kid)
	case ReasonKeyType:
		if strings.Contains(r.Detail, markedFor) {
			return fmt.Sprintf("the service's JWK limits what its key may verify: set its alg to %s and its use to sig (or drop both), or sign with the algorithm it is marked for (jwt.algorithm)", j.Algorithm)
		}
		return fmt.Sprintf("give the service key material of the type %s needs (%s): the shared bytes for HS*, the public key (PEM, certificate, JWK or JWKS) of the runner's RSA, EC or Ed25519 key otherwise", j.Algorithm, algNeeds(j.Algorithm))
	}
	return "fix the token's claims so that the service can read them"
}

package checks

import (
	"context"
	"encoding/json"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// A deployed key is SP121 when it is a literal of the config written in
// another encoding: an HMAC literal served as an "oct" JWK, a private key
// literal whose public half is the deployed JWKS. Another key is not, nor
// is a literal that holds only a public key.
func TestLiveKeyWrittenInCodeInAnotherEncoding(t *testing.T) {
	hs := "staging-jwt-secret-key-0123456789abcdef"
	oct, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte(hs), KeyID: "hs"}}})
	ec := formsOf(t, newPair(t, "ES256"), "k1")
	other := formsOf(t, newPair(t, "ES256"), "k1")
	cases := []struct {
		name, alg, literal, deployed string
		want                         bool
	}{
		{"HMAC literal, oct JWKS deployed", "HS256", hs, string(oct), true},
		{"private PEM literal, public JWKS deployed", "ES256", ec.private, ec.jwks, true},
		{"private PEM literal, certificate deployed", "ES256", ec.private, ec.cert, true},
		{"private PEM literal, another key pair deployed", "ES256", ec.private, other.jwks, false},
		{"public key literal, its JWKS deployed", "ES256", ec.publicPEM, ec.jwks, false},
		{"HMAC literal, another oct key deployed", "HS256", hs + "-rotated", string(oct), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, s := jwtSecret(&config.JWT{Algorithm: c.alg}, c.deployed, consumer("manifest:api.yaml/app", "file", c.deployed))
			cfg.Secrets[0].Runner.Chain = []config.Link{{Kind: config.LinkEnv, Name: "JWT"},
				{Kind: config.LinkLiteral, Literal: secret.FromString(c.literal), Pos: config.Pos{File: "c.yaml", Line: 3, Col: 9}}}
			rep := runKeyed(t, cfg, s)
			f := has(rep, "SP121")
			if got := f != nil; got != c.want {
				t.Fatalf("SP121 %v, want %v (findings %v)", got, c.want, codes(rep))
			}
			if f != nil && f.Consumers[0] != "manifest:api.yaml/app" {
				t.Errorf("SP121 names %v", f.Consumers)
			}
		})
	}
}

// The literal probe is not sent with a literal that is the deployed key
// in another encoding: here the services hold it as an "oct" JWK, and a
// correct endpoint letting that token in is no dual-key validation.
func TestLiteralProbeSkipsTheDeployedKeyInAnotherEncoding(t *testing.T) {
	ep := &endpoint{mode: "correct"}
	srv := quietTLS(ep)
	defer srv.Close()
	cfg, rep := probeSetup(srv.URL, config.TokenHeader)
	oct, _ := json.Marshal(jose.JSONWebKey{Key: []byte(probeKey), KeyID: "hs"})
	cfg.Secrets[0].Runner.Chain[1].Literal = secret.FromString(probeKey)
	rep.Secrets[0].Consumers = []*report.Consumer{consumer("runner", "env", string(oct)), consumer("cloudrun:api@api-1/app", "env", string(oct))}
	res := (&Prober{Client: srv.Client()}).Run(context.Background(), cfg, rep)
	for _, p := range res.Probes {
		if p.Probe == ProbeLiteral {
			t.Errorf("a literal probe was sent with the deployed key (status %d)", p.Status)
		}
	}
	if len(res.Findings) != 0 {
		t.Errorf("findings against a correct endpoint: %v", res.Findings[0].Message)
	}
}

// A runner that resolved to its own literal does not make that literal
// "deployed": an endpoint that accepts it beside the services' key is
// SP163 literal.
func TestLiteralProbeSentWhenRunnerHoldsTheLiteral(t *testing.T) {
	ep := &endpoint{mode: "secondkey"}
	srv := quietTLS(ep)
	defer srv.Close()
	cfg, rep := probeSetup(srv.URL, config.TokenHeader)
	rep.Secrets[0].Consumers[0] = consumer("runner", "literal", probeLit)
	res := (&Prober{Client: srv.Client()}).Run(context.Background(), cfg, rep)
	var found *report.Finding
	for _, f := range res.Findings {
		if f.Code == "SP163" && f.Reason == ProbeLiteral {
			found = f
		}
	}
	if found == nil {
		t.Fatalf("no SP163 literal against an endpoint that accepts the literal; findings %d", len(res.Findings))
	}
}

// With no service's key known, a runner on its literal is the best guess
// at the deployed key: no literal probe claims otherwise.
func TestNoLiteralProbeWhenNoServiceKeyIsKnown(t *testing.T) {
	ep := &endpoint{mode: "secondkey"}
	srv := quietTLS(ep)
	defer srv.Close()
	cfg, rep := probeSetup(srv.URL, config.TokenHeader)
	rep.Secrets[0].Consumers[0] = consumer("runner", "literal", probeLit)
	rep.Secrets[0].Consumers[1].Resolved = false
	res := (&Prober{Client: srv.Client()}).Run(context.Background(), cfg, rep)
	for _, p := range res.Probes {
		if p.Probe == ProbeLiteral {
			t.Errorf("a literal probe was sent with the runner's key while no service key is known")
		}
	}
}

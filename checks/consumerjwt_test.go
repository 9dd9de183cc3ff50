package checks

import (
	"testing"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
)

// Two flow-style service consumers on one config line each get their own
// jwt: override, whichever of them carries it.
func TestFlowStyleConsumersKeepTheirOwnJWTOverride(t *testing.T) {
	hs := "a-real-looking-signing-key-0123456789abcdef"
	for _, withOverride := range []int{0, 1} {
		cs := &config.Secret{Name: "jwt", JWT: &config.JWT{Algorithm: "HS256", Issuer: "auth", Audience: "api"},
			Runner: &config.Consumer{Kind: config.KindRunner}}
		s := &report.Secret{Name: "jwt", Consumers: []*report.Consumer{consumer("runner", "env", hs)}}
		for i, id := range []string{"manifest:m.yaml/app", "manifest:m2.yaml/app"} {
			pos := config.Pos{File: "c.yaml", Line: 7, Col: 15 + 50*i}
			sc := &config.Consumer{Kind: config.KindManifest, Target: id, Pos: pos}
			if i == withOverride {
				sc.JWT = &config.ConsumerJWT{Issuer: "other-issuer", Pos: pos}
			}
			cs.Services = append(cs.Services, sc)
			c := consumer(id, "env", hs)
			c.File, c.Line, c.Col = pos.File, pos.Line, pos.Col
			s.Consumers = append(s.Consumers, c)
		}
		rep := runKeyed(t, &config.Config{Secrets: []*config.Secret{cs}}, s)
		var refused []string
		for _, f := range rep.Findings {
			if f.Code == "SP160" {
				if f.Reason != ReasonIssuer {
					t.Errorf("SP160 reason %q, want issuer", f.Reason)
				}
				refused = append(refused, f.Consumers...)
			}
		}
		if want := s.Consumers[1+withOverride].ID; len(refused) != 1 || refused[0] != want {
			t.Errorf("override on consumer %d: SP160 for %v, want only %s", withOverride, refused, want)
		}
		if got := Expectations(cs, s.Consumers[2-withOverride]).Issuer; got != "auth" {
			t.Errorf("the neighbour without an override expects issuer %q, want the secret's", got)
		}
	}
}

package checks

import (
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// A deployed consumer holding the value of any literal: link of the
// config is SP121, whichever secret the literal sits in; the runner using
// its own literal is SP120 only.
func TestLiveKeyWrittenInCode(t *testing.T) {
	const hardCoded = "staging-jwt-secret-key-0123456789abcdef"
	cfg := &config.Config{Secrets: []*config.Secret{
		{Name: "jwt", Runner: &config.Consumer{Kind: config.KindRunner, Chain: []config.Link{
			{Kind: config.LinkEnv, Name: "JWT"},
			{Kind: config.LinkLiteral, Literal: secret.FromString(hardCoded), Pos: config.Pos{File: "c.yaml", Line: 7, Col: 11}},
		}}},
		{Name: "other", Runner: &config.Consumer{Kind: config.KindRunner, Chain: []config.Link{{Kind: config.LinkLiteral, Literal: secret.FromString("")}}}},
	}}
	s := &report.Secret{Name: "jwt", Consumers: []*report.Consumer{
		consumer("runner", "literal", hardCoded),
		consumer("cloudrun:api@api-1/app", "file", hardCoded+"\n"),
		consumer("set_secrets:worker", "file", "another-value-entirely-0123456789abcdef"),
	}}
	rep := runChecks(t, cfg, s)
	var sp121 []*report.Finding
	for _, f := range rep.Findings {
		if f.Code == "SP121" {
			sp121 = append(sp121, f)
		}
	}
	if len(sp121) != 1 || sp121[0].Consumers[0] != "cloudrun:api@api-1/app" || !strings.Contains(sp121[0].Message, "literal at c.yaml:7:11 (link 1 of jwt runner)") {
		t.Fatalf("SP121: %+v", sp121)
	}
	if !strings.Contains(sp121[0].Hint, "rotate") {
		t.Errorf("hint %q", sp121[0].Hint)
	}
	if ls := literals(cfg); len(ls) != 1 || !ls[0].value.Equal(secret.FromString(hardCoded)) || ls[0].pos.Line != 7 {
		t.Errorf("literals: %d (the empty one is no key)", len(ls))
	}
}

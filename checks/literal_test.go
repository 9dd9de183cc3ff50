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

// The literal may sit in another secret's runner chain: secret A's test
// helper hard-codes a key that secret B's services are deployed with. The
// SP121 is on B, naming B's consumer and the literal's place in A; A's
// own consumers, which hold something else, get none.
func TestLiveKeyWrittenInCodeAcrossSecrets(t *testing.T) {
	const hardCoded = "the-auth-key-pasted-into-the-e2e-helper-0123"
	cfg := &config.Config{Secrets: []*config.Secret{
		{Name: "session", Runner: &config.Consumer{Kind: config.KindRunner, Chain: []config.Link{
			{Kind: config.LinkEnv, Name: "SESSION"},
			{Kind: config.LinkLiteral, Literal: secret.FromString(hardCoded), Pos: config.Pos{File: "c.yaml", Line: 12, Col: 11}},
		}}},
		{Name: "auth", Runner: &config.Consumer{Kind: config.KindRunner, Chain: []config.Link{{Kind: config.LinkEnv, Name: "AUTH"}}}},
	}}
	sessionValue := "the-session-key-from-secret-manager-456789"
	a := &report.Secret{Name: "session", Consumers: []*report.Consumer{
		consumer("runner", "env", sessionValue),
		consumer("cloudrun:web@web-1/app", "file", sessionValue),
	}}
	b := &report.Secret{Name: "auth", Consumers: []*report.Consumer{
		consumer("runner", "env", hardCoded),
		consumer("cloudrun:auth@auth-1/app", "file", hardCoded),
	}}
	rep := runChecks(t, cfg, a, b)
	var sp121 []*report.Finding
	for _, f := range rep.Findings {
		if f.Code == "SP121" {
			sp121 = append(sp121, f)
		}
	}
	if len(sp121) != 1 {
		t.Fatalf("want one SP121, got %d: %+v", len(sp121), sp121)
	}
	f := sp121[0]
	if f.Secret != "auth" || len(f.Consumers) != 1 || f.Consumers[0] != "cloudrun:auth@auth-1/app" {
		t.Errorf("SP121 on secret %q consumers %v, want auth's cloudrun:auth@auth-1/app", f.Secret, f.Consumers)
	}
	if !strings.Contains(f.Message, "literal at c.yaml:12:11 (link 1 of session runner)") {
		t.Errorf("SP121 message %q does not point at the literal in session's runner chain", f.Message)
	}
}

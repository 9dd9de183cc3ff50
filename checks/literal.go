package checks

import (
	"fmt"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// literalLink is a literal: link of the config and where it is.
type literalLink struct {
	value secret.Value
	owner string // "jwt-signing runner" or "jwt-signing manifest:deploy/api.yaml"
	link  int
	pos   config.Pos
}

// literals lists every non-empty literal: value of the config, with its
// position: SP121 names it, and the literal probe signs with it.
func literals(cfg *config.Config) []literalLink {
	var out []literalLink
	add := func(s *config.Secret, c *config.Consumer) {
		if c == nil {
			return
		}
		owner := s.Name + " " + string(c.Kind)
		if c.Target != "" {
			owner += ":" + c.Target
		}
		for i, l := range c.Chain {
			if l.Kind == config.LinkLiteral && l.Literal.TrimSpace().Len() > 0 {
				out = append(out, literalLink{value: l.Literal, owner: owner, link: i, pos: l.Pos})
			}
		}
	}
	for _, s := range cfg.Secrets {
		add(s, s.Runner)
		for _, c := range s.Services {
			add(s, c)
		}
	}
	return out
}

// liveLiteral reports SP121 for a deployed consumer (a live service, a job,
// a manifest or a pending deploy) whose value is one of the config's
// literal: links: the key that guards the environment is written in
// source code, in every clone and in the repository's history.
//
// The literal and the deployed value are compared as keys, as
// fingerprints are: an HMAC literal deployed as an "oct" JWK, or a
// private key literal whose public half a service verifies with, is the
// same key written another way.
func liveLiteral(cfg *config.Config, rep *report.Report, fp *secret.Fingerprinter) []*report.Finding {
	lits := literals(cfg)
	if len(lits) == 0 {
		return nil
	}
	jwts := map[string]*config.JWT{}
	for _, s := range cfg.Secrets {
		jwts[s.Name] = s.JWT
	}
	var out []*report.Finding
	for _, s := range rep.Secrets {
		j := jwts[s.Name]
		// Each literal and each value is parsed once: a fleet has many
		// consumers, and key parsing is the costly part.
		var litIDs [][][]byte
		for _, c := range s.Consumers {
			if !c.Resolved || c.Kind == string(config.KindRunner) || isPlaceholder(c.Value, cfg.Policy.Placeholders) {
				continue // a placeholder is SP121 already
			}
			if litIDs == nil {
				for _, l := range lits {
					litIDs = append(litIDs, secretIdentities(l.value, j, fp))
				}
			}
			held := identities(c.Value, j, fp)
			for i, l := range lits {
				if !l.value.TrimSpace().Equal(c.Value.TrimSpace()) && !anyEqual(litIDs[i], held) {
					continue
				}
				out = append(out, &report.Finding{
					Code: "SP121", Severity: report.SevError, Secret: s.Name, Consumers: []string{c.ID},
					Message: fmt.Sprintf("%s (%s, link %d) holds the value of the literal at %s (link %d of %s): the deployed key is written in source code",
						c.ID, c.Via, c.Link, l.pos, l.link, l.owner),
					Hint: "rotate the key now (the old one stays in every clone and in the repository's history), store the new one only in Secret Manager, and delete the literal from the code",
					File: c.File, Line: c.Line,
				})
				break
			}
		}
	}
	return out
}

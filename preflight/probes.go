package preflight

import (
	"context"
	"fmt"
	"slices"

	"github.com/secret-preflight/secret-preflight/checks"
	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
)

// probe sends the live probes, or notes that they were skipped: a report
// must not read as if endpoints were checked when they were not.
func probe(ctx context.Context, cfg *config.Config, rep *report.Report, p *checks.Prober) {
	var with []string
	for _, s := range cfg.Secrets {
		if len(s.Probes) > 0 && slices.ContainsFunc(rep.Secrets, func(r *report.Secret) bool { return r.Name == s.Name }) {
			with = append(with, s.Name)
		}
	}
	if len(with) == 0 {
		return
	}
	if p == nil {
		for _, name := range with {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: live probes skipped (--no-probes): SP162/SP163 not checked", name))
		}
		return
	}
	res := p.Run(ctx, cfg, rep)
	rep.Probes = append(rep.Probes, res.Probes...)
	rep.Findings = append(rep.Findings, res.Findings...)
	rep.Notes = append(rep.Notes, res.Notes...)
}

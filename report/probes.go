package report

import (
	"bytes"
	"fmt"
	"text/tabwriter"
)

// probeOutcome is one probe's result in a few words.
func probeOutcome(p *Probe) string {
	switch {
	case p.Error != "":
		return "no answer: " + firstLine(p.Error)
	case p.LetIn:
		return "let in"
	}
	return "refused"
}

// probeWant says what a probe should get: the valid one in, the rest out.
func probeOK(p *Probe) bool {
	if p.Probe == "valid" {
		return p.LetIn
	}
	return !p.LetIn && p.Error == ""
}

func probeStatus(p *Probe) string {
	if p.Status == 0 {
		return "-"
	}
	return fmt.Sprint(p.Status)
}

func probeName(p *Probe) string {
	if p.LiteralAt != "" {
		return p.Probe + " (" + p.LiteralAt + ")"
	}
	return p.Probe
}

// writeProbesText lists every probe request per endpoint: status codes
// only, as the probes keep nothing else.
func writeProbesText(ew *errWriter, r *Report) {
	last := ""
	tw := tabwriter.NewWriter(ew, 2, 8, 2, ' ', 0)
	for _, p := range r.Probes {
		if key := p.Secret + " " + p.URL; key != last {
			tw.Flush()
			ew.printf("  %s  %s\n", p.Secret, p.URL)
			last = key
		}
		mark := "✓"
		if !probeOK(p) {
			mark = "✗"
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", mark, probeName(p), probeStatus(p), probeOutcome(p))
	}
	tw.Flush()
}

// writeProbesTextSection is the text format's Probes section.
func writeProbesTextSection(ew *errWriter, r *Report) {
	if len(r.Probes) == 0 {
		return
	}
	ew.printf("\nProbes (status codes only: no token or response body is kept)\n")
	writeProbesText(ew, r)
}

// writeProbesGroup is the github format's probe table, in a group whose
// command processing is stopped: URLs and error texts come from the config
// and the network.
func writeProbesGroup(ew *errWriter, r *Report) {
	if len(r.Probes) == 0 {
		return
	}
	var b bytes.Buffer
	writeProbesText(&errWriter{w: &b}, r)
	writeGroup(ew, fmt.Sprintf("live probes (%d requests)", len(r.Probes)), b.Bytes())
}

// writeProbesMarkdown is the markdown format's probe table.
func writeProbesMarkdown(ew *errWriter, r *Report) {
	if len(r.Probes) == 0 {
		return
	}
	ew.printf("#### Live probes\n\nStatus codes only: no token or response body is kept.\n\n")
	ew.printf("| | Secret | URL | Probe | Status | Outcome |\n|---|---|---|---|---|---|\n")
	for _, p := range r.Probes {
		mark := "✅"
		if !probeOK(p) {
			mark = "❌"
		}
		ew.printf("| %s | %s | %s | %s | %s | %s |\n", mark, mdText(p.Secret), mdCode(p.URL, true), mdText(probeName(p)), probeStatus(p), mdText(probeOutcome(p)))
	}
	ew.printf("\n")
}

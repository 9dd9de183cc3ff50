package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func probeReport() *Report {
	r := &Report{Probes: []*Probe{
		{Secret: "jwt", URL: "https://api.example.com/me", Probe: "valid", Status: 200, LetIn: true},
		{Secret: "jwt", URL: "https://api.example.com/me", Probe: "bypass", Status: 200, LetIn: true},
		{Secret: "jwt", URL: "https://api.example.com/me", Probe: "literal", Status: 401, LiteralAt: "c.yaml:9:11"},
		{Secret: "jwt", URL: "wss://ws.example.com/ws", Probe: "valid", Error: "x509: valid for evil\n::error::injected"},
	}}
	r.Finish("error")
	return r
}

// Every format lists every probe request with its status, and nothing of
// an error text can start a workflow command.
func TestProbesInEveryFormat(t *testing.T) {
	r := probeReport()
	for _, format := range Formats() {
		w, _ := For(format)
		var b bytes.Buffer
		if err := w.Write(&b, r); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"https://api.example.com/me", "wss://ws.example.com/ws", "bypass", "literal", "c.yaml:9:11"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", format, want, out)
			}
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::error::injected") {
				t.Errorf("%s: an error text starts a workflow command: %q", format, line)
			}
		}
	}
	var b bytes.Buffer
	_ = JSON{}.Write(&b, r)
	var got struct {
		Probes []map[string]any `json:"probes"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || len(got.Probes) != 4 {
		t.Fatalf("json probes: %v %v", err, got.Probes)
	}
	for _, k := range []string{"secret", "url", "probe", "status", "let_in", "error"} {
		if _, ok := got.Probes[0][k]; !ok {
			t.Errorf("probe entry lacks %q: %v", k, got.Probes[0])
		}
	}
	var empty bytes.Buffer
	r2 := &Report{}
	r2.Finish("error")
	_ = JSON{}.Write(&empty, r2)
	if !strings.Contains(empty.String(), `"probes": []`) {
		t.Errorf("a report without probes has no empty probes array:\n%s", empty.String())
	}
}

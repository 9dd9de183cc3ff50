package checks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
)

// Without accept:, a WebSocket probe is let in by 101 only: an endpoint
// that answers every handshake with a 200 page opened no socket, so the
// valid probe is SP162 and nothing negative counts as let in. With
// accept: [200] the same answers are let in.
func TestWebSocketDefaultAcceptIs101(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "a page, not a socket")
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	cfg, rep := probeSetup(url, config.TokenHeader)
	res := (&Prober{Client: srv.Client()}).Run(context.Background(), cfg, rep)
	if len(res.Findings) != 1 || res.Findings[0].Code != "SP162" || !strings.Contains(res.Findings[0].Message, "not 101: no WebSocket was opened") {
		for _, f := range res.Findings {
			t.Logf("%s %s %s", f.Code, f.Reason, f.Message)
		}
		t.Fatalf("want only SP162 saying no WebSocket was opened")
	}
	for _, p := range res.Probes {
		if p.LetIn || p.Status != http.StatusOK {
			t.Errorf("%s: status %d, let in %v", p.Probe, p.Status, p.LetIn)
		}
	}

	cfg.Secrets[0].Probes[0].Accept = []int{http.StatusOK}
	res = (&Prober{Client: srv.Client()}).Run(context.Background(), cfg, rep)
	if !res.Probes[0].LetIn || has(&report.Report{Findings: res.Findings}, "SP163") == nil {
		t.Errorf("accept: [200] does not let the 200 in")
	}
}

package checks

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/testserver"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// A request that gets no HTTP answer is reported in one fixed sentence per
// class of failure, never in the library's words, which can quote the
// response: here a server that echoes the bypass header's value into a
// malformed header line.
func TestProbeTransportErrorsAreFixedSentences(t *testing.T) {
	const bypassValue = "SHARED-TEST-KEY-never-shown-0123456789"
	echo := testserver.Raw(t, func(r testserver.Request) string {
		if r.Header.Get("X-Secret-Preflight-Probe") == ProbeValid {
			return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		}
		return "HTTP/1.1 200 OK\r\nbroken X-E2E-Test=" + r.Header.Get("X-E2E-Test") + "\r\n\r\n"
	})
	reset := testserver.Raw(t, func(testserver.Request) string { return "" })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	untrusted := quietTLS(http.NotFoundHandler())
	defer untrusted.Close()
	noDNS := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.DNSError{Err: "no such host " + bypassValue, Name: "api.example", IsNotFound: true}
	}}}

	cases := []struct {
		name, url string
		client    *http.Client
		want      string
		probe     string // the probe whose error is checked
	}{
		{"malformed answer echoing a bypass value", "http://" + echo + "/x", nil, sources.SentenceProtocol, ProbeBypass},
		{"connection refused", "http://" + refused + "/x", nil, sources.SentenceRefused, ProbeValid},
		{"connection reset", "http://" + reset + "/x", nil, sources.SentenceReset, ProbeValid},
		{"untrusted certificate", untrusted.URL, &http.Client{}, sources.SentenceTLS, ProbeValid},
		{"DNS failure", "http://localhost/x", noDNS, sources.SentenceDNS, ProbeValid},
		{"WebSocket refused", "ws://" + refused + "/ws", nil, sources.SentenceRefused, ProbeValid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, rep := probeSetup(c.url, config.TokenHeader)
			cfg.Secrets[0].Probes[0].BypassHeaders[0].Value = secret.FromString(bypassValue)
			res := (&Prober{Client: c.client}).Run(context.Background(), cfg, rep)
			found := false
			for _, p := range res.Probes {
				if p.Probe == c.probe {
					found = true
					if p.Error != c.want {
						t.Errorf("%s: error %q, want %q", p.Probe, p.Error, c.want)
					}
				}
				if strings.Contains(p.Error, "SHARED-TEST-KEY") {
					t.Errorf("%s: the bypass value reached the report: %q", p.Probe, p.Error)
				}
			}
			if !found {
				t.Fatalf("probe %s not sent", c.probe)
			}
			for _, f := range res.Findings {
				if strings.Contains(f.Message, "SHARED-TEST-KEY") {
					t.Errorf("%s: the bypass value reached a finding", f.Code)
				}
			}
		})
	}
}

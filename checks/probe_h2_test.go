package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Cloud Run serves HTTP/2 to clients that offer it. The production probe
// client must still complete every probe (HTTPS and WebSocket) against
// such a server: a client that offered h2 in the TLS handshake without
// speaking it failed every request there.
func TestProbesAgainstAnHTTP2Server(t *testing.T) {
	for _, ws := range []bool{false, true} {
		ep := &endpoint{mode: "correct", ws: ws}
		srv := httptest.NewUnstartedServer(ep)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
		srv.Config.Protocols = new(http.Protocols)
		srv.Config.Protocols.SetHTTP1(true)
		srv.Config.Protocols.SetHTTP2(true)
		srv.StartTLS()

		// Use the default transport first, as any earlier HTTP use in the
		// process would (the request fails: the test's certificate is not
		// trusted there): its TLS config then offers h2, which a client
		// cloned from it must not inherit.
		if resp, err := http.DefaultClient.Get(srv.URL); err == nil {
			resp.Body.Close()
		}
		client := NewProbeClient()
		tr := client.Transport.(*http.Transport)
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		tr.TLSClientConfig.RootCAs = roots

		url := srv.URL + "/api"
		if ws {
			url = "wss" + strings.TrimPrefix(srv.URL, "https") + "/ws"
		}
		cfg, rep := probeSetup(url, "header")
		res := (&Prober{Client: client}).Run(context.Background(), cfg, rep)
		srv.Close()
		if len(res.Probes) == 0 || !res.Probes[0].LetIn {
			t.Fatalf("ws=%v: the valid probe was not let in: %+v", ws, res.Probes)
		}
		for _, p := range res.Probes {
			if p.Error != "" {
				t.Errorf("ws=%v: probe %s failed to complete: %s", ws, p.Probe, p.Error)
			}
		}
		if len(res.Findings) != 0 {
			t.Errorf("ws=%v: findings against a correct endpoint: %+v", ws, res.Findings)
		}
	}
}

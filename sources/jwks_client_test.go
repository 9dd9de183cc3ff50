package sources

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The default JWKS client speaks HTTP/1.1 to a server that offers HTTP/2
// too: with GODEBUG=http2debug the HTTP/2 transport would log the
// server's headers and body raw on stderr, out of the tool's reach.
func TestJWKSClientSpeaksHTTP1Only(t *testing.T) {
	var proto string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto = r.Proto
		w.Write([]byte(`{"keys":[]}`))
	}))
	srv.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetHTTP2(true)
	srv.StartTLS()
	defer srv.Close()

	c := newJWKSClient()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	c.Transport.(*http.Transport).TLSClientConfig.RootCAs = roots
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if proto != "HTTP/1.1" || resp.Proto != "HTTP/1.1" {
		t.Errorf("the JWKS was fetched over %s (server saw %s), want HTTP/1.1", resp.Proto, proto)
	}
	// The same server does speak HTTP/2 to a client that asks: the test
	// would catch a client that did.
	h2 := srv.Client()
	h2.Transport.(*http.Transport).ForceAttemptHTTP2 = true
	resp, err = h2.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("the test server answered an HTTP/2 client over %s", resp.Proto)
	}
}

package sources

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/testserver"
)

func jwksDoc(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJWKSFetch(t *testing.T) {
	doc := jwksDoc(t)
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(doc)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"keys":[`))
		w.Write([]byte(strings.Repeat(" ", jwksMaxBytes)))
		w.Write([]byte(`]}`))
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>login</html>")) })
	mux.HandleFunc("/downgrade", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://auth.example.com/jwks", http.StatusFound)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case below
	srv.StartTLS()
	defer srv.Close()

	r := &Resolver{JWKS: &JWKSFetcher{Client: srv.Client()}}
	ctr := Container{Name: "app"}
	chain := func(path string) []config.Link {
		return []config.Link{{Kind: config.LinkEnv, Name: "JWT_PUBLIC_KEY"}, {Kind: config.LinkJWKSURL, Name: srv.URL + path}}
	}
	if !HasLink(ctr, chain("/jwks")) {
		t.Error("a jwks_url link applies to every container")
	}
	for range 3 {
		o := r.Container(context.Background(), "p", ctr, chain("/jwks"))
		if !o.Resolved || o.Via != "jwks_url" || o.Link != 1 || string(o.Value.Reveal()) != string(doc) {
			t.Fatalf("outcome %+v", o)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("the JWKS was fetched %d times, want once per run", hits.Load())
	}

	for path, want := range map[string]string{
		"/down?token=QUERY-CANARY": "HTTP 503",
		"/huge":                    "larger than",
		"/html":                    "not a usable JWKS",
		"/downgrade":               "refused a redirect to plain http://",
	} {
		hits.Store(0)
		o := r.Container(context.Background(), "p", ctr, chain(path))
		if o.Resolved || o.Err == nil || !strings.Contains(o.Err.Error(), want) {
			t.Errorf("%s: %+v, want an error with %q", path, o, want)
			continue
		}
		if strings.Contains(o.Err.Error(), "QUERY-CANARY") {
			t.Errorf("%s: the error quotes the URL's query: %v", path, o.Err)
		}
		if path == "/down?token=QUERY-CANARY" && hits.Load() != 1 {
			t.Errorf("a failing JWKS was requested %d times, want one attempt", hits.Load())
		}
	}

	// A server whose certificate the client does not trust is an error,
	// not a silent downgrade.
	o := (&Resolver{JWKS: &JWKSFetcher{}}).Container(context.Background(), "p", ctr, chain("/jwks?token=QUERY-CANARY"))
	if o.Resolved || o.Err == nil || strings.Contains(o.Err.Error(), "QUERY-CANARY") {
		t.Errorf("untrusted certificate: %+v", o)
	}
}

// A transport error is one fixed sentence by class: the URL (with its
// query) is dropped, and so is the library's text, which can hold network
// bytes; a timeout keeps its meaning.
func TestTransportErrorText(t *testing.T) {
	inner := errors.New("x509: certificate is valid for ##[error]evil\n::add-mask::x, not 127.0.0.1")
	err := TransportError(&url.Error{Op: "Get", URL: "https://h/x?token=QUERY-CANARY", Err: inner})
	if msg := err.Error(); msg != SentenceProtocol {
		t.Errorf("%q, want %q", msg, SentenceProtocol)
	}
	if err := TransportError(&url.Error{Op: "Get", URL: "https://h/", Err: context.DeadlineExceeded}); !errors.Is(err, context.DeadlineExceeded) || err.Error() != SentenceTimeout {
		t.Errorf("timeout: %v", err)
	}
}

// Nothing the key server sends reaches an error: not a malformed status
// line, header or Content-Length (which net/http quotes), nor a document
// that is not a usable JWKS.
func TestJWKSFetchErrorsQuoteNothingTheServerSent(t *testing.T) {
	const canary = "BODYCANARY-Qz7Wx3Ev9"
	ok := func(body string) string {
		return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	cases := []struct{ name, answer, want string }{
		{"not HTTP", canary + " ::warning::x\r\n\r\n", SentenceProtocol},
		{"bad status code", "HTTP/1.1 2000 " + canary + "\r\nContent-Length: 0\r\n\r\n", SentenceProtocol},
		{"bad status line", "HTTP/1.1 ##[error]" + canary + "\r\n\r\n", SentenceProtocol},
		{"bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: " + canary + "\r\n\r\n", SentenceProtocol},
		{"bad header line", "HTTP/1.1 200 OK\r\nbroken " + canary + "\r\n\r\n", SentenceProtocol},
		{"closed without an answer", "", SentenceReset},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"keys\":[" + canary, SentenceReset},
		{"not JSON", ok(canary + " ::set-output"), "not a usable JWKS"},
		{"keys not an array", ok(`{"keys": "` + canary + `"}`), "not a usable JWKS"},
		{"unusable key", ok(`{"keys":[{"kty":"` + canary + `","n":"` + canary + `!","kid":"` + canary + `"}]}`), "not a usable JWKS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answer := func(testserver.Request) string { return c.answer }
			jwksURL := "http://" + testserver.Raw(t, answer) + "/jwks"
			_, err := (&JWKSFetcher{}).Fetch(context.Background(), jwksURL)
			if err == nil {
				t.Fatal("fetched")
			}
			msg := err.Error()
			if strings.Contains(msg, "BODYCANARY") || strings.Contains(msg, "##[") || strings.Contains(msg, "::") {
				t.Errorf("the error quotes the server: %q", msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("%q, want %q", msg, c.want)
			}
		})
	}
}

// Host names are case-insensitive: a redirect to http://LOCALHOST stays on
// this machine.
func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "LocalHost": true, "127.0.0.1": true, "127.9.9.9": true, "::1": true,
		"localhost.example.com": false, "example.com": false, "10.0.0.1": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

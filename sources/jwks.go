package sources

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/secret"
)

// JWKS fetch bounds: a JWKS is a few kilobytes; a slow or endless answer
// must not hold the run, and one attempt is all it gets (a key server that
// needs a retry is worth a finding, not a hidden second call).
const (
	jwksTimeout  = 10 * time.Second
	jwksMaxBytes = 1 << 20
)

// JWKSFetcher fetches JWKS documents, each URL once per run.
type JWKSFetcher struct {
	// Client is the HTTP client; nil means a client with jwksTimeout.
	// Tests inject one that trusts their httptest TLS server.
	Client *http.Client

	mu   sync.Mutex
	memo map[string]*jwksResult
}

type jwksResult struct {
	once sync.Once
	v    secret.Value
	err  error
}

// Fetch returns the JWKS document at u. It is a secret.Value like every
// resolved value, although a JWKS holds public keys only.
func (f *JWKSFetcher) Fetch(ctx context.Context, u string) (secret.Value, error) {
	f.mu.Lock()
	if f.memo == nil {
		f.memo = map[string]*jwksResult{}
	}
	r, ok := f.memo[u]
	if !ok {
		r = &jwksResult{}
		f.memo[u] = r
	}
	f.mu.Unlock()
	r.once.Do(func() { r.v, r.err = f.fetch(ctx, u) })
	return r.v, r.err
}

func (f *JWKSFetcher) fetch(ctx context.Context, u string) (secret.Value, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return secret.Value{}, errors.New("jwks_url is not a valid URL")
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	client := f.Client
	if client == nil {
		client = newJWKSClient()
	}
	c := *client
	c.CheckRedirect = SafeRedirect
	resp, err := c.Do(req)
	if err != nil {
		return secret.Value{}, fmt.Errorf("fetching the JWKS: %w", TransportError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return secret.Value{}, fmt.Errorf("fetching the JWKS: HTTP %d, want 200", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return secret.Value{}, fmt.Errorf("reading the JWKS: %w", TransportError(err))
	}
	if len(body) > jwksMaxBytes {
		return secret.Value{}, fmt.Errorf("the JWKS is larger than %d bytes", jwksMaxBytes)
	}
	v := secret.New(body)
	if _, err := secret.ParseKeys(v); err != nil {
		return secret.Value{}, fmt.Errorf("the document is not a usable JWKS: %w", err)
	}
	return v, nil
}

// newJWKSClient is an HTTP/1.1-only client: the server at a jwks_url may be
// under a pull request's control, and with GODEBUG=http2debug the HTTP/2
// transport logs its frames and headers, verbatim, where the tool cannot
// make them inert. HTTP/1.1 logs nothing, and a JWKS needs no more.
func newJWKSClient() *http.Client {
	c := HTTP1Client()
	c.Timeout = jwksTimeout
	return c
}

// HTTP1Client is an HTTP client that speaks HTTP/1.1 only, with the
// system's roots and the environment's proxy. The JWKS fetch and the live
// probes use it: with GODEBUG=http2debug the HTTP/2 transport would log
// servers' headers and bodies raw on stderr, out of the tool's reach, and
// a WebSocket handshake cannot run over HTTP/2.
func HTTP1Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetHTTP1(true)
	// Once the default transport has served a request its TLS config
	// offers "h2", and the clone would too: a server that takes the offer
	// (Cloud Run does) would then speak HTTP/2 to a client that cannot.
	tr.TLSClientConfig = &tls.Config{NextProtos: []string{"http/1.1"}}
	return &http.Client{Transport: tr}
}

// The redirect refusals: fixed sentences that TransportError keeps.
var (
	errTooManyRedirects = errors.New("stopped after 5 redirects")
	errPlainRedirect    = errors.New("refused a redirect to plain http:// on a non-loopback host")
)

// SafeRedirect follows up to 5 redirects, never from TLS to plain text
// other than to a loopback host, so a key or token never leaves in clear.
func SafeRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errTooManyRedirects
	}
	if req.URL.Scheme != "https" && !IsLoopback(req.URL.Hostname()) {
		return errPlainRedirect
	}
	return nil
}

// IsLoopback reports whether host names this machine. Host names are
// case-insensitive: LOCALHOST is localhost.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// jwksLink resolves a jwks_url link.
func (r *Resolver) jwksLink(ctx context.Context, o Outcome, i int, l config.Link) Outcome {
	o.Link, o.Via, o.Ref = i, string(l.Kind), l.Ref()
	f := r.JWKS
	if f == nil {
		f = &JWKSFetcher{}
	}
	v, err := f.Fetch(ctx, l.Name)
	if err != nil {
		o.Err = err
		return o
	}
	o.Resolved, o.Value = true, v
	return o
}

package checks

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

const (
	probeKey    = "the-deployed-staging-key-0123456789abcdef"
	probeOldKey = "the-previous-staging-key-0123456789abcdef"
	probeLit    = "staging-jwt-secret-key-hard-coded-in-tests"
)

// endpoint is a local service whose token check can be switched to each
// unsafe behaviour the incident's "fixes" introduced.
type endpoint struct {
	mode string
	ws   bool

	mu       sync.Mutex
	received []string // every token seen, to prove what was sent
}

func (e *endpoint) token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	}
	if q := r.URL.Query().Get("access_token"); q != "" {
		return q
	}
	if c, err := r.Cookie("session"); err == nil {
		return c.Value
	}
	return r.Header.Get("Sec-WebSocket-Protocol")
}

func (e *endpoint) allowed(r *http.Request) bool {
	tok := e.token(r)
	e.mu.Lock()
	e.received = append(e.received, tok)
	e.mu.Unlock()
	switch e.mode {
	case "open": // no authentication at all
		return true
	case "bypass":
		if r.Header.Get("X-E2E-Test") == "true" {
			return true
		}
	case "503":
		return false
	}
	if tok == "" {
		return false
	}
	key := func(*jwt.Token) (any, error) { return []byte(probeKey), nil }
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("auth"), jwt.WithAudience("api"), jwt.WithExpirationRequired()}
	switch e.mode {
	case "nosig": // the "fast path": decode, check claims, skip the signature
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
			return false
		}
		return jwt.NewValidator(jwt.WithIssuer("auth"), jwt.WithAudience("api")).Validate(claims) == nil
	case "algnone":
		if u, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{}); err == nil && u.Header["alg"] == "none" {
			_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return jwt.UnsafeAllowNoneSignatureType, nil },
				jwt.WithValidMethods([]string{"none"}), jwt.WithIssuer("auth"), jwt.WithAudience("api"))
			return err == nil
		}
	case "noexp": // signature, iss and aud checked; exp ignored
		claims := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(tok, claims, key, jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation()); err != nil {
			return false
		}
		iss, _ := claims.GetIssuer()
		aud, _ := claims.GetAudience()
		return iss == "auth" && len(aud) == 1 && aud[0] == "api"
	case "secondkey": // "dual-secret validation"
		if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(probeLit), nil }, opts...); err == nil {
			return true
		}
	case "oldkey": // instances started before the rotation
		key = func(*jwt.Token) (any, error) { return []byte(probeOldKey), nil }
	}
	_, err := jwt.Parse(tok, key, opts...)
	return err == nil
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case e.mode == "503":
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		e.allowed(r)
	case !e.allowed(r):
		http.Error(w, "forbidden: body text that must never be stored", http.StatusUnauthorized)
	case e.ws:
		var protos []string
		if p := r.Header.Get("Sec-WebSocket-Protocol"); p != "" {
			protos = []string{p}
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: protos})
		if err != nil {
			return
		}
		_ = c.Write(r.Context(), websocket.MessageText, []byte("welcome: a message the prober must not read"))
		_ = c.CloseNow()
	default:
		io.WriteString(w, "ok: a body the prober must not store")
	}
}

// probeSetup is a config with one JWT secret and one probe, and a report
// in which the runner and the service resolved the deployed key.
func probeSetup(url, token string) (*config.Config, *report.Report) {
	cs := &config.Secret{
		Name: "jwt",
		JWT:  &config.JWT{Algorithm: "HS256", Issuer: "auth", Audience: "api", Claims: map[string]any{"sub": "e2e-preflight"}},
		Runner: &config.Consumer{Kind: config.KindRunner, Chain: []config.Link{
			{Kind: config.LinkEnv, Name: "JWT_SECRET"},
			{Kind: config.LinkLiteral, Literal: secret.FromString(probeLit), Pos: config.Pos{File: "c.yaml", Line: 9, Col: 11}},
		}},
		Probes: []*config.Probe{{URL: url, Token: token, Timeout: 5 * time.Second, Pos: config.Pos{File: "c.yaml", Line: 20, Col: 7},
			BypassHeaders: []config.Header{{Name: "X-E2E-Test", Value: secret.FromString("true")}}}},
	}
	rep := &report.Report{Secrets: []*report.Secret{{Name: "jwt", Consumers: []*report.Consumer{
		consumer("runner", "env", probeKey), consumer("cloudrun:api@api-1/app", "file", probeKey),
	}}}}
	return &config.Config{Secrets: []*config.Secret{cs}}, rep
}

func quietTLS(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}

// Each unsafe behaviour gives exactly the finding it should, over HTTPS
// and over a WebSocket handshake; the correct endpoint gives none.
func TestProbesAgainstUnsafeEndpoints(t *testing.T) {
	// message and hint are phrases the finding must hold: SP162 names the
	// status the valid token got, and each SP163 hint says what the
	// endpoint must stop doing.
	cases := []struct {
		mode, code, reason string
		message, hint      string
	}{
		{"correct", "", "", "", ""},
		{"open", "SP163", "no_token", "a request without any token was accepted; also let in: forged, alg_none",
			"must refuse requests without a valid token"},
		{"bypass", "SP163", "bypass", "with the bypass headers (X-E2E-Test)", "stop honouring the bypass headers (X-E2E-Test)"},
		{"nosig", "SP163", "forged", "signatures are not verified", "stop skipping signature verification"},
		{"algnone", "SP163", "alg_none", `"alg": "none"`, "stop accepting alg none"},
		{"noexp", "SP163", "expired", "expired an hour ago", "stop ignoring exp"},
		{"secondkey", "SP163", "literal", "hard-coded literal at c.yaml:9:11", "stop accepting a second key"},
		{"503", "SP162", "valid", "HTTP 503", "failing or down"},
		{"oldkey", "SP162", "valid", "refused a valid probe token signed with the runner's key: HTTP 401", "older key than Secret Manager"},
		{"down", "SP162", "valid", "got no answer", "up and reachable"},
	}
	for _, kind := range []string{"https", "wss"} {
		for _, c := range cases {
			t.Run(kind+" "+c.mode, func(t *testing.T) {
				ep := &endpoint{mode: c.mode, ws: kind == "wss"}
				srv := quietTLS(ep)
				defer srv.Close()
				url, token := srv.URL+"/api/me", config.TokenHeader
				if ep.ws {
					url, token = "wss"+strings.TrimPrefix(srv.URL, "https")+"/ws", config.TokenSubprotocol
				}
				client := srv.Client()
				if c.mode == "down" {
					srv.Close()
				}
				cfg, rep := probeSetup(url, token)
				res := (&Prober{Client: client}).Run(context.Background(), cfg, rep)

				var got []*report.Finding
				for _, f := range res.Findings {
					got = append(got, f)
				}
				if c.code == "" {
					if len(got) != 0 {
						t.Fatalf("want no finding, got %s %s", got[0].Code, got[0].Message)
					}
				} else if len(got) != 1 || got[0].Code != c.code || got[0].Reason != c.reason {
					for _, f := range got {
						t.Logf("%s %s: %s", f.Code, f.Reason, f.Message)
					}
					t.Fatalf("want exactly one %s (%s), got %d findings", c.code, c.reason, len(got))
				}
				if len(got) == 1 {
					f := got[0]
					if !strings.Contains(f.Message, url) || f.Hint == "" || f.File != "c.yaml" || f.Line != 20 {
						t.Errorf("finding does not name the URL or its config line: %+v", f)
					}
					if !strings.Contains(f.Message, c.message) {
						t.Errorf("%s message %q lacks %q", f.Code, f.Message, c.message)
					}
					if !strings.Contains(f.Hint, c.hint) {
						t.Errorf("%s hint %q lacks %q", f.Code, f.Hint, c.hint)
					}
					if f.Code == "SP162" && c.mode != "down" {
						// The status in the message is the one the valid
						// probe got, as the probes array records it.
						if st := fmt.Sprintf("HTTP %d", res.Probes[0].Status); res.Probes[0].Probe != "valid" || !strings.Contains(f.Message, st) {
							t.Errorf("SP162 %q does not carry the valid probe's status (%s)", f.Message, st)
						}
					}
				}
				want := []string{"valid", "no_token", "forged", "alg_none", "expired", "wrong_issuer", "wrong_audience", "bypass", "literal"}
				if c.mode == "down" {
					want = want[:1]
				}
				var sent []string
				for _, p := range res.Probes {
					sent = append(sent, p.Probe)
					if p.Secret != "jwt" || p.URL != url {
						t.Errorf("probe entry %+v", p)
					}
					if c.mode == "correct" && p.LetIn != (p.Probe == "valid") {
						t.Errorf("correct endpoint: %s let_in=%v (status %d)", p.Probe, p.LetIn, p.Status)
					}
				}
				if strings.Join(sent, " ") != strings.Join(want, " ") {
					t.Errorf("sent %v, want %v", sent, want)
				}
				if c.mode == "correct" {
					okStatus := 200
					if ep.ws {
						okStatus = 101
					}
					if res.Probes[0].Status != okStatus || res.Probes[1].Status != 401 {
						t.Errorf("statuses %d, %d", res.Probes[0].Status, res.Probes[1].Status)
					}
					if lit := res.Probes[8]; lit.LiteralAt != "c.yaml:9:11" {
						t.Errorf("literal probe at %q", lit.LiteralAt)
					}
				}
			})
		}
	}
}

// Tokens go where the probe says, every token expires within a minute,
// and no token, key or body reaches the result.
func TestProbeTokensPlacementAndLifetime(t *testing.T) {
	for _, placement := range []string{"query:access_token", "cookie:session", config.TokenHeader} {
		ep := &endpoint{mode: "correct"}
		srv := quietTLS(ep)
		cfg, rep := probeSetup(srv.URL+"/x?keep=1", placement)
		res := (&Prober{Client: srv.Client()}).Run(context.Background(), cfg, rep)
		srv.Close()
		if len(res.Findings) != 0 || !res.Probes[0].LetIn {
			t.Fatalf("%s: findings %v, valid let in %v", placement, res.Findings, res.Probes[0].LetIn)
		}
		if len(ep.received) != 9 || ep.received[1] != "" {
			t.Fatalf("%s: %d requests, no_token carried %q", placement, len(ep.received), ep.received[1])
		}
		for i, tok := range ep.received {
			if tok == "" {
				continue
			}
			claims := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
				t.Fatalf("%s: request %d: %v", placement, i, err)
			}
			exp, _ := claims.GetExpirationTime()
			if exp == nil || time.Until(exp.Time) > ProbeLifetime {
				t.Errorf("%s: request %d expires at %v", placement, i, exp)
			}
			if claims["sub"] != "e2e-preflight" {
				t.Errorf("%s: configured claims missing: %v", placement, claims)
			}
		}
		text := strings.Join(func() []string {
			var s []string
			for _, p := range res.Probes {
				s = append(s, p.URL, p.Error)
			}
			return s
		}(), " ")
		for _, tok := range ep.received {
			if tok != "" && strings.Contains(text, tok) {
				t.Errorf("%s: a token reached the result", placement)
			}
		}
		if strings.Contains(text, "body") || strings.Contains(text, probeKey) {
			t.Errorf("%s: the result holds a body or key: %s", placement, text)
		}
	}
}

// Plain text is sent to loopback only (the loader refuses anything else),
// and that path works end to end.
func TestProbePlainLoopback(t *testing.T) {
	srv := httptest.NewServer(&endpoint{mode: "bypass"})
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s", srv.URL)
	}
	cfg, rep := probeSetup(srv.URL, config.TokenHeader)
	res := (&Prober{}).Run(context.Background(), cfg, rep)
	if len(res.Findings) != 1 || res.Findings[0].Code != "SP163" || res.Findings[0].Reason != "bypass" ||
		!strings.Contains(res.Findings[0].Hint, "X-E2E-Test") {
		t.Fatalf("findings %+v", res.Findings)
	}
}

// A negative probe that times out is not a pass: it is SP102, never
// retried, and the run is incomplete.
func TestNegativeProbeTimeoutIsIncomplete(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	release := make(chan struct{})
	srv := quietTLS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.Header.Get("X-Secret-Preflight-Probe")
		mu.Lock()
		calls[name]++
		mu.Unlock()
		if name == "forged" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		if name == "valid" {
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	defer close(release)
	cfg, rep := probeSetup(srv.URL, config.TokenHeader)
	cfg.Secrets[0].Probes[0].Timeout = 200 * time.Millisecond
	res := (&Prober{Client: srv.Client()}).Run(context.Background(), cfg, rep)
	if len(res.Findings) != 1 || res.Findings[0].Code != "SP102" || !strings.Contains(res.Findings[0].Message, "probe forged") {
		t.Fatalf("findings %+v", res.Findings)
	}
	if calls["forged"] != 1 {
		t.Errorf("the forged probe was sent %d times, want once", calls["forged"])
	}
}

// The bypass request is the forged token plus the bypass headers: a
// header the config loader would refuse (here built by hand) still cannot
// replace the token or the probe's own headers.
func TestBypassHeadersCannotReplaceTokenOrOwnHeaders(t *testing.T) {
	for _, placement := range []string{config.TokenHeader, "cookie:session"} {
		type seen struct{ authz, cookie, name, agent string }
		var mu sync.Mutex
		var bypass []seen
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-E2E-Test") != "" {
				mu.Lock()
				bypass = append(bypass, seen{r.Header.Get("Authorization"), r.Header.Get("Cookie"), r.Header.Get(config.ProbeNameHeader), r.UserAgent()})
				mu.Unlock()
			}
			w.WriteHeader(http.StatusUnauthorized)
		}))
		cfg, rep := probeSetup(srv.URL+"/x", placement)
		cfg.Secrets[0].Probes[0].BypassHeaders = append(cfg.Secrets[0].Probes[0].BypassHeaders,
			config.Header{Name: "Authorization", Value: secret.FromString("Bearer override")},
			config.Header{Name: "Cookie", Value: secret.FromString("session=override")},
			config.Header{Name: config.ProbeNameHeader, Value: secret.FromString("valid")},
			config.Header{Name: "User-Agent", Value: secret.FromString("override")})
		(&Prober{}).Run(context.Background(), cfg, rep)
		srv.Close()
		if len(bypass) != 1 {
			t.Fatalf("%s: %d bypass requests", placement, len(bypass))
		}
		b := bypass[0]
		if b.name != ProbeBypass || b.agent != config.ProbeUserAgent {
			t.Errorf("%s: the bypass headers replaced the probe's own: %+v", placement, b)
		}
		tok := strings.TrimPrefix(b.authz, "Bearer ")
		if placement != config.TokenHeader {
			tok = strings.TrimPrefix(b.cookie, "session=")
		}
		if strings.Count(tok, ".") != 2 {
			t.Errorf("%s: the bypass request does not carry the forged token: %+v", placement, b)
		}
	}
}

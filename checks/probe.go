package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// Probe names, in the order they are sent (DESIGN.md 5a).
const (
	ProbeValid         = "valid"
	ProbeNoToken       = "no_token"
	ProbeForged        = "forged"
	ProbeAlgNone       = "alg_none"
	ProbeExpired       = "expired"
	ProbeWrongIssuer   = "wrong_issuer"
	ProbeWrongAudience = "wrong_audience"
	ProbeBypass        = "bypass"
	ProbeLiteral       = "literal"
)

// Bounds of one probe request. Nothing of a response is kept: the body is
// drained (so the connection can be reused) up to a limit and dropped.
const (
	DefaultProbeTimeout = 10 * time.Second
	maxDrain            = 64 << 10
	wsReadLimit         = 4 << 10
	// The claims negative probes use: obviously not a real issuer or
	// audience, so a log reader knows what they were.
	wrongIssuer   = "secret-preflight-probe-wrong-issuer"
	wrongAudience = "secret-preflight-probe-wrong-audience"
)

// Prober sends the live probes of every secret with probes:. It never
// prints, logs or stores a token, a key or a response body: the report
// holds status codes only.
type Prober struct {
	// Client sends the requests; nil means NewProbeClient(). Tests inject
	// one that trusts their httptest TLS server. TLS is never skipped.
	Client *http.Client
	// Now is the clock for token lifetimes; nil means time.Now.
	Now func() time.Time
}

// NewProbeClient is the production client: the system's trusted roots,
// HTTP/1.1 only (a WebSocket handshake cannot run over HTTP/2), the
// environment's proxy, and no redirects followed: a redirect is an answer
// (a login page is a refusal), and following it would send the token to
// wherever it points.
func NewProbeClient() *http.Client {
	return sources.HTTP1Client()
}

// request is one probe to send.
type request struct {
	name      string
	token     string // "" sends none
	bypass    bool
	literalAt string
}

// ProbeResult is what the probes of one run found.
type ProbeResult struct {
	Probes   []*report.Probe
	Findings []*report.Finding
	Notes    []string
}

// Run sends the probes of each secret of rep that has probes: in cfg.
func (p *Prober) Run(ctx context.Context, cfg *config.Config, rep *report.Report) ProbeResult {
	var res ProbeResult
	byName := map[string]*report.Secret{}
	for _, s := range rep.Secrets {
		byName[s.Name] = s
	}
	lits := literals(cfg)
	// Literals are compared with the deployed key by identity, with a
	// digest key of this call's own: nothing of it is shown.
	fp, err := secret.NewFingerprinter("")
	if err != nil {
		for _, cs := range cfg.Secrets {
			for _, pr := range cs.Probes {
				res.Findings = append(res.Findings, notSent(cs, pr, err.Error()))
			}
		}
		return res
	}
	for _, cs := range cfg.Secrets {
		s := byName[cs.Name]
		if s == nil || len(cs.Probes) == 0 || cs.JWT == nil {
			continue
		}
		p.secret(ctx, cs, s, lits, fp, &res)
	}
	return res
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// notSent is SP102 for probes that could not be sent at all: the run must
// not pass on endpoints nobody checked.
func notSent(cs *config.Secret, pr *config.Probe, why string) *report.Finding {
	return &report.Finding{
		Code: "SP102", Severity: report.SevError, Secret: cs.Name, Consumers: []string{},
		Message: fmt.Sprintf("probes of %s to %s not sent: %s", cs.Name, pr.URL, why),
		Hint:    "fix the runner's key first (the findings above say why it did not resolve), or run with --no-probes to skip the live probes knowingly",
		File:    pr.Pos.File, Line: pr.Pos.Line,
	}
}

func (p *Prober) secret(ctx context.Context, cs *config.Secret, s *report.Secret, lits []literalLink, fp *secret.Fingerprinter, res *ProbeResult) {
	// deployed are the services' keys only: a runner that fell back to
	// its own literal holds that literal, and counting it would skip the
	// very probe that catches a service still accepting it.
	var runner *report.Consumer
	var deployed []secret.Value
	for _, c := range s.Consumers {
		switch {
		case !c.Resolved:
		case c.Kind == string(config.KindRunner):
			runner = c
		default:
			deployed = append(deployed, c.Value)
		}
	}
	if len(deployed) == 0 && runner != nil {
		// No service's key is known (SP101/SP102 say why): the runner's is
		// the best guess at the deployed one, and a literal probe with it
		// would call the deployed key a hard-coded one.
		deployed = append(deployed, runner.Value)
	}
	fail := func(why string) {
		for _, pr := range cs.Probes {
			res.Findings = append(res.Findings, notSent(cs, pr, why))
		}
	}
	if runner == nil {
		fail("the runner's key did not resolve, so no valid probe token can be signed")
		return
	}
	signer, err := NewSigner(cs.JWT.Algorithm, runner.Value)
	if err != nil {
		fail("the runner cannot sign " + cs.JWT.Algorithm + " tokens: " + err.Error())
		return
	}
	forger, err := RandomSigner(cs.JWT.Algorithm)
	if err != nil {
		fail(err.Error())
		return
	}
	// A forged token carries the runner's kid, so an endpoint that picks
	// its key by kid still has to check the signature to refuse it.
	forger = forger.WithKID(signer.KID())

	// Literals of the config that are not the deployed key, in any
	// encoding (sameKey): a service that accepts a token signed with one
	// still honours the test helper's hard-coded key.
	type literalSigner struct {
		s  *Signer
		at string
	}
	var literalSigners []literalSigner
	seen := []secret.Value{}
	for _, l := range lits {
		v := l.value
		if slices.ContainsFunc(deployed, func(d secret.Value) bool { return sameKey(v, d, cs.JWT, fp) }) ||
			slices.ContainsFunc(seen, func(d secret.Value) bool { return d.Equal(v) }) {
			continue
		}
		seen = append(seen, v)
		ls, err := NewSigner(cs.JWT.Algorithm, v)
		if err != nil {
			// Not key material of the algorithm's type: a service that
			// accepts an HMAC token signed with it falls for key
			// confusion as well.
			if ls, err = NewSigner("HS256", v); err != nil {
				continue
			}
		}
		literalSigners = append(literalSigners, literalSigner{ls.WithKID(signer.KID()), l.pos.String()})
	}

	for _, pr := range cs.Probes {
		now := p.now()
		claims := ProbeClaims(cs.JWT, now)
		with := func(k string, v any) jwt.MapClaims {
			c := jwt.MapClaims{}
			for kk, vv := range claims {
				c[kk] = vv
			}
			c[k] = v
			return c
		}
		var reqs []request
		var signErr error
		sign := func(name string, sg *Signer, c jwt.MapClaims) request {
			tok, err := sg.Sign(c)
			if err != nil && signErr == nil {
				signErr = err
			}
			return request{name: name, token: tok}
		}
		reqs = append(reqs, sign(ProbeValid, signer, claims), request{name: ProbeNoToken})
		reqs = append(reqs, sign(ProbeForged, forger, claims))
		none, err := UnsignedToken(claims, signer.KID())
		if err != nil && signErr == nil {
			signErr = err
		}
		reqs = append(reqs, request{name: ProbeAlgNone, token: none})
		expired := with("exp", now.Add(-time.Hour).Unix())
		expired["iat"] = now.Add(-2 * time.Hour).Unix()
		reqs = append(reqs, sign(ProbeExpired, signer, expired))
		if cs.JWT.Issuer != "" {
			reqs = append(reqs, sign(ProbeWrongIssuer, signer, with("iss", wrongIssuer)))
		}
		if cs.JWT.Audience != "" {
			reqs = append(reqs, sign(ProbeWrongAudience, signer, with("aud", wrongAudience)))
		}
		if len(pr.BypassHeaders) > 0 {
			r := sign(ProbeBypass, forger, claims)
			r.bypass = true
			reqs = append(reqs, r)
		}
		for _, ls := range literalSigners {
			r := sign(ProbeLiteral, ls.s, claims)
			r.literalAt = ls.at
			reqs = append(reqs, r)
		}
		if signErr != nil {
			res.Findings = append(res.Findings, notSent(cs, pr, signErr.Error()))
			continue
		}
		p.endpoint(ctx, cs, pr, reqs, res)
	}
}

// endpoint sends reqs to one probe URL, in order, once each, and turns the
// outcomes into SP162/SP163.
func (p *Prober) endpoint(ctx context.Context, cs *config.Secret, pr *config.Probe, reqs []request, res *ProbeResult) {
	var letIn []*report.Probe
	var failed []*report.Probe
	tokens := make([]string, 0, len(reqs))
	for _, r := range reqs {
		if r.token != "" {
			tokens = append(tokens, r.token)
		}
	}
	for i, r := range reqs {
		status, err := p.send(ctx, pr, r)
		out := &report.Probe{Secret: cs.Name, URL: pr.URL, Probe: r.name, Status: status, LiteralAt: r.literalAt}
		if err != nil {
			out.Error = scrub(err.Error(), tokens)
		} else {
			out.LetIn = accepted(pr, status)
		}
		res.Probes = append(res.Probes, out)
		if i == 0 {
			if !out.LetIn {
				res.Findings = append(res.Findings, sp162(cs, pr, out))
			}
			if err != nil {
				// Unreachable: the negative probes would only repeat it.
				res.Notes = append(res.Notes, fmt.Sprintf("%s: the negative probes of %s were not sent: the valid probe could not reach it", cs.Name, pr.URL))
				return
			}
			continue
		}
		switch {
		case err != nil:
			failed = append(failed, out)
		case out.LetIn:
			letIn = append(letIn, out)
		}
	}
	res.Findings = append(res.Findings, sp163(cs, pr, letIn)...)
	for _, f := range failed {
		res.Findings = append(res.Findings, &report.Finding{
			Code: "SP102", Severity: report.SevError, Secret: cs.Name, Consumers: []string{},
			Message: fmt.Sprintf("probe %s to %s could not be completed (%s): whether the endpoint refuses it is unknown", f.Probe, pr.URL, f.Error),
			Hint:    "negative probes are never retried: check that the endpoint is stable, raise the probe's timeout, and run again",
			File:    pr.Pos.File, Line: pr.Pos.Line,
		})
	}
}

// accepted reports whether status means "let in" for pr. By default that
// is 101 for ws(s) URLs (a 200 without an upgrade opened no WebSocket:
// a page or a health check answered, not the socket) and 2xx otherwise.
func accepted(pr *config.Probe, status int) bool {
	switch {
	case len(pr.Accept) > 0:
		return slices.Contains(pr.Accept, status)
	case pr.IsWebSocket():
		return status == http.StatusSwitchingProtocols
	}
	return status >= 200 && status < 300
}

// send makes one request and returns its status. The token goes where the
// probe says; the response body is drained and dropped unread.
func (p *Prober) send(ctx context.Context, pr *config.Probe, r request) (int, error) {
	timeout := pr.Timeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u, err := url.Parse(pr.URL)
	if err != nil {
		return 0, errors.New("the probe URL does not parse")
	}
	hdr := http.Header{}
	// The bypass headers first: the token and the probe's own headers are
	// set after them, so none can replace either (the config refuses such
	// a header too, config.ReservedHeader).
	if r.bypass {
		for _, h := range pr.BypassHeaders {
			hdr.Set(h.Name, string(h.Value.Reveal()))
		}
	}
	hdr.Set("User-Agent", config.ProbeUserAgent)
	// Named so that whoever reads the endpoint's logs knows what this was.
	hdr.Set(config.ProbeNameHeader, r.name)
	var subprotocols []string
	if r.token != "" {
		switch place := pr.Token; {
		case place == config.TokenHeader:
			hdr.Set("Authorization", "Bearer "+r.token)
		case place == config.TokenSubprotocol:
			hdr.Del("Sec-WebSocket-Protocol")
			subprotocols = []string{r.token}
		case strings.HasPrefix(place, config.TokenQuery):
			q := u.Query()
			q.Set(strings.TrimPrefix(place, config.TokenQuery), r.token)
			u.RawQuery = q.Encode()
		case strings.HasPrefix(place, config.TokenCookie):
			hdr.Set("Cookie", (&http.Cookie{Name: strings.TrimPrefix(place, config.TokenCookie), Value: r.token}).String())
		}
	}
	client := p.Client
	if client == nil {
		client = NewProbeClient()
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if pr.IsWebSocket() {
		return dialWebSocket(ctx, &c, u.String(), hdr, subprotocols)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, errors.New("the probe request could not be built")
	}
	req.Header = hdr
	resp, err := c.Do(req)
	if err != nil {
		return 0, sources.TransportError(err)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// dialWebSocket performs a real WebSocket handshake. A refused handshake
// is a status, not an error; an accepted one is closed at once, having
// read nothing.
func dialWebSocket(ctx context.Context, c *http.Client, u string, hdr http.Header, subprotocols []string) (int, error) {
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: c, HTTPHeader: hdr, Subprotocols: subprotocols})
	if resp != nil && resp.Body != nil {
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil && resp.StatusCode != 0 {
			return resp.StatusCode, nil
		}
		if ctx.Err() != nil {
			return 0, errors.New(sources.SentenceTimeout)
		}
		return 0, sources.TransportError(err)
	}
	conn.SetReadLimit(wsReadLimit)
	_ = conn.CloseNow()
	return resp.StatusCode, nil
}

// scrub removes any token from an error message: a server or library
// could echo a header back.
func scrub(msg string, tokens []string) string {
	for _, t := range tokens {
		if t != "" && strings.Contains(msg, t) {
			return "the error text held part of the request and is not shown"
		}
	}
	for _, t := range tokens {
		for _, part := range strings.Split(t, ".") {
			if len(part) >= 16 && strings.Contains(msg, part) {
				return "the error text held part of the request and is not shown"
			}
		}
	}
	return msg
}

// sp162 reports a valid token that the endpoint did not let in.
func sp162(cs *config.Secret, pr *config.Probe, out *report.Probe) *report.Finding {
	f := &report.Finding{Code: "SP162", Severity: report.SevError, Secret: cs.Name, Consumers: []string{},
		Reason: ProbeValid, File: pr.Pos.File, Line: pr.Pos.Line}
	switch {
	case out.Error != "":
		f.Message = fmt.Sprintf("%s: the valid probe token (signed with the runner's key) got no answer: %s", pr.URL, out.Error)
		f.Hint = "check the URL and that the endpoint is up and reachable from CI; E2E tests against it would fail the same way"
	case out.Status == http.StatusUnauthorized || out.Status == http.StatusForbidden:
		f.Message = fmt.Sprintf("%s refused a valid probe token signed with the runner's key: HTTP %d", pr.URL, out.Status)
		f.Hint = "the endpoint does not accept the runner's tokens: if SP100/SP160 are clean, its running instances hold an older key than Secret Manager (env-var secrets are read at instance start): redeploy so they read the current version; else fix what those findings say"
	case out.Status >= 500:
		f.Message = fmt.Sprintf("%s did not let a valid probe token in: HTTP %d", pr.URL, out.Status)
		f.Hint = "the endpoint is failing or down: E2E tests against it would fail too; check its health and logs before running them"
	case pr.IsWebSocket() && len(pr.Accept) == 0 && out.Status >= 200 && out.Status < 300:
		f.Message = fmt.Sprintf("%s answered the WebSocket handshake of a valid probe token with HTTP %d, not 101: no WebSocket was opened", pr.URL, out.Status)
		f.Hint = "check that the URL is the WebSocket endpoint (its path, and that nothing in front of it drops the Upgrade header); list the status under the probe's accept: only if that answer really means \"let in\""
	case out.Status == http.StatusSwitchingProtocols || (out.Status >= 200 && out.Status < 300):
		f.Message = fmt.Sprintf("%s answered a valid probe token with HTTP %d, which accept: does not list", pr.URL, out.Status)
		f.Hint = "list the status that means \"let in\" under the probe's accept:"
	default:
		f.Message = fmt.Sprintf("%s did not let a valid probe token in: HTTP %d", pr.URL, out.Status)
		f.Hint = "check the probe's URL (path, redirects to a login page) and token placement (token: header, query:PARAM, cookie:NAME or subprotocol)"
	}
	return f
}

// sp163 reports negative probes that got in, one finding per cause: with
// no token or a forged one let in, the endpoint checks nothing, and what
// else got in follows from that.
func sp163(cs *config.Secret, pr *config.Probe, letIn []*report.Probe) []*report.Finding {
	if len(letIn) == 0 {
		return nil
	}
	names := func(skip string) []string {
		var out []string
		for _, p := range letIn {
			if p.Probe != skip && !slices.Contains(out, p.Probe) {
				out = append(out, p.Probe)
			}
		}
		return out
	}
	mk := func(p *report.Probe, also []string) *report.Finding {
		msg := fmt.Sprintf("%s let in the %s probe (HTTP %d): %s", pr.URL, p.Probe, p.Status, probeMeaning(cs, pr, p))
		if len(also) > 0 {
			msg += fmt.Sprintf("; also let in: %s", strings.Join(also, ", "))
		}
		return &report.Finding{Code: "SP163", Severity: report.SevError, Secret: cs.Name, Consumers: []string{},
			Reason: p.Probe, Message: msg, Hint: probeHint(cs, pr, p), File: pr.Pos.File, Line: pr.Pos.Line}
	}
	for _, root := range []string{ProbeNoToken, ProbeForged} {
		for _, p := range letIn {
			if p.Probe == root {
				return []*report.Finding{mk(p, names(root))}
			}
		}
	}
	var out []*report.Finding
	for _, p := range letIn {
		out = append(out, mk(p, nil))
	}
	return out
}

func probeMeaning(cs *config.Secret, pr *config.Probe, p *report.Probe) string {
	switch p.Probe {
	case ProbeNoToken:
		return "a request without any token was accepted"
	case ProbeForged:
		return "a token signed with a random key was accepted, so signatures are not verified"
	case ProbeAlgNone:
		return `an unsigned token ("alg": "none") was accepted`
	case ProbeExpired:
		return "a token that expired an hour ago was accepted"
	case ProbeWrongIssuer:
		return fmt.Sprintf("a token from issuer %q was accepted where %q is expected", wrongIssuer, cs.JWT.Issuer)
	case ProbeWrongAudience:
		return fmt.Sprintf("a token for audience %q was accepted where %q is expected", wrongAudience, cs.JWT.Audience)
	case ProbeBypass:
		return fmt.Sprintf("a forged token was refused, but the same token with the bypass headers (%s) was accepted", headerNames(pr))
	case ProbeLiteral:
		return fmt.Sprintf("a token signed with the hard-coded literal at %s, not the deployed key, was accepted", p.LiteralAt)
	}
	return "a request that must be refused was accepted"
}

func probeHint(cs *config.Secret, pr *config.Probe, p *report.Probe) string {
	switch p.Probe {
	case ProbeNoToken:
		return "put the endpoint behind the authentication middleware: it must refuse requests without a valid token"
	case ProbeForged:
		return "stop skipping signature verification (no decode-only \"fast path\"): verify every token with the key before reading any claim"
	case ProbeAlgNone:
		return "stop accepting alg none: pin the accepted algorithms in the verifier (e.g. jwt.WithValidMethods([]string{\"" + cs.JWT.Algorithm + "\"}))"
	case ProbeExpired:
		return "stop ignoring exp: validate expiry on every token (with at most a small leeway)"
	case ProbeWrongIssuer:
		return fmt.Sprintf("validate iss: accept only %q", cs.JWT.Issuer)
	case ProbeWrongAudience:
		return fmt.Sprintf("validate aud: accept only tokens for %q", cs.JWT.Audience)
	case ProbeBypass:
		return fmt.Sprintf("stop honouring the bypass headers (%s): remove the test bypass from the code; E2E traffic must carry real tokens signed with the staging key", headerNames(pr))
	case ProbeLiteral:
		return fmt.Sprintf("stop accepting a second key (\"dual-secret validation\"): verify with the Secret Manager key only, and delete the literal at %s from the test helper", p.LiteralAt)
	}
	return "refuse this request"
}

func headerNames(pr *config.Probe) string {
	var out []string
	for _, h := range pr.BypassHeaders {
		out = append(out, h.Name)
	}
	return strings.Join(out, ", ")
}

package config

import (
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/secret-preflight/secret-preflight/secret"
)

// The JWT and probe keys of DESIGN.md sections 5 and 5a. URLs, durations
// and token placements are checked with the same regular expressions as
// schema/config-v1.json, so that editor and loader agree.
var (
	consumerJWTKeys = []string{"issuer", "audience", "algorithms", "leeway"}
	probeKeys       = []string{"url", "token", "accept", "bypass_headers", "timeout"}

	urlRest = `(:[0-9]{1,5})?([/?]([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?`
	// tlsHost is a DNS name or a bracketed IPv6 address; no userinfo: a
	// credential in a URL would end up in logs.
	tlsHost = `([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])`
	// loopbackHost is where plain text cannot be read by anyone else.
	// Host names are case-insensitive (RFC 3986 3.2.2), and JSON Schema
	// patterns have no (?i): localhost is spelled out letter by letter.
	loopbackHost = `([Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]|127(\.[0-9]{1,3}){3}|\[::1\])`

	jwksURLRe  = regexp.MustCompile(`^(https://` + tlsHost + `|http://` + loopbackHost + `)` + urlRest + `$`)
	probeURLRe = regexp.MustCompile(`^((https|wss)://` + tlsHost + `|(http|ws)://` + loopbackHost + `)` + urlRest + `$`)
	plainURLRe = regexp.MustCompile(`^(http|ws)://`)
	wsURLRe    = regexp.MustCompile(`^wss?://`)
	tokenRe    = regexp.MustCompile("^(header|subprotocol|query:[A-Za-z0-9._~-]+|cookie:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$")
	headerRe   = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	// headerValueRe refuses control characters, which would split the
	// request (CR, LF) or be dropped by the server.
	headerValueRe = regexp.MustCompile(`^[^\x00-\x08\x0a-\x1f\x7f]*$`)
	// durationRe is one number and a unit, small enough not to overflow.
	durationRe = regexp.MustCompile(`^[0-9]{1,6}(ms|s|m|h)$`)
	positiveRe = regexp.MustCompile(`[1-9]`)
)

// claims reads jwt.claims: a map of claim names to any YAML value.
func (p *parser) claims(e entry) map[string]any {
	n := p.node(e.val)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "jwt.claims must be a map of claim names to values, got %s", describe(n))
		return nil
	}
	out := map[string]any{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := p.node(n.Content[i])
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			p.errorf(k, "a key in jwt.claims must be a claim name")
			continue
		}
		var v any
		if err := n.Content[i+1].Decode(&v); err != nil {
			p.errorf(n.Content[i+1], "jwt.claims: the value of a claim could not be read")
			continue
		}
		v = jsonable(v)
		if !p.registeredClaim(k.Value, p.node(n.Content[i+1]), v) {
			continue
		}
		if _, err := json.Marshal(v); err != nil {
			// NaN or infinity somewhere inside: no token can carry it,
			// and signing would fail as if the key were at fault.
			p.errorf(n.Content[i+1], "jwt.claims: %s cannot be written as JSON (NaN and infinity have no JSON form)", k.Value)
			continue
		}
		out[k.Value] = v
	}
	return out
}

// registeredClaim checks the type of a registered claim (RFC 7519 4.1):
// a verifier refuses a token whose exp, nbf or iat is not a number, or
// whose iss or aud is not a string, and a probe token that every
// verifier refuses for its own config checks nothing. NaN and infinity
// cannot be written in JSON at all.
func (p *parser) registeredClaim(name string, n *yaml.Node, v any) bool {
	switch name {
	case "exp", "nbf", "iat":
		ok := false
		switch x := v.(type) {
		case int, int64, uint64:
			ok = true
		case float64:
			ok = !math.IsNaN(x) && !math.IsInf(x, 0)
		}
		if !ok {
			got := describe(n)
			if _, isFloat := v.(float64); isFloat {
				got = "NaN or infinity"
			}
			p.errorf(n, "jwt.claims: %s must be a number of seconds since 1970 (a finite NumericDate), got %s", name, got)
		}
		return ok
	case "iss":
		if _, ok := v.(string); !ok {
			p.errorf(n, "jwt.claims: iss must be a string, got %s", describe(n))
			return false
		}
	case "aud":
		ok := false
		switch x := v.(type) {
		case string:
			ok = true
		case []any:
			ok = len(x) > 0
			for _, e := range x {
				if _, isStr := e.(string); !isStr {
					ok = false
				}
			}
		}
		if !ok {
			p.errorf(n, "jwt.claims: aud must be a string or a list of strings, got %s", describe(n))
		}
		return ok
	}
	return true
}

// jsonable turns yaml.v3's decoded maps into ones encoding/json can
// marshal (string keys), so a claim can be any YAML value.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = jsonable(x)
		}
		return t
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[strings.TrimSpace(toString(k))] = jsonable(x)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = jsonable(x)
		}
	case time.Time:
		return t.Format(time.RFC3339)
	}
	return v
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

// consumerJWT reads a service consumer's own jwt: expectations.
func (p *parser) consumerJWT(e entry) *ConsumerJWT {
	f, ok := p.mapping(p.node(e.val), "consumer jwt", " with issuer, audience, algorithms or leeway", consumerJWTKeys)
	if !ok {
		return nil
	}
	j := &ConsumerJWT{Pos: p.pos(e.key)}
	if v, ok := f.get("issuer"); ok {
		j.Issuer, _ = p.str(v, "jwt.issuer")
	}
	if v, ok := f.get("audience"); ok {
		j.Audience, _ = p.str(v, "jwt.audience")
	}
	if v, ok := f.get("algorithms"); ok {
		items, ok := p.list(v, "jwt.algorithms")
		if ok && len(items) == 0 {
			p.errorf(v.key, "jwt.algorithms is empty: list the algorithms the service accepts")
		}
		for _, it := range items {
			if a, ok := p.oneOf(entry{key: it, val: it}, "jwt.algorithms entry", jwtAlgorithms); ok {
				j.Algorithms = append(j.Algorithms, a)
			}
		}
	}
	if v, ok := f.get("leeway"); ok {
		j.Leeway, _ = p.duration(v, "jwt.leeway", false)
	}
	return j
}

// duration reads one number and a unit (30s, 500ms, 2m).
func (p *parser) duration(e entry, what string, positive bool) (time.Duration, bool) {
	s, ok := p.str(e, what)
	if !ok {
		return 0, false
	}
	if !durationRe.MatchString(s) || (positive && !positiveRe.MatchString(s)) {
		want := "a duration such as 30s, 500ms or 2m"
		if positive {
			want = "a positive duration such as 5s or 500ms"
		}
		p.errorf(p.node(e.val), "%s must be %s (up to 6 digits and one of ms, s, m, h)", what, want)
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.errorf(p.node(e.val), "%s is not a duration", what)
		return 0, false
	}
	return d, true
}

// jwksURL validates a jwks_url link: https, or plain http to a loopback
// host only. The URL is not quoted: it may carry a query parameter that
// is a credential.
func (p *parser) jwksURL(n *yaml.Node, s string) bool {
	if jwksURLRe.MatchString(s) {
		return true
	}
	switch fault := urlFault(s); {
	case fault != "":
		p.errorf(n, "jwks_url %s", fault)
	case plainURLRe.MatchString(s):
		p.errorf(n, "jwks_url: plain http:// is allowed only to loopback hosts (localhost, 127.x.x.x, [::1]); use https:// so keys cannot be swapped in transit")
	default:
		p.errorf(n, "jwks_url must be an https:// URL (no user:password@, no #fragment)")
	}
	return false
}

// urlFault names what is wrong with a URL the patterns refused, when it
// is one of the faults a scheme or host check would hide: a credential, a
// fragment, an empty port. It is "" otherwise. The URL is never quoted:
// it may carry a credential.
func urlFault(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return ""
	case u.User != nil:
		return "must not carry user:password@: a credential in a URL ends up in logs and reports"
	case strings.Contains(s, "#"):
		return "must not carry a #fragment: it is never sent to the server"
	case strings.HasSuffix(u.Host, ":"):
		return "has an empty port after the host's ':'; give the port number or drop the ':'"
	}
	return ""
}

// probes reads a secret's probes: list.
func (p *parser) probes(e entry) []*Probe {
	items, ok := p.list(e, "probes")
	if !ok {
		return nil
	}
	var out []*Probe
	for _, it := range items {
		if pr := p.probe(it); pr != nil {
			out = append(out, pr)
		}
	}
	return out
}

func (p *parser) probe(item *yaml.Node) *Probe {
	n := p.node(item)
	f, ok := p.mapping(n, "probe", " with a url", probeKeys)
	if !ok {
		return nil
	}
	pr := &Probe{Token: TokenHeader, Pos: p.pos(n)}
	good := true
	if v, ok := f.get("url"); ok {
		s, ok := p.str(v, "probe url")
		switch {
		case !ok:
			good = false
		case probeURLRe.MatchString(s):
			pr.URL = s
		case urlFault(s) != "":
			p.errorf(p.node(v.val), "probe url %s", urlFault(s))
			good = false
		case plainURLRe.MatchString(s):
			p.errorf(p.node(v.val), "probe url: plain http:// and ws:// are allowed only to loopback hosts (localhost, 127.x.x.x, [::1]); use https:// or wss:// so probe tokens cannot be read in transit")
			good = false
		default:
			p.errorf(p.node(v.val), "probe url must be https://, wss://, or http:// or ws:// to a loopback host (no user:password@, no #fragment)")
			good = false
		}
	} else if f.missing("url") {
		p.errorf(n, "probe has no url")
		good = false
	}
	if v, ok := f.get("token"); ok {
		s, ok := p.str(v, "probe token")
		switch {
		case !ok:
			good = false
		case !tokenRe.MatchString(s):
			p.errorf(p.node(v.val), "probe token must be header, subprotocol, query:PARAM or cookie:NAME")
			good = false
		case s == TokenSubprotocol && pr.URL != "" && !wsURLRe.MatchString(pr.URL):
			p.errorf(p.node(v.val), "probe token: subprotocol applies to ws:// and wss:// URLs only")
			good = false
		default:
			pr.Token = s
		}
	}
	if v, ok := f.get("accept"); ok {
		items, ok := p.list(v, "probe accept")
		if ok && len(items) == 0 {
			p.errorf(v.key, "probe accept is empty: list the statuses that mean the request was let in, e.g. [200]")
		}
		for _, it := range items {
			s := p.node(it)
			var code int
			if s.Kind != yaml.ScalarNode || s.ShortTag() != "!!int" || s.Decode(&code) != nil || code < 100 || code > 599 {
				p.errorf(s, "probe accept entries must be HTTP status codes (100-599)")
				good = false
				continue
			}
			pr.Accept = append(pr.Accept, code)
		}
	}
	if v, ok := f.get("bypass_headers"); ok {
		pr.BypassHeaders, ok = p.headers(v, pr.Token)
		good = good && ok
	}
	if v, ok := f.get("timeout"); ok {
		d, ok := p.duration(v, "probe timeout", true)
		pr.Timeout, good = d, good && ok
	}
	if !good {
		return nil
	}
	return pr
}

// headers reads bypass_headers: header names to values, in file order.
// Values are never quoted: a bypass header may carry a shared test key.
// A header the probe sets itself, or that carries its token (which travels
// as token), is refused: see ReservedHeader.
func (p *parser) headers(e entry, token string) ([]Header, bool) {
	n := p.node(e.val)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "bypass_headers must be a map of header names to values, got %s", describe(n))
		return nil, false
	}
	var out []Header
	good := true
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.node(n.Content[i]), p.node(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || !headerRe.MatchString(k.Value) || k.ShortTag() == "!!merge" {
			p.errorf(k, "bypass_headers: a header name is letters, digits and !#$%%&'*+.^_`|~- only")
			good = false
			continue
		}
		if seen[strings.ToLower(k.Value)] {
			p.errorf(k, "bypass_headers: header %q appears twice", k.Value)
			good = false
			continue
		}
		seen[strings.ToLower(k.Value)] = true
		if why := ReservedHeader(k.Value, token); why != "" {
			p.errorf(k, "bypass_headers: %q cannot be a bypass header: %s", k.Value, why)
			good = false
			continue
		}
		if v.Kind != yaml.ScalarNode || isNull(v) || !headerValueRe.MatchString(v.Value) {
			p.errorf(k, "bypass_headers: the value of %q must be a single-line string (not shown)", k.Value)
			good = false
			continue
		}
		out = append(out, Header{Name: k.Value, Value: secret.FromString(v.Value)})
	}
	return out, good
}

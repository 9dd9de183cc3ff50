package config

import (
	"strings"
	"time"

	"github.com/secret-preflight/secret-preflight/secret"
)

// ConsumerJWT is what one service's code expects of a token; empty fields
// fall back to the secret's jwt: block.
type ConsumerJWT struct {
	Issuer     string
	Audience   string
	Algorithms []string
	Leeway     time.Duration
	Pos        Pos
}

// Token placements of a probe.
const (
	TokenHeader      = "header"
	TokenSubprotocol = "subprotocol"
	TokenQuery       = "query:"
	TokenCookie      = "cookie:"
)

// Probe is a live endpoint that probe tokens are sent to (DESIGN.md 5a).
type Probe struct {
	// URL is http(s):// or ws(s)://; plain schemes only to loopback hosts.
	URL string
	// Token is header (Authorization: Bearer), subprotocol, query:PARAM
	// or cookie:NAME.
	Token string
	// Accept are the statuses that mean "let in"; empty means 101 for
	// WebSocket URLs (a 200 opened no socket) and 2xx otherwise.
	Accept []int
	// BypassHeaders are test-bypass switches the endpoint must not
	// honour. Their values may be shared test keys: they are Values.
	BypassHeaders []Header
	// Timeout bounds each request; zero means the default.
	Timeout time.Duration
	Pos     Pos
}

// Header is one HTTP header of a probe.
type Header struct {
	Name  string
	Value secret.Value
}

// The probe's own headers: the name it goes by, and which probe a request
// is, for whoever reads the endpoint's logs.
const (
	ProbeUserAgent   = "secret-preflight-probe"
	ProbeNameHeader  = "X-Secret-Preflight-Probe"
	headerAuthz      = "Authorization"
	headerCookie     = "Cookie"
	headerWSProtocol = "Sec-WebSocket-Protocol"
)

// ReservedHeader says why name cannot be a bypass header of a probe whose
// token travels as token, or "" when it can. The bypass probe is a forged
// token plus the bypass headers (DESIGN.md 5a): a bypass header that
// replaced the token, or the probe's own headers, would send another
// request than the one reported.
func ReservedHeader(name, token string) string {
	switch {
	case strings.EqualFold(name, headerAuthz) && token == TokenHeader:
		return "it carries the probe's token (Authorization: Bearer), and a bypass header must not replace the forged token"
	case strings.EqualFold(name, headerAuthz):
		return "it is a credential, and the bypass request carries the forged token as its only one"
	case strings.EqualFold(name, "User-Agent"), strings.EqualFold(name, ProbeNameHeader):
		return "the probe sets it itself, so that the endpoint's logs show what each request was"
	case strings.EqualFold(name, headerCookie) && strings.HasPrefix(token, TokenCookie):
		return "the probe's token travels in a cookie (token: " + token + "), and a bypass header must not replace the forged token"
	case strings.EqualFold(name, headerWSProtocol) && token == TokenSubprotocol:
		return "the probe's token travels as the WebSocket subprotocol (token: subprotocol), and a bypass header must not replace the forged token"
	}
	return ""
}

// IsWebSocket reports whether the probe's URL is ws:// or wss://.
func (p *Probe) IsWebSocket() bool {
	return strings.HasPrefix(p.URL, "ws://") || strings.HasPrefix(p.URL, "wss://")
}

// EffectiveJWT merges a consumer's expectations over the secret's.
func EffectiveJWT(s *JWT, c *ConsumerJWT) ConsumerJWT {
	out := ConsumerJWT{}
	if s != nil {
		out.Issuer, out.Audience, out.Algorithms = s.Issuer, s.Audience, []string{s.Algorithm}
	}
	if c != nil {
		if c.Issuer != "" {
			out.Issuer = c.Issuer
		}
		if c.Audience != "" {
			out.Audience = c.Audience
		}
		if len(c.Algorithms) > 0 {
			out.Algorithms = c.Algorithms
		}
		out.Leeway, out.Pos = c.Leeway, c.Pos
	}
	return out
}

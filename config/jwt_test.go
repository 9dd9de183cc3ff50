package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestProbesAndJWTKeys(t *testing.T) {
	doc := `version: 1
secrets:
  - name: jwt
    jwt:
      algorithm: HS256
      issuer: auth
      audience: api
      claims: {sub: e2e-preflight, roles: [reader], exp: 12}
    runner: {chain: [JWT_SECRET]}
    services:
      - manifest: m.yaml
        jwt: {audience: ws, algorithms: [HS256, HS512], leeway: 30s}
        chain: [JWT_SECRET, {jwks_url: "https://auth.example.com/.well-known/jwks.json"}]
    probes:
      - url: https://api.example.com/health
      - url: ws://127.0.0.1:8080/ws
        token: subprotocol
        accept: [101]
        bypass_headers: {X-E2E-Test: "true", X-Test-Mode: 1}
        timeout: 2s
`
	cfg, err := Parse("c.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Secrets[0]
	if s.JWT.Claims["sub"] != "e2e-preflight" || s.JWT.Claims["exp"] != 12 {
		t.Errorf("claims %v", s.JWT.Claims)
	}
	c := s.Services[0]
	if c.JWT == nil || c.JWT.Audience != "ws" || len(c.JWT.Algorithms) != 2 || c.JWT.Leeway != 30*time.Second {
		t.Errorf("consumer jwt %+v", c.JWT)
	}
	if l := c.Chain[1]; l.Kind != LinkJWKSURL || l.Name != "https://auth.example.com/.well-known/jwks.json" || l.Ref() != l.Name {
		t.Errorf("jwks_url link %+v", l)
	}
	eff := EffectiveJWT(s.JWT, c.JWT)
	if eff.Issuer != "auth" || eff.Audience != "ws" || eff.Algorithms[1] != "HS512" {
		t.Errorf("effective %+v", eff)
	}
	if len(s.Probes) != 2 {
		t.Fatalf("%d probes", len(s.Probes))
	}
	p0, p1 := s.Probes[0], s.Probes[1]
	if p0.Token != TokenHeader || p0.Accept != nil || p0.Timeout != 0 || p0.IsWebSocket() {
		t.Errorf("defaults %+v", p0)
	}
	if p1.Token != TokenSubprotocol || p1.Accept[0] != 101 || p1.Timeout != 2*time.Second || !p1.IsWebSocket() ||
		len(p1.BypassHeaders) != 2 || p1.BypassHeaders[1].Name != "X-Test-Mode" || string(p1.BypassHeaders[1].Value.Reveal()) != "1" {
		t.Errorf("probe %+v", p1)
	}
	if p1.Pos.Line != 16 || p1.Pos.Col != 9 {
		t.Errorf("probe at %v", p1.Pos)
	}
}

// Every probe-side mistake is a config error at its position, and plain
// text to anything but a loopback host is one of them.
func TestProbeConfigErrors(t *testing.T) {
	head := "version: 1\nsecrets:\n  - name: jwt\n    jwt: {algorithm: HS256}\n    runner: {chain: [A]}\n"
	cases := []struct{ body, want string }{
		{"    probes: [{url: http://api.example.com/x}]\n", "6:20: probe url: plain http:// and ws:// are allowed only to loopback hosts"},
		{"    probes: [{url: ws://10.0.0.1/ws}]\n", "6:20: probe url: plain http:// and ws:// are allowed only to loopback hosts"},
		{"    probes: [{url: \"https://u:p@api.example.com/x\"}]\n", "6:20: probe url must not carry user:password@"},
		{"    probes: [{url: \"http://user:pw@127.0.0.1/x\"}]\n", "6:20: probe url must not carry user:password@"},
		{"    probes: [{url: \"http://127.0.0.1:/x\"}]\n", "6:20: probe url has an empty port"},
		{"    probes: [{url: \"ws://localhost/ws#x\"}]\n", "6:20: probe url must not carry a #fragment"},
		{"    services: [{manifest: m.yaml, chain: [{jwks_url: \"http://u:p@localhost/jwks\"}]}]\n", "6:54: jwks_url must not carry user:password@"},
		{"    services: [{manifest: m.yaml, chain: [{jwks_url: \"http://[::1]:/jwks\"}]}]\n", "6:54: jwks_url has an empty port"},
		{"    probes: [{url: https://a.example/x, token: subprotocol}]\n", "6:48: probe token: subprotocol applies to ws:// and wss:// URLs only"},
		{"    probes: [{url: https://a.example/x, token: query}]\n", "6:48: probe token must be header"},
		{"    probes: [{url: https://a.example/x, accept: [\"200\"]}]\n", "6:50: probe accept entries must be HTTP status codes"},
		{"    probes: [{url: https://a.example/x, timeout: 0s}]\n", "6:50: probe timeout must be a positive duration"},
		{"    probes: [{token: header}]\n", "6:14: probe has no url"},
		{"    probes: [{url: https://a.example/x, bypass_headers: {X-E2E-Test: \"a\\nb\"}}]\n", "6:58: bypass_headers: the value of \"X-E2E-Test\" must be a single-line string"},
		{"    services: [{manifest: m.yaml, chain: [{jwks_url: http://auth.example.com/jwks}]}]\n", "6:54: jwks_url: plain http:// is allowed only to loopback hosts"},
		{"    probes: [{url: https://a.example/x, bypass_headers: {X-E2E-Test: \"true\", authorization: \"Bearer x\"}}]\n", "6:78: bypass_headers: \"authorization\" cannot be a bypass header: it carries the probe's token"},
		{"    probes: [{url: https://a.example/x, token: \"query:t\", bypass_headers: {Authorization: x}}]\n", "6:76: bypass_headers: \"Authorization\" cannot be a bypass header: it is a credential"},
		{"    probes: [{url: https://a.example/x, bypass_headers: {X-Secret-Preflight-Probe: valid}}]\n", "6:58: bypass_headers: \"X-Secret-Preflight-Probe\" cannot be a bypass header: the probe sets it itself"},
		{"    probes: [{url: https://a.example/x, bypass_headers: {User-Agent: e2e}}]\n", "6:58: bypass_headers: \"User-Agent\" cannot be a bypass header: the probe sets it itself"},
		{"    probes: [{url: https://a.example/x, token: \"cookie:session\", bypass_headers: {Cookie: \"session=x\"}}]\n", "6:83: bypass_headers: \"Cookie\" cannot be a bypass header: the probe's token travels in a cookie"},
		{"    probes: [{url: wss://a.example/ws, token: subprotocol, bypass_headers: {Sec-WebSocket-Protocol: x}}]\n", "6:77: bypass_headers: \"Sec-WebSocket-Protocol\" cannot be a bypass header: the probe's token travels as the WebSocket subprotocol"},
		{"    services: [{manifest: m.yaml, jwt: {leeway: 30}, chain: [A]}]\n", "6:49: jwt.leeway must be a duration"},
		{"    services: [{manifest: m.yaml, jwt: {algorithms: [none]}, chain: [A]}]\n", "6:54: jwt.algorithms entry \"none\" is not one of"},
	}
	for _, c := range cases {
		_, err := Parse("c.yaml", []byte(head+c.body))
		var es Errors
		if !errors.As(err, &es) {
			t.Errorf("%s: accepted", c.body)
			continue
		}
		if !strings.Contains(err.Error(), "c.yaml:"+c.want) {
			t.Errorf("%s: got\n%v\nwant c.yaml:%s", c.body, err, c.want)
		}
	}
	noJWT := "version: 1\nsecrets:\n  - name: jwt\n    runner: {chain: [A]}\n    probes: [{url: https://a.example/x}]\n"
	if _, err := Parse("c.yaml", []byte(noJWT)); err == nil || !strings.Contains(err.Error(), "c.yaml:5:5: probes need a jwt: block") {
		t.Errorf("probes without jwt: %v", err)
	}
	// Host names are case-insensitive: LOCALHOST is a loopback host.
	loud := head + "    probes: [{url: http://LOCALHOST/x}, {url: ws://LocalHost:8080/ws}]\n" +
		"    services: [{manifest: m.yaml, chain: [{jwks_url: http://Localhost/jwks}]}]\n"
	if _, err := Parse("c.yaml", []byte(loud)); err != nil {
		t.Errorf("LOCALHOST refused: %v", err)
	}
	// A cookie or a subprotocol header is a bypass header like any other
	// when the token travels elsewhere.
	other := head + "    probes: [{url: wss://a.example/ws, bypass_headers: {Cookie: \"e2e=1\", Sec-WebSocket-Protocol: e2e}}]\n"
	if _, err := Parse("c.yaml", []byte(other)); err != nil {
		t.Errorf("Cookie and Sec-WebSocket-Protocol with a header token: %v", err)
	}
	runner := "version: 1\nsecrets:\n  - name: jwt\n    runner: {chain: [{jwks_url: https://a.example/jwks}]}\n"
	if _, err := Parse("c.yaml", []byte(runner)); err == nil || !strings.Contains(err.Error(), "jwks_url links are how a service") {
		t.Errorf("runner jwks_url: %v", err)
	}
}

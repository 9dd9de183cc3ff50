package checks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// keyForms writes one key pair in every form a service may hold it in.
type keyForms struct {
	private, publicPEM, cert, jwk, jwks, jwksWithOther string
}

func formsOf(t *testing.T, priv crypto.Signer, kid string) keyForms {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "auth"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Use: "sig"}
	otherJWK := jose.JSONWebKey{Key: &other.PublicKey, KeyID: "previous", Use: "sig"}
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return keyForms{
		private:       string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		publicPEM:     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		cert:          string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})),
		jwk:           js(pub),
		jwks:          js(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}}),
		jwksWithOther: js(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{otherJWK, pub}}),
	}
}

func newPair(t *testing.T, alg string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case "RS256", "PS256":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jwtSecret is a one-secret config and report: a runner and services.
func jwtSecret(j *config.JWT, runner string, services ...*report.Consumer) (*config.Config, *report.Secret) {
	cs := &config.Secret{Name: "jwt", JWT: j, Runner: &config.Consumer{Kind: config.KindRunner}}
	s := &report.Secret{Name: "jwt", Consumers: []*report.Consumer{consumer("runner", "env", runner)}}
	for i, c := range services {
		c.File, c.Line = "c.yaml", 10+i
		cs.Services = append(cs.Services, &config.Consumer{Kind: config.KindManifest, Pos: config.Pos{File: "c.yaml", Line: 10 + i}})
		s.Consumers = append(s.Consumers, c)
	}
	return &config.Config{Secrets: []*config.Secret{cs}}, s
}

// runKeyed fingerprints as preflight does and runs the checks.
func runKeyed(t *testing.T, cfg *config.Config, s *report.Secret) *report.Report {
	t.Helper()
	fp, err := secret.NewFingerprinter("test-key")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Consumers {
		Fingerprint(c, cfg.Secrets[0].JWT, fp)
	}
	rep := &report.Report{Secrets: []*report.Secret{s}}
	rep.Findings = Run(cfg, rep, fp)
	s.Verdict = Verdict(s, fp)
	return rep
}

var reasonWords = regexp.MustCompile(`\b(signature|algorithm|issuer|audience|expired|not_yet_valid|kid|key_type)\b`)

// Every SP160 reason, each from the one difference that causes it.
func TestSP160Reasons(t *testing.T) {
	hs := "a-real-looking-signing-key-0123456789abcdef"
	ec := newPair(t, "ES256")
	ecForms := formsOf(t, ec, "runner-key")
	ecRunnerJWK, _ := json.Marshal(jose.JSONWebKey{Key: ec, KeyID: "runner-key"})
	ecWrongKID, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "other-kid"}}})
	rsaForms := formsOf(t, newPair(t, "RS256"), "")
	base := func() *config.JWT {
		return &config.JWT{Algorithm: "HS256", Issuer: "auth", Audience: "api"}
	}
	cases := []struct {
		name, reason, hint string
		jwt                *config.JWT
		runner, service    string
		override           *config.ConsumerJWT
	}{
		{name: "accepted", jwt: base(), runner: hs, service: hs},
		{name: "other key", reason: "signature", hint: "same secret version", jwt: base(), runner: hs, service: hs + "-rotated"},
		{name: "service wants HS512", reason: "algorithm", hint: "one of HS512", jwt: base(), runner: hs, service: hs,
			override: &config.ConsumerJWT{Algorithms: []string{"HS512"}}},
		{name: "service expects another issuer", reason: "issuer", hint: `set the helper's iss to "auth-v2"`, jwt: base(), runner: hs, service: hs,
			override: &config.ConsumerJWT{Issuer: "auth-v2"}},
		{name: "service expects another audience", reason: "audience", hint: `set the helper's aud to "websocket"`, jwt: base(), runner: hs, service: hs,
			override: &config.ConsumerJWT{Audience: "websocket"}},
		{name: "exp claim in the past", reason: "expired", hint: "drop exp", runner: hs, service: hs,
			jwt: &config.JWT{Algorithm: "HS256", Claims: map[string]any{"exp": 1000}}},
		{name: "nbf claim in the future", reason: "not_yet_valid", hint: "drop nbf", runner: hs, service: hs,
			jwt: &config.JWT{Algorithm: "HS256", Claims: map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}}},
		{name: "leeway lets a recent exp through", runner: hs, service: hs,
			jwt:      &config.JWT{Algorithm: "HS256", Claims: map[string]any{"exp": time.Now().Add(-10 * time.Second).Unix()}},
			override: &config.ConsumerJWT{Leeway: time.Minute}},
		{name: "JWKS under another kid", reason: "kid", hint: `kid "runner-key"`, jwt: &config.JWT{Algorithm: "ES256"},
			runner: string(ecRunnerJWK), service: string(ecWrongKID)},
		{name: "JWKS under the runner's kid", jwt: &config.JWT{Algorithm: "ES256"}, runner: string(ecRunnerJWK), service: ecForms.jwks},
		{name: "EC key for RS256", reason: "key_type", hint: "RSA, EC or Ed25519", jwt: &config.JWT{Algorithm: "RS256"},
			runner: rsaForms.private, service: ecForms.publicPEM},
		{name: "PEM public key for HS256", reason: "key_type", hint: "shared bytes", jwt: base(), runner: hs, service: rsaForms.publicPEM},
		{name: "plain bytes for RS256", reason: "key_type", jwt: &config.JWT{Algorithm: "RS256"}, runner: rsaForms.private, service: hs},
		{name: "JWK marked for another algorithm", reason: "key_type", jwt: &config.JWT{Algorithm: "ES256"}, runner: string(ecRunnerJWK),
			service: strings.Replace(ecForms.jwk, `"kid"`, `"alg":"ES384","kid"`, 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, s := jwtSecret(c.jwt, c.runner, consumer("manifest:api.yaml/app", "file", c.service))
			cfg.Secrets[0].Services[0].JWT = c.override
			rep := runKeyed(t, cfg, s)
			var sp160 []*report.Finding
			for _, f := range rep.Findings {
				if f.Code == "SP160" {
					sp160 = append(sp160, f)
				}
			}
			if c.reason == "" {
				if len(sp160) != 0 {
					t.Fatalf("want no SP160, got %q", sp160[0].Message)
				}
				return
			}
			if len(sp160) != 1 {
				t.Fatalf("want one SP160, got %d (%v)", len(sp160), codes(rep))
			}
			f := sp160[0]
			words := map[string]bool{}
			for _, w := range reasonWords.FindAllString(f.Message, -1) {
				words[w] = true
			}
			if f.Reason != c.reason || len(words) != 1 || !words[c.reason] {
				t.Errorf("reason %q, words %v in %q; want only %q", f.Reason, words, f.Message, c.reason)
			}
			if !strings.HasPrefix(f.Message, "manifest:api.yaml/app refuses") || f.Consumers[0] != "manifest:api.yaml/app" || f.Line != 10 {
				t.Errorf("finding does not name the consumer: %+v", f)
			}
			if !strings.Contains(f.Hint, c.hint) {
				t.Errorf("hint %q lacks %q", f.Hint, c.hint)
			}
		})
	}
}

// A runner's private key agrees with the same key pair on the service
// side in every form: PEM public key, certificate, JWK, JWKS (alone or
// beside an older key). Another key pair does not.
func TestKeyPairsAgreeInEveryForm(t *testing.T) {
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		priv := newPair(t, alg)
		f := formsOf(t, priv, "k1")
		stranger := formsOf(t, newPair(t, alg), "k1")
		for form, v := range map[string]string{
			"pem": f.publicPEM, "certificate": f.cert, "jwk": f.jwk, "jwks": f.jwks, "jwks with an older key": f.jwksWithOther,
			"private pem": f.private,
		} {
			cfg, s := jwtSecret(&config.JWT{Algorithm: alg, Issuer: "auth"}, f.private, consumer("manifest:api.yaml/app", "file", v))
			rep := runKeyed(t, cfg, s)
			if got := codes(rep); len(got) != 0 || s.Verdict != report.Match {
				t.Errorf("%s %s: verdict %s, findings %v", alg, form, s.Verdict, got)
			}
			if fp := s.Consumers[1].Fingerprint; fp != s.Consumers[0].Fingerprint || !strings.HasPrefix(fp, "jwk-sha256:") {
				t.Errorf("%s %s: fingerprint %s, runner %s", alg, form, fp, s.Consumers[0].Fingerprint)
			}
		}
		cfg, s := jwtSecret(&config.JWT{Algorithm: alg}, f.private, consumer("manifest:api.yaml/app", "file", stranger.jwks))
		got := strings.Join(codes(runKeyed(t, cfg, s)), " ")
		if !strings.Contains(got, "SP100") || !strings.Contains(got, "SP160") {
			t.Errorf("%s: another key pair gives %s, want SP100 and SP160", alg, got)
		}
	}
}

// An HMAC key given raw on one side and as an "oct" JWK on the other is
// the same key.
func TestHMACAsOctJWK(t *testing.T) {
	raw := "a-real-looking-signing-key-0123456789abcdef"
	oct, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte(raw), KeyID: "hs"}}})
	cfg, s := jwtSecret(&config.JWT{Algorithm: "HS256"}, raw, consumer("manifest:api.yaml/app", "file", string(oct)))
	rep := runKeyed(t, cfg, s)
	if got := codes(rep); len(got) != 0 || s.Verdict != report.Match {
		t.Errorf("verdict %s, findings %v", s.Verdict, got)
	}
}

// A probe token never lives longer than a minute, whatever the claims say.
func TestProbeClaimsCapLifetime(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, exp := range []any{now.Add(24 * time.Hour).Unix(), "tomorrow", nil} {
		c := ProbeClaims(&config.JWT{Algorithm: "HS256", Claims: map[string]any{"exp": exp, "sub": "e2e"}}, now)
		if c["exp"] != now.Add(ProbeLifetime).Unix() || c["sub"] != "e2e" {
			t.Errorf("exp %v: claims %v", exp, c)
		}
	}
	if c := ProbeClaims(&config.JWT{Algorithm: "HS256", Claims: map[string]any{"exp": 1000}}, now); c["exp"] != 1000 {
		t.Errorf("an earlier exp is kept (it tests expiry): %v", c["exp"])
	}
}

// A signature refusal's hint fits the situation: a kid that picks another
// key is told as such, and SP100 is pointed to only when there is one.
func TestSignatureHintFitsTheSituation(t *testing.T) {
	ec, other := newPair(t, "ES256"), newPair(t, "ES256")
	runnerJWK, _ := json.Marshal(jose.JSONWebKey{Key: ec, KeyID: "runner-key"})
	runnerNoKID, _ := json.Marshal(jose.JSONWebKey{Key: ec})
	// The runner's public key is published, under another kid; its own
	// kid names another key.
	swapped, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "old"}, {Key: other.Public(), KeyID: "runner-key"}}})
	otherOnly, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: other.Public(), KeyID: "runner-key"}}})
	otherNoKID, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: other.Public()}}})
	cases := []struct {
		name, runner, service string
		sp100                 bool
		want                  string
	}{
		{"kid names another key, keys agree", string(runnerJWK), string(swapped), false, `key under kid "runner-key" is not the runner's public key`},
		{"kid names another key, keys differ", string(runnerJWK), string(otherOnly), true, `key under kid "runner-key" is not the runner's public key`},
		{"another key, no kid", string(runnerNoKID), string(otherNoKID), true, "see SP100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, s := jwtSecret(&config.JWT{Algorithm: "ES256"}, c.runner, consumer("manifest:api.yaml/app", "file", c.service))
			rep := runKeyed(t, cfg, s)
			if (has(rep, "SP100") != nil) != c.sp100 {
				t.Fatalf("findings %v: SP100 %v, want %v", codes(rep), has(rep, "SP100") != nil, c.sp100)
			}
			f := has(rep, "SP160")
			if f == nil || f.Reason != ReasonSignature {
				t.Fatalf("SP160 %+v, want signature", f)
			}
			if !strings.Contains(f.Hint, c.want) {
				t.Errorf("hint %q lacks %q", f.Hint, c.want)
			}
			if !c.sp100 && strings.Contains(f.Hint, "SP100") {
				t.Errorf("hint %q points to an SP100 the run does not report", f.Hint)
			}
			for _, w := range reasonWords.FindAllString(f.Message, -1) {
				if w != ReasonSignature {
					t.Errorf("message %q names the reason word %q too", f.Message, w)
				}
			}
		})
	}
}

package checks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// A runner whose key material cannot sign the secret's algorithm is an
// SP160 key_type error naming the runner: the test helper could not mint
// one token, so the run must fail, not pass with a note.
func TestRunnerThatCannotSignFailsSP160(t *testing.T) {
	ec := formsOf(t, newPair(t, "ES256"), "")
	rsa := formsOf(t, newPair(t, "RS256"), "")
	cases := []struct{ name, alg, runner, service string }{
		{"certificate only", "ES256", ec.cert, ec.cert},
		{"public key only", "RS256", rsa.publicPEM, rsa.publicPEM},
		{"public JWKS only", "ES256", ec.jwks, ec.jwks},
		{"RSA key for ES256", "ES256", rsa.private, rsa.publicPEM},
		{"EC key for RS256", "RS256", ec.private, ec.publicPEM},
		{"EC key for EdDSA", "EdDSA", ec.private, ec.publicPEM},
		{"P-256 key for ES384", "ES384", ec.private, ec.publicPEM},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, s := jwtSecret(&config.JWT{Algorithm: c.alg}, c.runner, consumer("manifest:api.yaml/app", "file", c.service))
			s.Consumers[0].File, s.Consumers[0].Line = "c.yaml", 5
			rep := runKeyed(t, cfg, s)
			rep.Finish("error")
			f := has(rep, "SP160")
			if f == nil {
				t.Fatalf("no SP160; findings %v, notes %v", codes(rep), rep.Notes)
			}
			if f.Severity != report.SevError || f.Reason != ReasonKeyType || len(f.Consumers) != 1 || f.Consumers[0] != "runner" || f.Line != 5 {
				t.Errorf("SP160 %+v: want an error, reason key_type, naming the runner at line 5", f)
			}
			if !strings.Contains(f.Message, "cannot mint tokens with what it holds") || !strings.Contains(f.Hint, "private key") {
				t.Errorf("message %q / hint %q do not say what the helper lacks", f.Message, f.Hint)
			}
			// Its one reason word, as the service-side SP160s say theirs.
			if words := reasonWords.FindAllString(f.Message, -1); len(words) != 1 || words[0] != ReasonKeyType ||
				!strings.Contains(f.Message, ReasonKeyType+": ") {
				t.Errorf("message %q: reason words %q, want key_type once", f.Message, words)
			}
			if rep.Result == report.Pass {
				t.Errorf("result %s: a run whose runner cannot sign must not pass", rep.Result)
			}
		})
	}
}

// A jwt: secret without a runner says that SP160 was not checked.
func TestNoRunnerNotesSP160NotChecked(t *testing.T) {
	hs := "a-real-looking-signing-key-0123456789abcdef"
	cfg, s := jwtSecret(&config.JWT{Algorithm: "HS256"}, hs, consumer("manifest:a.yaml/app", "file", hs), consumer("manifest:b.yaml/app", "file", hs))
	cfg.Secrets[0].Runner = nil
	s.Consumers = s.Consumers[1:]
	rep := runKeyed(t, cfg, s)
	found := false
	for _, n := range rep.Notes {
		found = found || strings.Contains(n, "SP160 not checked") && strings.Contains(n, "no runner key to sign")
	}
	if !found || has(rep, "SP160") != nil {
		t.Errorf("notes %q, findings %v: want a note that SP160 was not checked", rep.Notes, codes(rep))
	}
}

// A runner JWKS of [public A, private B] signs with B: compared with a
// service that publishes B, the two agree, and the runner is shown by B.
func TestRunnerJWKSComparedByTheKeyItSignsWith(t *testing.T) {
	a, b := newPair(t, "ES256"), newPair(t, "ES256")
	jb := jose.JSONWebKey{Key: b, KeyID: "b", Use: "sig"}
	runner, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: a.Public(), KeyID: "a", Use: "sig"}, jb}})
	service, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jb.Public()}})
	cfg, s := jwtSecret(&config.JWT{Algorithm: "ES256"}, string(runner), consumer("manifest:api.yaml/app", "file", string(service)))
	rep := runKeyed(t, cfg, s)
	if got := codes(rep); len(got) != 0 || s.Verdict != report.Match {
		t.Errorf("verdict %s, findings %v: the runner signs with B, which the service holds", s.Verdict, got)
	}
	tb, err := secret.JWKThumbprint(b.Public())
	if err != nil {
		t.Fatal(err)
	}
	if want := secret.KeyFingerprint(tb); s.Consumers[0].Fingerprint != want || s.Consumers[1].Fingerprint != want {
		t.Errorf("fingerprints %s / %s, want B's %s", s.Consumers[0].Fingerprint, s.Consumers[1].Fingerprint, want)
	}
}

// An HMAC service whose "oct" JWK is marked for another algorithm or for
// encryption is told that, not that it holds an asymmetric key.
func TestHMACServiceWithMarkedOctJWK(t *testing.T) {
	hs := "a-real-looking-signing-key-0123456789abcdef"
	for _, c := range []struct{ alg, use, want string }{{"HS512", "", `alg "HS512"`}, {"", "enc", `use "enc"`}} {
		jwk, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte(hs), KeyID: "hs", Algorithm: c.alg, Use: c.use}}})
		cfg, s := jwtSecret(&config.JWT{Algorithm: "HS256"}, hs, consumer("manifest:api.yaml/app", "file", string(jwk)))
		f := has(runKeyed(t, cfg, s), "SP160")
		if f == nil || f.Reason != ReasonKeyType {
			t.Fatalf("%s: SP160 %+v, want key_type", c.want, f)
		}
		if strings.Contains(f.Message, "asymmetric") || !strings.Contains(f.Message, "HMAC key (an oct JWK) is marked for "+c.want) {
			t.Errorf("message %q", f.Message)
		}
		if !strings.Contains(f.Hint, "set its alg to HS256 and its use to sig") {
			t.Errorf("hint %q", f.Hint)
		}
	}
}

// An EC key on the wrong curve is not weak (SP122 is for short HMAC keys
// and small RSA moduli) but of the wrong type for the algorithm: SP160
// key_type, on the runner's side and on a service's, saying which curve
// the algorithm needs.
func TestECKeyOnTheWrongCurveIsKeyType(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrong := formsOf(t, p384, "")
	right := formsOf(t, newPair(t, "ES256"), "")
	cases := []struct{ name, runner, service, consumer, want string }{
		{"runner on P-384", wrong.private, wrong.publicPEM, "runner", "the runner's private key is an EC key on P-384, which cannot sign ES256 tokens: ES256 needs an EC key on P-256"},
		{"service on P-384", right.private, wrong.publicPEM, "manifest:api.yaml/app", "the consumer holds an EC key on P-384, which cannot verify ES256 tokens: ES256 needs an EC key on P-256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, s := jwtSecret(&config.JWT{Algorithm: "ES256"}, c.runner, consumer("manifest:api.yaml/app", "file", c.service))
			rep := runKeyed(t, cfg, s)
			if f := has(rep, "SP122"); f != nil {
				t.Errorf("SP122 %q: a curve is not a strength", f.Message)
			}
			f := has(rep, "SP160")
			if f == nil || f.Reason != ReasonKeyType || f.Consumers[0] != c.consumer {
				t.Fatalf("SP160 %+v, want key_type naming %s", f, c.consumer)
			}
			if !strings.Contains(f.Message, c.want) || strings.Contains(f.Message, "only public keys") {
				t.Errorf("message %q, want %q", f.Message, c.want)
			}
			if !strings.Contains(f.Hint, "ES256 needs (an EC key on P-256)") {
				t.Errorf("hint %q does not name the curve", f.Hint)
			}
		})
	}
}

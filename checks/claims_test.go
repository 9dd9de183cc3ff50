package checks

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/secret"
)

// An exp beyond the int64 range, or no number at all, cannot make a probe
// token outlive a minute: it saturates, then the cap cuts it back. One far
// in the past stays in the past.
func TestProbeClaimsExpSaturates(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	limit := now.Add(ProbeLifetime).Unix()
	for _, exp := range []any{1e30, math.Inf(1), math.Inf(-1), math.NaN(), uint64(math.MaxUint64), float64(math.MaxInt64)} {
		if c := ProbeClaims(&config.JWT{Algorithm: "HS256", Claims: map[string]any{"exp": exp}}, now); c["exp"] != limit {
			t.Errorf("exp %v: claims exp %v, want %d", exp, c["exp"], limit)
		}
	}
	if c := ProbeClaims(&config.JWT{Algorithm: "HS256", Claims: map[string]any{"exp": -1e30}}, now); c["exp"] != int64(-maxUnixSeconds) {
		t.Errorf("exp -1e30: claims exp %v (%T), want the earliest date a verifier reads", c["exp"], c["exp"])
	}

	// The signed token carries the cut-back exp, as a verifier reads it.
	s, err := NewSigner("HS256", secret.FromString(key))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(ProbeClaims(&config.JWT{Algorithm: "HS256", Claims: map[string]any{"exp": 1e30}}, now))
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		t.Fatal(err)
	}
	if e, err := claims.GetExpirationTime(); err != nil || e == nil || e.Unix() != limit {
		t.Errorf("token exp %v (%v), want %d", e, err, limit)
	}
}

// Every SP160 carries one of DESIGN's eight reason words, and its message
// no other, also for claims that config loading would refuse (the checks
// run on configs built in code too).
func TestEverySP160ReasonIsOneOfEight(t *testing.T) {
	hs := "a-real-looking-signing-key-0123456789abcdef"
	cases := []struct {
		claims map[string]any
		want   string
	}{
		{map[string]any{"nbf": "later"}, ReasonNotYetValid},
		{map[string]any{"iat": "x"}, ReasonNotYetValid},
		{map[string]any{"aud": 5}, ReasonAudience},
		{map[string]any{"aud": []any{"api", 5}}, ReasonAudience},
		{map[string]any{"iss": []any{"auth"}}, ReasonIssuer},
		{map[string]any{"iss": 5}, ReasonIssuer},
		{map[string]any{"exp": 1000}, ReasonExpired},
		{map[string]any{"nbf": 1e30}, ReasonNotYetValid},
	}
	for _, c := range cases {
		j := &config.JWT{Algorithm: "HS256", Issuer: "auth", Audience: "api", Claims: c.claims}
		cfg, s := jwtSecret(j, hs, consumer("manifest:api.yaml/app", "file", hs))
		rep := runKeyed(t, cfg, s)
		f := has(rep, "SP160")
		if f == nil {
			t.Errorf("%v: no SP160 (findings %v)", c.claims, codes(rep))
			continue
		}
		words := reasonWords.FindAllString(f.Message, -1)
		if !slices.Contains(SP160Reasons, f.Reason) || f.Reason != c.want {
			t.Errorf("%v: reason %q, want %q", c.claims, f.Reason, c.want)
		}
		for _, w := range words {
			if w != f.Reason {
				t.Errorf("%v: message %q names %q beside reason %q", c.claims, f.Message, w, f.Reason)
			}
		}
	}
}

package config

import (
	"errors"
	"strings"
	"testing"
)

// Registered claims of jwt.claims with a type no verifier accepts are
// config errors at the value: a probe token with them checks nothing.
func TestRegisteredClaimTypes(t *testing.T) {
	head := "version: 1\nsecrets:\n  - name: jwt\n    runner: {chain: [A]}\n    jwt:\n      algorithm: HS256\n      claims:\n"
	bad := []struct{ claim, want string }{
		{"exp: .nan", "8:14: jwt.claims: exp must be a number of seconds since 1970 (a finite NumericDate), got NaN or infinity"},
		{"exp: -.inf", "8:14: jwt.claims: exp must be a number"},
		{"exp: tomorrow", "8:14: jwt.claims: exp must be a number of seconds since 1970 (a finite NumericDate), got a string"},
		{"nbf: later", "8:14: jwt.claims: nbf must be a number"},
		{"iat: [1]", "8:14: jwt.claims: iat must be a number"},
		{"exp: 2026-01-01", "8:14: jwt.claims: exp must be a number"},
		{"iss: [a]", "8:14: jwt.claims: iss must be a string, got a list"},
		{"iss: {a: b}", "8:14: jwt.claims: iss must be a string, got a map"},
		{"aud: {a: b}", "8:14: jwt.claims: aud must be a string or a list of strings, got a map"},
		{"aud: [a, 5]", "8:14: jwt.claims: aud must be a string or a list of strings"},
		{"aud: []", "8:14: jwt.claims: aud must be a string or a list of strings"},
		{"scope: {weight: .nan}", "8:16: jwt.claims: scope cannot be written as JSON"},
	}
	for _, c := range bad {
		_, err := Parse("c.yaml", []byte(head+"        "+c.claim+"\n"))
		var es Errors
		if !errors.As(err, &es) || !strings.Contains(err.Error(), "c.yaml:"+c.want) {
			t.Errorf("%s: got %v, want c.yaml:%s", c.claim, err, c.want)
		}
	}
	for _, good := range []string{"exp: 1e30", "exp: 12", "nbf: 1.5", "iat: 18446744073709551615", "iss: auth", "aud: api", "aud: [api, ws]", "sub: 5", "iss: \"5\""} {
		if _, err := Parse("c.yaml", []byte(head+"        "+good+"\n")); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
}

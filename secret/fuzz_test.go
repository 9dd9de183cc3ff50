package secret

import (
	"strings"
	"testing"
)

// ParseKeys reads values that may be private keys: it must never panic,
// its errors must never quote the value (the canary stands for key bytes
// anywhere in the input), and a key set never prints its material.
func FuzzParseKeys(f *testing.F) {
	f.Add([]byte(rfc7638JWK))
	f.Add([]byte(`{"keys":[` + rfc7515ECJWK + `,{"kty":"FUZZCANARY"}]}`))
	const canary = "FUZZCANARY"
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := ParseKeys(New(data))
		if err != nil {
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error quotes the value: %v", err)
			}
			return
		}
		for _, k := range ks.Keys {
			if s := k.String(); strings.Contains(s, canary) {
				t.Errorf("key prints material: %s", s)
			}
		}
	})
}

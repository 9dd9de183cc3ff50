package secret

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// RFC 7638 section 3.1: the thumbprint of this RSA JWK, read through
// ParseKeys as a JWK and as a JWKS.
const rfc7638JWK = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`

func TestParseKeysRFC7638(t *testing.T) {
	for _, doc := range []string{rfc7638JWK, `{"keys":[` + rfc7638JWK + `]}`} {
		set, err := ParseKeys(FromString(doc))
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Keys) != 1 {
			t.Fatalf("%d keys", len(set.Keys))
		}
		k := set.Keys[0]
		if got := KeyFingerprint(k.Thumbprint()); got != "jwk-sha256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
			t.Errorf("%s: thumbprint %s", set.Format, got)
		}
		if k.KID != "2011-04-29" || k.Alg != "RS256" || k.Signer() != nil {
			t.Errorf("%s: kid %q alg %q signer %v", set.Format, k.KID, k.Alg, k.Signer() != nil)
		}
	}
}

// RFC 7515 appendix A: the example JWSs verify with the example keys read
// from their JWK form, and a private JWK signs what its public half
// verifies.
const (
	rfc7515Payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
	rfc7515HS256   = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + rfc7515Payload + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfc7515ES256   = "eyJhbGciOiJFUzI1NiJ9." + rfc7515Payload + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
	rfc7515OctJWK  = `{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}`
	rfc7515ECJWK   = `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}`
	// RFC 7515 appendix A.2: RS256 with the RSA key of A.2.1.
	rfc7515RSAN   = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
	rfc7515RSAPub = `{"kty":"RSA","n":"` + rfc7515RSAN + `","e":"AQAB"}`
	rfc7515RSAJWK = `{"kty":"RSA","n":"` + rfc7515RSAN + `","e":"AQAB",` +
		`"d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",` +
		`"p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",` +
		`"q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",` +
		`"dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",` +
		`"dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",` +
		`"qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"}`
	rfc7515RS256 = "eyJhbGciOiJSUzI1NiJ9." + rfc7515Payload + ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
	// RFC 8037 appendix A.1-A.4: Ed25519.
	rfc8037JWK   = `{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	rfc8037JWS   = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
	rfc8037Thumb = "jwk-sha256:kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
)

func TestParseKeysRFC7515Vectors(t *testing.T) {
	at := jwt.WithTimeFunc(func() time.Time { return time.Unix(1300819300, 0) })

	oct, err := ParseKeys(FromString(rfc7515OctJWK))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(rfc7515HS256, func(*jwt.Token) (any, error) { return oct.Keys[0].Symmetric(), nil }, at); err != nil {
		t.Errorf("A.1 HS256: %v", err)
	}

	ec, err := ParseKeys(FromString(rfc7515ECJWK))
	if err != nil {
		t.Fatal(err)
	}
	pub := ec.Keys[0].Public()
	if _, err := jwt.Parse(rfc7515ES256, func(*jwt.Token) (any, error) { return pub, nil }, at); err != nil {
		t.Errorf("A.3 ES256: %v", err)
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": "joe"}).SignedString(ec.Keys[0].Signer())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(signed, func(*jwt.Token) (any, error) { return pub, nil }); err != nil {
		t.Errorf("ES256 round trip: %v", err)
	}

	// A.2: the public JWK verifies the example; the private JWK, read
	// with its CRT parameters, signs the same input to the same bytes
	// (RSASSA-PKCS1-v1_5 is deterministic), and its public half is the
	// public JWK's key.
	rsaPub, err := ParseKeys(FromString(rfc7515RSAPub))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(rfc7515RS256, func(*jwt.Token) (any, error) { return rsaPub.Keys[0].Public(), nil }, at,
		jwt.WithValidMethods([]string{"RS256"})); err != nil {
		t.Errorf("A.2 RS256: %v", err)
	}
	rsaPriv, err := ParseKeys(FromString(rfc7515RSAJWK))
	if err != nil {
		t.Fatal(err)
	}
	if rsaPriv.Keys[0].Signer() == nil || rsaPub.Keys[0].Signer() != nil {
		t.Fatalf("A.2: private JWK signer %v, public JWK signer %v", rsaPriv.Keys[0].Signer() != nil, rsaPub.Keys[0].Signer() != nil)
	}
	j := strings.LastIndex(rfc7515RS256, ".")
	sigRS, err := jwt.SigningMethodRS256.Sign(rfc7515RS256[:j], rsaPriv.Keys[0].Signer())
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(sigRS); got != rfc7515RS256[j+1:] {
		t.Errorf("A.2 RS256 signature with the private JWK differs from the RFC's")
	}
	if !bytes.Equal(rsaPriv.Keys[0].Thumbprint(), rsaPub.Keys[0].Thumbprint()) {
		t.Errorf("A.2: the private JWK's thumbprint is not its public half's")
	}

	ed, err := ParseKeys(FromString(rfc8037JWK))
	if err != nil {
		t.Fatal(err)
	}
	if got := KeyFingerprint(ed.Keys[0].Thumbprint()); got != rfc8037Thumb {
		t.Errorf("RFC 8037 A.3 thumbprint %s", got)
	}
	i := strings.LastIndex(rfc8037JWS, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(rfc8037JWS[i+1:])
	if err := jwt.SigningMethodEdDSA.Verify(rfc8037JWS[:i], sig, ed.Keys[0].Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("RFC 8037 A.4 EdDSA: %v", err)
	}
}

// A JWKS with an entry this tool cannot use keeps the usable keys.
func TestParseKeysSkipsUnusableEntries(t *testing.T) {
	doc := `{"keys":[{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"},` + rfc7638JWK + `]}`
	set, err := ParseKeys(FromString(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Skipped != 1 {
		t.Errorf("%d keys, %d skipped", len(set.Keys), set.Skipped)
	}
	if _, err := ParseKeys(FromString(`{"keys":[{"kty":"nope"}]}`)); err == nil {
		t.Error("a JWKS with no usable key is an error")
	}
}

// Malformed key material is refused with fixed sentences: parser messages
// quote their input, which here is a key.
func TestParseKeysErrorsQuoteNothing(t *testing.T) {
	const canary = "CANARY-key-Xy7Zq2Wp9Lk4"
	for _, doc := range []string{
		`{"kty":"RSA","n":"` + canary + `!","e":"AQAB"}`,
		`{"keys":"` + canary + `"}`,
		`{` + canary,
		`{"kty":"EC","crv":"` + canary + `","x":"a","y":"b"}`,
		"-----BEGIN PRIVATE KEY-----\n" + canary + "\n-----END PRIVATE KEY-----\n",
		canary,
	} {
		_, err := ParseKeys(FromString(doc))
		if err == nil {
			t.Errorf("%.30s: accepted", doc)
			continue
		}
		if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), "Xy7Zq") {
			t.Errorf("error quotes the input: %v", err)
		}
	}
}

// A key prints as its id and thumbprint, never its private half.
func TestKeyFormatsRedacted(t *testing.T) {
	set, err := ParseKeys(FromString(rfc8037JWK))
	if err != nil {
		t.Fatal(err)
	}
	k := set.Keys[0]
	d := "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	raw, _ := base64.RawURLEncoding.DecodeString(d)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x", k, k, k, k, k), fmt.Sprint(*set)} {
		if strings.Contains(s, d) || strings.Contains(s, fmt.Sprint(raw)) || strings.Contains(s, fmt.Sprintf("%x", raw)) {
			t.Errorf("formatting shows the private key: %s", s)
		}
	}
	if !strings.Contains(fmt.Sprint(k), rfc8037Thumb) {
		t.Errorf("formatting %q lacks the thumbprint", fmt.Sprint(k))
	}
}

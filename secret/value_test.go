package secret

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const canary = "CANARY-value-do-not-print-0123456789"

func TestValueRedactsEverywhere(t *testing.T) {
	v := FromString(canary)
	type wrapper struct {
		V   Value
		Ptr *Value
	}
	w := wrapper{V: v, Ptr: &v}
	j, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := v.MarshalText()
	outputs := map[string]string{
		"String": v.String(), "GoString": v.GoString(), "json": string(j), "yaml": string(y), "text": string(txt),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outputs[verb] = fmt.Sprintf(verb, v)
		outputs[verb+" struct"] = fmt.Sprintf(verb, w)
	}
	outputs["error wrap"] = fmt.Errorf("reading: %v", v).Error()
	for name, out := range outputs {
		if strings.Contains(out, canary) || strings.Contains(strings.ToLower(out), "43414e415259") { // hex of "CANARY"
			t.Errorf("%s leaks the value: %q", name, out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("%s does not say it is redacted: %q", name, out)
		}
	}
}

func TestValueBehaviour(t *testing.T) {
	v := FromString("  key\n")
	if !v.IsSet() || v.Len() != 6 {
		t.Errorf("IsSet %v Len %d", v.IsSet(), v.Len())
	}
	if got := string(v.TrimSpace().Reveal()); got != "key" {
		t.Errorf("TrimSpace = %q", got)
	}
	if v.Equal(FromString("key")) || !v.TrimSpace().Equal(FromString("key")) {
		t.Error("Equal must compare exact bytes")
	}
	var zero Value
	if zero.IsSet() || zero.TrimSpace().IsSet() {
		t.Error("the zero Value is unset")
	}
}

func TestFingerprints(t *testing.T) {
	a, err := NewFingerprinter("k1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewFingerprinter("k1")
	c, _ := NewFingerprinter("k2")
	r1, _ := NewFingerprinter("")
	r2, _ := NewFingerprinter("")
	v := FromString("value")
	fp := a.Fingerprint(v)
	if !strings.HasPrefix(fp, "hmac-sha256:") || len(fp) != len("hmac-sha256:")+12 {
		t.Errorf("fingerprint %q: want hmac-sha256: and 12 hex digits", fp)
	}
	if fp != b.Fingerprint(v) {
		t.Error("the same key must give the same fingerprint")
	}
	if fp == c.Fingerprint(v) || r1.Fingerprint(v) == r2.Fingerprint(v) {
		t.Error("different keys must give different fingerprints")
	}
	if a.Scope() != ScopeStable || r1.Scope() != ScopeRun {
		t.Errorf("scopes %q %q", a.Scope(), r1.Scope())
	}
	if a.Fingerprint(v) == a.Fingerprint(FromString("value\n")) {
		t.Error("a trailing newline is a different value")
	}
	// Pin the construction (DESIGN.md section 6) so fingerprints stay
	// comparable across releases: HMAC-SHA256("k1", "secret-preflight/v1\x00value").
	if fp != "hmac-sha256:939d629d984f" {
		t.Errorf("fingerprint of a known key and value = %s, want hmac-sha256:939d629d984f", fp)
	}
}

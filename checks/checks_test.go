package checks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

const key = "a-real-looking-signing-key-0123456789abcdef"

func consumer(id, via string, v string) *report.Consumer {
	return &report.Consumer{ID: id, Kind: kindOf(id), Resolved: true, Via: via, Ref: id, Value: secret.FromString(v)}
}

func kindOf(id string) string {
	if id == "runner" {
		return "runner"
	}
	k, _, _ := strings.Cut(id, ":")
	return k
}

func runChecks(t *testing.T, cfg *config.Config, secrets ...*report.Secret) *report.Report {
	t.Helper()
	fp, err := secret.NewFingerprinter("test-key")
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{Secrets: secrets}
	for _, s := range secrets {
		for _, c := range s.Consumers {
			if c.Resolved {
				c.Fingerprint = fp.Fingerprint(c.Value)
			}
		}
	}
	rep.Findings = Run(cfg, rep, fp)
	for _, s := range secrets {
		s.Verdict = Verdict(s, fp)
	}
	return rep
}

func codes(r *report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	return out
}

func has(r *report.Report, code string) *report.Finding {
	for _, f := range r.Findings {
		if f.Code == code {
			return f
		}
	}
	return nil
}

func cfgWith(secrets ...*config.Secret) *config.Config {
	return &config.Config{Version: 1, Secrets: secrets}
}

func TestMatchHasNoFindings(t *testing.T) {
	s := &report.Secret{Name: "jwt", Consumers: []*report.Consumer{
		consumer("runner", "env", key), consumer("cloudrun:a@a-1/app", "file", key),
	}}
	r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), s)
	if len(r.Findings) != 0 || s.Verdict != report.Match {
		t.Errorf("findings %v verdict %s", codes(r), s.Verdict)
	}
}

func TestWhitespaceOnly(t *testing.T) {
	s := &report.Secret{Name: "jwt", Consumers: []*report.Consumer{
		consumer("runner", "env", key+"\n"), consumer("cloudrun:a@a-1/app", "env", key),
	}}
	r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), s)
	if has(r, "SP100") == nil || has(r, "SP110") == nil || has(r, "SP111") != nil {
		t.Fatalf("want SP100 and SP110, got %v", codes(r))
	}
	if f := has(r, "SP110"); !strings.Contains(f.Message, "44 vs 43 bytes") || !strings.Contains(f.Hint, "echo -n") {
		t.Errorf("SP110 %q / %q", f.Message, f.Hint)
	}
	if s.Verdict != report.Mismatch {
		t.Errorf("verdict %s", s.Verdict)
	}
}

func TestEncodingOfTheOther(t *testing.T) {
	for name, enc := range map[string]string{
		"base64":    base64.StdEncoding.EncodeToString([]byte(key)),
		"base64url": base64.RawURLEncoding.EncodeToString([]byte(key)),
		"hex":       hex.EncodeToString([]byte(key)),
	} {
		t.Run(name, func(t *testing.T) {
			s := &report.Secret{Name: "jwt", Consumers: []*report.Consumer{
				consumer("runner", "env", enc), consumer("cloudrun:a@a-1/app", "env", key),
			}}
			r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), s)
			if has(r, "SP111") == nil {
				t.Errorf("want SP111, got %v", codes(r))
			}
		})
	}
	// Unrelated values are not an encoding of each other.
	s := &report.Secret{Name: "jwt", Consumers: []*report.Consumer{
		consumer("runner", "env", "YWJj"), consumer("cloudrun:a@a-1/app", "env", "xyz"),
	}}
	if r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), s); has(r, "SP111") != nil {
		t.Error("SP111 on unrelated values")
	}
}

func TestUnresolvedConsumers(t *testing.T) {
	nothing := &report.Consumer{ID: "runner", Kind: "runner", Link: -1, Skipped: []report.Skipped{
		{Link: 0, Via: "env", Ref: "A", Why: "unset"}, {Link: 1, Via: "file", Ref: "/k", Why: "no such file"},
	}}
	denied := &report.Consumer{ID: "cloudrun:a@a-1/app", Kind: "cloudrun", Link: 0, Ref: "JWT",
		Error: "projects/p/secrets/s/versions/latest: PermissionDenied: the caller lacks IAM permission secretmanager.versions.access on it", ErrorCode: "PermissionDenied"}
	disabled := &report.Consumer{ID: "cloudrun:b@b-1/app", Kind: "cloudrun", Link: 0, Ref: "JWT",
		Error: "projects/p/secrets/s/versions/3: FailedPrecondition", ErrorCode: "FailedPrecondition"}
	s := &report.Secret{Name: "jwt", Consumers: []*report.Consumer{nothing, denied, disabled}}
	r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), s)
	sp101 := has(r, "SP101")
	if sp101 == nil || !strings.Contains(sp101.Message, "[0] env A: unset; [1] file /k: no such file") {
		t.Errorf("SP101 must list every link and why: %+v", sp101)
	}
	if f := has(r, "SP102"); f == nil || !strings.Contains(f.Hint, "roles/secretmanager.secretAccessor") {
		t.Errorf("SP102 %+v", f)
	}
	if has(r, "SP132") == nil {
		t.Errorf("a disabled version is SP132: %v", codes(r))
	}
	if s.Verdict != report.Unresolved {
		t.Errorf("verdict %s", s.Verdict)
	}
}

func TestPlaceholderAndWeakKeys(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakRSA := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}))
	cases := []struct {
		name, alg, value string
		extra            []string
		want             string
	}{
		{"builtin placeholder", "", "your-256-bit-secret", nil, "SP121"},
		{"policy placeholder", "", "team-default-key", []string{"team-default-key"}, "SP121"},
		{"short HMAC key", "HS256", "short-key", nil, "SP122"},
		{"HS512 needs 64 bytes", "HS512", key, nil, "SP122"},
		{"RSA 1024", "RS256", weakRSA, nil, "SP122"},
		{"strong HS256", "HS256", key, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := &config.Secret{Name: "jwt"}
			if tc.alg != "" {
				cs.JWT = &config.JWT{Algorithm: tc.alg}
			}
			cfg := cfgWith(cs)
			for _, p := range tc.extra {
				cfg.Policy.Placeholders = append(cfg.Policy.Placeholders, secret.FromString(p))
			}
			r := runChecks(t, cfg, &report.Secret{Name: "jwt", Consumers: []*report.Consumer{consumer("runner", "env", tc.value)}})
			got := codes(r)
			if tc.want == "" && len(got) != 0 || tc.want != "" && has(r, tc.want) == nil {
				t.Errorf("findings %v, want %q", got, tc.want)
			}
		})
	}
}

func TestMustDiffer(t *testing.T) {
	stg := &report.Secret{Name: "jwt-staging", Consumers: []*report.Consumer{consumer("cloudrun:a@a-1/app", "env", key)}}
	prod := &report.Secret{Name: "jwt-production", Consumers: []*report.Consumer{consumer("cloudrun:a-prod@a-9/app", "env", key)}}
	cfg := cfgWith(&config.Secret{Name: "jwt-staging", MustDifferFrom: []string{"jwt-production"}}, &config.Secret{Name: "jwt-production"})
	r := runChecks(t, cfg, stg, prod)
	f := has(r, "SP150")
	if f == nil || !strings.Contains(f.Message, "cloudrun:a-prod@a-9/app") {
		t.Fatalf("want SP150 naming both consumers, got %+v", r.Findings)
	}
}

func TestLiteralAndPlainEnvAndLatest(t *testing.T) {
	lit := consumer("runner", "literal", key)
	lit.Link = 2
	plain := consumer("cloudrun:a@a-1/app", "env", key)
	latest := consumer("cloudrun:b@b-1/app", "env", key)
	latest.Version, latest.Requested, latest.SecretVersion = "4", "latest", "projects/1/secrets/s/versions/4"
	r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{lit, plain, latest}})
	if f := has(r, "SP120"); f == nil || f.Severity != report.SevWarning || f.Consumers[0] != "runner" {
		t.Errorf("SP120 %+v", f)
	}
	if f := has(r, "SP140"); f == nil || f.Consumers[0] != "cloudrun:a@a-1/app" {
		t.Errorf("SP140 %+v", f)
	}
	if f := has(r, "SP130"); f == nil || f.Severity != report.SevInfo || len(f.Consumers) != 1 {
		t.Errorf("SP130 %+v", f)
	}
}

func TestDiagnoseVersionSplit(t *testing.T) {
	a := consumer("cloudrun:api@api-2/app", "env", key)
	a.Target, a.Revision, a.Version, a.SecretVersion, a.TrafficPercent = "projects/p/locations/r/services/api", "api-2", "5", "projects/1/secrets/jwt/versions/5", 90
	b := consumer("cloudrun:api@api-1/app", "env", key+"-old")
	b.Target, b.Revision, b.Version, b.SecretVersion, b.TrafficPercent = a.Target, "api-1", "4", "projects/1/secrets/jwt/versions/4", 10
	r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{a, b}})
	f := has(r, "SP100")
	if f == nil || !strings.Contains(f.Message, "version 5 vs version 4") || !strings.Contains(f.Message, "traffic is split") {
		t.Fatalf("SP100 %+v", f)
	}
	// The same versions on two different services is a rotation, not a split.
	b.Target = "projects/p/locations/r/services/worker"
	r = runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{a, b}})
	if f := has(r, "SP100"); strings.Contains(f.Message, "traffic is split") || !strings.Contains(f.Hint, "pin one version") {
		t.Errorf("rotation diagnosis: %+v", f)
	}
	// Two containers of one revision that disagree are not a split:
	// moving traffic would change nothing.
	b.Target, b.Revision, b.TrafficPercent, b.ID = a.Target, a.Revision, a.TrafficPercent, "cloudrun:api@api-2/sidecar"
	r = runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{a, b}})
	if f := has(r, "SP100"); f == nil || strings.Contains(f.Message, "traffic is split") || strings.Contains(f.Hint, "update-traffic") {
		t.Errorf("containers of one revision diagnosed as a split: %+v", f)
	}
}

func TestIgnores(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	mk := func() *report.Report {
		lit := consumer("runner", "literal", key)
		return runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{lit}})
	}
	r := mk()
	cfg := &config.Config{Ignore: []config.Ignore{{Code: "SP120", Secret: "jwt", Reason: "tracked in INFRA-1", Until: now.AddDate(0, 0, 1)}}}
	ApplyIgnores(cfg, r, now)
	r.Finish("warning")
	if f := has(r, "SP120"); f.Ignored != "tracked in INFRA-1" || r.Result != report.Pass || r.Summary.Warnings != 0 {
		t.Errorf("an active ignore should silence SP120: %+v result %s", f, r.Result)
	}
	// The until day itself still counts; the day after, the entry expires.
	r = mk()
	cfg.Ignore[0].Until = now.AddDate(0, 0, -2)
	ApplyIgnores(cfg, r, now)
	r.Finish("error")
	if f := has(r, "SP170"); f == nil || r.Result != report.Fail || has(r, "SP120").Ignored != "" {
		t.Errorf("an expired ignore is SP170 and silences nothing: %v result %s", codes(r), r.Result)
	}
}

func TestLiteralFallbackHintNamesTheSharedVariable(t *testing.T) {
	runner := consumer("runner", "literal", "hard-coded-default")
	runner.Link = 2
	runner.Skipped = []report.Skipped{{Link: 0, Via: "env", Ref: "STAGING_JWT", Why: "unset"}, {Link: 1, Via: "env", Ref: "JWT_SECRET_STAGING", Why: "unset"}}
	svc := consumer("cloudrun:api@api-1/app", "env", key)
	svc.Ref, svc.Version, svc.SecretVersion = "JWT_SECRET_STAGING -> projects/1/secrets/jwt/versions/3", "3", "projects/1/secrets/jwt/versions/3"
	r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{runner, svc}})
	f := has(r, "SP100")
	if f == nil || !strings.HasPrefix(f.Message, "runner fell back to the literal at link 2 because STAGING_JWT, JWT_SECRET_STAGING are not set.") {
		t.Fatalf("the cause must come first: %+v", f)
	}
	// The runner already looks for JWT_SECRET_STAGING, the name the service
	// uses: that is the variable to set, from the service's secret.
	if !strings.Contains(f.Hint, "set JWT_SECRET_STAGING for runner from projects/1/secrets/jwt") {
		t.Errorf("hint %q", f.Hint)
	}
}

func TestVerifyTokenKeyKindMismatch(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecPub := secret.New(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "x"}).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	err = VerifyToken(tok, &config.JWT{Algorithm: "RS256"}, ecPub, time.Now())
	if err == nil || !strings.Contains(err.Error(), "holds an EC key on P-256, which cannot verify RS256") {
		t.Errorf("err = %v", err)
	}
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	rsaPub := secret.New(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER}))
	if err := VerifyToken(tok, &config.JWT{Algorithm: "RS256"}, rsaPub, time.Now()); err != nil {
		t.Errorf("the matching public key must verify: %v", err)
	}
}

func TestDiagnoseDifferentSecretsAndUnversionedSides(t *testing.T) {
	a := consumer("cloudrun:api@api-1/app", "env", key)
	a.Target, a.Revision, a.Version, a.SecretVersion, a.TrafficPercent = "projects/p/locations/r/services/api", "api-1", "2", "projects/1/secrets/jwt/versions/2", 100
	b := consumer("cloudrun:worker@worker-1/app", "env", key+"-other")
	b.Target, b.Revision, b.Version, b.SecretVersion, b.TrafficPercent = "projects/p/locations/r/services/worker", "worker-1", "1", "projects/1/secrets/jwt-old/versions/1", 100
	r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{a, b}})
	if f := has(r, "SP100"); f == nil || !strings.HasPrefix(f.Message, "The consumers read different secrets: cloudrun:api@api-1/app reads projects/1/secrets/jwt; cloudrun:worker@worker-1/app reads projects/1/secrets/jwt-old.") {
		t.Errorf("SP100 %+v", f)
	}
	// A runner whose value no consumer read from Secret Manager, against a
	// service holding a plain value: nothing to say about versions.
	runner := consumer("runner", "env", key+"-runner")
	plain := consumer("cloudrun:api@api-1/app", "env", key)
	r = runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{runner, plain}})
	if f := has(r, "SP100"); f == nil || !strings.HasPrefix(f.Message, "The consumers read different sources.") {
		t.Errorf("SP100 %+v", f)
	}
}

// SP130 says "consumers", not "service consumers": a Cloud Run job reads
// latest too. A tagged and an untagged route to one revision share an
// id: it is listed once.
func TestSP130NamesEachConsumerOnceWhateverItsKind(t *testing.T) {
	job := consumer("cloudrun_job:migrate/app", "env", key)
	job.Version, job.Requested, job.SecretVersion = "4", "latest", "projects/1/secrets/s/versions/4"
	r := runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{job}})
	f := has(r, "SP130")
	if f == nil || !strings.HasPrefix(f.Message, "1 consumer reads version latest") {
		t.Errorf("SP130 for a job: %+v", f)
	}

	rev := consumer("cloudrun:b@b-1/app", "env", key)
	rev.Version, rev.Requested, rev.SecretVersion, rev.TrafficPercent = "4", "latest", "projects/1/secrets/s/versions/4", 100
	tagged := *rev
	tagged.Tag, tagged.TrafficPercent = "canary", 0
	r = runChecks(t, cfgWith(&config.Secret{Name: "jwt"}), &report.Secret{Name: "jwt", Consumers: []*report.Consumer{rev, &tagged}})
	f = has(r, "SP130")
	if f == nil || len(f.Consumers) != 1 || strings.Count(f.Message, "cloudrun:b@b-1/app") != 1 || !strings.HasPrefix(f.Message, "1 consumer reads") {
		t.Errorf("SP130 lists a revision twice: %+v", f)
	}
}

// SP130's hint says when latest is read, which depends on how it is read:
// at instance start (env var), on every read (volume), per execution (job).
func TestUnpinnedHintByWayOfReading(t *testing.T) {
	latest := func(id, via string) *report.Consumer {
		c := consumer(id, via, key)
		c.Requested, c.Version = "latest", "2"
		return c
	}
	for name, tc := range map[string]struct {
		consumers []*report.Consumer
		want      []string
		not       []string
	}{
		"env":    {[]*report.Consumer{latest("cloudrun:api@r1/app", "env")}, []string{"when an instance starts"}, []string{"volume", "job"}},
		"volume": {[]*report.Consumer{latest("cloudrun:api@r1/app", "file")}, []string{"whenever the file is read"}, []string{"instance starts", "job"}},
		"job":    {[]*report.Consumer{latest("cloudrun_job:migrate/app", "env")}, []string{"next execution"}, []string{"instance starts", "volume"}},
		"mixed": {[]*report.Consumer{latest("cloudrun_job:migrate/app", "file"), latest("manifest:m.yaml/app", "env")},
			[]string{"next execution", "when an instance starts"}, []string{"volume"}},
	} {
		r := runChecks(t, &config.Config{Secrets: []*config.Secret{{Name: "s"}}}, &report.Secret{Name: "s", Consumers: tc.consumers})
		var f *report.Finding
		for _, x := range r.Findings {
			if x.Code == "SP130" {
				f = x
			}
		}
		if f == nil {
			t.Errorf("%s: no SP130 in %v", name, codes(r))
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(f.Hint, w) {
				t.Errorf("%s: hint %q lacks %q", name, f.Hint, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(f.Hint, w) {
				t.Errorf("%s: hint %q says %q", name, f.Hint, w)
			}
		}
	}
}

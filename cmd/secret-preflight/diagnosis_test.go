package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/report"
)

// A destroyed version cannot be enabled again: SP132 says to add a new
// version; a disabled one keeps the enable hint.
func TestDestroyedVersionNeedsANewVersion(t *testing.T) {
	for _, tc := range []struct {
		state, want, not string
	}{
		{"DESTROYED", "gcloud secrets versions add jwt", "gcloud secrets versions enable 1"},
		{"DISABLED", "gcloud secrets versions enable 1 --secret jwt", "versions add"},
	} {
		t.Run(tc.state, func(t *testing.T) {
			fx := strings.Replace(secretsFixture, `{value: "`+keyV1+`", create_time: 2026-10-01T00:00:00Z}`,
				`{value: "`+keyV1+`", create_time: 2026-10-01T00:00:00Z, state: `+tc.state+`}`, 1)
			h := newHarness(t, concat(fx, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("1")})))
			cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/2}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
			code, r, _ := h.checkJSON(cfg)
			if code != exitFindings {
				t.Errorf("exit %d, want 1", code)
			}
			f := findingCodes(r)["SP132"]
			if f == nil {
				t.Fatalf("no SP132: %+v", r.Findings)
			}
			if !strings.Contains(f.Message, "cloudrun:api@api-1/app") || !strings.Contains(f.Message, tc.state) {
				t.Errorf("message %q should name the consumer and the state", f.Message)
			}
			if !strings.Contains(f.Hint, tc.want) || strings.Contains(f.Hint, tc.not) {
				t.Errorf("hint %q: want %q, not %q", f.Hint, tc.want, tc.not)
			}
		})
	}
}

// A consumer that asks for latest or an alias gets the number the server
// resolved it to in the SP132 hint, never "enable latest".
func TestUnusableVersionHintNamesTheNumber(t *testing.T) {
	for _, tc := range []struct {
		state, requested string
		want             []string
	}{
		{"DISABLED", "latest", []string{"gcloud secrets versions enable 2 --secret jwt"}},
		{"DISABLED", "current", []string{"gcloud secrets versions enable 2 --secret jwt"}},
		{"DESTROYED", "latest", []string{"version 2 was destroyed", "gcloud secrets versions add jwt"}},
		{"DESTROYED", "current", []string{"version 2 was destroyed", "gcloud secrets versions add jwt", "pin the consumer"}},
	} {
		t.Run(tc.state+"/"+tc.requested, func(t *testing.T) {
			fx := strings.Replace(secretsFixture, `{value: "`+keyV2+`", create_time: 2026-11-01T00:00:00Z}`,
				`{value: "`+keyV2+`", create_time: 2026-11-01T00:00:00Z, state: `+tc.state+`}`, 1)
			spec := strings.Replace(envLatest, "version: latest", "version: "+tc.requested, 1)
			h := newHarness(t, concat(fx, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": spec})))
			cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt/versions/1}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
			_, r, _ := h.checkJSON(cfg)
			f := findingCodes(r)["SP132"]
			if f == nil {
				t.Fatalf("no SP132: %+v", r.Findings)
			}
			for _, w := range tc.want {
				if !strings.Contains(f.Hint, w) {
					t.Errorf("hint %q should contain %q", f.Hint, w)
				}
			}
			if strings.Contains(f.Hint, "enable "+tc.requested) || strings.Contains(f.Hint, "version "+tc.requested) {
				t.Errorf("hint %q names the requested %s, not the version it resolved to", f.Hint, tc.requested)
			}
		})
	}
}

// --fail-on never lets the step pass, but says plainly that there are
// findings; the result (JSON, step output) stays a statement about them.
func TestFailOnNeverSaysFindingsExist(t *testing.T) {
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")})))
	h.env["JWT_SECRET"] = keyV1 // the runner holds the old key: SP100
	cfg := h.write("c.yaml", cfgFor("[JWT_SECRET]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	h.env["GITHUB_OUTPUT"] = filepath.Join(h.dir, "github_output")

	code, r, _ := h.checkJSON(cfg, "--fail-on", "never")
	if code != exitOK || r.Result != report.Fail || r.Summary.Errors == 0 {
		t.Fatalf("exit %d result %s errors %d: want exit 0, result fail", code, r.Result, r.Summary.Errors)
	}
	outputs, err := os.ReadFile(h.env["GITHUB_OUTPUT"])
	if err != nil || !strings.Contains(string(outputs), "result=fail\n") {
		t.Errorf("step outputs %q (%v): result must be fail", outputs, err)
	}
	for _, format := range []string{"text", "markdown", "github"} {
		code, out, _ := h.run("check", "-c", cfg, "--fail-on", "never", "--format", format)
		if code != exitOK {
			t.Errorf("%s: exit %d", format, code)
		}
		if strings.Contains(out, "PASS") || !strings.Contains(out, "not enforced") ||
			!strings.Contains(out, "only because of --fail-on never") {
			t.Errorf("%s must say findings exist and are not enforced:\n%s", format, out)
		}
	}
	// The same findings at the default threshold fail, with no such text.
	code, out, _ := h.run("check", "-c", cfg)
	if code != exitFindings || strings.Contains(out, "not enforced") {
		t.Errorf("--fail-on error: exit %d\n%s", code, out)
	}
	// Fail closed still wins: an unreadable consumer is exit 3.
	h.srv.SetFault("GetService", "", codes.PermissionDenied)
	if code, r, _ := h.checkJSON(cfg, "--fail-on", "never"); code != exitIncomplete {
		t.Errorf("unreadable service with --fail-on never: exit %d result %s, want 3", code, r.Result)
	}
}

// The SP131 note names the code GetSecretVersion really got; only a
// PermissionDenied points at secretmanager.versions.get.
func TestStaleLatestNoteNamesTheRealCause(t *testing.T) {
	spec := "    createTime: 2026-10-15T00:00:00Z\n" + envLatest
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": spec})))
	cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	h.srv.SetFault("GetSecretVersion", "", codes.NotFound)
	_, r, _ := h.checkJSON(cfg)
	if len(r.Notes) != 1 {
		t.Fatalf("notes %q", r.Notes)
	}
	n := r.Notes[0]
	if !strings.Contains(n, "NotFound") || !strings.Contains(n, "projects/111111111111/secrets/jwt/versions/2") ||
		strings.Contains(n, "versions.get") || strings.Contains(n, "roles/secretmanager.viewer") {
		t.Errorf("note %q should name NotFound and the version, and blame no permission", n)
	}
	h.srv.SetFault("GetSecretVersion", "", codes.PermissionDenied)
	_, r, _ = h.checkJSON(cfg)
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "PermissionDenied") || !strings.Contains(r.Notes[0], "secretmanager.versions.get") {
		t.Errorf("notes %q", r.Notes)
	}
}

// The .env reader speaks godotenv's dialect: a quoted value ends at its
// quote, the last of duplicate keys wins, "\n" unescapes and quoted values
// span lines. Each used to be a false mismatch.
func TestDotenvDialectMatchesTheServices(t *testing.T) {
	const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
	fx := secretsFixture + `  - name: projects/stg/secrets/pem
    versions:
      - {value: "` + strings.ReplaceAll(pem, "\n", `\n`) + `"}
`
	twoVars := envVersion("2") + "\n          - {name: PEM, valueSource: {secretKeyRef: {secret: pem, version: \"1\"}}}"
	h := newHarness(t, concat(fx, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": twoVars})))
	for name, content := range map[string]string{
		"comment-dup.env": "JWT=\"" + keyV1 + "\"\nJWT=\"" + keyV2 + "\" # rotated 2026-11-01\nPEM=\"" + pem + "\"\n",
		"escaped.env":     "export JWT='" + keyV2 + "'\nPEM=\"" + strings.ReplaceAll(pem, "\n", `\n`) + "\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			envFile := h.write(name, content)
			cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: jwt-signing
    runner: {chain: [{dotenv: {path: `+envFile+`, key: JWT}}]}
    services: [{cloudrun: api, chain: [JWT_SECRET]}]
  - name: pem
    runner: {chain: [{dotenv: {path: `+envFile+`, key: PEM}}]}
    services: [{cloudrun: api, chain: [PEM]}]
`)
			code, r, errs := h.checkJSON(cfg)
			if code != exitOK {
				t.Fatalf("exit %d: %s %+v", code, errs, r.Findings)
			}
			for _, s := range r.Secrets {
				if s.Verdict != report.Match {
					t.Errorf("%s: verdict %s", s.Name, s.Verdict)
				}
			}
		})
	}
}

// A line godotenv cannot parse is an error at path:line that never quotes
// the line; a dotenv key holding KEY=VALUE is a config error that never
// repeats it.
func TestDotenvErrorsNeverQuoteTheFile(t *testing.T) {
	const canary = "CANARY-dotenv-line-Kk3Ll4Mm5Nn6Oo7Pp8"
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")})))
	envFile := h.write(".env", "# staging\nOTHER=1\nJWT "+canary+"\n")
	cfg := h.write("c.yaml", cfgFor("[{dotenv: {path: "+envFile+", key: JWT}}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	code, r, errs := h.checkJSON(cfg)
	if code != exitIncomplete {
		t.Errorf("exit %d, want 3: the runner could not be read", code)
	}
	f := findingCodes(r)["SP102"]
	if f == nil || !strings.Contains(f.Message, envFile+":3: not a valid .env entry") {
		t.Fatalf("want SP102 at %s:3, got %+v", envFile, r.Findings)
	}
	_, text, _ := h.run("check", "-c", cfg)
	assertNoTrace(t, "check of a malformed .env", text+errs+f.Message+f.Hint, []string{canary})

	bad := h.write("bad.yaml", cfgFor("[{dotenv: {path: "+envFile+", key: \"JWT="+canary+"\"}}]", "{cloudrun: api, chain: [JWT_SECRET]}"))
	for _, cmd := range []string{"validate", "check"} {
		code, out, errs := h.run(cmd, "-c", bad)
		if code != exitUsage || !strings.Contains(errs, "bad.yaml:6:") || !strings.Contains(errs, "dotenv.key") {
			t.Errorf("%s: exit %d, stderr %q: want 2 at bad.yaml:6", cmd, code, errs)
		}
		assertNoTrace(t, cmd+" of a dotenv key holding a value", out+errs, []string{canary})
	}
}

// SP100's cause comes from what the services read, whatever link the
// runner won through: with the runner on an env var (the README's setup)
// a split or a rotation is named as such, with the revision, its traffic
// and the versions, not as "different sources".
func TestSP100CauseWithAnEnvRunner(t *testing.T) {
	split := concat(secretsFixture, service("api",
		map[string]int{"api-00002-new": 90, "api-00001-old": 10},
		map[string]string{"api-00002-new": envVersion("2"), "api-00001-old": envVersion("1")}))
	rotated := concat(secretsFixture,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")}),
		service("worker", map[string]int{"worker-1": 100}, map[string]string{"worker-1": envVersion("2")}))
	halfRotated := concat(secretsFixture,
		service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": envVersion("2")}),
		service("worker", map[string]int{"worker-1": 100}, map[string]string{"worker-1": envVersion("1")}))
	both := []string{"{cloudrun: api, chain: [JWT_SECRET]}", "{cloudrun: worker, chain: [JWT_SECRET]}"}
	for _, tc := range []struct {
		name      string
		fixture   string
		runnerKey string
		services  []string
		message   []string
		hint      []string
	}{
		{"split, runner on the new version", split, keyV2, both[:1],
			[]string{"traffic is split", "Revision api-00001-old (10% of traffic, version 1) disagrees with the runner, which holds version 2",
				"as revision api-00002-new (90% of traffic, version 2) does"},
			[]string{"gcloud run services update-traffic api --project stg --region us-central1 --to-revisions=api-00002-new=100"}},
		{"split, runner on the old version", split, keyV1, both[:1],
			[]string{"traffic is split", "Revision api-00002-new (90% of traffic, version 2) disagrees with the runner, which holds version 1"},
			[]string{"the runner holds the older version 1: give it version 2 (set env JWT_SECRET from it", "--to-revisions=api-00002-new=100"}},
		{"rotation the runner missed, its version not read", rotated, keyV1, both,
			[]string{"The services read projects/111111111111/secrets/jwt version 2",
				"cloudrun:api@api-1/app (100% of traffic), cloudrun:worker@worker-1/app (100% of traffic) read version 2",
				"the runner's value (env JWT_SECRET, link 0) is none of the versions read"},
			[]string{"set env JWT_SECRET from jwt version 2"}},
		{"rotation the runner missed, its version read by a service", halfRotated, keyV1, both,
			[]string{"version 1 vs version 2", "the runner holds version 1 (as cloudrun:worker@worker-1/app (100% of traffic) does), while cloudrun:api@api-1/app (100% of traffic) reads version 2"},
			[]string{"version 2 is the newer one: give the runner version 2 (set env JWT_SECRET", "redeploy cloudrun:worker@worker-1/app with it pinned", "pin one version everywhere"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.fixture)
			h.env["JWT_SECRET"] = tc.runnerKey
			cfg := h.write("c.yaml", cfgFor("[JWT_SECRET]", tc.services...))
			code, r, _ := h.checkJSON(cfg)
			f := findingCodes(r)["SP100"]
			if code != exitFindings || f == nil {
				t.Fatalf("exit %d, findings %+v: want SP100", code, r.Findings)
			}
			t.Logf("%s\n  fix: %s", f.Message, f.Hint)
			if strings.Contains(f.Message, "different sources") {
				t.Errorf("the runner's link must not hide the cause: %s", f.Message)
			}
			for _, want := range tc.message {
				if !strings.Contains(f.Message, want) {
					t.Errorf("message lacks %q:\n%s", want, f.Message)
				}
			}
			for _, want := range tc.hint {
				if !strings.Contains(f.Hint, want) {
					t.Errorf("hint lacks %q:\n%s", want, f.Hint)
				}
			}
		})
	}
}

// A name a typo away from one that is set: SP101 and an unset skip say
// "did you mean", with the names found in the runner's environment or on
// the revision's containers (names only).
func TestDidYouMean(t *testing.T) {
	typoed := strings.Replace(envVersion("2"), "name: JWT_SECRET,", "name: JWT_SECRET_STAGNG,", 1)
	h := newHarness(t, concat(secretsFixture, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": typoed})))
	h.env["JWT_SECRET"] = keyV2
	h.env["JWT_SECRET_STAGNG"] = keyV2

	// The runner's chain names a variable its environment spells
	// differently; the service's chain names one its container lacks.
	cfg := h.write("c.yaml", cfgFor("[JWT_SECRET_STAGING]", "{cloudrun: api, chain: [JWT_SECRET_STAGING]}"))
	code, r, _ := h.checkJSON(cfg)
	if code != exitFindings {
		t.Errorf("exit %d, want 1", code)
	}
	runner := consumerByID(t, r, "runner")
	if len(runner.Skipped) != 1 || strings.Join(runner.Skipped[0].DidYouMean, ",") != "JWT_SECRET_STAGNG,JWT_SECRET" {
		t.Errorf("runner skipped %+v: want did_you_mean JWT_SECRET_STAGNG, JWT_SECRET", runner.Skipped)
	}
	svc := consumerByID(t, r, "cloudrun:api@api-1")
	if len(svc.Skipped) != 1 || strings.Join(svc.Skipped[0].DidYouMean, ",") != "JWT_SECRET_STAGNG" {
		t.Errorf("service skipped %+v: want did_you_mean JWT_SECRET_STAGNG (from the revision's env)", svc.Skipped)
	}
	var sp101 []string
	for _, f := range r.Findings {
		if f.Code == "SP101" {
			sp101 = append(sp101, f.Message)
			if !strings.Contains(f.Hint, "misspelt") {
				t.Errorf("SP101 hint %q should say a name looks misspelt", f.Hint)
			}
		}
	}
	if len(sp101) != 2 || !strings.Contains(strings.Join(sp101, "\n"), "[0] env JWT_SECRET_STAGING: unset (did you mean JWT_SECRET_STAGNG or JWT_SECRET?)") ||
		!strings.Contains(strings.Join(sp101, "\n"), "(did you mean JWT_SECRET_STAGNG?)") {
		t.Errorf("SP101 messages %q", sp101)
	}
	if _, out, _ := h.run("check", "-c", cfg); !strings.Contains(out, "skipped runner [0] env JWT_SECRET_STAGING: unset (did you mean JWT_SECRET_STAGNG or JWT_SECRET?)") {
		t.Errorf("text report:\n%s", out)
	}

	// A link skipped on the way to a literal: SP100's cause says it too.
	delete(h.env, "JWT_SECRET")
	cfg = h.write("c2.yaml", cfgFor("[JWT_SECRET_STAGING, {literal: hard-coded-default}]", "{cloudrun: api, chain: [JWT_SECRET_STAGNG]}"))
	_, r, _ = h.checkJSON(cfg)
	f := findingCodes(r)["SP100"]
	if f == nil || !strings.Contains(f.Message, "because JWT_SECRET_STAGING is not set (for JWT_SECRET_STAGING did you mean JWT_SECRET_STAGNG?)") {
		t.Errorf("SP100 %+v", f)
	}
	// A link that resolved needs no suggestion.
	if c := consumerByID(t, r, "cloudrun:api@api-1/app"); !c.Resolved || len(c.Skipped) != 0 {
		t.Errorf("service %+v", c)
	}
}

// A malformed set_secrets string is a config error from validate and check
// alike (exit 2, file:line:col), not an SP102 at check time.
func TestMalformedSetSecretsIsAConfigError(t *testing.T) {
	const canary = "CANARY-set-secrets-Uu7Ii8Oo9Pp0"
	h := newHarness(t, secretsFixture)
	for _, tc := range []struct {
		value, want string
	}{
		{"JWT=", "set_secrets entry 1: empty secret name"},
		{"JWT jwt:1", "missing '='"},
		{"JWT_SECRET=jwt:1,JWT_SECRET=jwt:2", "set_secrets entry 2: sets the same env var as entry 1"},
		{"JWT_SECRET=jwt:1.5", "the version is not latest, a number or an alias"},
		{"JWT_SECRET " + canary, "missing '='"},
		{"JWT_SECRET=" + canary + ":v.1", "the version is not latest"},
	} {
		cfg := h.write("c.yaml", cfgFor("[{secretmanager: jwt}]", `{set_secrets: "`+tc.value+`", chain: [JWT_SECRET]}`))
		for _, cmd := range []string{"validate", "check"} {
			code, out, errs := h.run(cmd, "-c", cfg)
			// The consumer is on line 8; its set_secrets value starts at column 23.
			if code != exitUsage || !strings.Contains(errs, cfg+":8:23: "+"set_secrets entry") || !strings.Contains(errs, tc.want) {
				t.Errorf("%s of %q: exit %d, stderr %q; want 2 at %s:8:23 saying %q", cmd, tc.value, code, errs, cfg, tc.want)
			}
			assertNoTrace(t, cmd+" of a malformed set_secrets", out+errs, []string{canary})
		}
	}
}

// A tagged revision that disagrees is not a traffic split: it is named
// with its tag and share, and the serving revision's version is the other
// side.
func TestSP100TaggedRevisionIsNotASplit(t *testing.T) {
	h := newHarness(t, taggedFixture)
	h.env["JWT_SECRET"] = keyV2
	cfg := h.write("c.yaml", cfgFor("[JWT_SECRET]", "{cloudrun: api, chain: [JWT_SECRET]}", "{cloudrun: api, tag: e2e, chain: [JWT_SECRET]}"))
	code, r, _ := h.checkJSON(cfg)
	f := findingCodes(r)["SP100"]
	if code != exitFindings || f == nil {
		t.Fatalf("exit %d findings %+v", code, r.Findings)
	}
	if strings.Contains(f.Message, "traffic is split") ||
		!strings.Contains(f.Message, "the runner holds version 2 (as cloudrun:api@api-2/app (100% of traffic) does), while cloudrun:api@api-3/app (tag e2e, 0% of traffic) reads version 1") {
		t.Errorf("message %q", f.Message)
	}
}

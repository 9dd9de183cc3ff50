package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/secret-preflight/secret-preflight/examples"
	"github.com/secret-preflight/secret-preflight/internal/testserver"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/sources"
)

// Canary values: every one of them is resolved by some consumer below, and
// none may appear anywhere the tool writes.
const (
	canarySMv1     = "CANARY-sm-v1-Zq8wX2p9Lk4mN7bV1cR5tY3u"
	canarySMv2     = "CANARY-sm-v2-Hs6dF1gJ8kL0zX4cV7bN2mQ9"
	canaryCross    = "CANARY-cross-Pw3eR6tY9uI2oP5aS8dF1gH4"
	canaryEnv      = "CANARY-env-Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9"
	canaryLiteral  = "CANARY-literal-Jj1Kk2Ll3Mm4Nn5Oo6Pp7Qq"
	canaryPlain    = "CANARY-plain-Rr1Ss2Tt3Uu4Vv5Ww6Xx7Yy8"
	canaryFile     = "CANARY-file-Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2\n"
	canaryDotenv   = "CANARY-dotenv-Qq2Ww3Ee4Rr5Tt6Yy7Uu8Ii"
	canaryPolicy   = "CANARY-policy-Oo9Pp8Ll7Kk6Jj5Hh4Gg3Ff"
	canaryMultiA   = "CANARY-multi-line-one-Mm1Nn2Bb3Vv4Cc5"
	canaryMultiB   = "CANARY-multi-line-two-Xx6Zz7Aa8Ss9Dd0"
	canaryManifest = "CANARY-manifest-Ee3Rr4Tt5Yy6Uu7Ii8Oo9"
	canaryExecOut  = "CANARY-exec-out-Gg4Hh5Jj6Kk7Ll8Zz9Xx0"
	canaryExecErr  = "CANARY-exec-err-Vv1Bb2Nn3Mm4Qq5Ww6Ee7"
	canaryTag      = "CANARY-tagged-Cc7Vv8Bb9Nn0Mm1Aa2Ss3Dd"
	canaryTagPlain = "CANARY-tag-plain-Ff4Gg5Hh6Jj7Kk8Ll9Zz"
	canaryJobPlain = "CANARY-job-plain-Xx1Cc2Vv3Bb4Nn5Mm6Qq"
	// A plain env value shaped like a template placeholder, on a manifest
	// line that does not parse.
	canaryPlaceholder = "CANARY_placeholder_Aa1Bb2Cc3Dd4Ee5Ff6"
	canaryPasted      = "CANARY-pasted-Bb5Nn6Mm7Qq" // 25 bytes: its base64 ends in "=="
)

var leakFixture = `
projects: {stg: "111111111111", shared: "222222222222"}
secrets:
  - name: projects/stg/secrets/jwt
    versions:
      - {value: "` + canarySMv1 + `"}
      - {value: "` + canarySMv2 + `"}
  - name: projects/shared/secrets/jwt
    versions:
      - {value: "` + canaryCross + `"}
  - name: projects/stg/secrets/multi
    versions:
      - {value: "` + canaryMultiA + `\n` + canaryMultiB + `\n"}
  - name: projects/stg/secrets/denied
    versions:
      - {value: "never-read"}
  - name: projects/stg/secrets/tagged
    versions:
      - {value: "` + canaryTag + `"}
services:
  - name: projects/stg/locations/us-central1/services/api
    trafficStatuses:
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-2, percent: 50}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-1, percent: 50}
      - {type: TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, revision: api-3, percent: 0, tag: e2e}
jobs:
  - name: projects/stg/locations/us-central1/jobs/migrate
    template:
      template:
        containers:
          - name: migrate
            env:
              - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "2"}}}
              - {name: JOB_PLAIN, value: "` + canaryJobPlain + `"}
revisions:
  - name: projects/stg/locations/us-central1/services/api/revisions/api-3
    containers:
      - name: app
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: tagged, version: "1"}}}
          - {name: TAG_PLAIN, value: "` + canaryTagPlain + `"}
  - name: projects/stg/locations/us-central1/services/api/revisions/api-1
    containers:
      - name: app
        ports: [{containerPort: 8080}]
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "1"}}}
          - {name: PLAIN_SECRET, value: "` + canaryPlain + `"}
          - {name: JWT_SECRET_STAGNG, value: "` + canaryPlain + `"}
          - {name: MULTI, valueSource: {secretKeyRef: {secret: multi, version: latest}}}
          - {name: DENIED, valueSource: {secretKeyRef: {secret: denied, version: latest}}}
  - name: projects/stg/locations/us-central1/services/api/revisions/api-2
    containers:
      - name: app
        ports: [{containerPort: 8080}]
        env:
          - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: projects/shared/secrets/jwt, version: latest}}}
          - {name: PLAIN_SECRET, value: "` + canaryPlain + `"}
`

const leakManifest = `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - {name: JWT_SECRET, valueFrom: {secretKeyRef: {name: jwt, key: "2"}}}
            - {name: INLINE, value: "` + canaryManifest + `"}
`

// newLeakHarness is a harness with every canary in place: the fake's
// secrets (one denied), a manifest, a key file, a dotenv file and the
// runner's env var, and leakConfig written; it returns the config's path.
func newLeakHarness(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t, leakFixture)
	h.srv.SetFault("AccessSecretVersion", "projects/stg/secrets/denied/versions/latest", codesPermissionDenied)
	h.write("svc.yaml", leakManifest)
	h.write("key.txt", canaryFile)
	h.write(".env", "MULTI=\""+canaryDotenv+"\"\n")
	cfg := h.write("secret-preflight.yaml", leakConfig(h.dir))
	h.env["JWT_SECRET"] = canaryEnv
	return h, cfg
}

func leakConfig(dir string) string {
	return `version: 1
gcp: {project: stg, region: us-central1}
policy:
  placeholders: ["` + canaryPolicy + `"]
secrets:
  - name: jwt-signing
    jwt: {algorithm: HS256}
    must_differ_from: [multi]
    runner:
      chain:
        - env: JWT_SECRET_STAGING
        - env: JWT_SECRET
        - literal: "` + canaryLiteral + `"
    services:
      - {cloudrun: api, chain: [JWT_SECRET_STAGING, JWT_SECRET]}
      - {manifest: ` + filepath.Join(dir, "svc.yaml") + `, chain: [JWT_SECRET]}
      - {set_secrets: "JWT_SECRET=jwt:1", name: worker, chain: [JWT_SECRET]}
  - name: plain
    runner: {chain: [{file: ` + filepath.Join(dir, "key.txt") + `}]}
    services:
      - {cloudrun: api, chain: [PLAIN_SECRET]}
      - {manifest: ` + filepath.Join(dir, "svc.yaml") + `, chain: [INLINE]}
  - name: multi
    runner: {chain: [{dotenv: {path: ` + filepath.Join(dir, ".env") + `, key: MULTI}}]}
    services:
      - {cloudrun: api, chain: [MULTI]}
  - name: denied
    services:
      - {cloudrun: api, chain: [DENIED]}
  - name: execd
    runner: {chain: [{exec: [sh, -c, "printf %s ` + canaryExecOut + `"]}]}
    services:
      - {cloudrun: api, chain: [JWT_SECRET]}
  - name: exec-fails
    runner: {chain: [{exec: [sh, -c, "echo ` + canaryExecErr + ` >&2; exit 3"]}]}
    services:
      - {cloudrun: api, chain: [JWT_SECRET]}
  - name: tagged-and-jobs
    runner: {chain: [JWT_SECRET]}
    services:
      - {cloudrun: api, tag: e2e, chain: [JWT_SECRET]}
      - {cloudrun: api, tag: e2e, chain: [TAG_PLAIN]}
      - {cloudrun: api, tag: missing, chain: [JWT_SECRET]}
      - {cloudrun_job: migrate, chain: [JWT_SECRET]}
      - {cloudrun_job: migrate, chain: [JOB_PLAIN]}
      - {cloudrun_job: absent, chain: [JWT_SECRET]}
`
}

// traces returns every form in which v must not appear: raw, base64 in
// the standard and URL alphabets with and without padding, hex in both
// cases, and URL-escaped. Each line of a multi-line value counts too.
func traces(v string) []string {
	var out []string
	add := func(s string) {
		if len(s) < 8 {
			return
		}
		b := []byte(s)
		out = append(out, s,
			base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
			base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
			hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
			url.QueryEscape(s), url.PathEscape(s))
	}
	add(v)
	add(strings.TrimSpace(v))
	for _, line := range strings.Split(v, "\n") {
		add(line)
	}
	return out
}

// maskLine is the one place a value may be written: GitHub Actions reads
// ::add-mask:: and hides the value from the log.
var maskLine = regexp.MustCompile(`(?m)^::add-mask::.*$`)

// assertNoLeak fails on any trace of a canary in text, masks included:
// outside GitHub Actions a mask line prints the value in the clear.
func assertNoLeak(t *testing.T, where, text string, canaries []string) {
	t.Helper()
	if strings.Contains(text, "::add-mask::") {
		t.Errorf("%s contains ::add-mask:: lines outside GitHub Actions", where)
	}
	assertNoTrace(t, where, text, canaries)
}

// assertNoLeakInActions allows values only on ::add-mask:: lines, which
// the Actions runner consumes and never shows.
func assertNoLeakInActions(t *testing.T, where, text string, canaries []string) {
	t.Helper()
	assertNoTrace(t, where, maskLine.ReplaceAllString(text, ""), canaries)
}

func assertNoTrace(t *testing.T, where, text string, canaries []string) {
	t.Helper()
	for _, c := range canaries {
		for _, tr := range traces(c) {
			if strings.Contains(text, tr) {
				t.Errorf("%s contains a trace of a secret value (%q)", where, tr[:min(len(tr), 24)]+"...")
			}
		}
	}
}

func TestNoSecretLeaks(t *testing.T) {
	// A common debugging step; the clients must not log on the tool's
	// behalf (see TestClientsNeverLogAtDebugLevel), and anything that
	// reaches the process's own stdout or stderr is checked at the end.
	t.Setenv("GOOGLE_SDK_GO_LOGGING_LEVEL", "debug")
	processOutput := captureProcessOutput(t)
	canaries := []string{canarySMv1, canarySMv2, canaryCross, canaryEnv, canaryLiteral, canaryPlain,
		canaryFile, canaryDotenv, canaryPolicy, canaryMultiA, canaryMultiB, canaryManifest, canaryExecOut, canaryExecErr,
		canaryTag, canaryTagPlain, canaryJobPlain}
	h, cfg := newLeakHarness(t)
	// A near miss of an unset name: "did you mean" shows the name only.
	h.env["JWT_SECRET_STAGNG"] = canaryEnv
	h.env["GITHUB_STEP_SUMMARY"] = filepath.Join(h.dir, "summary.md")
	h.env["GITHUB_OUTPUT"] = filepath.Join(h.dir, "github-output")

	formats := report.Formats()
	for _, format := range formats {
		args := []string{"check", "-c", cfg, "--format", format, "--allow-exec"}
		for _, f := range formats {
			args = append(args, "--output", f+"="+filepath.Join(h.dir, "out."+format+"."+f))
		}
		code, out, errs := h.run(args...)
		if code != exitFindings {
			t.Errorf("check --format %s: exit %d, want 1 (the config has errors)\n%s", format, code, errs)
		}
		if (format == "text" || format == "github") && !strings.Contains(out, "did you mean JWT_SECRET_STAGNG") {
			t.Errorf("--format %s: no \"did you mean\" for the near miss", format)
		}
		if format != "github" && strings.Contains(out, "::add-mask::") {
			t.Errorf("format %s printed masks", format)
		}
		assertNoLeak(t, "stdout of --format "+format, out, canaries)
		assertNoLeak(t, "stderr of --format "+format, errs, canaries)
	}
	// The tagged revision and the job were resolved, so their values were
	// there to leak.
	var rep report.Report
	if err := json.Unmarshal(mustRead(t, filepath.Join(h.dir, "out.json.json")), &rep); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"cloudrun:api@api-3/app", "cloudrun_job:migrate/migrate"} {
		n := 0
		for _, s := range rep.Secrets {
			for _, c := range s.Consumers {
				if c.ID == id && c.Resolved {
					n++
				}
			}
		}
		if n != 2 {
			t.Errorf("%s resolved %d times, want 2 (a secret and a plain value)", id, n)
		}
	}
	// GitHub Actions defaults: github format on stdout, masks first.
	h.env["GITHUB_ACTIONS"] = "true"
	code, out, errs := h.run("check", "-c", cfg, "--allow-exec")
	if code != exitFindings {
		t.Errorf("check in Actions: exit %d\n%s", code, errs)
	}
	assertMasksFirst(t, out, []string{canaryEnv, canaryPlain, canaryMultiA, canaryMultiB, canarySMv1, canaryCross, canaryExecOut,
		canaryTag, canaryTagPlain, canaryJobPlain})
	assertNoLeakInActions(t, "stdout in GitHub Actions", out, canaries)
	assertNoLeak(t, "stderr in GitHub Actions", errs, canaries)
	// Another stdout format in Actions: the masks go to stderr first.
	code, out, errs = h.run("check", "-c", cfg, "--allow-exec", "--format", "text")
	if code != exitFindings {
		t.Errorf("check --format text in Actions: exit %d", code)
	}
	assertMasksFirst(t, errs, []string{canaryEnv, canarySMv1})
	assertNoLeak(t, "text stdout in GitHub Actions", out, canaries)
	assertNoLeakInActions(t, "stderr in GitHub Actions", errs, canaries)
	delete(h.env, "GITHUB_ACTIONS")

	// merge: of one run-scoped report in every format; of shards keyed
	// alike (with every output); and the refusals (keys, bad input).
	for _, format := range formats {
		args := []string{"merge", filepath.Join(h.dir, "out.json.json"), "--format", format}
		for _, f := range formats {
			args = append(args, "--output", f+"="+filepath.Join(h.dir, "merged."+format+"."+f))
		}
		code, out, errs := h.run(args...)
		if code != exitFindings {
			t.Errorf("merge --format %s: exit %d, want 1\n%s", format, code, errs)
		}
		assertNoLeak(t, "stdout of merge --format "+format, out, canaries)
		assertNoLeak(t, "stderr of merge --format "+format, errs, canaries)
	}
	h.env["SECRET_PREFLIGHT_FINGERPRINT_KEY"] = "leak-test-shared-key"
	shardA, shardB := filepath.Join(h.dir, "shard-a.json"), filepath.Join(h.dir, "shard-b.json")
	h.run("check", "-c", cfg, "--allow-exec", "--only", "jwt-signing", "--only", "multi", "--output", "json="+shardA)
	h.run("check", "-c", cfg, "--allow-exec", "--only", "jwt-signing", "--only", "plain", "--only", "execd", "--output", "json="+shardB)
	delete(h.env, "SECRET_PREFLIGHT_FINGERPRINT_KEY")
	for _, format := range formats {
		code, out, errs := h.run("merge", shardA, shardB, "--format", format, "--output", "sarif="+filepath.Join(h.dir, "merged-shards."+format+".sarif"))
		if code != exitFindings {
			t.Errorf("merge of shards --format %s: exit %d, want 1\n%s", format, code, errs)
		}
		assertNoLeak(t, "merge of shards --format "+format, out+errs, canaries)
	}
	h.env["GITHUB_ACTIONS"] = "true"
	_, out, errs = h.run("merge", shardA, shardB)
	assertNoLeakInActions(t, "merge in GitHub Actions", out+errs, canaries)
	delete(h.env, "GITHUB_ACTIONS")

	// token: a token signed with each value the consumers may hold (the
	// right key, another secret's, the literal in the runner chain), one
	// that is not a JWT, in plain and Actions mode, with and without
	// --allow-exec. The token is a credential: it is a canary too.
	tokens := map[string]string{
		"right key":   signHS256(t, canaryEnv, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "sub": canaryPlain}),
		"other key":   signHS256(t, canarySMv1, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}),
		"literal key": signHS256(t, canaryLiteral, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}),
		"not a JWT":   canaryCross + "." + canaryCross,
	}
	tokenCanaries := slices.Clone(canaries)
	for _, tok := range tokens {
		tokenCanaries = append(tokenCanaries, tok)
		tokenCanaries = append(tokenCanaries, strings.Split(tok, ".")...)
	}
	tokenCanaries = slices.DeleteFunc(tokenCanaries, func(s string) bool { return len(s) < 12 })
	sawVerdict := false
	for _, actions := range []bool{false, true} {
		if actions {
			h.env["GITHUB_ACTIONS"] = "true"
		}
		for what, tok := range tokens {
			h.env["TOK"] = tok
			for _, extra := range [][]string{nil, {"--allow-exec"}, {"--secret", "plain"}} {
				args := append([]string{"token", "-c", cfg, "--secret", "jwt-signing", "--token-env", "TOK"}, extra...)
				code, out, errs := h.run(args...)
				where := fmt.Sprintf("token (%s, actions=%v, %v)", what, actions, extra)
				if code == exitUsage && extra == nil && what != "not a JWT" {
					t.Errorf("%s: exit 2\n%s", where, errs)
				}
				if extra == nil && what == "right key" && strings.Contains(out, "cloudrun:api") {
					sawVerdict = true
				}
				if actions {
					assertNoLeakInActions(t, where+" stdout", out, tokenCanaries)
					assertNoLeakInActions(t, where+" stderr", errs, tokenCanaries)
				} else {
					assertNoLeak(t, where, out+errs, tokenCanaries)
				}
			}
		}
		delete(h.env, "GITHUB_ACTIONS")
	}
	delete(h.env, "TOK")
	if !sawVerdict {
		t.Error("token never named the api consumer: the runs checked nothing")
	}

	for _, c := range [][]string{
		{"merge", shardA, filepath.Join(h.dir, "out.json.json")}, // keyed differently
		{"merge", filepath.Join(h.dir, "out.json.text")},         // not a report
		{"merge", cfg},
		{"validate", "-c", cfg},
		{"check", "-c", cfg, "--only", "nope"},
		{"check", "-c", cfg, "--fail-on", "bogus"},
		{"check", "-c", cfg, "--output", "xml=/dev/null"},
		{"check", "-c", cfg, "--baseline", filepath.Join(h.dir, "out.json.json")},
		{"check", "-c", cfg}, // exec refused without --allow-exec
		{"check", "-c", cfg, "--baseline", filepath.Join(h.dir, "out.json.text")},
		// init reads the same templates, plain values included.
		{"init", "--project", "stg", "--region", "us-central1"},
		{"init", "--project", "stg", "--region", "us-central1", "-o", filepath.Join(h.dir, "init.yaml")},
		// A wrong path given to --baseline: a file of secrets.
		{"check", "-c", cfg, "--baseline", filepath.Join(h.dir, "key.txt")},
		{"check", "-c", cfg, "--baseline", filepath.Join(h.dir, ".env")},
		{"version"},
		{"--version"},
	} {
		_, out, errs := h.run(c...)
		assertNoLeak(t, strings.Join(c, " "), out+errs, canaries)
	}

	// Broken configs that hold a value must not echo it in errors: extra
	// keys, an unknown anchor (yaml.v3 quotes its name), and a literal
	// written without the space after the colon (a bare env var "name").
	bads := map[string]string{
		"bad-keys.yaml": strings.Replace(leakConfig(h.dir), "jwt: {algorithm: HS256}", "jwt: {algorithm: HS1, bogus: 1}", 1) +
			"    extra: {literal: \"" + canaryLiteral + "\"}\n",
		"bad-anchor.yaml": strings.Replace(leakConfig(h.dir), `- literal: "`+canaryLiteral+`"`, "- literal: *"+strings.ReplaceAll(canaryLiteral, "-", ""), 1),
		"bad-typo.yaml":   strings.Replace(leakConfig(h.dir), `- literal: "`+canaryLiteral+`"`, "- literal:"+canaryLiteral, 1),
		// A shared key pasted where jwt.claims wants a date or an issuer.
		"bad-claims.yaml": strings.Replace(leakConfig(h.dir), "jwt: {algorithm: HS256}", `jwt: {algorithm: HS256, claims: {exp: "`+canaryLiteral+`", iss: ["`+canaryLiteral+`"]}}`, 1),
		// A value pasted into a --set-secrets string.
		"bad-set-secrets.yaml": strings.Replace(leakConfig(h.dir), `"JWT_SECRET=jwt:1"`, `"JWT_SECRET=jwt:1,OTHER=`+canaryLiteral+`:v.1,LAST `+canaryLiteral+`"`, 1),
		// A base64 value pasted as an entry: cut at its padding, the part
		// before '=' looks like an env var name. And a name that would
		// form a workflow command if echoed.
		"bad-set-secrets-b64.yaml": strings.Replace(leakConfig(h.dir), `"JWT_SECRET=jwt:1"`, `"JWT_SECRET=jwt:1,`+base64.StdEncoding.EncodeToString([]byte(canaryPasted))+`"`, 1),
		"bad-set-secrets-cmd.yaml": strings.Replace(leakConfig(h.dir), `"JWT_SECRET=jwt:1"`, `"JWT_SECRET=jwt:1,X##[add-mask]`+canaryPasted+`=jwt:1"`, 1),
		// A .env line pasted as the key.
		"bad-dotenv-key.yaml": strings.Replace(leakConfig(h.dir), "key: MULTI}", `key: "MULTI=`+canaryDotenv+`"}`, 1),
	}
	canaries = append(canaries, strings.ReplaceAll(canaryLiteral, "-", ""), canaryPasted)
	for name, text := range bads {
		bad := h.write(name, text)
		for _, cmd := range []string{"check", "validate"} {
			code, out, errs := h.run(cmd, "-c", bad)
			if code != exitUsage {
				t.Errorf("%s on %s: exit %d, want 2", cmd, name, code)
			}
			assertNoLeak(t, cmd+" of "+name, out+errs, canaries)
			if strings.Contains(out+errs, "##[") {
				t.Errorf("%s of %s echoes a workflow command from the config", cmd, name)
			}
		}
	}

	// A .env file godotenv cannot parse: the error names the line, never
	// its text, in every format.
	h.write(".env-broken", "OTHER=1\nMULTI "+canaryDotenv+"\nLAST=\""+canaryDotenv+"\n")
	broken := h.write("broken-dotenv.yaml", strings.Replace(leakConfig(h.dir), filepath.Join(h.dir, ".env"), filepath.Join(h.dir, ".env-broken"), 1))
	for _, format := range formats {
		_, out, errs := h.run("check", "-c", broken, "--format", format)
		if !strings.Contains(out, ".env-broken:2") {
			t.Errorf("--format %s does not locate the broken .env line:\n%s", format, out)
		}
		assertNoLeak(t, "check of a broken .env, --format "+format, out+errs, canaries)
	}

	// A manifest that does not parse, with a placeholder-shaped plain
	// value on the broken line: the template hint must not quote it.
	brokenSvc := h.write("broken-svc.yaml", strings.Replace(leakManifest, `value: "`+canaryManifest+`"}`, "value: ${"+canaryPlaceholder+"} x: y}", 1))
	brokenCfg := h.write("broken-manifest.yaml", "version: 1\nsecrets:\n  - name: s\n    services:\n      - {manifest: "+brokenSvc+", chain: [INLINE]}\n")
	for _, format := range formats {
		code, out, errs := h.run("check", "-c", brokenCfg, "--format", format)
		if code != exitIncomplete || !strings.Contains(out, "unrendered template") {
			t.Errorf("check of a broken manifest --format %s: exit %d, want 3 and a template hint\n%s%s", format, code, out, errs)
		}
		assertNoLeak(t, "check of a broken manifest --format "+format, out+errs, append(canaries, canaryPlaceholder))
	}

	assertNoLeak(t, "the process's own stdout and stderr", processOutput(), canaries)

	// Every file the runs wrote.
	filepath.WalkDir(h.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Base(p) {
		case "key.txt", ".env", ".env-broken", "secret-preflight.yaml", "bad-keys.yaml", "bad-anchor.yaml", "bad-typo.yaml", "bad-claims.yaml",
			"bad-dotenv-key.yaml", "bad-set-secrets.yaml", "bad-set-secrets-b64.yaml", "bad-set-secrets-cmd.yaml", "broken-dotenv.yaml", "svc.yaml",
			"broken-svc.yaml", "broken-manifest.yaml":
			return nil // inputs
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", filepath.Base(p))
		}
		assertNoLeak(t, filepath.Base(p), string(b), canaries)
		return nil
	})
}

// assertMasksFirst checks that every value is masked, line by line, before
// any line that is not a mask.
func assertMasksFirst(t *testing.T, out string, values []string) {
	t.Helper()
	masked := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	other := false
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			if other {
				t.Errorf("a mask comes after other output")
			}
			masked[v] = true
			continue
		}
		other = true
	}
	for _, v := range values {
		if !masked[v] {
			t.Errorf("value %.20s... is not masked", v)
		}
	}
}

// The demo and the emulator serve the bundled fixture; its values are the
// canaries here.
func TestDemoAndEmulatorDoNotLeak(t *testing.T) {
	data, err := fs.ReadFile(examples.FS, "staging-incident/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var canaries []string
	for _, m := range regexp.MustCompile(`value: "([^"]+)"`).FindAllStringSubmatch(string(data), -1) {
		canaries = append(canaries, m[1])
	}
	if len(canaries) < 2 {
		t.Fatalf("found %d values in the demo fixture", len(canaries))
	}
	canaries = append(canaries, "staging-jwt-secret-key")
	t.Setenv("GOOGLE_SDK_GO_LOGGING_LEVEL", "debug")
	processOutput := captureProcessOutput(t)
	defer func() { assertNoLeak(t, "the process's own stdout and stderr", processOutput(), canaries) }()
	h := &harness{t: t, env: map[string]string{}}
	for _, format := range report.Formats() {
		code, out, errs := h.run("demo", "--format", format)
		if code != exitOK {
			t.Errorf("demo --format %s: exit %d: %s", format, code, errs)
		}
		assertNoLeak(t, "demo --format "+format, out+errs, canaries)
	}
	// In GitHub Actions, values may appear on mask lines only.
	h.env["GITHUB_ACTIONS"] = "true"
	for _, format := range append([]string{""}, report.Formats()...) {
		args := []string{"demo"}
		if format != "" {
			args = append(args, "--format", format)
		}
		code, out, errs := h.run(args...)
		if code != exitOK {
			t.Errorf("demo --format %q in Actions: exit %d: %s", format, code, errs)
		}
		assertNoLeakInActions(t, "demo --format "+format+" in Actions", out+errs, canaries)
	}
	delete(h.env, "GITHUB_ACTIONS")

	fixture := filepath.Join(t.TempDir(), "fixture.yaml")
	if err := os.WriteFile(fixture, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // serve, print the address, and return at once
	var out, errb strings.Builder
	if code := run(ctx, []string{"emulator", "--fixture", fixture}, &env{lookup: os.LookupEnv}, &out, &errb); code != exitOK {
		t.Fatalf("emulator exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), envSMEmulator+"=127.0.0.1:") {
		t.Errorf("emulator did not print its address: %q", out.String())
	}
	assertNoLeak(t, "emulator", out.String()+errb.String(), canaries)
}

// Probe tokens and private keys in every format (PEM, JWK, JWKS) are
// canaries too: no command or format may show a trace of them.
func TestNoProbeTokenOrPrivateKeyLeaks(t *testing.T) {
	const (
		canaryHMAC   = "CANARY-hmac-Aq1Sw2De3Fr4Gt5Hy6Ju7Ki8"
		canaryLit    = "CANARY-probe-literal-Lo9Ki8Ju7Hy6Gt5Fr"
		canaryBypass = "CANARY-bypass-header-Zx1Cv2Bn3Mm4Qw5Er"
		canaryJWKS   = "CANARY-jwks-answer-Pp1Oo2Ii3Uu4Yy5Tt"
	)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	ecJWK, _ := json.Marshal(jose.JSONWebKey{Key: ecKey, KeyID: "ec"})
	rsaJWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: rsaKey, KeyID: "rsa"}}})
	var d struct {
		D string `json:"d"`
	}
	_ = json.Unmarshal(ecJWK, &d)

	// The clients' debug logging, a common debugging step, must not
	// print what the probes send either.
	t.Setenv("GOOGLE_SDK_GO_LOGGING_LEVEL", "debug")
	processOutput := captureProcessOutput(t)

	var mu sync.Mutex
	var tokens []string
	// A WebSocket endpoint that takes the token as its subprotocol and
	// accepts every handshake (every negative probe gets in: SP163), and
	// echoes the token in a header, which must never be kept.
	wsTokens := 0
	ws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var protos []string
		for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					protos = append(protos, p)
				}
			}
		}
		mu.Lock()
		for _, p := range protos {
			tokens = append(tokens, p)
			wsTokens++
		}
		mu.Unlock()
		w.Header().Set("X-Echo", strings.Join(protos, ","))
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: protos})
		if err != nil {
			return
		}
		c.Close(websocket.StatusNormalClosure, "echo: "+strings.Join(protos, ","))
	}))
	defer ws.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if tok == "" {
			tok = r.URL.Query().Get("access_token")
		}
		if c, err := r.Cookie("session"); err == nil {
			tok = c.Value
		}
		mu.Lock()
		if tok != "" {
			tokens = append(tokens, tok)
		}
		mu.Unlock()
		// Every unsafe answer at once, so every finding text is written;
		// the body repeats the request, which must never be kept.
		w.Header().Set("X-Echo", tok)
		if r.Header.Get("X-E2E-Test") == canaryBypass || tok != "" {
			w.Write([]byte("echo: " + tok))
			return
		}
		http.Error(w, "no "+tok, http.StatusUnauthorized)
	}))
	defer api.Close()
	// echo answers the valid probe, then breaks HTTP with a header line
	// that repeats the bypass value (not the token, which the prober's
	// scrub would catch): the library's error text quotes the line.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		if tok != "" {
			tokens = append(tokens, tok)
		}
		mu.Unlock()
		if r.Header.Get("X-Secret-Preflight-Probe") == "valid" {
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nbroken " + r.Header.Get("X-E2E-Test") + "\r\n\r\n")
		buf.Flush()
	}))
	defer echo.Close()
	// A key server that breaks HTTP in ways net/http quotes: a status
	// code, a Content-Length.
	rawJWKS := testserver.Raw(t, func(r testserver.Request) string {
		if strings.HasSuffix(r.Path, "/status") {
			return "HTTP/1.1 2000 " + canaryJWKS + "\r\nContent-Length: 0\r\n\r\n"
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: " + canaryJWKS + "\r\n\r\n"
	})

	fx := `
projects: {stg: "111111111111"}
secrets:
  - name: projects/stg/secrets/hmac
    versions: [{value: "` + canaryHMAC + `"}]
  - name: projects/stg/secrets/rsa-jwks
    versions: [{value_base64: "` + base64.StdEncoding.EncodeToString(rsaJWKS) + `"}]
  - name: projects/stg/secrets/ec-jwk
    versions: [{value_base64: "` + base64.StdEncoding.EncodeToString(ecJWK) + `"}]
`
	h := newHarness(t, concat(fx, service("api", map[string]int{"api-1": 100}, map[string]string{"api-1": `    containers:
      - name: app
        env:
          - {name: HMAC, valueSource: {secretKeyRef: {secret: hmac, version: "1"}}}
          - {name: RSA, valueSource: {secretKeyRef: {secret: rsa-jwks, version: "1"}}}
          - {name: EC, valueSource: {secretKeyRef: {secret: ec-jwk, version: "1"}}}`})))
	keyFile := h.write("rsa.pem", privPEM)
	cfg := h.write("secret-preflight.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: hmac
    jwt: {algorithm: HS256, issuer: auth, audience: api}
    runner: {chain: [HMAC, {literal: "`+canaryLit+`"}]}
    services: [{cloudrun: api, chain: [HMAC]}]
    probes:
      - url: `+api.URL+`/me
        bypass_headers: {X-E2E-Test: "`+canaryBypass+`"}
      - url: `+echo.URL+`/me
        bypass_headers: {X-E2E-Test: "`+canaryBypass+`"}
      - url: `+"ws"+strings.TrimPrefix(ws.URL, "http")+`/socket
        token: subprotocol
  - name: rsa
    jwt: {algorithm: RS256, issuer: auth, audience: api}
    runner: {chain: [{file: `+keyFile+`}]}
    services: [{cloudrun: api, jwt: {audience: other}, chain: [RSA]}]
    probes: [{url: "`+api.URL+`/rsa?x=1", token: "query:access_token"}]
  - name: ec
    jwt: {algorithm: ES256}
    runner: {chain: [{secretmanager: ec-jwk/versions/1}]}
    services: [{cloudrun: api, chain: [EC]}]
    probes: [{url: `+api.URL+`/ec, token: "cookie:session"}]
  - name: ec-cannot-sign
    jwt: {algorithm: RS256}
    runner: {chain: [{secretmanager: ec-jwk/versions/1}]}
    services: [{cloudrun: api, chain: [EC]}]
  - name: jwks-bad-status
    jwt: {algorithm: ES256}
    runner: {chain: [{secretmanager: ec-jwk/versions/1}]}
    services: [{cloudrun: api, chain: [{jwks_url: "http://`+rawJWKS+`/status"}]}]
  - name: jwks-bad-length
    jwt: {algorithm: ES256}
    runner: {chain: [{secretmanager: ec-jwk/versions/1}]}
    services: [{cloudrun: api, chain: [{jwks_url: "http://`+rawJWKS+`/length"}]}]
`)
	h.env["HMAC"] = canaryHMAC
	h.env["GITHUB_STEP_SUMMARY"] = filepath.Join(h.dir, "summary.md")

	var outputs []string
	for _, format := range report.Formats() {
		args := []string{"check", "-c", cfg, "--format", format}
		for _, f := range report.Formats() {
			args = append(args, "--output", f+"="+filepath.Join(h.dir, "out."+format+"."+f))
		}
		code, out, errs := h.run(args...)
		if code != exitFindings {
			t.Errorf("check --format %s: exit %d\n%s", format, code, errs)
		}
		outputs = append(outputs, out, errs)
	}
	h.env["GITHUB_ACTIONS"] = "true"
	_, out, errs := h.run("check", "-c", cfg)
	outputs = append(outputs, maskLine.ReplaceAllString(out, ""), errs)
	delete(h.env, "GITHUB_ACTIONS")
	h.env["TOK"] = "x.y.z"
	for _, name := range []string{"hmac", "rsa", "ec"} {
		_, out, errs := h.run("token", "-c", cfg, "--secret", name, "--token-env", "TOK")
		outputs = append(outputs, out, errs)
	}
	// A token that verifies: the runner line (signs with this key, or
	// another) is printed too.
	signed := signHS256(t, canaryHMAC, jwt.MapClaims{"iss": "auth", "aud": "api", "exp": time.Now().Add(time.Hour).Unix()})
	h.env["TOK"] = signed
	_, out, errs = h.run("token", "-c", cfg, "--secret", "hmac", "--token-env", "TOK")
	if !strings.Contains(out, "runner: signs with this key") {
		t.Errorf("token: no runner line:\n%s", out)
	}
	outputs = append(outputs, out, errs)
	mu.Lock()
	tokens = append(tokens, signed)
	mu.Unlock()
	files, _ := filepath.Glob(filepath.Join(h.dir, "out.*"))
	files = append(files, filepath.Join(h.dir, "summary.md"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v, %d bytes", filepath.Base(p), err, len(b))
		}
		outputs = append(outputs, string(b))
	}

	mu.Lock()
	canaries := append([]string{canaryHMAC, canaryLit, canaryBypass, canaryJWKS, privPEM, string(ecJWK), string(rsaJWKS), d.D}, tokens...)
	mu.Unlock()
	if !strings.Contains(strings.Join(outputs, ""), "SP163") {
		t.Error("the runs reported no SP163: the probe findings were not exercised")
	}
	if !strings.Contains(strings.Join(outputs, ""), "cannot mint tokens with what it holds") {
		t.Error("the runs reported no SP160 for a runner that cannot sign: that path was not exercised")
	}
	if !strings.Contains(strings.Join(outputs, ""), sources.SentenceProtocol) {
		t.Error("the runs reported no broken jwks_url answer: that path was not exercised")
	}
	if wsTokens == 0 || !strings.Contains(strings.Join(outputs, ""), "/socket") {
		t.Error("the WebSocket endpoint saw no subprotocol token, or no output names it: that probe did not run")
	}
	if len(tokens) < 20 {
		t.Fatalf("the endpoint saw %d tokens; the probes did not run", len(tokens))
	}
	for i, o := range outputs {
		assertNoTrace(t, fmt.Sprintf("output %d", i), o, canaries)
		for _, tok := range tokens {
			for _, part := range strings.Split(tok, ".") {
				if len(part) > 24 && strings.Contains(o, part) {
					t.Errorf("output %d holds a part of a probe token", i)
				}
			}
		}
		if strings.Contains(o, "echo:") {
			t.Errorf("output %d holds a response body", i)
		}
	}
	assertNoTrace(t, "the process's own stdout and stderr", processOutput(), canaries)
}

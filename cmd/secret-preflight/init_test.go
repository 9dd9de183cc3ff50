package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// initFixture has four services reading secrets through their templates:
//   - jwt is read by api (JWT_SECRET), auth (JWT_SECRET_KEY then JWT_SECRET,
//     one of them spelt projects/NUMBER/secrets/jwt, the service itself named
//     by project number), and both containers of web: the ingress one by
//     env, the proxy sidecar through a volume item;
//   - api-key is read by api (env, spelt projects/stg/secrets/api-key) and
//     by web through a volume without items;
//   - projects/shared/secrets/jwt (another project, same id) is read by api
//     and by worker, in another region;
//   - reports-token is read by worker only;
//   - quiet reads nothing.
const initFixture = `
projects: {stg: "111111111111", shared: "222222222222"}
services:
  - name: projects/stg/locations/us-central1/services/api
    template:
      containers:
        - name: app
          ports: [{containerPort: 8080}]
          env:
            - {name: LOG_LEVEL, value: debug}
            - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: latest}}}
            - {name: API_KEY, valueSource: {secretKeyRef: {secret: projects/stg/secrets/api-key, version: "3"}}}
            - {name: UPSTREAM_JWT, valueSource: {secretKeyRef: {secret: projects/shared/secrets/jwt, version: latest}}}
  - name: projects/111111111111/locations/us-central1/services/auth
    template:
      containers:
        - name: auth
          env:
            - {name: JWT_SECRET_KEY, valueSource: {secretKeyRef: {secret: projects/111111111111/secrets/jwt, version: current}}}
            - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt}}}
  - name: projects/stg/locations/us-central1/services/web
    template:
      containers:
        - name: web
          ports: [{containerPort: 8080}]
          env:
            - {name: JWT_SECRET_STAGING, valueSource: {secretKeyRef: {secret: jwt, version: "2"}}}
          volumeMounts: [{name: keys, mountPath: /etc/keys}]
        - name: proxy
          volumeMounts: [{name: jwt-vol, mountPath: /secrets/jwt/}]
      volumes:
        - {name: keys, secret: {secret: api-key}}
        - {name: jwt-vol, secret: {secret: jwt, items: [{path: signing.key, version: "2"}]}}
  - name: projects/stg/locations/europe-west1/services/worker
    template:
      containers:
        - name: worker
          env:
            - {name: UPSTREAM_JWT, valueSource: {secretKeyRef: {secret: projects/shared/secrets/jwt}}}
            - {name: REPORTS_TOKEN, valueSource: {secretKeyRef: {secret: reports-token, version: latest}}}
  - name: projects/stg/locations/us-central1/services/quiet
    template:
      containers:
        - name: quiet
          env:
            - {name: MODE, value: calm}
`

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept it)\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// uncommentRunners turns the commented-out runner blocks into YAML.
var commentedRunner = regexp.MustCompile(`(?m)^    # `)

func uncommentRunners(s string) string { return commentedRunner.ReplaceAllString(s, "    ") }

func parseConfig(t *testing.T, name, doc string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(name, []byte(doc))
	if err != nil {
		t.Fatalf("config.Parse rejects the %s output: %v\n%s", name, err, doc)
	}
	return cfg
}

func TestInitAllRegions(t *testing.T) {
	h := newHarness(t, initFixture)
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1,europe-west1")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	golden(t, "init.golden", out)

	cfg := parseConfig(t, "as-printed.yaml", out)
	if cfg.GCP.Project != "stg" || cfg.GCP.Region != "us-central1" {
		t.Errorf("gcp = %+v, want stg/us-central1 (the region most services are in)", cfg.GCP)
	}
	var names []string
	for _, s := range cfg.Secrets {
		names = append(names, s.Name)
		// A secret one service reads has an active runner, so that check
		// compares it with something; the others' runner is a suggestion.
		if single := s.Name == "reports-token"; (s.Runner != nil) != single {
			t.Errorf("%s: runner %+v, want it active only for the single-reader secret", s.Name, s.Runner)
		}
	}
	// Shared secrets first, then reports-token, which worker alone reads:
	// the runner against one backend is a comparison too.
	if got, want := strings.Join(names, ","), "api-key,jwt,jwt@shared,reports-token"; got != want {
		t.Errorf("secrets %s, want %s", got, want)
	}
	if !strings.HasPrefix(out, "# yaml-language-server: $schema=https://raw.githubusercontent.com/secret-preflight/secret-preflight/main/schema/config-v1.json\n") {
		t.Errorf("the first line should point editors at the schema:\n%s", out)
	}

	filled := parseConfig(t, "uncommented.yaml", uncommentRunners(out))
	for _, s := range filled.Secrets {
		if s.Runner == nil || len(s.Runner.Chain) != 1 || s.Runner.Chain[0].Kind != config.LinkEnv {
			t.Errorf("%s: uncommented runner = %+v, want one env link", s.Name, s.Runner)
		}
	}
	if got := filled.Secrets[1].Runner.Chain[0].Name; got != "JWT_SECRET" {
		t.Errorf("jwt runner suggestion %q, want the most common name JWT_SECRET", got)
	}
	// auth's name carries the project number: nothing to look up.
	if n := h.srv.Calls("GetSecret"); n != 0 {
		t.Errorf("GetSecret called %d times, want 0", n)
	}
}

// initByIDFixture is initFixture with every service named by project id,
// so that only Secret Manager can tell that auth's
// projects/111111111111/secrets/jwt is stg's jwt.
func initByIDFixture(t *testing.T) string {
	t.Helper()
	f := strings.Replace(initFixture, "projects/111111111111/locations/", "projects/stg/locations/", 1)
	f = strings.Replace(f, "\nservices:\n", "\nsecrets:\n  - name: projects/stg/secrets/jwt\n  - name: projects/stg/secrets/api-key\nservices:\n", 1)
	if strings.Contains(f, "111111111111/locations") || !strings.Contains(f, "secret: projects/111111111111/secrets/jwt") {
		t.Fatalf("fixture rewrite failed:\n%s", f)
	}
	return f
}

func TestInitNumberedReferenceMerged(t *testing.T) {
	h := newHarness(t, initByIDFixture(t))
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1,europe-west1")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	// The number is learned from Secret Manager, and the config is the
	// one written when a service name carries it: one jwt entry, and
	// auth's chain keeps both links [JWT_SECRET_KEY, JWT_SECRET].
	golden(t, "init.golden", out)
	if strings.Contains(out, "111111111111") {
		t.Errorf("the numbered spelling was not merged into jwt:\n%s", out)
	}
	if !strings.Contains(out, "      - cloudrun: auth\n        chain: [JWT_SECRET_KEY, JWT_SECRET]\n") {
		t.Errorf("auth's chain lost a link:\n%s", out)
	}
	// One lookup, on the id the numbered reference names.
	if n, n1 := h.srv.Calls("GetSecret"), h.srv.CallsFor("GetSecret", "projects/stg/secrets/jwt"); n != 1 || n1 != 1 {
		t.Errorf("GetSecret calls %d (%d on projects/stg/secrets/jwt), want exactly one, on it", n, n1)
	}
}

func TestInitNumberLookupDenied(t *testing.T) {
	h := newHarness(t, initByIDFixture(t))
	h.srv.SetFault("GetSecret", "", codes.PermissionDenied)
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1,europe-west1")
	if code != exitOK {
		t.Fatalf("a failed number lookup must not fail init: exit %d; stderr:\n%s", code, errs)
	}
	golden(t, "init-unmatched.golden", out)
	for _, want := range []string{
		"# Project 111111111111, named by number in secret references, could not be matched\n",
		"# The number of stg could not be looked up: projects/stg/secrets/jwt: PermissionDenied: the caller lacks IAM permission secretmanager.secrets.get on it",
		// Today's split, kept: the numbered jwt has auth as its only reader.
		"  # projects/111111111111/secrets/jwt, read by 1 service\n  - name: jwt@111111111111\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output should contain %q:\n%s", want, out)
		}
	}
	cfg := parseConfig(t, "unmatched.yaml", out)
	if got, want := configSecretNames(cfg), "api-key,jwt,jwt@shared,jwt@111111111111,reports-token"; got != want {
		t.Errorf("secrets %s, want %s", got, want)
	}
}

func TestInitOneRegion(t *testing.T) {
	h := newHarness(t, initFixture)
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	cfg := parseConfig(t, "one-region.yaml", out)
	// worker (europe-west1) is not listed, so the foreign jwt has one
	// reader left: it comes after the shared ones, still told apart from jwt.
	if got, want := configSecretNames(cfg), "api-key,jwt,jwt@shared"; got != want {
		t.Errorf("secrets %s, want %s", got, want)
	}
	if strings.Contains(out, "worker") || strings.Contains(out, "europe-west1") {
		t.Errorf("a service of another region leaked into the output:\n%s", out)
	}
	if !strings.Contains(out, "  # projects/shared/secrets/jwt, read by 1 service\n  - name: jwt@shared\n") {
		t.Errorf("the foreign jwt read by api only should be an entry of its own:\n%s", out)
	}
}

func TestInitNoSharedSecret(t *testing.T) {
	h := newHarness(t, initFixture)
	code, out, errs := h.run("init", "--project", "stg", "--region", "europe-west1")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	// A config must declare a secret: the single-reader ones are declared.
	cfg := parseConfig(t, "single.yaml", out)
	if len(cfg.Secrets) != 2 || cfg.Secrets[0].Name != "jwt" || cfg.Secrets[1].Name != "reports-token" {
		t.Errorf("secrets = %+v, want jwt and reports-token", cfg.Secrets)
	}
	if !strings.Contains(out, "These secrets are read by one service or job only") {
		t.Errorf("the config should say why single-reader secrets are declared:\n%s", out)
	}
}

func TestInitNoSecretsAtAll(t *testing.T) {
	h := newHarness(t, `
projects: {stg: "111111111111"}
services:
  - name: projects/stg/locations/us-central1/services/quiet
    template: {containers: [{name: quiet}]}
`)
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1")
	if code != exitFindings || out != "" {
		t.Fatalf("exit %d stdout %q, want 1 and nothing", code, out)
	}
	if !strings.Contains(errs, "found 1 Cloud Run service in project stg in region us-central1, but none reads a Secret Manager secret") {
		t.Errorf("stderr should say what was found and why nothing was written: %q", errs)
	}
}

func TestInitPermissionDenied(t *testing.T) {
	h := newHarness(t, initFixture)
	h.srv.SetFault("ListServices", "", codesPermissionDenied)
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, errs)
	}
	if out != "" {
		t.Errorf("nothing should be printed on failure, got:\n%s", out)
	}
	for _, want := range []string{"projects/stg/locations/us-central1", "PermissionDenied", "run.services.list"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr should name %q: %s", want, errs)
		}
	}
}

func TestInitUsage(t *testing.T) {
	h := newHarness(t, initFixture)
	existing := h.write("exists.yaml", "keep me\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"init"}, "--project is required"},
		{[]string{"init", "--project", "stg"}, "--region is required"},
		{[]string{"init", "--region", "us-central1"}, "--project is required"},
		{[]string{"init", "--project", "a/b", "--region", "r"}, "not a project id"},
		{[]string{"init", "--project", "stg", "--region", "us-central1", "extra"}, "unexpected argument"},
		{[]string{"init", "--project", "stg", "--region", "us-central1", "--force"}, "only applies with -o"},
		{[]string{"init", "--project", "stg", "--region", "us-central1", "-o", existing}, "already exists"},
		{[]string{"init", "--bogus"}, "flag provided but not defined"},
	} {
		code, out, errs := h.run(tc.args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d stdout %q stderr %q, want 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
		t.Errorf("existing file was changed: %q", b)
	}
	if n := h.srv.Calls("ListServices"); n != 0 {
		t.Errorf("bad usage made %d ListServices calls, want 0", n)
	}
	if code, _, _ := h.run("init", "-h"); code != exitOK {
		t.Errorf("init -h: exit %d, want 0", code)
	}
}

func TestInitOutputFile(t *testing.T) {
	h := newHarness(t, initFixture)
	args := []string{"init", "--project", "stg", "--region", "us-central1,europe-west1"}
	_, want, _ := h.run(args...)

	p := filepath.Join(h.dir, "secret-preflight.yaml")
	code, out, errs := h.run(append(args, "-o", p)...)
	if code != exitOK || out != "" {
		t.Fatalf("-o: exit %d stdout %q stderr %s, want 0 and nothing on stdout", code, out, errs)
	}
	if got, _ := os.ReadFile(p); string(got) != want {
		t.Errorf("file differs from stdout output:\n%s", got)
	}
	if _, err := config.Load(p); err != nil {
		t.Errorf("config.Load: %v", err)
	}

	if code, _, errs := h.run(append(args, "-o", p)...); code != exitUsage || !strings.Contains(errs, "--force") {
		t.Errorf("second -o without --force: exit %d stderr %q, want 2 suggesting --force", code, errs)
	}
	if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := h.run(append(args, "-o", p, "--force")...); code != exitOK {
		t.Fatalf("--force: exit %d stderr %s", code, errs)
	}
	if got, _ := os.ReadFile(p); string(got) != want {
		t.Errorf("--force did not overwrite the file:\n%s", got)
	}

	// A failed listing writes no file.
	h.srv.SetFault("ListServices", "", codesPermissionDenied)
	q := filepath.Join(h.dir, "never.yaml")
	if code, _, _ := h.run(append(args, "-o", q)...); code != exitIncomplete {
		t.Errorf("exit %d, want 3", code)
	}
	if _, err := os.Stat(q); !os.IsNotExist(err) {
		t.Errorf("a failed listing left a file: %v", err)
	}
}

func TestInitYAMLQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"JWT_SECRET":      "JWT_SECRET",
		"/secrets/jwt/a":  "/secrets/jwt/a",
		"jwt@shared":      "jwt@shared",
		"123":             `"123"`,
		"on":              `"on"`,
		"NULL":            `"NULL"`,
		"a: b":            `"a: b"`,
		"x,y":             `"x,y"`,
		"line\nbreak":     `"line\nbreak"`,
		"":                `""`,
		"-dash":           `"-dash"`,
		"/p/with space":   `"/p/with space"`,
		"#not-a-comment":  `"#not-a-comment"`,
		"{flow}":          `"{flow}"`,
		"quote\"inside'x": `"quote\"inside'x"`,
	} {
		if got := initYAML(in); got != want {
			t.Errorf("initYAML(%q) = %s, want %s", in, got, want)
		}
		// Whatever the form, YAML must read back the same string.
		doc := "version: 1\ngcp: {project: p, region: r}\nsecrets:\n  - name: s\n    runner:\n      chain: [{literal: " + initYAML(in) + "}]\n"
		cfg, err := config.Parse("q.yaml", []byte(doc))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := cfg.Secrets[0].Runner.Chain[0].Literal; !got.Equal(secret.FromString(in)) {
			t.Errorf("%q written as %s reads back as %q", in, initYAML(in), got.Reveal())
		}
	}
}

// TestInitConfigDrivesCheck fills in the runner of a generated config and
// runs check with it: every consumer init wrote must resolve.
func TestInitConfigDrivesCheck(t *testing.T) {
	const key = "init-e2e-signing-key-0123456789abcdef"
	apiSpec := `
      containers:
        - name: app
          env:
            - {name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "1"}}}`
	webSpec := `
      containers:
        - name: web
          ports: [{containerPort: 8080}]
          env:
            - {name: JWT_SECRET_STAGING, valueSource: {secretKeyRef: {secret: projects/stg/secrets/jwt, version: "1"}}}
        - name: proxy
          volumeMounts: [{name: jwt, mountPath: /secrets/jwt}]
      volumes:
        - {name: jwt, secret: {secret: jwt, items: [{path: signing.key, version: "1"}]}}`
	svc := func(name, spec string) string {
		base := "projects/stg/locations/us-central1/services/" + name
		return "  - name: " + base + "\n" +
			"    latestReadyRevision: " + base + "/revisions/" + name + "-1\n" +
			"    trafficStatuses: [{type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 100}]\n" +
			"    template:" + spec + "\n"
	}
	rev := func(name, spec string) string {
		return "  - name: projects/stg/locations/us-central1/services/" + name + "/revisions/" + name + "-1\n" +
			strings.TrimPrefix(strings.ReplaceAll(spec, "\n  ", "\n"), "\n") + "\n"
	}
	fixture := `
projects: {stg: "111111111111"}
secrets:
  - name: projects/stg/secrets/jwt
    versions: [{value: "` + key + `"}]
services:
` + svc("api", apiSpec) + svc("web", webSpec) + `revisions:
` + rev("api", apiSpec) + rev("web", webSpec)
	h := newHarness(t, fixture)
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1")
	if code != exitOK {
		t.Fatalf("init: exit %d; stderr:\n%s", code, errs)
	}
	r := checkInitConfig(t, h, out, key)
	for _, id := range []string{"runner", "cloudrun:api@api-1/app", "cloudrun:web@web-1/web", "cloudrun:web@web-1/proxy"} {
		if c := consumerByID(t, r, id); !c.Resolved {
			t.Errorf("%s did not resolve: %+v", id, c)
		}
	}
}

// checkInitConfig writes the config init printed as out, its runner blocks
// uncommented and JWT_SECRET set to key, and runs check with it, which must
// pass; it returns check's report.
func checkInitConfig(t *testing.T, h *harness, out, key string) *report.Report {
	t.Helper()
	cfg := h.write("secret-preflight.yaml", uncommentRunners(out))
	h.env["JWT_SECRET"] = key
	code, r, errs := h.checkJSON(cfg)
	if code != exitOK || r.Result != "pass" {
		t.Fatalf("check: exit %d result %s, want 0 pass; findings %+v; stderr:\n%s\nconfig:\n%s", code, r.Result, r.Findings, errs, out)
	}
	return r
}

// configSecretNames lists a config's secrets, comma-separated, in file order.
func configSecretNames(cfg *config.Config) string {
	var names []string
	for _, s := range cfg.Secrets {
		names = append(names, s.Name)
	}
	return strings.Join(names, ",")
}

// The v2 API refuses the - location (and so does the fake): init says so
// before any call and asks for the regions.
func TestInitWildcardRegionRefused(t *testing.T) {
	h := newHarness(t, initFixture)
	for _, region := range []string{"-", "us-central1,-"} {
		code, out, errs := h.run("init", "--project", "stg", "--region", region)
		if code != exitUsage || out != "" {
			t.Fatalf("--region %s: exit %d stdout %q, want 2 and nothing", region, code, out)
		}
		for _, want := range []string{"refuses the - wildcard", "--region us-central1,europe-west1", "gcloud run services list --project stg"} {
			if !strings.Contains(errs, want) {
				t.Errorf("--region %s: stderr should say %q: %s", region, want, errs)
			}
		}
	}
	if n := h.srv.Calls("ListServices"); n != 0 {
		t.Errorf("%d ListServices calls, want 0", n)
	}
	for _, bad := range []string{"us-central1,", "a b", ",us-central1"} {
		if code, _, errs := h.run("init", "--project", "stg", "--region", bad); code != exitUsage || !strings.Contains(errs, "comma-separated list of regions") {
			t.Errorf("--region %q: exit %d stderr %q, want 2", bad, code, errs)
		}
	}
}

// A region without services (or a mistyped one) writes nothing and says
// what was found: exit 1, as there is nothing to write.
func TestInitNothingFound(t *testing.T) {
	h := newHarness(t, initFixture)
	code, out, errs := h.run("init", "--project", "stg", "--region", "asia-east1,us-east4")
	if code != exitFindings || out != "" {
		t.Fatalf("exit %d stdout %q, want 1 and nothing", code, out)
	}
	for _, want := range []string{"found no Cloud Run service or job in project stg in regions asia-east1, us-east4", "no config written", "gcloud run services list --project stg"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr should say %q: %s", want, errs)
		}
	}
	for _, r := range []string{"asia-east1", "us-east4"} {
		if n := h.srv.CallsFor("ListServices", "projects/stg/locations/"+r); n != 1 {
			t.Errorf("ListServices on %s: %d calls, want 1", r, n)
		}
	}
}

// A mistyped project is refused by the API (PermissionDenied, as Cloud Run
// answers for a project the caller cannot see): exit 3, naming the flag.
func TestInitUnknownProject(t *testing.T) {
	h := newHarness(t, initFixture)
	code, out, errs := h.run("init", "--project", "stgg", "--region", "us-central1")
	if code != exitIncomplete || out != "" {
		t.Fatalf("exit %d stdout %q, want 3 and nothing", code, out)
	}
	for _, want := range []string{"projects/stgg/locations/us-central1: PermissionDenied", "run.services.list", "check --project stgg", "gcloud projects list"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr should say %q: %s", want, errs)
		}
	}
}

// Jobs are discovered with the services and become cloudrun_job consumers;
// a secret read by one service and one job is shared.
func TestInitJobs(t *testing.T) {
	const key = "init-jobs-signing-key-0123456789abcdef"
	fixture := `
projects: {stg: "111111111111"}
secrets:
  - name: projects/stg/secrets/jwt
    versions: [{value: "` + key + `"}]
services:
  - name: projects/stg/locations/us-central1/services/api
    latestReadyRevision: projects/stg/locations/us-central1/services/api/revisions/api-1
    trafficStatuses: [{type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 100}]
    template:
      containers:
        - name: app
          env: [{name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "1"}}}]
revisions:
  - name: projects/stg/locations/us-central1/services/api/revisions/api-1
    containers:
      - name: app
        env: [{name: JWT_SECRET, valueSource: {secretKeyRef: {secret: jwt, version: "1"}}}]
jobs:
  - name: projects/stg/locations/europe-west1/jobs/db-migrate
    template:
      template:
        containers:
          - name: migrate
            env: [{name: MIGRATE_JWT, valueSource: {secretKeyRef: {secret: jwt, version: "1"}}}]
`
	h := newHarness(t, fixture)
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1,europe-west1")
	if code != exitOK {
		t.Fatalf("init: exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"# from the templates of the 1 Cloud Run service and 1 job of project stg",
		"  # projects/stg/secrets/jwt, read by 1 service and 1 job\n",
		"      - cloudrun_job: projects/stg/locations/europe-west1/jobs/db-migrate\n        chain: [MIGRATE_JWT]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output should contain %q:\n%s", want, out)
		}
	}
	r := checkInitConfig(t, h, out, key)
	if c := consumerByID(t, r, "cloudrun_job:db-migrate/migrate"); !c.Resolved || c.Kind != "cloudrun_job" {
		t.Errorf("job consumer %+v", c)
	}

	// Without run.jobs.list the services are still written, and the
	// config says jobs are missing.
	h.srv.SetFault("ListJobs", "", codesPermissionDenied)
	code, out, errs = h.run("init", "--project", "stg", "--region", "us-central1,europe-west1")
	if code != exitOK || strings.Contains(out, "- cloudrun_job:") || !strings.Contains(out, "# Cloud Run jobs could not be listed") ||
		!strings.Contains(errs, "run.jobs.list") {
		t.Errorf("exit %d, stderr %q, output:\n%s", code, errs, out)
	}
}

// The runner block of a single-reader secret is active: check on the fresh
// config reports the unset variable (SP101) instead of comparing one
// consumer and passing.
func TestInitSingleReaderRunnerIsActive(t *testing.T) {
	h := newHarness(t, initFixture)
	code, out, errs := h.run("init", "--project", "stg", "--region", "europe-west1")
	if code != exitOK {
		t.Fatalf("init: exit %d; stderr:\n%s", code, errs)
	}
	if !strings.Contains(out, "      # Set REPORTS_TOKEN in your CI job (from Secret Manager)") {
		t.Errorf("the runner block should say to set REPORTS_TOKEN in CI:\n%s", out)
	}
	cfg := h.write("secret-preflight.yaml", out)
	for _, s := range parseConfig(t, "single.yaml", out).Secrets {
		if s.Runner == nil || len(s.Runner.Chain) != 1 || s.Runner.Chain[0].Kind != config.LinkEnv {
			t.Errorf("%s: runner %+v, want one active env link", s.Name, s.Runner)
		}
	}
	code, r, errs := h.checkJSON(cfg)
	if code == exitOK || r.Result == report.Pass {
		t.Fatalf("check of the fresh config: exit %d result %s, want no pass; findings %+v\n%s", code, r.Result, r.Findings, errs)
	}
	var sp101 bool
	for _, f := range r.Findings {
		if f.Code == "SP101" && f.Secret == "reports-token" && f.Consumers[0] == "runner" && strings.Contains(f.Message, "REPORTS_TOKEN") {
			sp101 = true
		}
	}
	if !sp101 {
		t.Errorf("want SP101 for reports-token's unset runner variable: %+v", r.Findings)
	}
}

// worker reads shared's jwt by number: it is the secret api reads as
// projects/shared/secrets/jwt once shared's number is learned; when the
// lookup is refused, the two stay apart and a comment says why.
func TestInitForeignNumberedReferenceMerged(t *testing.T) {
	fixture := strings.Replace(initFixture,
		"            - {name: UPSTREAM_JWT, valueSource: {secretKeyRef: {secret: projects/shared/secrets/jwt}}}",
		"            - {name: UPSTREAM_JWT, valueSource: {secretKeyRef: {secret: projects/222222222222/secrets/jwt}}}", 1)
	fixture = strings.Replace(fixture, "\nservices:\n", "\nsecrets:\n  - name: projects/shared/secrets/jwt\nservices:\n", 1)
	if !strings.Contains(fixture, "projects/222222222222/secrets/jwt") {
		t.Fatal("fixture rewrite failed")
	}
	h := newHarness(t, fixture)
	code, out, errs := h.run("init", "--project", "stg", "--region", "us-central1,europe-west1")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	if strings.Contains(out, "222222222222") || !strings.Contains(out, "  # projects/shared/secrets/jwt, read by 2 services\n") {
		t.Errorf("the numbered spelling of shared's jwt was not merged:\n%s", out)
	}
	parseConfig(t, "merged.yaml", out)

	h = newHarness(t, fixture)
	h.srv.SetFault("GetSecret", "projects/shared/secrets/jwt", codes.PermissionDenied)
	code, out, errs = h.run("init", "--project", "stg", "--region", "us-central1,europe-west1")
	if code != exitOK {
		t.Fatalf("denied: exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{
		"# The number of project shared could not be looked up",
		"projects/shared/secrets/jwt: PermissionDenied: the caller lacks IAM permission secretmanager.secrets.get",
		"  # projects/222222222222/secrets/jwt, read by 1 service\n",
		"  # projects/shared/secrets/jwt, read by 1 service\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("denied: output lacks %q:\n%s", want, out)
		}
	}
	parseConfig(t, "apart.yaml", out)
}

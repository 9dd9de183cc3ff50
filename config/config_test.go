package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadValid(t *testing.T) {
	cfg, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pos := func(line, col int) Pos { return Pos{File: "testdata/valid.yaml", Line: line, Col: col} }

	if cfg.Path != "testdata/valid.yaml" || cfg.Version != 1 {
		t.Errorf("Path, Version = %q, %d", cfg.Path, cfg.Version)
	}
	if want := (GCP{Project: "netra-staging", Region: "us-central1"}); cfg.GCP != want {
		t.Errorf("GCP = %+v, want %+v", cfg.GCP, want)
	}
	if len(cfg.Secrets) != 2 {
		t.Fatalf("got %d secrets, want 2", len(cfg.Secrets))
	}

	s := cfg.Secrets[0]
	if s.Name != "jwt-signing" || s.Pos != pos(8, 5) {
		t.Errorf("secret = %q at %v", s.Name, s.Pos)
	}
	if want := (JWT{Algorithm: "HS256", Issuer: "netra-auth-service", Audience: "netra-backend", Pos: pos(9, 5)}); s.JWT == nil || !reflect.DeepEqual(*s.JWT, want) {
		t.Errorf("JWT = %+v, want %+v", s.JWT, want)
	}
	if len(s.MustDifferFrom) != 1 || s.MustDifferFrom[0] != "jwt-signing-production" {
		t.Errorf("MustDifferFrom = %q", s.MustDifferFrom)
	}

	r := s.Runner
	if r == nil || r.Kind != KindRunner || !r.Trim || r.Pos != pos(14, 5) {
		t.Fatalf("runner = %+v", r)
	}
	wantRunner := []struct {
		kind LinkKind
		ref  string
		pos  Pos
	}{
		{LinkEnv, "STAGING_JWT_SECRET", pos(17, 11)},
		{LinkEnv, "JWT_SECRET_STAGING", pos(18, 11)},
		{LinkFile, ".secrets/jwt", pos(19, 11)},
		{LinkDotenv, ".env.staging:JWT_SECRET", pos(20, 11)},
		{LinkExec, `["gcloud" +5 args]`, pos(21, 11)},
		{LinkSecretManager, "projects/netra-staging/secrets/jwt-secret-staging/versions/latest", pos(22, 11)},
		{LinkLiteral, "literal", pos(23, 11)},
	}
	if len(r.Chain) != len(wantRunner) {
		t.Fatalf("runner chain has %d links, want %d", len(r.Chain), len(wantRunner))
	}
	for i, w := range wantRunner {
		l := r.Chain[i]
		if l.Kind != w.kind || l.Ref() != w.ref || l.Pos != w.pos {
			t.Errorf("runner link %d = %s %q at %v, want %s %q at %v", i, l.Kind, l.Ref(), l.Pos, w.kind, w.ref, w.pos)
		}
	}
	if lit := r.Chain[6].Literal; !lit.IsSet() || string(lit.Reveal()) != "staging-jwt-secret-key" {
		t.Errorf("literal not loaded")
	}

	if len(s.Services) != 4 {
		t.Fatalf("got %d services, want 4", len(s.Services))
	}
	wantSvc := []Consumer{
		{Kind: KindCloudRun, Target: "netra-backend-staging", Container: "backend", Trim: true, Pos: pos(25, 9)},
		{Kind: KindCloudRun, Target: "projects/other/locations/europe-west1/services/auth", Pos: pos(29, 9)},
		{Kind: KindManifest, Target: filepath.Join("testdata", "deploy", "staging", "backend.service.yaml"), Pos: pos(35, 9)},
		{Kind: KindSetSecrets, Target: "JWT_SECRET_STAGING=jwt-secret-staging:latest,/secrets/jwt=jwt-key:3", Name: "worker", Pos: pos(37, 9)},
	}
	for i, w := range wantSvc {
		c := s.Services[i]
		if c.Kind != w.Kind || c.Target != w.Target || c.Name != w.Name || c.Container != w.Container || c.Trim != w.Trim || c.Pos != w.Pos {
			t.Errorf("service %d = %+v, want %+v", i, *c, w)
		}
	}
	var refs []string
	for _, l := range s.Services[0].Chain {
		refs = append(refs, l.Ref())
	}
	if got := strings.Join(refs, ","); got != "JWT_SECRET_STAGING,JWT_SECRET_KEY,JWT_SECRET" {
		t.Errorf("bare strings in a chain: %s", got)
	}
	refs = refs[:0]
	for _, l := range s.Services[1].Chain {
		refs = append(refs, l.Ref())
	}
	wantRefs := "/secrets/jwt," +
		"projects/p2/secrets/jwt-key/versions/3," +
		"projects/p3/secrets/jwt-key/versions/latest," +
		"projects/netra-staging/secrets/jwt-key/versions/7"
	if got := strings.Join(refs, ","); got != wantRefs {
		t.Errorf("secretmanager names resolve to\n%s\nwant\n%s", got, wantRefs)
	}

	if p := cfg.Secrets[1]; p.JWT == nil || p.JWT.Algorithm != "EdDSA" || p.Runner == nil || len(p.Services) != 0 {
		t.Errorf("second secret = %+v", p)
	}

	pol := cfg.Policy
	if pol.FailOn != "warning" || strings.Join(pol.ForbidServiceEnv, ",") != "E2E_TESTING,E2E_OAUTH_SIMULATION_KEY" {
		t.Errorf("policy = %+v", pol)
	}
	if len(pol.Placeholders) != 1 || string(pol.Placeholders[0].Reveal()) != "test-jwt-secret-key-unified-testing-32chars" {
		t.Errorf("placeholders not loaded")
	}

	wantIgnore := []Ignore{
		{Code: "SP130", Secret: "jwt-signing", Reason: "pinning tracked in INFRA-123", Until: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), Pos: pos(51, 5)},
		{Code: "SP140", Reason: "quoted date", Until: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Pos: pos(55, 5)},
	}
	if len(cfg.Ignore) != len(wantIgnore) {
		t.Fatalf("got %d ignores, want %d", len(cfg.Ignore), len(wantIgnore))
	}
	for i, w := range wantIgnore {
		if g := cfg.Ignore[i]; g.Code != w.Code || g.Secret != w.Secret || g.Reason != w.Reason || !g.Until.Equal(w.Until) || g.Pos != w.Pos {
			t.Errorf("ignore %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestLoadAliases(t *testing.T) {
	cfg, err := Load("testdata/aliases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Consumer{cfg.Secrets[0].Runner, cfg.Secrets[0].Services[0], cfg.Secrets[1].Runner} {
		if len(c.Chain) != 2 || c.Chain[0].Name != "JWT_SECRET" || c.Chain[1].Kind != LinkLiteral {
			t.Errorf("%s chain through an alias = %+v", c.Kind, c.Chain)
		}
	}
	if got := cfg.Secrets[0].Services[0].Target; got != "/abs/svc.yaml" {
		t.Errorf("absolute manifest path = %q, want it unchanged", got)
	}
}

// Each file holds one family of mistakes. The test pins every error's
// position and the gist of its message, and that there are no others: a
// cascade of follow-on errors is a bug too.
func TestInvalid(t *testing.T) {
	tests := []struct {
		file string
		want []string // "line:col: message substring", in order
	}{
		{"chain_not_list", []string{
			"5:14: chain must be a list, got a string",
		}},
		{"cloudrun", []string{
			"7:19: cloudrun \"backend\" is a short name, which needs gcp.region (or write projects/P/locations/R/services/S)",
			"9:19: cloudrun \"projects/p/regions/r/services/s\" is neither a service name nor projects/P/locations/R/services/S",
			"11:19: cloudrun \"Backend_Service\" is not a Cloud Run service name (lowercase letters, digits and hyphens)",
		}},
		{"cloudrun_job_tag", []string{
			"7:23: cloudrun_job \"migrate\" is a short name, which needs gcp.region (or write projects/P/locations/R/jobs/J)",
			"9:23: cloudrun_job \"projects/p/locations/r/services/s\" is neither a job name nor projects/P/locations/R/jobs/J",
			"11:23: cloudrun_job \"Migrate_DB\" is not a Cloud Run job name (lowercase letters, digits and hyphens)",
			"14:9: tag applies to cloudrun consumers only (the revision serving that tag's URL), not to cloudrun_job",
			"17:14: tag \"E2E_Tag\" is not a Cloud Run traffic tag",
			"20:9: tag applies to cloudrun consumers only",
			"23:9: consumer has both cloudrun and cloudrun_job; declare one per entry",
		}},
		{"comments_only", []string{
			"1:1: the config is empty; it must be a map starting with version: 1",
		}},
		{"consumer_no_chain", []string{
			"4:5: runner has no chain",
			"6:9: consumer has no chain",
		}},
		{"set_secrets_no_project", []string{
			"8:22: set_secrets entry 2 names its secret by a short id, which needs gcp.project (or write projects/P/secrets/S:VERSION)",
		}},
		{"set_secrets_same_id", []string{
			"7:9: a second set_secrets consumer with id set_secrets:deploy (first at testdata/invalid/set_secrets_same_id.yaml:6:9): give each set_secrets consumer its own name:",
			"9:9: a second set_secrets consumer with id set_secrets:worker (first at testdata/invalid/set_secrets_same_id.yaml:8:9): give each set_secrets consumer its own name:",
		}},
		{"set_secrets_malformed", []string{
			"6:22: set_secrets entry 1: empty secret name",
			"8:22: set_secrets entry 1: missing '='",
			"10:22: set_secrets entry 1: the version is not latest, a number or an alias",
			"12:23: set_secrets entry 2: empty secret name",
		}},
		{"dotenv_string", []string{
			"6:19: dotenv must be a map with path and key, got a string",
			"7:11: dotenv has no key",
			"8:37: dotenv.key is the variable's name only, without '=' or ':' and a value (not shown, in case it is one)",
			"9:37: dotenv.key must be letters, digits, '_' and '.'",
		}},
		{"duplicate_key", []string{
			"6:7: duplicate key \"chain\" in runner (first at testdata/invalid/duplicate_key.yaml:5:7)",
		}},
		{"duplicate_secret", []string{
			"7:11: duplicate secret name \"jwt\" (first declared at testdata/invalid/duplicate_secret.yaml:3:11)",
		}},
		{"empty", []string{
			"1:1: the config is empty; it must be a map starting with version: 1",
		}},
		{"empty_chain", []string{
			"5:7: chain is empty: list at least one link",
			"8:9: chain is empty: list at least one link",
		}},
		{"env_with_value", []string{
			"6:11: an env var name cannot contain '='",
			"7:16: an env var name cannot contain '='",
		}},
		{"exec_bad", []string{
			"6:17: exec (the command's argv) must be a list, got a string",
			"7:11: exec is empty: give the command and its arguments as a list",
			"8:23: exec entries must be strings and the command must not be empty",
		}},
		{"gcp_broken", []string{
			"2:7: unknown key \"projct\" in gcp (did you mean \"project\"?)",
			"2:26: gcp.region \"a b\" is not a valid region",
			// and nothing about the short names that needed them
		}},
		{"gcp_string", []string{
			"2:6: gcp must be a map with project and region, got a string",
		}},
		{"ignore", []string{
			"6:11: ignore.code \"SP999\" is not a known finding code",
			"9:13: ignore.secret: no secret named \"jtw\" in this file (did you mean \"jwt\"?)",
			"11:5: ignore entry has no reason: say why the finding is acceptable",
			"13:13: ignore.reason is blank: say why the finding is acceptable",
			"14:12: ignore.until must be a date like 2027-01-31",
			"17:12: ignore.until must be a date like 2027-01-31",
			"18:5: ignore entry has no code",
		}},
		{"jwt", []string{
			"4:22: jwt.algorithm \"hs256\" is not one of HS256, ",
			"7:22: jwt.algorithm \"none\" is not one of HS256, ",
			"10:5: jwt has no algorithm (one of HS256,",
			"13:10: jwt must be a map with an algorithm, got a string",
		}},
		{"link_two_kinds", []string{
			"6:11: link has more than one kind (env, file); a link names exactly one source, so split it",
		}},
		{"link_zero_kinds", []string{
			"5:18: link names no source; use one of env, file, dotenv, literal, secretmanager, exec",
		}},
		{"literal_canary", []string{
			"7:11: literal must be a string, got a list",
			"8:11: literal has no value (write literal: \"\" for an empty fallback)",
			"9:11: link has more than one kind (literal, env); a link names exactly one source, so split it",
			"11:16: an env var name cannot contain '='",
			"16:13: exec links run a command on the CI machine; a service cannot use them",
			"17:19: cloudrun \"svc\" is a short name, which needs gcp.project and gcp.region (or write projects/P/locations/R/services/S)",
			"20:30: policy.placeholders entries must be non-empty strings, got a list",
		}},
		{"merge_key", []string{
			"2:1: unknown key \"base\" in the config",
			"5:5: runner has no chain",
			"6:7: YAML merge keys (<<) are not supported; write the keys out or alias the whole value",
		}},
		{"missing_name", []string{
			"3:5: secret has no name",
			"4:5: name is empty",
		}},
		{"must_differ_from", []string{
			"4:24: must_differ_from: no secret named \"jwt-prodution\" in this file (did you mean \"jwt-production\"?)",
			"4:39: must_differ_from names the secret itself",
			"7:23: must_differ_from must be a list, got a string",
		}},
		{"no_consumers", []string{
			"3:5: secret declares no consumers: add runner: and/or services:",
		}},
		{"not_a_map", []string{
			"1:1: the config must be a map starting with version: 1, got a list",
		}},
		{"null_document", []string{
			"2:1: the config is empty; it must be a map starting with version: 1",
		}},
		{"policy", []string{
			"6:12: policy.fail_on \"warn\" is not one of error, warning, never",
			"7:23: policy.forbid_service_env must be a list, got a string",
			"8:22: policy.placeholders entries must be non-empty strings, got a map",
		}},
		{"runner_only_links", []string{
			"7:13: dotenv links read the CI machine's files; a service cannot use them",
			"8:13: exec links run a command on the CI machine; a service cannot use them",
			"9:19: file in a service chain is a path inside the container covered by a secret volume, and must be absolute",
		}},
		{"runner_string", []string{
			"4:13: runner must be a map with a chain, got a string",
		}},
		{"secretmanager", []string{
			// A name that is not one is not quoted: it may be a pasted value.
			"6:26: secretmanager is not projects/P/secrets/S/versions/V, projects/P/secrets/S, S/versions/V or S",
			"7:26: secretmanager \"jwt\" is a short name, which needs gcp.project (or write projects/P/secrets/S/versions/V)",
			"8:26: secretmanager \"jwt/versions/3\" is a short name, which needs gcp.project (or write projects/P/secrets/S/versions/V)",
			"9:26: secretmanager: the secret id must be 1-255 letters, digits, '-' or '_'",
			"10:26: secretmanager: the version must be a number, latest or an alias",
		}},
		{"service_kinds", []string{
			"5:9: consumer needs one of cloudrun, cloudrun_job, manifest, set_secrets",
			"8:9: consumer has both manifest and set_secrets; declare one per entry",
			"10:9: consumer has no chain",
		}},
		{"set_secrets_empty", []string{
			"5:9: set_secrets is empty",
		}},
		{"syntax", []string{
			"4:1: invalid YAML: did not find expected ',' or '}'",
		}},
		{"tab_syntax", []string{
			"3:1: invalid YAML: found character that cannot start any token",
		}},
		{"trim_not_bool", []string{
			"4:32: trim must be true or false, got a string",
		}},
		{"two_documents", []string{
			"5:1: a config is a single YAML document; remove this second one",
		}},
		{"unknown_key_consumer", []string{
			"12:9: unknown key \"chian\" in consumer (did you mean \"chain\"?)",
		}},
		{"unknown_keys_everywhere", []string{
			"2:1: unknown key \"secrts\" in the config (did you mean \"secrets\"?)",
			"3:7: unknown key \"projct\" in gcp (did you mean \"project\"?)",
			"6:5: unknown key \"jtw\" in secret (did you mean \"jwt\"?)",
			"7:40: unknown key \"audiance\" in jwt (did you mean \"audience\"?)",
			"9:19: unknown key \"evn\" in link (did you mean \"env\"?)",
			"9:58: unknown key \"file\" in dotenv",
			"10:7: unknown key \"Trim\" in runner (did you mean \"trim\"?)",
			"11:10: unknown key \"fail-on\" in policy (did you mean \"fail_on\"?)",
			"15:5: unknown key \"util\" in ignore entry (did you mean \"until\"?)",
		}},
		{"version_2", []string{
			"1:10: unsupported config version 2: this secret-preflight reads version 1",
		}},
		{"version_missing", []string{
			"1:1: missing version: 1",
		}},
		{"version_string", []string{
			"1:10: version must be the number 1, got a string",
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/invalid/" + tt.file + ".yaml"
			cfg, err := Load(path)
			if err == nil {
				t.Fatalf("loaded %+v, want errors", cfg)
			}
			if cfg != nil {
				t.Errorf("got a config alongside errors")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(errs) {
				t.Errorf("Error() has %d lines for %d errors", len(lines), len(errs))
			}
			for i, w := range tt.want {
				if i >= len(errs) {
					t.Errorf("missing error %q", w)
					continue
				}
				lc, msg, _ := strings.Cut(w, ": ")
				prefix := path + ":" + lc + ": "
				if got := errs[i].Error(); !strings.HasPrefix(got, prefix) || !strings.Contains(got[len(prefix):], msg) {
					t.Errorf("error %d = %q\nwant prefix %q containing %q", i, got, prefix, msg)
				}
			}
			for _, e := range errs[min(len(tt.want), len(errs)):] {
				t.Errorf("unexpected error %q", e)
			}
		})
	}
	// Every invalid file must be in the table, so none is silently untested.
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".yaml"); !seen[name] {
			t.Errorf("%s has no test case", f)
		}
	}
}

func TestLoadTagAndJob(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(`version: 1
gcp: {project: p, region: us-central1}
secrets:
  - name: s
    services:
      - cloudrun: api
        tag: e2e
        chain: [A]
      - cloudrun_job: migrate
        container: job
        chain: [A]
      - cloudrun_job: projects/p/locations/europe-west1/jobs/seed
        chain: [A]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Consumer{
		{Kind: KindCloudRun, Target: "api", Tag: "e2e"},
		{Kind: KindCloudRunJob, Target: "migrate", Container: "job"},
		{Kind: KindCloudRunJob, Target: "projects/p/locations/europe-west1/jobs/seed"},
	}
	for i, w := range want {
		c := cfg.Secrets[0].Services[i]
		if c.Kind != w.Kind || c.Target != w.Target || c.Tag != w.Tag || c.Container != w.Container {
			t.Errorf("service %d = %+v, want %+v", i, *c, w)
		}
	}
}

//go:build corpus

// The corpus test reads real manifests that live outside the repository
// (../shared/corpus, beside the clone in the project's CI): they belong to
// their authors and are not copied in. It is built only with -tags corpus,
// which .ci/run passes; there, a missing corpus is a failure, never a skip.

package sources

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusDir holds real manifests from public repositories (see its
// INDEX.md). It lives outside the repository and is not copied into it:
// the files belong to their authors.
var corpusDir = filepath.Join("..", "..", "shared", "corpus", "cloudrun-manifests")

// corpusCase is the expectation for one corpus file: the workloads it
// yields, or, for files that are not valid until rendered, the line:col
// the error names and what it says.
type corpusCase struct {
	want   []wantWorkload
	errPos string
}

// latestRefs builds "ENV -> SECRET:latest" lines for files where each
// variable reads the latest version of the secret given next to it.
func latestRefs(pairs ...string) []string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, pairs[i]+" -> "+pairs[i+1]+":latest")
	}
	return out
}

// sameNameRefs is latestRefs where each secret is named like its variable.
func sameNameRefs(version string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + " -> " + n + ":" + version
	}
	return out
}

func one(service string, cs ...wantContainer) []wantWorkload {
	return []wantWorkload{{service: service, containers: cs}}
}

var corpusCases = map[string]corpusCase{
	"01-GoogleCloudPlatform-cloud-run-samples-service.yaml": {want: one("MC_SERVICE_NAME",
		wantContainer{name: "nginx", ingress: true, secrets: []string{"mount /etc/nginx/conf.d/ nginx_config [default.conf:latest]"}},
		wantContainer{name: "hello", plain: []string{"PORT"}},
	)},
	"02-nbrandaleone-gcp-otlp-demo-service.yaml": {want: one("otel-cloud-run-demo",
		wantContainer{name: "app", ingress: true, plain: []string{"OTEL_EXPORTER_OTLP_ENDPOINT"}},
		// The alias equals the secret id; the annotation gives the full name.
		wantContainer{name: "collector", secrets: []string{
			"mount /etc/otelcol-google/ projects/161156519703/secrets/otlp-config [config.yaml:latest]"}},
	)},
	"03-temporal-sa-temporal-cloud-run-run-service.yaml": {errPos: "17:23"},
	"04-RHEcosystemAppEng-google-lightspeed-agent-service.yaml": {want: one("${SERVICE_NAME}",
		wantContainer{name: "lightspeed-agent", ingress: true, secrets: append(latestRefs(
			"RED_HAT_SSO_CLIENT_ID", "redhat-sso-client-id",
			"RED_HAT_SSO_CLIENT_SECRET", "redhat-sso-client-secret",
			"DATABASE_URL", "database-url",
			"SESSION_DATABASE_URL", "session-database-url",
			"RATE_LIMIT_REDIS_URL", "rate-limit-redis-url"),
			// items path "latest": the file is /secrets/redis-ca-cert/latest.
			"mount /secrets/redis-ca-cert redis-ca-cert [latest:latest]")},
		wantContainer{name: "insights-mcp"},
	)},
	"05-cofacts-ai-service.template.yaml": {errPos: "71:3"},
	"06-gremlin-solutions-gcp-cloud-run-failure-flags-app-cloudrun-service.yaml": {want: one("s3-failure-flags-app",
		wantContainer{name: "app-container", ingress: true, plain: []string{"S3_BUCKET", "CLOUD", "FAILURE_FLAGS_ENABLED"}},
		// Kubernetes-style keys are version aliases to Cloud Run.
		wantContainer{name: "failure-flags-sidecar", plain: []string{"GREMLIN_SIDECAR_ENABLED", "GREMLIN_DEBUG", "SERVICE_NAME"}, secrets: []string{
			"GREMLIN_TEAM_ID -> gremlin-team-secret:team_id",
			"GREMLIN_TEAM_CERTIFICATE -> gremlin-team-secret:team_certificate",
			"GREMLIN_TEAM_PRIVATE_KEY -> gremlin-team-secret:team_private_key",
		}},
	)},
	"07-bigcommerce-stand-with-ukraine-backend-run-service.yaml": {want: one("backend",
		wantContainer{name: "app", ingress: true, secrets: []string{
			"APP__DATABASE__SOCKET -> APP__DATABASE__SOCKET:2",
			"APP__DATABASE__DATABASE_NAME -> APP__DATABASE__DATABASE_NAME:1",
			"APP__DATABASE__PASSWORD -> APP__DATABASE__PASSWORD:1",
			"APP__DATABASE__USERNAME -> APP__DATABASE__USERNAME:1",
			"APP__BIGCOMMERCE__CLIENT_SECRET -> APP__BIGCOMMERCE__CLIENT_SECRET:1",
			"APP__BIGCOMMERCE__CLIENT_ID -> APP__BIGCOMMERCE__CLIENT_ID:1",
			"APP__APPLICATION__JWT_SECRET -> APP__APPLICATION__JWT_SECRET:1",
			"APP__LIQ_PAY__PUBLIC_KEY -> APP__LIQ_PAY__PUBLIC_KEY:2",
			"APP__LIQ_PAY__PRIVATE_KEY -> APP__LIQ_PAY__PRIVATE_KEY:2",
		}},
		wantContainer{name: "otel-collector"},
	)},
	"08-ACTOTA-actota-api-actota-api-prod-config.yaml": {want: one("actota-api",
		wantContainer{ingress: true, plain: []string{"GOOGLE_CLIENT_ID", "GOOGLE_REDIRECT_URI", "FRONTEND_URL"},
			secrets: sameNameRefs("latest", "FACEBOOK_CLIENT_SECRET", "GOOGLE_CLIENT_SECRET", "JWT_SECRET",
				"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "MONGODB_URI")},
	)},
	"09-erred-earbug-service.yaml": {want: one("earbug-liao-dev",
		wantContainer{ingress: true, secrets: latestRefs(
			"EARBUG_SPOTIFY_ID", "earbug-client-id",
			"EARBUG_SPOTIFY_SECRET", "earbug-client-secret",
			"LOG_ERRORS_GCHAT", "earbug-errors-gchat")},
	)},
	"10-AngleProtocol-merkl-dispute-cloudrun.yaml": {want: one("merkl-dispute-base",
		wantContainer{ingress: true, plain: []string{"CHAINID", "ENV"},
			secrets: sameNameRefs("latest", "DISPUTE_BOT_PRIVATE_KEY", "PROVIDER_1", "PROVIDER_10", "PROVIDER_137",
				"PROVIDER_42161", "PROVIDER_1101", "PROVIDER_8453", "DISCORD_TOKEN", "KEEPER_GITHUB_AUTH_TOKEN")},
	)},
	"11-websight-io-starter-with-secret.yaml": {want: one("websight-cms-tomaszmichalak",
		// admin.password is the directory, not the file.
		wantContainer{ingress: true, secrets: []string{
			"mount /run/secrets/admin.password Default_CMS_starter_admin_password [Default_CMS_starter_admin_password:latest]"}},
	)},
	"12-websight-io-starter-service.tmpl.yaml": {want: one("websight-cms-${DOCKERHUB_USERNAME}",
		wantContainer{ingress: true, secrets: []string{"mount /run/secrets websight-admin-password [admin.password:latest]"}},
	)},
	"13-mishrasanjeev-caseops-api-service.yaml": {want: []wantWorkload{{service: "caseops-api",
		problems: []string{
			`:18:38: malformed run.googleapis.com/secrets entry "caseops-auth-secret=projects/__PROJECT_NUMBER__/secrets/caseops-auth-secret" (want ALIAS:projects/NUMBER/secrets/NAME)`,
			`:18:114: malformed run.googleapis.com/secrets entry "caseops-database-url=projects/__PROJECT_NUMBER__/secrets/caseops-database-url"`,
			`:18:192: malformed run.googleapis.com/secrets entry "caseops-openai-api-key=projects/__PROJECT_NUMBER__/secrets/caseops-openai-api-key"`,
			`:84:25: the manifest holds an unrendered placeholder "__AUTH_SECRET_VERSION__" as the version of env CASEOPS_AUTH_SECRET`,
		},
		containers: []wantContainer{{ingress: true, secrets: []string{
			"CASEOPS_DATABASE_URL -> caseops-database-url:latest",
			"CASEOPS_AUTH_SECRET -> caseops-auth-secret:__AUTH_SECRET_VERSION__",
			"CASEOPS_OPENAI_API_KEY -> caseops-openai-api-key:latest",
		}}},
	}}},
	"14-venkateshbr-aethos-ps-api-service.yaml": {want: one("aethos-ps-api",
		// One secret, ten version aliases (a Kubernetes mental model).
		wantContainer{ingress: true, secrets: func() []string {
			var out []string
			for _, k := range []string{"SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_JWT_SECRET",
				"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "ANTHROPIC_API_KEY", "RESEND_API_KEY",
				"LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"} {
				out = append(out, k+" -> aethos-ps-secrets:"+k)
			}
			return out
		}()},
	)},
	"15-PROACTIVA-US-Veria-cloudrun.yaml": {want: one("veria-api",
		wantContainer{name: "veria-api", ingress: true, plain: []string{"NODE_ENV", "SERVICE", "PORT"}, secrets: latestRefs(
			"DB_URL", "db-url", "REDIS_URL", "redis-url", "JWT_SECRET", "jwt-secret",
			"ALCHEMY_API_KEY", "alchemy-api-key", "STRIPE_SECRET_KEY", "stripe-secret-key",
			"STRIPE_WEBHOOK_SECRET", "stripe-webhook-secret", "SENTRY_DSN", "sentry-dsn-backend",
			"DATADOG_API_KEY", "datadog-api-key")},
	)},
	"16-gary790-simplebuildpro-api-service.yaml": {want: one("simplebuildpro-api",
		wantContainer{ingress: true, plain: []string{"NODE_ENV", "PORT", "GCP_PROJECT_ID"}, secrets: latestRefs(
			"DATABASE_URL", "simplebuildpro-database-url",
			"REDIS_URL", "simplebuildpro-redis-url",
			"JWT_SECRET", "simplebuildpro-jwt-secret",
			"JWT_REFRESH_SECRET", "simplebuildpro-jwt-refresh-secret",
			"GOOGLE_CLIENT_ID", "simplebuildpro-google-client-id",
			"GOOGLE_CLIENT_SECRET", "simplebuildpro-google-client-secret",
			"GITHUB_CLIENT_ID", "simplebuildpro-github-client-id",
			"GITHUB_CLIENT_SECRET", "simplebuildpro-github-client-secret",
			"STRIPE_SECRET_KEY", "simplebuildpro-stripe-secret-key",
			"STRIPE_WEBHOOK_SECRET", "simplebuildpro-stripe-webhook-secret",
			"ANTHROPIC_API_KEY", "simplebuildpro-anthropic-api-key",
			"GCS_BUCKET", "simplebuildpro-gcs-bucket",
			"NOVITA_API_KEY", "simplebuildpro-novita-api-key",
			"PAGESPEED_API_KEY", "simplebuildpro-pagespeed-api-key")},
	)},
	"17-WXYC-triangle-shows-cloudrun-service.yaml": {want: one("triangle-shows",
		wantContainer{ingress: true, plain: []string{"APP_ENV", "ENABLE_SCHEDULER", "LOG_LEVEL"}, secrets: latestRefs(
			"DATABASE_URL", "triangle-shows-db-url",
			"TICKETMASTER_API_KEY", "triangle-shows-tm-api-key")},
	)},
	"18-suranc-spring-forward-harness-example-spring-forward-harness-example-canary.yaml": {errPos: "23:16"},
	"19-0x1D-1983-lifeline-run-service.yaml": {want: one("lifeline-qobalt",
		wantContainer{name: "lifeline-1", ingress: true},
	)},
	"20-firebase-firebase-tools-runv2.ts-v2-service-extract.json": {want: one("ejectrequest",
		wantContainer{name: "worker", ingress: true, plain: []string{"FIREBASE_CONFIG", "GCLOUD_PROJECT",
			"EVENTARC_CLOUD_EVENT_SOURCE", "FUNCTION_TARGET", "LOG_EXECUTION_ID", "FUNCTION_SIGNATURE_TYPE"}},
	)},
}

func TestCorpusManifests(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatalf("reading the corpus: %v (built with -tags corpus, this test needs ../shared/corpus beside the clone)", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && e.Name() != "INDEX.md" {
			files = append(files, e.Name())
		}
	}
	// Every file is covered, and every case still has its file.
	for _, f := range files {
		if _, ok := corpusCases[f]; !ok {
			t.Errorf("corpus file %s has no expectation", f)
		}
	}
	for name := range corpusCases {
		if !slices.Contains(files, name) {
			t.Errorf("expectation for %s, which is not in the corpus", name)
		}
	}
	for _, f := range files {
		tc, ok := corpusCases[f]
		if !ok {
			continue
		}
		t.Run(f, func(t *testing.T) {
			p := filepath.Join(corpusDir, f)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseManifest(p, data)
			if tc.errPos != "" {
				checkCorpusError(t, p, tc.errPos, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			for i := range want {
				want[i].problems = prefixed(p, want[i].problems)
			}
			checkWorkloads(t, got, want)
		})
	}
}

// checkCorpusError asserts that an unrendered template is refused with its
// position and the advice to render it.
func checkCorpusError(t *testing.T, p, pos string, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("parsed; want an error naming the unrendered template")
	}
	msg := err.Error()
	if want := p + ":" + pos + ": not valid YAML: "; !strings.HasPrefix(msg, want) {
		t.Errorf("error %q does not start with %q", msg, want)
	}
	for _, s := range []string{"unrendered template", "render it first (envsubst, helm template) and point manifest: at the output"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not contain %q", msg, s)
		}
	}
}

// prefixed puts the file path in front of problem patterns that start with
// ":line:col".
func prefixed(p string, problems []string) []string {
	out := make([]string, len(problems))
	for i, s := range problems {
		if strings.HasPrefix(s, ":") {
			s = p + s
		}
		out[i] = s
	}
	return out
}

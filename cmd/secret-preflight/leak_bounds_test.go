package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/secret-preflight/secret-preflight/report"
)

// The messages of the read limits, the exec process handling and the retry
// policy must not carry a byte of what was read: an oversized file, an
// endless or lingering command, a version that stays unavailable and one
// whose quota error asks to retry past the budget, each holding a canary,
// in every format, in and out of GitHub Actions.
func TestNoLeakFromBoundsAndRetries(t *testing.T) {
	const (
		canaryBigFile = "CANARY-bigfile-Aq1Sw2De3Fr4Gt5Hy6Ju7K"
		canaryBigEnv  = "CANARY-bigenv-Lo9Ki8Ju7Hy6Gt5Fr4De3Sw"
		canaryEndless = "CANARY-endless-Zx1Cv2Bn3Mq4Wx5Ec6Rv7"
		canaryLinger  = "CANARY-linger-Tb8Yn9Um0Ik1Ol2Pq3Aw4Z"
		canaryRetried = "CANARY-retried-Pl0Ok9Ij8Uh7Yg6Tf5Rd4"
		canaryQuota   = "CANARY-quota-Mn3Bv4Cx5Zl6Kj7Hg8Fd9S"
	)
	canaries := []string{canaryBigFile, canaryBigEnv, canaryEndless, canaryLinger, canaryRetried, canaryQuota}
	h := newHarness(t, `
projects: {stg: "111111111111"}
secrets:
  - name: projects/stg/secrets/retried
    versions:
      - {value: "`+canaryRetried+`"}
  - name: projects/stg/secrets/quota
    versions:
      - {value: "`+canaryQuota+`"}
`)
	h.srv.SetFault("AccessSecretVersion", "", codes.Unavailable)
	// A quota refusal whose RetryInfo asks for more than the retry budget.
	h.srv.SetFaultDetails("AccessSecretVersion", "projects/stg/secrets/quota/versions/latest", codes.ResourceExhausted, 0,
		&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Hour)})
	big := h.write("big.key", strings.Repeat(canaryBigFile+"\n", 1<<20/len(canaryBigFile)+1))
	bigEnv := h.write("big.env", strings.Repeat("K="+canaryBigEnv+"\n", 1<<20/len(canaryBigEnv)+1))
	cfg := h.write("c.yaml", `version: 1
gcp: {project: stg, region: us-central1}
secrets:
  - name: big-file
    runner: {chain: [{file: `+big+`}]}
    services: [{set_secrets: "K=retried:1", name: a, chain: [K]}]
  - name: big-env
    runner: {chain: [{dotenv: {path: `+bigEnv+`, key: K}}]}
    services: [{set_secrets: "K=retried:1", name: b, chain: [K]}]
  - name: endless
    runner: {chain: [{exec: [sh, -c, "while :; do printf %s `+canaryEndless+`; done"]}]}
    services: [{set_secrets: "K=retried:1", name: c, chain: [K]}]
  - name: linger
    runner: {chain: [{exec: [sh, -c, "(sleep 30; printf %s `+canaryLinger+`) & printf %s `+canaryLinger+`"]}]}
    services: [{set_secrets: "K=retried:1", name: d, chain: [K]}]
  - name: throttled
    runner: {chain: [{secretmanager: quota}]}
`)
	for _, actions := range []bool{false, true} {
		if actions {
			h.env["GITHUB_ACTIONS"] = "true"
		}
		for _, format := range report.Formats() {
			if actions && format != "github" && format != "text" {
				continue // text stands for the formats whose masks go to stderr
			}
			out := filepath.Join(h.dir, "report."+format)
			code, stdout, stderr := h.run("check", "-c", cfg, "--allow-exec", "--format", format, "--output", format+"="+out)
			if code != exitIncomplete {
				t.Errorf("--format %s (actions %v): exit %d, want 3\n%s", format, actions, code, stderr)
			}
			where := "--format " + format
			assertNoLeakInActions(t, where+" stdout", stdout, canaries)
			assertNoLeakInActions(t, where+" stderr", stderr, canaries)
			assertNoLeak(t, where+" file", string(mustRead(t, out)), canaries)
			if format == "json" {
				for _, want := range []string{"larger than the 1 MiB limit", "printed more than the 1 MiB limit", "kept its stdout open", "Unavailable after 5 attempts", "ResourceExhausted: the server asked to retry after 1h0m0s, beyond the 15s retry budget"} {
					if !strings.Contains(stdout, want) {
						t.Errorf("json report lacks %q", want)
					}
				}
			}
		}
	}
}

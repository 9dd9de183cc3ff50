package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/secret-preflight/secret-preflight/checks"
	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/ghactions"
	"github.com/secret-preflight/secret-preflight/preflight"
	"github.com/secret-preflight/secret-preflight/report"
	"github.com/secret-preflight/secret-preflight/secret"
)

// runToken answers the question a failing E2E test raises: would each
// consumer of the secret accept this token? It resolves the consumers as
// check does and verifies the token with each one's key. The token is a
// credential: it is never printed.
func runToken(ctx context.Context, args []string, e *env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfgPath, name, tok, tokEnv string
	var timeout time.Duration
	var allowExec bool
	fs.StringVar(&cfgPath, "c", "", configFlagHelp)
	fs.StringVar(&cfgPath, "config", "", "same as -c")
	fs.StringVar(&name, "secret", "", "the secret (a name under secrets:, with a jwt: block) the token is signed with")
	fs.StringVar(&tok, "token", "", "the token (visible to other users of this machine in the process list: prefer --token-env)")
	fs.StringVar(&tokEnv, "token-env", "", "name of an environment variable holding the token")
	fs.DurationVar(&timeout, "timeout", 60*time.Second, "give up on cloud calls after this long")
	fs.BoolVar(&allowExec, "allow-exec", false, "allow exec links to run commands (never for configs from pull requests)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "secret-preflight token: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument (pass the token with --token-env VAR, not as an argument)")
	case name == "":
		return usageErr("--secret is required")
	case (tok == "") == (tokEnv == ""):
		return usageErr("give exactly one of --token and --token-env")
	case timeout <= 0:
		return usageErr("--timeout must be positive")
	}
	if tokEnv != "" {
		tok = e.get(tokEnv)
		if tok == "" {
			return usageErr("$%s is unset or empty", tokEnv)
		}
	}
	// Accept what people paste: surrounding space, an Authorization header
	// value. Anything else that is not JWT syntax is refused before a byte
	// of it is printed, masks included.
	tok = strings.TrimSpace(tok)
	tok = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(tok, "Bearer "), "bearer "))
	if !isJWTSyntax(tok) {
		return usageErr("the token is not a JWT (three base64url parts separated by dots); it is not shown")
	}
	cfg, err := loadConfig(cfgPath, e)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight: invalid config:\n%v\n", err)
		return exitUsage
	}
	var jwtCfg *config.JWT
	var secretCfg *config.Secret
	for _, s := range cfg.Secrets {
		if s.Name == name {
			jwtCfg, secretCfg = s.JWT, s
			if jwtCfg == nil {
				return usageErr("secret %q has no jwt: block; add jwt: {algorithm: ...} so the token can be verified", name)
			}
		}
	}
	if jwtCfg == nil {
		return usageErr("no secret %q in %s", name, cfg.Path)
	}

	fp, err := secret.NewFingerprinter(e.get("SECRET_PREFLIGHT_FINGERPRINT_KEY"))
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight: %v\n", err)
		return exitIncomplete
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl := newClients(ctx, e, e.retryPolicy(timeout))
	defer cl.Close()
	opts := cl.options(e, fp)
	opts.Only, opts.FailOn = []string{name}, "never"
	opts.Resolver.AllowExec = allowExec
	opts.Prober = nil // token answers about keys; it sends nothing anywhere
	rep, err := preflight.Run(ctx, cfg, opts)
	if err != nil {
		return usageErr("%v", err)
	}
	if e.get("GITHUB_ACTIONS") == "true" {
		if err := report.WriteMasks(stdout, rep); err != nil {
			fmt.Fprintf(stderr, "secret-preflight: masking values: %v\n", err)
			return exitUsage
		}
		if err := ghactions.WriteCommand(stdout, "::add-mask::"+ghactions.EscapeMask(tok)); err != nil {
			fmt.Fprintf(stderr, "secret-preflight: masking the token: %v\n", err)
			return exitUsage
		}
	}

	now := time.Now()
	refused, unchecked, services := 0, 0, 0
	var runnerLine string
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  \tCONSUMER\tREVISION\tTRAFFIC\tKEY\tVERDICT\n")
	for _, c := range rep.Secrets[0].Consumers {
		if c.Kind == "runner" {
			// The runner signs tokens, it does not verify them: it has
			// no say in whether this token is accepted.
			runnerLine = runnerSigns(tok, c, secretCfg, now)
			continue
		}
		services++
		rev, traffic := "-", "-"
		if c.Revision != "" {
			rev, traffic = c.Revision, fmt.Sprintf("%d%%", c.TrafficPercent)
		}
		switch {
		case !c.Resolved:
			unchecked++
			why := "nothing resolved"
			if c.Error != "" {
				why = firstLine(c.Error)
			}
			fmt.Fprintf(tw, "  ?\t%s\t%s\t%s\t-\tnot checked: %s\n", c.ID, rev, traffic, why)
		default:
			if r := checks.Verify(tok, c.Value, checks.Expectations(secretCfg, c), now); r != nil {
				refused++
				fmt.Fprintf(tw, "  ✗\t%s\t%s\t%s\t%s\trefuses: %s (%s)\n", c.ID, rev, traffic, c.Fingerprint, r.Detail, r.Reason)
			} else {
				fmt.Fprintf(tw, "  ✓\t%s\t%s\t%s\t%s\taccepts\n", c.ID, rev, traffic, c.Fingerprint)
			}
		}
	}
	tw.Flush()
	if runnerLine != "" {
		fmt.Fprintf(stdout, "\n%s\n", runnerLine)
	}
	switch {
	case refused > 0:
		fmt.Fprintf(stdout, "\n%d of %d service consumers of %s refuse this token (exit 1)\n", refused, services, name)
		return exitFindings
	case unchecked > 0:
		fmt.Fprintf(stdout, "\n%d service consumers could not be checked (exit 3)\n", unchecked)
		return exitIncomplete
	case services == 0:
		// Nothing verifies tokens in this config: nothing was checked.
		fmt.Fprintf(stdout, "\n%s has no service consumer to verify the token (exit 3)\n", name)
		return exitIncomplete
	}
	fmt.Fprintf(stdout, "\nevery service consumer of %s accepts this token\n", name)
	return exitOK
}

// runnerSigns says whether the runner, which signs the E2E tests' tokens,
// holds the key this token was signed with. It is shown apart from the
// verdict: a token minted elsewhere can be right while the runner is not.
func runnerSigns(tok string, c *report.Consumer, s *config.Secret, now time.Time) string {
	if !c.Resolved {
		why := "nothing resolved"
		if c.Error != "" {
			why = firstLine(c.Error)
		}
		return "runner: not resolved, so which key it signs with is unknown: " + why
	}
	r := checks.Verify(tok, c.Value, checks.Expectations(s, c), now)
	switch {
	case r == nil:
		return fmt.Sprintf("runner: signs with this key (%s)", c.Fingerprint)
	case r.Reason == checks.ReasonSignature || r.Reason == checks.ReasonKID:
		return fmt.Sprintf("runner: would sign with another key (%s): tokens the E2E tests mint are not this one's", c.Fingerprint)
	case r.Reason == checks.ReasonAlgorithm || r.Reason == checks.ReasonKeyType || r.Reason == checks.ReasonMalformed:
		return "runner: not compared: " + r.Detail
	}
	// The signature verified; only the claims are off, which are the
	// token's, not the key's.
	return fmt.Sprintf("runner: signs with this key (%s)", c.Fingerprint)
}

// isJWTSyntax reports whether tok is three dot-separated base64url parts,
// so it is one line with no character a workflow command would need to
// escape.
func isJWTSyntax(tok string) bool {
	if strings.Count(tok, ".") != 2 {
		return false
	}
	for _, r := range tok {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '=':
		default:
			return false
		}
	}
	return true
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

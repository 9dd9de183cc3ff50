package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SARIF writes SARIF 2.1.0 for GitHub code scanning (and any other SARIF
// consumer): one rule per finding code with its help text, one result per
// finding, located at the config entry the finding comes from.
type SARIF struct {
	// BaseDir is the directory artifact URIs are made relative to:
	// GITHUB_WORKSPACE in Actions, else the repository root. Code
	// scanning resolves a relative URI against the checkout; an absolute
	// one matches no file of the repository.
	BaseDir string
	// ToolVersion is shown as tool.driver.version.
	ToolVersion string
}

// sarifSchema is the schema the log declares, the OASIS 2.1.0 (errata 01)
// schema that report/testdata holds and the tests validate against.
const sarifSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

const (
	toolURI     = "https://github.com/secret-preflight/secret-preflight"
	findingsURI = toolURI + "#findings"
)

// rule describes one finding code. The help says what the code means and
// how it is usually fixed; each result's message carries the specific fix.
type rule struct {
	code, name, short, full, help string
}

// rules are the finding codes of DESIGN.md section 7, in order.
var rules = []rule{
	{"SP100", "ConsumersDisagree", "Consumers of one secret resolve different values",
		"The consumers of one secret (the CI runner, Cloud Run revisions, manifests, deploys) resolve different values, compared by keyed fingerprint. The message names the likely cause: a literal fallback, a rotation, a traffic split between revisions that read different versions, or different sources.",
		"Make every consumer read the same Secret Manager secret and version. For a literal fallback, set the variable the consumer skipped; for a rotation, redeploy or pin one version; for a traffic split, move all traffic to one revision."},
	{"SP101", "ChainYieldsNothing", "A consumer's chain yields no value",
		"No link of the consumer's chain yields a value: every environment variable is unset, every file is missing, or no container of the revision has an env var or secret volume of the chain.",
		"Set one of the chain's variables on the consumer (the message suggests names a typo away), or add a secretmanager link, so the consumer never runs without the secret."},
	{"SP102", "SourceUnreadable", "A source could not be read",
		"A link could not be read: permission denied, not found, unavailable, a timeout, or an exec link refused without --allow-exec. The consumer was not compared, so the run is incomplete.",
		"Fix what the message names: grant roles/secretmanager.secretAccessor on the secret or roles/run.viewer on the service to the identity running the check, correct the resource name, or retry."},
	{"SP110", "WhitespaceDifference", "Values differ only by surrounding whitespace",
		"Two consumers' values are equal once surrounding whitespace is removed: typically a trailing newline stored by `echo` instead of `echo -n`.",
		"Store the secret without the trailing newline (printf '%s' or echo -n), or set trim: true on the consumer that strips it."},
	{"SP111", "EncodingDifference", "One value is an encoding of the other",
		"One consumer holds the base64, base64url or hex encoding of the other consumer's value.",
		"Store the same bytes on both sides, or decode explicitly in the consumer that expects encoded key material."},
	{"SP120", "LiteralFallback", "A consumer resolved through a literal link",
		"A consumer's value came from a literal: a hard-coded fallback in the code, reached because every earlier link was unset.",
		"Set the earlier link in this environment and delete the literal from the code, so a missing variable fails loudly instead of falling back."},
	{"SP121", "PlaceholderValue", "A value is a known placeholder or weak default",
		"A consumer's value is a known placeholder, a weak default, or the value of a literal written in the config: a key that is in source code.",
		"Rotate the secret to a random value of full strength and remove the placeholder or literal from the code."},
	{"SP122", "WeakKey", "A key is too weak for its algorithm",
		"The key is too weak for the secret's JWT algorithm: an HMAC key shorter than the hash output, or an RSA key under 2048 bits.",
		"Rotate to a key of full strength: an HMAC key at least as long as the hash output, RSA keys of 2048 bits or more."},
	{"SP130", "UnpinnedLatest", "A service reads version latest",
		"A service consumer reads the Secret Manager version `latest`, which Cloud Run resolves when an instance starts (env vars) or when the file is read (volumes), so instances may disagree after a rotation.",
		"Pin a version number so a rotation is a deploy you can see, or accept it with an ignore entry."},
	{"SP131", "LatestNewerThanRevision", "latest now resolves to a version created after the serving revision",
		"The version `latest` names now was created after the serving revision: instances started before the rotation may still hold the previous version.",
		"Redeploy the service (a new revision reads latest again at startup), or pin the version."},
	{"SP132", "VersionDisabled", "A referenced version is disabled or destroyed",
		"A consumer references a Secret Manager version that is disabled or destroyed; `latest` never falls back to an older version.",
		"Point the consumer at an enabled version (or re-enable this one with gcloud secrets versions enable), then redeploy."},
	{"SP140", "PlainEnvSecret", "A secret is a plain env value in the service config",
		"The service config holds the secret as a plain environment value, readable by anyone who can view the service.",
		"Move the value to Secret Manager and reference it (--set-secrets NAME=SECRET:VERSION), then rotate it."},
	{"SP141", "ForbiddenEnv", "A forbidden (test-bypass) env var is set on a deployed service",
		"A deployed service sets an environment variable that policy.forbid_service_env names: a test-bypass switch that must not be on in a shared environment.",
		"Remove the variable from the service (gcloud run services update SERVICE --remove-env-vars NAME) and fix the tests that relied on it."},
	{"SP150", "SecretsMustDiffer", "Two secrets that must differ are equal",
		"Two secrets that must_differ_from says must differ hold the same value, e.g. the staging key is the production key.",
		"Rotate one of them to a fresh random value."},
	{"SP160", "ProbeTokenRefused", "A probe token signed with the runner's key fails a consumer's verification",
		"A token signed offline with the runner's key would be refused by a service consumer for the reason given: signature, algorithm, issuer, audience, expiry, kid or key type.",
		"Align the consumer's key and expectations (jwt: issuer, audience, algorithms) with what the runner signs."},
	{"SP162", "ProbeValidRefused", "Live probe: a valid token was refused",
		"A live probe sent a valid token signed with the runner's key and the endpoint refused it.",
		"Check that the deployed service verifies with the same key and claims as the runner; the status code says how it refused."},
	{"SP163", "ProbeBypassAccepted", "Live probe: a forged, unsigned or bypass request was accepted",
		"A live probe sent a request that must be refused (no token, a forged or unsigned token, wrong claims, test-bypass headers, or a literal key) and the endpoint let it in.",
		"Fix the service's token verification: verify signatures and claims, reject alg none, and remove test-bypass switches from deployed services."},
	{"SP170", "IgnoreExpired", "An ignore entry has expired",
		"An ignore entry of the config is past its until date, so the finding it silenced is back and the entry itself is an error.",
		"Fix the ignored finding, or extend the until date with a reason reviewers can check."},
}

func sarifLevel(sev string) string {
	switch sev {
	case SevError:
		return "error"
	case SevWarning:
		return "warning"
	}
	return "note"
}

// ruleSeverity is the default level of each code (DESIGN.md section 7).
func ruleSeverity(code string) string {
	switch code {
	case "SP120", "SP131", "SP140":
		return SevWarning
	case "SP130":
		return SevInfo
	}
	return SevError
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	ColumnKind  string            `json:"columnKind"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

func (s SARIF) Write(w io.Writer, r *Report) error {
	driver := sarifDriver{Name: "secret-preflight", Version: s.ToolVersion, InformationURI: toolURI}
	index := map[string]int{}
	addRule := func(ru rule) {
		index[ru.code] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRule{
			ID: ru.code, Name: ru.name,
			ShortDescription:     sarifText{Text: ru.short},
			FullDescription:      sarifText{Text: ru.full},
			Help:                 sarifText{Text: ru.full + "\n\nFix: " + ru.help, Markdown: ru.full + "\n\n**Fix:** " + ru.help},
			HelpURI:              findingsURI,
			DefaultConfiguration: sarifRuleLevel{Level: sarifLevel(ruleSeverity(ru.code))},
			Properties:           map[string]any{"tags": []string{"security", "secrets"}, "precision": "high"},
		})
	}
	for _, ru := range rules {
		addRule(ru)
	}

	results := []sarifResult{}
	hashes := map[string]int{}
	for _, f := range r.Findings {
		if _, ok := index[f.Code]; !ok {
			// A code the catalog does not know still gets a rule, so
			// ruleIndex stays valid.
			addRule(rule{code: f.Code, name: "Finding" + f.Code, short: f.Code, full: "secret-preflight finding " + f.Code + ".", help: "see the result's message"})
		}
		msg := f.Message
		if f.Hint != "" {
			msg += "\nFix: " + f.Hint
		}
		res := sarifResult{
			RuleID: f.Code, RuleIndex: index[f.Code], Level: sarifLevel(f.Severity),
			Message:             sarifText{Text: msg},
			PartialFingerprints: map[string]string{"secretPreflightFinding/v1": occurrence(findingHash(f), hashes)},
			Properties:          map[string]any{"secret": f.Secret, "consumers": nonNil(f.Consumers)},
		}
		if loc, ok := s.location(f, r); ok {
			res.Locations = []sarifLocation{loc}
		}
		if f.Ignored != "" {
			// An ignore entry of the config silenced it: still reported, so
			// code scanning shows it as suppressed rather than fixed.
			res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: f.Ignored}}
		}
		results = append(results, res)
	}

	inv := sarifInvocation{ExecutionSuccessful: r.Result != Incomplete}
	for _, n := range r.Notes {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note", Message: sarifText{Text: n}})
	}
	run := sarifRun{
		Tool: sarifTool{Driver: driver}, Invocations: []sarifInvocation{inv},
		Results: results, ColumnKind: "utf16CodeUnits",
		Properties: map[string]any{"result": r.Result, "fingerprint_scope": string(r.FingerprintScope)},
	}
	if len(r.Probes) > 0 {
		// Every live probe request and its status, as in the JSON report;
		// the ones that went wrong are results (SP162, SP163) already.
		run.Properties["probes"] = r.Probes
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}}); err != nil {
		return err
	}
	// The GitHub runner acts on `##[` anywhere in a log line (the legacy
	// workflow command form). It can only occur inside a JSON string,
	// where \u0023 decodes to the same #.
	out := bytes.ReplaceAll(b.Bytes(), []byte("##["), []byte(`#\u0023[`))
	_, err := w.Write(out)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// location is the config entry of a finding: the consumer's or the
// secret's line. A finding without a file points at the config itself.
func (s SARIF) location(f *Finding, r *Report) (sarifLocation, bool) {
	file, line := f.File, f.Line
	if file == "" {
		file, line = r.Config, 1
	}
	uri, ok := artifactURI(file, s.BaseDir)
	if !ok {
		return sarifLocation{}, false
	}
	return sarifLocation{PhysicalLocation: sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: uri},
		Region:           sarifRegion{StartLine: max(line, 1)},
	}}, true
}

// artifactURI is file as a URI reference relative to base, with forward
// slashes and percent-escapes; a file outside base, or with no base, an
// absolute path, is a file:// URI, and a relative one stays relative.
func artifactURI(file, base string) (string, bool) {
	if file == "" {
		return "", false
	}
	if base != "" {
		if rel, ok := workspaceRel(file, base); ok {
			return (&url.URL{Path: rel}).String(), true
		}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", false
	}
	if base == "" && !filepath.IsAbs(file) {
		return (&url.URL{Path: filepath.ToSlash(filepath.Clean(file))}).String(), true
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), true
}

// findingHash identifies a finding across runs for code scanning, so an
// alert stays one alert while it persists: the code, the secret and the
// consumers with their revision left out (a redeploy with the same
// problem is the same problem). It holds no fingerprint, version or
// message text, nothing derived from a value.
func findingHash(f *Finding) string {
	ids := make([]string, 0, len(f.Consumers))
	for _, id := range f.Consumers {
		ids = append(ids, stripRevision(id))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	sum := sha256.Sum256([]byte(f.Code + "\x00" + f.Secret + "\x00" + strings.Join(ids, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// occurrence keeps two findings of one code, secret and consumers (two
// forbidden variables on one service) apart: code scanning would merge
// results that share a fingerprint into one alert. The nth repeat hashes
// its ordinal in; findings are in a stable order (Finish sorts them).
func occurrence(h string, seen map[string]int) string {
	n := seen[h]
	seen[h]++
	if n == 0 {
		return h
	}
	sum := sha256.Sum256([]byte(h + "\x00" + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:16])
}

// stripRevision turns cloudrun:S@REVISION/CONTAINER into cloudrun:S/CONTAINER.
func stripRevision(id string) string {
	at := strings.IndexByte(id, '@')
	if at < 0 {
		return id
	}
	rest := id[at:]
	if slash := strings.IndexByte(rest, '/'); slash >= 0 {
		return id[:at] + rest[slash:]
	}
	return id[:at]
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	runapi "cloud.google.com/go/run/apiv2"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"

	"google.golang.org/api/option"

	"github.com/secret-preflight/secret-preflight/internal/localfile"
	"github.com/secret-preflight/secret-preflight/schema"
	"github.com/secret-preflight/secret-preflight/sources"
)

const initUsage = `usage: secret-preflight init --project P --region R[,R...] [-o FILE [--force]] [--timeout 60s]

Lists the Cloud Run services and jobs of project P in each region R, reads
the Secret Manager secrets their templates use (env secretKeyRefs and secret
volumes), and prints a starter config with one entry per secret, the ones
several services read first. Fill in each runner chain, then run
'secret-preflight validate' and 'secret-preflight check'.

Exit status: 0 a config was written; 1 nothing to write (no service or job
found, or none reads a secret); 2 bad usage or the file could not be
written; 3 the services could not be listed (permission, unknown project,
unavailable).

flags:
`

func runInit(ctx context.Context, args []string, e *env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), initUsage)
		fs.PrintDefaults()
	}
	project := fs.String("project", "", "Google Cloud project id whose Cloud Run services to read (required)")
	region := fs.String("region", "", "regions of the services and jobs, comma-separated, e.g. us-central1,europe-west1 (required)")
	out := fs.String("o", "", "write the config to FILE instead of stdout")
	force := fs.Bool("force", false, "with -o, overwrite FILE if it exists")
	timeout := fs.Duration("timeout", 60*time.Second, "give up listing services after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "secret-preflight init: "+format+"\n", a...)
		fmt.Fprintln(stderr, "run 'secret-preflight init -h' for usage")
		return exitUsage
	}
	regions, regionErr := initRegions(*region)
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q", fs.Arg(0))
	case *project == "":
		return usageErr("--project is required")
	case *region == "":
		return usageErr("--region is required (a region such as us-central1, or several: us-central1,europe-west1)")
	case !initSegmentOK(*project):
		return usageErr("--project %q is not a project id", *project)
	case slices.Contains(regions, "-"):
		// The v2 API refuses the wildcard location, and v1's every-region
		// listing is another API: ask for the regions instead of guessing.
		return usageErr("--region -: the Cloud Run v2 API lists one region at a time and refuses the - wildcard; "+
			"give the regions you deploy to, comma-separated (e.g. --region us-central1,europe-west1). "+
			"'gcloud run services list --project %s' and 'gcloud run jobs list --project %s' show the regions in use", *project, *project)
	case regionErr != nil:
		return usageErr("%v", regionErr)
	case *force && *out == "":
		return usageErr("--force only applies with -o FILE")
	case *timeout <= 0:
		return usageErr("--timeout must be positive")
	}
	if *out != "" && !*force {
		// Checked now to fail before any network call, and again when
		// writing (O_EXCL) in case the file appears meanwhile.
		if _, err := os.Lstat(*out); err == nil {
			return usageErr("%s already exists; use --force to overwrite it", *out)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	runOpts := clientOptions(e.get(envRunEmulator))
	client, err := runapi.NewServicesClient(ctx, runOpts...)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight init: connecting to Cloud Run: %v\n", err)
		return exitIncomplete
	}
	defer client.Close()
	var jobs sources.JobLister
	if jc, err := runapi.NewJobsClient(ctx, runOpts...); err != nil {
		fmt.Fprintf(stderr, "secret-preflight init: connecting to the Cloud Run Jobs API: %v; jobs are left out\n", err)
	} else {
		defer jc.Close()
		jobs = jc
	}
	sm := &initSecretGetter{opts: clientOptions(e.get(envSMEmulator))}
	defer sm.Close()
	inv, err := sources.Discover(ctx, e.retryPolicy(*timeout), client, jobs, sm, *project, regions)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight init: cannot list services: %v\n", err)
		if st := sources.CodeOf(err); st == "PermissionDenied" || st == "NotFound" {
			fmt.Fprintf(stderr, "check --project %s: it must be the id of an existing project (gcloud projects list), and the caller needs run.services.list on it (roles/run.viewer)\n", *project)
		}
		return exitIncomplete
	}
	if inv.JobsErr != nil {
		fmt.Fprintf(stderr, "secret-preflight init: Cloud Run jobs could not be listed, so none is in the config: %v\n", inv.JobsErr)
	}
	doc, ok := renderInit(inv)
	if !ok {
		where := fmt.Sprintf("project %s in %s", inv.Project, initRegionText(inv.Regions))
		if len(inv.Services) == 0 {
			fmt.Fprintf(stderr, "secret-preflight init: found no Cloud Run service or job in %s; no config written\n", where)
			fmt.Fprintf(stderr, "check --project and --region: 'gcloud run services list --project %s' shows the regions your services are in\n", inv.Project)
		} else {
			fmt.Fprintf(stderr, "secret-preflight init: found %s in %s, but none reads a Secret Manager secret (an env var from a secret, or a secret volume); no config written\n",
				initFound(inv), where)
		}
		return exitFindings
	}
	if *out == "" {
		if _, err := stdout.Write(doc); err != nil {
			fmt.Fprintf(stderr, "secret-preflight init: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	if err := initWriteNew(*out, doc, *force); err != nil {
		if errors.Is(err, os.ErrExist) {
			return usageErr("%s already exists; use --force to overwrite it", *out)
		}
		fmt.Fprintf(stderr, "secret-preflight init: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "wrote %s; fill in the runner chains, then run: secret-preflight validate -c %s\n", *out, *out)
	return exitOK
}

// initSecretGetter connects to Secret Manager on first use: init only
// needs it to learn the project's number, which most runs do not.
type initSecretGetter struct {
	opts   []option.ClientOption
	once   sync.Once
	client *secretmanager.Client
	err    error
}

func (g *initSecretGetter) GetSecret(ctx context.Context, req *secretmanagerpb.GetSecretRequest, opts ...gax.CallOption) (*secretmanagerpb.Secret, error) {
	g.once.Do(func() {
		g.client, g.err = secretmanager.NewClient(ctx, g.opts...)
		if g.err != nil {
			g.err = fmt.Errorf("connecting to Secret Manager: %w", g.err)
		}
	})
	if g.err != nil {
		return nil, g.err
	}
	return g.client.GetSecret(ctx, req, opts...)
}

func (g *initSecretGetter) Close() {
	if g.client != nil {
		_ = g.client.Close()
	}
}

// initWriteNew writes data to path, refusing to replace an existing file unless
// force is set.
func initWriteNew(path string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := localfile.OpenWrite(path, flags, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// initRegions splits --region's comma-separated list, dropping repeats.
func initRegions(s string) ([]string, error) {
	var out []string
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if !initSegmentOK(r) {
			return nil, fmt.Errorf("--region %q is not a comma-separated list of regions", s)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// initRegionText names the regions listed: "region r" or "regions a, b".
func initRegionText(regions []string) string {
	return initPick(len(regions), "region ", "regions ") + strings.Join(regions, ", ")
}

// initFound counts what was listed: "3 Cloud Run services and 1 job".
func initFound(inv *sources.Inventory) string {
	jobs := 0
	for _, s := range inv.Services {
		if s.Job {
			jobs++
		}
	}
	out := initPlural(len(inv.Services)-jobs, "Cloud Run service", "Cloud Run services")
	if jobs > 0 {
		out += " and " + initPlural(jobs, "job", "jobs")
	}
	return out
}

// initSegmentOK accepts what can sit between slashes of a resource name.
func initSegmentOK(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/ \t\r\n\x00")
}

// initEntry is one secret of the starter config.
type initEntry struct {
	name string // the config's secret name
	g    *sources.SecretReaders
}

// renderInit writes the starter config. It returns false when no service
// or job reads any secret: there is nothing a valid config could declare.
//
// Every secret gets an entry, including those a single service reads: the
// commonest setup is a test runner against one backend. Their runner block
// is active, reading the variable the service reads: with it commented out,
// check would have one consumer, compare nothing and pass; active, an unset
// variable in CI is SP101 until someone sets or adjusts it.
func renderInit(inv *sources.Inventory) ([]byte, bool) {
	if len(inv.Secrets) == 0 {
		return nil, false
	}
	names := secretNames(inv.Secrets)
	var shared, single []initEntry
	for _, g := range inv.Secrets {
		e := initEntry{name: names[g], g: g}
		if len(g.Services()) > 1 {
			shared = append(shared, e)
		} else {
			single = append(single, e)
		}
	}
	byName := func(es []initEntry) {
		sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	}
	byName(shared)
	byName(single)
	region := configRegion(inv)

	var b bytes.Buffer
	// Editors with the YAML language server validate and complete the
	// file against the schema from this first line.
	fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", schema.ConfigV1ID)
	fmt.Fprintf(&b, "# Starter config written by: secret-preflight init --project %s --region %s\n", inv.Project, strings.Join(inv.Regions, ","))
	fmt.Fprintf(&b, "# from the templates of the %s of project %s in %s.\n",
		initFound(inv), inv.Project, initRegionText(inv.Regions))
	b.WriteString("# Each consumer's chain lists the env vars and secret volume files through which\n")
	b.WriteString("# it reads the secret; put them in the order its code tries them, and add its\n")
	b.WriteString("# code's fallback, if any, as a final literal link. Then uncomment each runner\n")
	b.WriteString("# block and give the chain your CI job resolves the secret through (a secret\n")
	b.WriteString("# read by one service only has an active one: set its variable in CI).\n")
	if inv.JobsErr != nil {
		fmt.Fprintf(&b, "#\n# Cloud Run jobs could not be listed, so none is below; add cloudrun_job consumers by hand:\n# %s\n",
			initComment(inv.JobsErr.Error()))
	}
	if len(inv.Unmatched) > 0 {
		// Their secrets are kept apart from the same ids of the project:
		// say why, so that a person can merge them if they are its own.
		n := len(inv.Unmatched)
		fmt.Fprintf(&b, "#\n# %s, named by number in secret references, could not be matched\n", initProjectList(inv.Unmatched))
		fmt.Fprintf(&b, "# with project %s, so %s secrets are listed apart; merge them by hand if %s %s.\n",
			inv.Project, initPick(n, "its", "their"), initPick(n, "it is", "one is"), inv.Project)
		fmt.Fprintf(&b, "# The number of %s could not be looked up: %s\n", inv.Project, initComment(inv.NumberErr.Error()))
	}
	foreign := make([]string, 0, len(inv.ForeignNumberErrs))
	for id := range inv.ForeignNumberErrs {
		foreign = append(foreign, id)
	}
	sort.Strings(foreign)
	for _, id := range foreign {
		// Its secrets may be the same as some named by number: say why
		// they were not merged, so that a person can.
		fmt.Fprintf(&b, "#\n# The number of project %s could not be looked up, so its secrets are listed apart from\n", id)
		fmt.Fprintf(&b, "# those references name by a project number; merge them by hand where the number is %s's: %s\n",
			id, initComment(inv.ForeignNumberErrs[id].Error()))
	}
	b.WriteString("version: 1\n")
	b.WriteString("gcp:\n")
	fmt.Fprintf(&b, "  project: %s\n", initYAML(inv.Project))
	fmt.Fprintf(&b, "  region: %s\n", initYAML(region))
	b.WriteString("secrets:\n")
	for i, e := range shared {
		if i > 0 {
			b.WriteString("\n")
		}
		writeEntry(&b, inv, region, e, false)
	}
	if len(single) > 0 {
		if len(shared) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "  # %s read by one service or job only: %s compared with your CI job\n",
			initPick(len(single), "This secret is", "These secrets are"), initPick(len(single), "it is", "each is"))
		b.WriteString("  # through its runner block (the test runner against one backend).\n")
		for i, e := range single {
			if i > 0 {
				b.WriteString("\n")
			}
			writeEntry(&b, inv, region, e, true)
		}
	}
	return b.Bytes(), true
}

// writeEntry writes one secret. With activeRunner (a secret one service
// reads) the runner block is live, else it is a commented suggestion.
func writeEntry(b *bytes.Buffer, inv *sources.Inventory, region string, e initEntry, activeRunner bool) {
	g := e.g
	fmt.Fprintf(b, "  # %s, read by %s\n", initYAML(g.Name), initReaders(g.Services()))
	fmt.Fprintf(b, "  - name: %s\n", initYAML(e.name))
	env := runnerEnv(g)
	if activeRunner {
		// The comment sits under runner: so that it stays a comment when
		// someone uncomments the four-space "# " lines of the others.
		b.WriteString("    runner:\n")
		fmt.Fprintf(b, "      # Set %s in your CI job (from Secret Manager), or change this chain\n", initComment(env))
		b.WriteString("      # to how your CI job gets the secret; until then check reports SP101.\n")
		b.WriteString("      chain:\n")
		fmt.Fprintf(b, "        - env: %s\n", initYAML(env))
	} else {
		b.WriteString("    # runner:\n")
		b.WriteString("    #   chain:\n")
		fmt.Fprintf(b, "    #     - env: %s\n", initYAML(env))
	}
	b.WriteString("    services:\n")
	for _, r := range g.Readers {
		key := "cloudrun"
		if r.Service.Job {
			key = "cloudrun_job"
		}
		fmt.Fprintf(b, "      - %s: %s\n", key, initYAML(serviceTarget(inv, region, r.Service)))
		if len(r.Service.Containers) > 1 {
			fmt.Fprintf(b, "        container: %s\n", initYAML(r.Container))
		}
		links := make([]string, 0, len(r.Env)+len(r.Files))
		for _, name := range r.Env {
			links = append(links, initYAML(name))
		}
		for _, f := range r.Files {
			links = append(links, "{file: "+initYAML(f)+"}")
		}
		fmt.Fprintf(b, "        chain: [%s]\n", strings.Join(links, ", "))
	}
}

// initReaders counts the services and jobs of one secret: "2 services",
// "1 service and 1 job".
func initReaders(ss []*sources.DiscoveredService) string {
	jobs := 0
	for _, s := range ss {
		if s.Job {
			jobs++
		}
	}
	switch {
	case jobs == 0:
		return initPlural(len(ss), "service", "services")
	case jobs == len(ss):
		return initPlural(jobs, "job", "jobs")
	}
	return initPlural(len(ss)-jobs, "service", "services") + " and " + initPlural(jobs, "job", "jobs")
}

// secretNames gives each secret its config name: the secret id, unless
// another secret of another project has the same id, in which case the
// foreign ones become ID@PROJECT.
func secretNames(gs []*sources.SecretReaders) map[*sources.SecretReaders]string {
	byID := map[string]int{}
	for _, g := range gs {
		byID[g.ID]++
	}
	out := make(map[*sources.SecretReaders]string, len(gs))
	for _, g := range gs {
		if byID[g.ID] > 1 && g.Foreign {
			out[g] = g.ID + "@" + g.Project
		} else {
			out[g] = g.ID
		}
	}
	return out
}

// configRegion is gcp.region: the region asked for or, for several, the
// one most services and jobs are in (the others get full names); a tie
// goes to the region named first.
func configRegion(inv *sources.Inventory) string {
	count := map[string]int{}
	for _, s := range inv.Services {
		count[s.Region]++
	}
	best := inv.Regions[0]
	for _, r := range inv.Regions[1:] {
		if count[r] > count[best] {
			best = r
		}
	}
	return best
}

// serviceTarget is the cloudrun: or cloudrun_job: value: the short name in
// gcp.region, else the full name (spelt with the project id).
func serviceTarget(inv *sources.Inventory, region string, s *sources.DiscoveredService) string {
	if s.Region == region {
		return s.ID
	}
	collection := "services"
	if s.Job {
		collection = "jobs"
	}
	return fmt.Sprintf("projects/%s/locations/%s/%s/%s", inv.Project, s.Region, collection, s.ID)
}

// runnerEnv suggests the runner's env var: the name the services use most
// (ties go to the first in sort order), else one derived from the secret id.
func runnerEnv(g *sources.SecretReaders) string {
	count := map[string]int{}
	for _, r := range g.Readers {
		for _, n := range r.Env {
			count[n]++
		}
	}
	best := ""
	for n, c := range count {
		if best == "" || c > count[best] || (c == count[best] && n < best) {
			best = n
		}
	}
	if best != "" {
		return best
	}
	return strings.ToUpper(initNonEnvChar.ReplaceAllString(g.ID, "_"))
}

var (
	initNonEnvChar = regexp.MustCompile(`[^A-Za-z0-9_]`)
	// initPlainYAML matches strings that YAML reads back as the same string
	// when written unquoted, also inside a flow sequence or mapping.
	initPlainYAML    = regexp.MustCompile(`^[A-Za-z_/][A-Za-z0-9_./@-]*$`)
	initYAMLKeywords = map[string]bool{
		"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
		"y": true, "n": true, "null": true,
	}
)

// initYAML writes s as a YAML scalar, quoting it unless it is plainly a
// string. Double-quoted Go syntax is valid YAML for every string.
func initYAML(s string) string {
	if initPlainYAML.MatchString(s) && !initYAMLKeywords[strings.ToLower(s)] {
		return s
	}
	return fmt.Sprintf("%q", s)
}

// initProjectList names project numbers in a comment: "Project 1", or
// "Projects 1, 2".
func initProjectList(numbers []string) string {
	return initPick(len(numbers), "Project ", "Projects ") + strings.Join(numbers, ", ")
}

// initComment flattens text for a one-line YAML comment.
func initComment(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func initPlural(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, initPick(n, one, many))
}

func initPick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

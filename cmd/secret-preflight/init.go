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
	"sort"
	"strings"
	"sync"
	"time"

	runapi "cloud.google.com/go/run/apiv2"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"

	"google.golang.org/api/option"

	"github.com/secret-preflight/secret-preflight/sources"
)

const initUsage = `usage: secret-preflight init --project P --region R [-o FILE [--force]]

Lists the Cloud Run services of project P in region R (- for every region),
reads the Secret Manager secrets their templates use (env secretKeyRefs and
secret volumes), and prints a starter config with one entry per secret that
more than one service reads. Fill in each runner chain, then run
'secret-preflight validate' and 'secret-preflight check'.

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
	region := fs.String("region", "", "region of the services, or - for every region (required)")
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
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q", fs.Arg(0))
	case *project == "":
		return usageErr("--project is required")
	case *region == "":
		return usageErr("--region is required (a region such as us-central1, or - for every region)")
	case !initSegmentOK(*project):
		return usageErr("--project %q is not a project id", *project)
	case !initSegmentOK(*region):
		return usageErr("--region %q is not a region", *region)
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
	client, err := runapi.NewServicesClient(ctx, clientOptions(e.get(envRunEmulator))...)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight init: connecting to Cloud Run: %v\n", err)
		return exitIncomplete
	}
	defer client.Close()
	sm := &initSecretGetter{opts: clientOptions(e.get(envSMEmulator))}
	defer sm.Close()
	inv, err := sources.Discover(ctx, client, sm, *project, *region)
	if err != nil {
		fmt.Fprintf(stderr, "secret-preflight init: cannot list services: %v\n", err)
		return exitIncomplete
	}
	doc, ok := renderInit(inv)
	if !ok {
		fmt.Fprintf(stderr, "secret-preflight init: none of the %d Cloud Run services in projects/%s/locations/%s reads a Secret Manager secret; no config written\n",
			len(inv.Services), inv.Project, inv.Region)
		return exitOK
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
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
// reads any secret: there is nothing a valid config could declare.
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
	where := "region " + inv.Region
	if inv.Region == "-" {
		where = "every region"
	}
	fmt.Fprintf(&b, "# Starter config written by: secret-preflight init --project %s --region %s\n", inv.Project, inv.Region)
	fmt.Fprintf(&b, "# from the templates of the %s of project %s in %s.\n",
		initPlural(len(inv.Services), "Cloud Run service", "Cloud Run services"), inv.Project, where)
	b.WriteString("# Each service's chain lists the env vars and secret volume files through which\n")
	b.WriteString("# it reads the secret; put them in the order its code tries them, and add its\n")
	b.WriteString("# code's fallback, if any, as a final literal link. Then uncomment each runner\n")
	b.WriteString("# block and give the chain your CI job resolves the secret through.\n")
	if len(inv.Unmatched) > 0 {
		// Their secrets are kept apart from the same ids of the project:
		// say why, so that a person can merge them if they are its own.
		n := len(inv.Unmatched)
		fmt.Fprintf(&b, "#\n# %s, named by number in secret references, could not be matched\n", initProjectList(inv.Unmatched))
		fmt.Fprintf(&b, "# with project %s, so %s secrets are listed apart; merge them by hand if %s %s.\n",
			inv.Project, initPick(n, "its", "their"), initPick(n, "it is", "one is"), inv.Project)
		fmt.Fprintf(&b, "# The number of %s could not be looked up: %s\n", inv.Project, initComment(inv.NumberErr.Error()))
	}
	entries := shared
	if len(shared) == 0 {
		// A config needs at least one secret: declare the single-reader
		// ones, which can still be compared with the runner.
		b.WriteString("#\n# No secret is read by more than one service, so each entry below has a\n")
		b.WriteString("# single service: it only becomes a comparison once its runner is filled in.\n")
		entries = single
	} else if len(single) > 0 {
		fmt.Fprintf(&b, "#\n# %s read by only one service, so %s nothing to compare and %s left out:\n",
			initPlural(len(single), "secret is", "secrets are"), initPick(len(single), "it has", "they have"), initPick(len(single), "is", "are"))
		for _, e := range single {
			svcs := e.g.Services()
			fmt.Fprintf(&b, "#   - %s (%s): %s\n", initYAML(e.name), initYAML(e.g.Name), initYAML(serviceTarget(inv, region, svcs[0])))
		}
	}
	b.WriteString("version: 1\n")
	b.WriteString("gcp:\n")
	fmt.Fprintf(&b, "  project: %s\n", initYAML(inv.Project))
	fmt.Fprintf(&b, "  region: %s\n", initYAML(region))
	b.WriteString("secrets:\n")
	for i, e := range entries {
		if i > 0 {
			b.WriteString("\n")
		}
		writeEntry(&b, inv, region, e)
	}
	return b.Bytes(), true
}

func writeEntry(b *bytes.Buffer, inv *sources.Inventory, region string, e initEntry) {
	g := e.g
	fmt.Fprintf(b, "  # %s, read by %s\n", initYAML(g.Name), initPlural(len(g.Services()), "service", "services"))
	fmt.Fprintf(b, "  - name: %s\n", initYAML(e.name))
	b.WriteString("    # runner:\n")
	b.WriteString("    #   chain:\n")
	fmt.Fprintf(b, "    #     - env: %s\n", initYAML(runnerEnv(g)))
	b.WriteString("    services:\n")
	for _, r := range g.Readers {
		fmt.Fprintf(b, "      - cloudrun: %s\n", initYAML(serviceTarget(inv, region, r.Service)))
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

// configRegion is gcp.region: the region asked for or, for every region,
// the one most services are in (the others get full names).
func configRegion(inv *sources.Inventory) string {
	if inv.Region != "-" {
		return inv.Region
	}
	count := map[string]int{}
	for _, s := range inv.Services {
		count[s.Region]++
	}
	best := ""
	for r, n := range count {
		if best == "" || n > count[best] || (n == count[best] && r < best) {
			best = r
		}
	}
	return best
}

// serviceTarget is the cloudrun: value: the short name for services in
// gcp.region, else the full name (spelt with the project id).
func serviceTarget(inv *sources.Inventory, region string, s *sources.DiscoveredService) string {
	if s.Region == region {
		return s.ID
	}
	return fmt.Sprintf("projects/%s/locations/%s/services/%s", inv.Project, s.Region, s.ID)
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

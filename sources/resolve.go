// Package sources resolves consumers' chains: it reads the runner's
// environment, files, .env files, commands and Secret Manager, and the
// env vars and secret volumes of Cloud Run revisions, manifests and
// --set-secrets values.
package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/internal/localfile"
	"github.com/secret-preflight/secret-preflight/internal/typo"
	"github.com/secret-preflight/secret-preflight/secret"
)

// Skip is a link that yielded nothing, and why.
type Skip struct {
	Link int
	Via  string
	Ref  string
	Why  string
	// DidYouMean are set names a typo away from an unset env var: in the
	// runner's environment, or on the container. Names only.
	DidYouMean []string
}

// maxSuggestions bounds a "did you mean" list.
const maxSuggestions = 3

// nearNames returns the names in have that look like a typo of an env
// link's name, leaving out the chain's own env names (those links are
// tried anyway).
func nearNames(name string, have []string, chain []config.Link) []string {
	var own []string
	for _, l := range chain {
		if l.Kind == config.LinkEnv {
			own = append(own, l.Name)
		}
	}
	return typo.Near(name, have, own, maxSuggestions)
}

// ContainerEnvNames lists the names of a container's env vars.
func ContainerEnvNames(c Container) []string {
	out := make([]string, len(c.Env))
	for i, e := range c.Env {
		out[i] = e.Name
	}
	return out
}

// NearEnvNames returns the names in have that look like a typo of name,
// for "did you mean" when no container has a chain's link.
func NearEnvNames(name string, have []string, chain []config.Link) []string {
	return nearNames(name, have, chain)
}

// Outcome is what one consumer's chain resolved to.
type Outcome struct {
	Resolved bool
	Link     int // index of the winning link
	Via      string
	Ref      string
	Value    secret.Value
	// Version is the numeric Secret Manager version the value came from.
	Version string
	// SecretVersion is the resolved resource name (project number).
	SecretVersion string
	// Requested is the version the consumer named (latest, 3, an alias).
	Requested string
	Skipped   []Skip
	// Err is set when a link could not be read: the chain stops there,
	// because the consumer would not have fallen through either.
	Err error
}

// Resolver resolves chains. The zero value resolves only local links.
type Resolver struct {
	// LookupEnv reads the runner's environment (os.LookupEnv in the CLI).
	LookupEnv func(string) (string, bool)
	// Secrets accesses Secret Manager; nil means not configured.
	Secrets *Accessor
	// AllowExec permits exec links. Off by default: a config from a pull
	// request must not run commands on the CI machine.
	AllowExec bool
	// EnvNames lists the names set in the runner's environment, for "did
	// you mean" on an unset link; nil gives no suggestions. Values are
	// never read through it.
	EnvNames func() []string
	// JWKS fetches jwks_url links; nil fetches with a default client.
	JWKS *JWKSFetcher
}

// Runner resolves the CI job's own chain.
func (r *Resolver) Runner(ctx context.Context, chain []config.Link) Outcome {
	var o Outcome
	for i, l := range chain {
		skip := func(why string) {
			o.Skipped = append(o.Skipped, Skip{Link: i, Via: string(l.Kind), Ref: l.Ref(), Why: why})
		}
		win := func(v secret.Value) Outcome {
			o.Resolved, o.Link, o.Via, o.Ref, o.Value = true, i, string(l.Kind), l.Ref(), v
			return o
		}
		switch l.Kind {
		case config.LinkEnv:
			v, ok := r.lookupEnv(l.Name)
			switch {
			case !ok:
				skip("unset")
				if r.EnvNames != nil {
					o.Skipped[len(o.Skipped)-1].DidYouMean = nearNames(l.Name, r.EnvNames(), chain)
				}
			case v == "":
				// Fallback chains written as `a or b` treat empty as unset.
				skip("set but empty")
			default:
				return win(secret.FromString(v))
			}
		case config.LinkFile:
			b, err := localfile.Read(l.Name, localfile.LimitSecret, "a secret file (file: link)")
			switch {
			case errors.Is(err, fs.ErrNotExist):
				skip("no such file")
			case err != nil:
				o.Err = readError(l.Name, err)
				o.Link, o.Via, o.Ref = i, string(l.Kind), l.Ref()
				return o
			case len(b) == 0:
				skip("file is empty")
			default:
				return win(secret.New(b))
			}
		case config.LinkDotenv:
			v, why, err := readDotenv(l.Dotenv.Path, l.Dotenv.Key)
			switch {
			case err != nil:
				o.Err = err
				o.Link, o.Via, o.Ref = i, string(l.Kind), l.Ref()
				return o
			case why != "":
				skip(why)
			default:
				return win(v)
			}
		case config.LinkLiteral:
			return win(l.Literal)
		case config.LinkSecretManager:
			return r.accessLink(ctx, o, i, l, l.Name, l.Name)
		case config.LinkExec:
			if !r.AllowExec {
				o.Err = &ExecRefusedError{Ref: l.Ref()}
				o.Link, o.Via, o.Ref = i, string(l.Kind), l.Ref()
				return o
			}
			v, err := runExec(ctx, l.Exec)
			switch {
			case err != nil:
				o.Err = err
				o.Link, o.Via, o.Ref = i, string(l.Kind), l.Ref()
				return o
			case v.Len() == 0:
				skip("command printed nothing")
			default:
				return win(v)
			}
		default:
			skip("unsupported link kind")
		}
	}
	return o
}

func (r *Resolver) lookupEnv(name string) (string, bool) {
	if r.LookupEnv == nil {
		return "", false
	}
	return r.LookupEnv(name)
}

// accessLink resolves a link through Secret Manager; ref is how the report
// names it before the resolved version is appended.
func (r *Resolver) accessLink(ctx context.Context, o Outcome, i int, l config.Link, ref, name string) Outcome {
	o.Link, o.Via = i, string(l.Kind)
	o.Requested = path.Base(name)
	acc, err := r.Secrets.Access(ctx, name)
	if err != nil {
		o.Ref = ref
		o.Err = err
		return o
	}
	o.Resolved = true
	o.Value = acc.Value
	o.Version = acc.Version
	o.SecretVersion = acc.Name
	o.Ref = ref + " -> " + acc.Name
	if ref == name {
		o.Ref = acc.Name
		if acc.Name != name {
			o.Ref = name + " -> " + acc.Name
		}
	}
	return o
}

// Container resolves a service consumer's chain against one container.
// project is the service's project, used for bare secret ids.
func (r *Resolver) Container(ctx context.Context, project string, c Container, chain []config.Link) Outcome {
	var o Outcome
	for i, l := range chain {
		skip := func(why string) {
			o.Skipped = append(o.Skipped, Skip{Link: i, Via: string(l.Kind), Ref: l.Ref(), Why: why})
		}
		switch l.Kind {
		case config.LinkEnv:
			ev, ok := findEnv(c, l.Name)
			switch {
			case !ok:
				skip("not set on the container")
				o.Skipped[len(o.Skipped)-1].DidYouMean = nearNames(l.Name, ContainerEnvNames(c), chain)
			case ev.Secret != nil:
				name, err := VersionName(project, ev.Secret.Secret, ev.Secret.Version)
				if err != nil {
					o.Link, o.Via, o.Ref, o.Err = i, string(l.Kind), l.Name, err
					return o
				}
				return r.accessLink(ctx, o, i, l, l.Name, name)
			case ev.Value.Len() == 0:
				skip("set but empty")
			default:
				o.Resolved, o.Link, o.Via, o.Ref, o.Value = true, i, string(l.Kind), l.Name+" (plain value)", ev.Value
				return o
			}
		case config.LinkFile:
			m, version, ok := findMount(c, l.Name)
			if !ok {
				skip("no secret volume covers this path")
				continue
			}
			name, err := VersionName(project, m.Secret, version)
			if err != nil {
				o.Link, o.Via, o.Ref, o.Err = i, string(l.Kind), l.Name, err
				return o
			}
			return r.accessLink(ctx, o, i, l, l.Name, name)
		case config.LinkLiteral:
			o.Resolved, o.Link, o.Via, o.Ref, o.Value = true, i, string(l.Kind), l.Ref(), l.Literal
			return o
		case config.LinkSecretManager:
			return r.accessLink(ctx, o, i, l, l.Name, l.Name)
		case config.LinkJWKSURL:
			return r.jwksLink(ctx, o, i, l)
		default:
			skip(fmt.Sprintf("%s links do not apply to services", l.Kind))
		}
	}
	return o
}

// HasLink reports whether any link of chain could apply to c: it decides
// which containers of a revision are consumers when the config names none.
func HasLink(c Container, chain []config.Link) bool {
	for _, l := range chain {
		switch l.Kind {
		case config.LinkEnv:
			if _, ok := findEnv(c, l.Name); ok {
				return true
			}
		case config.LinkFile:
			if _, _, ok := findMount(c, l.Name); ok {
				return true
			}
		case config.LinkJWKSURL:
			// The config says where the service's keys are; no env var
			// or mount needs to show it.
			return true
		}
	}
	return false
}

func findEnv(c Container, name string) (EnvVar, bool) {
	// The last definition wins, as in a process environment built in order.
	for i := len(c.Env) - 1; i >= 0; i-- {
		if c.Env[i].Name == name {
			return c.Env[i], true
		}
	}
	return EnvVar{}, false
}

// findMount finds the secret volume file at p: a file under the mount path
// named by an item, or, without items, a file named after the secret.
func findMount(c Container, p string) (SecretMount, string, bool) {
	p = path.Clean(p)
	for _, m := range c.Mounts {
		dir := path.Clean(m.MountPath)
		rest, ok := strings.CutPrefix(p, dir+"/")
		if !ok {
			continue
		}
		if len(m.Items) == 0 {
			if rest == path.Base(m.Secret) {
				return m, "latest", true
			}
			continue
		}
		for _, it := range m.Items {
			if path.Clean(it.Path) == rest {
				return m, it.Version, true
			}
		}
	}
	return SecretMount{}, "", false
}

// readError words a failed read of a local file; localfile's own errors
// (not a regular file, over the limit) already name the path.
func readError(path string, err error) error {
	var nr *localfile.NotRegularError
	var tl *localfile.TooLargeError
	if errors.As(err, &nr) || errors.As(err, &tl) {
		return err
	}
	return fmt.Errorf("reading %s: %w", path, err)
}

// readDotenv returns the value of key in a .env file, or why it has none.
func readDotenv(file, key string) (secret.Value, string, error) {
	b, err := localfile.Read(file, localfile.LimitSecret, "a .env file (dotenv: link)")
	if errors.Is(err, fs.ErrNotExist) {
		return secret.Value{}, "no such file", nil
	}
	if err != nil {
		return secret.Value{}, "", readError(file, err)
	}
	v, ok, err := DotenvValue(file, b, key)
	switch {
	case err != nil:
		return secret.Value{}, "", err
	case !ok:
		return secret.Value{}, "key not in file", nil
	case v.Len() == 0:
		return secret.Value{}, "set but empty", nil
	}
	return v, "", nil
}

// execOutputLimit bounds what an exec link's command may print: a secret
// value, not a stream (`exec: [yes]` must not fill the memory).
const execOutputLimit = localfile.LimitSecret

// execWaitDelay bounds the wait for the command's stdout to close once the
// command has exited: a process it started in the background may hold it
// open. The run's deadline bounds it too: an exec link never makes the run
// overrun --timeout.
const execWaitDelay = time.Second

// errExecOutput stops the copy of a command's stdout past the limit.
var errExecOutput = errors.New("output over the limit")

// runExec runs argv and returns its stdout. Its stderr is dropped, not
// reported: a failing helper may print the secret there.
//
// The command runs in a process group of its own, which is killed when the
// context ends (--timeout, SIGINT, SIGTERM), when its output passes the
// limit, and when it exits: nothing it started outlives the run, unless it
// detached itself on purpose (a daemon in its own session).
//
// Its stdout is a pipe read here, not by os/exec: os/exec's WaitDelay
// starts when the context ends, so a process outside the group holding
// stdout open would keep the run waiting past its deadline.
func runExec(ctx context.Context, argv []string) (secret.Value, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	ownProcessGroup(cmd)
	// After the context ends, a command that does not exit is killed
	// outright at the latest this much later.
	cmd.WaitDelay = execWaitDelay
	pr, pw, err := os.Pipe()
	if err != nil {
		return secret.Value{}, fmt.Errorf("exec %q: %w", argv[0], err)
	}
	defer pr.Close()
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close() // the command has its own copy
	if err != nil {
		return secret.Value{}, fmt.Errorf("exec %q: %w", argv[0], err)
	}
	out := &cappedBuffer{limit: execOutputLimit, full: cancel}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, pr)
	}()
	err = cmd.Wait()
	// stdout should close with the command; give a process it started
	// a moment to finish writing, within the run's deadline.
	delay := execWaitDelay
	if dl, ok := parent.Deadline(); ok {
		delay = min(delay, time.Until(dl))
	}
	held := false
	if !ready(copied) {
		t := time.NewTimer(max(delay, 0))
		select {
		case <-copied:
		case <-t.C:
			held = true
		case <-parent.Done():
			held = true
		}
		t.Stop()
	}
	killProcessGroup(cmd)
	if held {
		pr.Close() // a process outside the group may still hold stdout
		<-copied
	}
	switch {
	case out.over:
		return secret.Value{}, fmt.Errorf("exec %q: printed more than the %d MiB limit for a secret value; it was stopped", argv[0], execOutputLimit/localfile.MiB)
	case err == nil && !held:
		return secret.New(out.buf.Bytes()), nil
	case parent.Err() != nil:
		return secret.Value{}, fmt.Errorf("exec %q: %w; its process group was killed (a process that left the group, e.g. with setsid, is not)", argv[0], context.Cause(parent))
	case held:
		// Failing closed: what was read may be cut short.
		return secret.Value{}, fmt.Errorf("exec %q: exited, but a process it started kept its stdout open; its process group was killed and the output is not used", argv[0])
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return secret.Value{}, fmt.Errorf("exec %q: exited with status %d", argv[0], ee.ExitCode())
	}
	return secret.Value{}, fmt.Errorf("exec %q: %w", argv[0], err)
}

// cappedBuffer keeps at most limit bytes; past that it calls full (which
// stops the command) and fails the copy.
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int
	over  bool
	full  func()
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.limit {
		b.over = true
		b.full()
		return 0, errExecOutput
	}
	return b.buf.Write(p)
}

package sources

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"
	"golang.org/x/sync/singleflight"

	"github.com/secret-preflight/secret-preflight/internal/retry"
	"github.com/secret-preflight/secret-preflight/secret"
)

// versionAccessor is the Secret Manager calls resolution needs: access for
// values, get for a version's creation time (SP131).
type versionAccessor interface {
	AccessSecretVersion(ctx context.Context, req *secretmanagerpb.AccessSecretVersionRequest, opts ...gax.CallOption) (*secretmanagerpb.AccessSecretVersionResponse, error)
	GetSecretVersion(ctx context.Context, req *secretmanagerpb.GetSecretVersionRequest, opts ...gax.CallOption) (*secretmanagerpb.SecretVersion, error)
}

// Accessed is a secret version's payload and the version it resolved to.
type Accessed struct {
	Value secret.Value
	// Name is the resolved resource name as the API returns it: project
	// number and numeric version.
	Name string
	// Version is the numeric version.
	Version string
}

// Accessor reads Secret Manager versions, each distinct version once per
// run however many consumers share it, and concurrent callers of the same
// version share one call.
type Accessor struct {
	client versionAccessor
	// Retry bounds the retries of each call (zero: retry.Policy defaults).
	Retry retry.Policy
	// InitErr explains a missing client (e.g. no credentials); every access
	// fails with it, so each consumer reports why it could not be read.
	InitErr error

	values  memo[Accessed]
	created memo[time.Time]

	// numbers maps project ids to the numbers Secret Manager answered
	// with, so projects/ID/... and projects/NUMBER/... spellings of one
	// version share a call once either has been read; numbered marks the
	// numbers learned. flights are the asks in flight, by secret id, so
	// that an ask whose answer another one is about to teach waits for it
	// instead of asking again (see claim).
	mu       sync.Mutex
	numbers  map[string]string
	numbered map[string]bool
	flights  map[string][]*flight
	// onWait, when set (tests), is called when an ask starts waiting.
	onWait func()
}

// flight is an ask of Secret Manager in flight: its canonical name's
// parts, and done, closed once its answer is stored.
type flight struct {
	project, secret, version string
	done                     chan struct{}
	// expected marks an ask announced by Expect, not yet made; closed
	// records that done is closed (a.mu).
	expected, closed bool
}

// land closes f.done once. a.mu is held.
func (f *flight) land() {
	if !f.closed {
		f.closed = true
		close(f.done)
	}
}

// Expect announces an ask for name that is about to be made (a runner
// whose chain starts with a Secret Manager link, scheduled ahead of the
// services): until an ask for it lands, or done is called, an ask that
// its answer may serve waits for it as for an ask in flight (see claim),
// so that a service scheduled just after the runner does not ask for the
// same version by another spelling first. The caller must call done once
// it has made the ask or given up; done is idempotent.
func (a *Accessor) Expect(name string) (done func()) {
	if a == nil || a.client == nil {
		return func() {}
	}
	p := strings.Split(a.canonical(name), "/")
	if len(p) != 6 || p[0] != "projects" || p[2] != "secrets" || p[4] != "versions" {
		return func() {}
	}
	x := &flight{project: p[1], secret: p[3], version: p[5], done: make(chan struct{}), expected: true}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.flights == nil {
		a.flights = map[string][]*flight{}
	}
	a.flights[x.secret] = append(a.flights[x.secret], x)
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.removeFlight(x)
	}
}

// removeFlight forgets f and closes its done. a.mu is held.
func (a *Accessor) removeFlight(f *flight) {
	fs := a.flights[f.secret]
	for i, g := range fs {
		if g == f {
			a.flights[f.secret] = append(fs[:i:i], fs[i+1:]...)
			break
		}
	}
	f.land()
}

// NewAccessor wraps a Secret Manager client (the official apiv1 client).
func NewAccessor(client versionAccessor) *Accessor {
	return &Accessor{client: client}
}

func (a *Accessor) unavailable(name string) error {
	if a != nil && a.InitErr != nil {
		return fmt.Errorf("%s: %w", name, a.InitErr)
	}
	return fmt.Errorf("%s: no Secret Manager client configured", name)
}

// Access reads the version named by a full resource name
// projects/P/secrets/S/versions/V.
func (a *Accessor) Access(ctx context.Context, name string) (Accessed, error) {
	if a == nil || a.client == nil {
		return Accessed{}, a.unavailable(name)
	}
	for {
		// The answer is stored under the name as asked and as canonical,
		// so either spelling finds it once the project number is known.
		if r, ok := a.values.get(name); ok {
			return r.v, r.err
		}
		key := a.canonical(name)
		if r, ok := a.values.get(key); ok {
			a.values.put(name, r.v, r.err)
			return r.v, r.err
		}
		wait, landed := a.claim(key)
		if wait != nil {
			// An ask in flight may answer this one (see claim): wait for
			// it rather than ask Secret Manager twice for one version, then
			// look again.
			if a.onWait != nil {
				a.onWait()
			}
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				if ready(wait) {
					continue // its answer is there: use it
				}
				return Accessed{}, cloudError(name, "secretmanager.versions.access", ctx.Err())
			}
		}
		acc, err := a.values.do(key, func() (Accessed, error) {
			resp, err := readOne(ctx, a.Retry, name, "secretmanager.versions.access", func(ctx context.Context, opts ...gax.CallOption) (*secretmanagerpb.AccessSecretVersionResponse, error) {
				return a.client.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name}, opts...)
			})
			if err != nil {
				return Accessed{}, err
			}
			_, version, ok := SplitVersionName(resp.GetName())
			if !ok {
				return Accessed{}, fmt.Errorf("%s: Secret Manager answered with an unexpected version name %q", name, resp.GetName())
			}
			a.learn(name, resp.GetName())
			return Accessed{Value: secret.New(resp.GetPayload().GetData()), Name: resp.GetName(), Version: version}, nil
		})
		a.values.put(name, acc, err)
		a.values.put(a.canonical(name), acc, err)
		if err == nil {
			// latest and aliases resolve to a numbered version, whose value
			// never changes: a later ask for it by number is answered.
			a.values.put(acc.Name, acc, nil)
		}
		landed()
		return acc, err
	}
}

// claim decides whether an ask for key (canonical) may go out now. It
// waits (wait is non-nil) for an ask in flight whose answer will be stored
// under a name key then canonicalises to:
//
//   - the same version with its project spelled by id, while key spells it
//     by a number nobody has answered with yet: the answer teaches the id's
//     number (ids and numbers cannot be told apart otherwise without
//     another call and another permission, resourcemanager.projects.get
//     or secretmanager.secrets.get);
//   - latest or an alias of the same secret, while key names a version by
//     number: every answer is also stored under the numbered name it
//     resolved to, and may be this one.
//
// Otherwise the ask registers itself; call landed once its answer is
// stored. An ask never waits for one that cannot teach it anything (an
// answer by number says nothing of ids or aliases), so nothing waits in a
// circle, and each wait costs at most the round trip already under way.
func (a *Accessor) claim(key string) (wait <-chan struct{}, landed func()) {
	p := strings.Split(key, "/")
	if len(p) != 6 || p[0] != "projects" || p[2] != "secrets" || p[4] != "versions" {
		return nil, func() {}
	}
	x := &flight{project: p[1], secret: p[3], version: p[5], done: make(chan struct{})}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, y := range a.flights[x.secret] {
		if y.project == x.project && y.version == x.version {
			continue // the same ask: singleflight shares it
		}
		if y.expected && y.version == x.version && a.sameSpelling(x.project, y.project) {
			continue // the ask announced, the number learned since
		}
		if a.sameProject(x.project, y.project) && (y.version == x.version || isProjectNumber(x.version) && !isProjectNumber(y.version)) {
			return y.done, nil
		}
	}
	if a.flights == nil {
		a.flights = map[string][]*flight{}
	}
	a.flights[x.secret] = append(a.flights[x.secret], x)
	return nil, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.removeFlight(x)
		// The asks announced as this one have been made.
		for _, y := range slices.Clone(a.flights[x.secret]) {
			if y.expected && y.version == x.version && a.sameSpelling(x.project, y.project) {
				a.removeFlight(y)
			}
		}
	}
}

// sameProject reports whether the project of an ask (x, canonical) may be
// the project of an ask in flight (y, canonical when it was claimed): the
// same spelling, spellings a learned number ties together (in either
// direction: y may have been claimed by id before its number was learned),
// or a number nobody has answered with yet, which may be y's id. a.mu is
// held.
func (a *Accessor) sameProject(x, y string) bool {
	return a.sameSpelling(x, y) || isProjectNumber(x) && !a.numbered[x] && !isProjectNumber(y)
}

// sameSpelling reports whether two spellings of a project are the same
// project for certain: equal, or tied by a learned number. a.mu is held.
func (a *Accessor) sameSpelling(x, y string) bool {
	return x == y || a.numbers[x] == y || a.numbers[y] == x
}

// canonical spells name's project by its number when a previous answer
// taught it (DESIGN.md section 5: normalise before de-duplicating).
func (a *Accessor) canonical(name string) string {
	p := strings.SplitN(name, "/", 3)
	if len(p) != 3 || p[0] != "projects" {
		return name
	}
	a.mu.Lock()
	n, ok := a.numbers[p[1]]
	a.mu.Unlock()
	if !ok {
		return name
	}
	return "projects/" + n + "/" + p[2]
}

// learn records the project number an answer used for the project the
// request named.
func (a *Accessor) learn(requested, answered string) {
	id, num := ProjectOf(requested), ProjectOf(answered)
	if id == "" || num == "" || id == num {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.numbers == nil {
		a.numbers, a.numbered = map[string]string{}, map[string]bool{}
	}
	a.numbers[id] = num
	a.numbered[num] = true
}

// Created returns when a version (a full, numeric name) was created. It
// needs secretmanager.versions.get, which roles/secretmanager.secretAccessor
// does not grant, so callers treat an error as "not checked".
func (a *Accessor) Created(ctx context.Context, name string) (time.Time, error) {
	if a == nil || a.client == nil {
		return time.Time{}, a.unavailable(name)
	}
	return a.created.do(name, func() (time.Time, error) {
		sv, err := readOne(ctx, a.Retry, name, "secretmanager.versions.get", func(ctx context.Context, opts ...gax.CallOption) (*secretmanagerpb.SecretVersion, error) {
			return a.client.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: name}, opts...)
		})
		if err != nil {
			return time.Time{}, err
		}
		return sv.GetCreateTime().AsTime(), nil
	})
}

// memo runs a call once per key for the life of a run: concurrent callers
// share one call through singleflight, later callers get the stored result
// (errors included, so a denied version is not asked again and again).
type memo[T any] struct {
	group singleflight.Group
	mu    sync.Mutex
	done  map[string]memoResult[T]
}

type memoResult[T any] struct {
	v   T
	err error
}

// get returns a stored result.
func (m *memo[T]) get(key string) (memoResult[T], bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.done[key]
	return r, ok
}

// put stores a result under another key as well.
func (m *memo[T]) put(key string, v T, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done == nil {
		m.done = map[string]memoResult[T]{}
	}
	if _, ok := m.done[key]; !ok {
		m.done[key] = memoResult[T]{v, err}
	}
}

func (m *memo[T]) do(key string, fn func() (T, error)) (T, error) {
	// The store is read inside Do: a caller that missed it just as another
	// call finished would otherwise start a second call for the same key.
	r, _, _ := m.group.Do(key, func() (any, error) {
		m.mu.Lock()
		r, ok := m.done[key]
		m.mu.Unlock()
		if ok {
			return r, nil
		}
		v, err := fn()
		r = memoResult[T]{v, err}
		m.mu.Lock()
		if m.done == nil {
			m.done = map[string]memoResult[T]{}
		}
		m.done[key] = r
		m.mu.Unlock()
		return r, nil
	})
	res := r.(memoResult[T])
	return res.v, res.err
}

// SplitVersionName splits projects/P/secrets/S/versions/V into the secret
// (projects/P/secrets/S) and V.
func SplitVersionName(name string) (secretName, version string, ok bool) {
	p := strings.Split(name, "/")
	if len(p) != 6 || p[0] != "projects" || p[2] != "secrets" || p[4] != "versions" || p[1] == "" || p[3] == "" || p[5] == "" {
		return "", "", false
	}
	return strings.Join(p[:4], "/"), p[5], true
}

// VersionName builds the full name of a secret version as a service refers
// to it: secretName is a bare id (then project applies) or
// projects/P/secrets/S; version is latest, a number or an alias ("" is latest).
func VersionName(project, secretName, version string) (string, error) {
	if version == "" {
		version = "latest"
	}
	if strings.HasPrefix(secretName, "projects/") {
		parts := strings.Split(secretName, "/")
		switch {
		case len(parts) == 4 && parts[2] == "secrets":
			return secretName + "/versions/" + version, nil
		case len(parts) == 6 && parts[2] == "secrets" && parts[4] == "versions":
			return secretName, nil
		}
		return "", fmt.Errorf("malformed secret name %q (want projects/P/secrets/S)", secretName)
	}
	if secretName == "" {
		return "", fmt.Errorf("empty secret name")
	}
	if strings.Contains(secretName, "/") {
		return "", fmt.Errorf("malformed secret name %q (want a secret id or projects/P/secrets/S)", secretName)
	}
	if project == "" {
		return "", fmt.Errorf("secret %q has no project: set gcp.project or use projects/P/secrets/%s", secretName, secretName)
	}
	return "projects/" + project + "/secrets/" + secretName + "/versions/" + version, nil
}

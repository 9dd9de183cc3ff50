package sources

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	runapi "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/secret-preflight/secret-preflight/internal/fakegcp"
)

// runFake serves n services s000... in projects/p/locations/r, each serving
// one revision that its template does not stand in for.
func runFake(t *testing.T, n int) (*fakegcp.Server, *CloudRun) {
	t.Helper()
	f := &fakegcp.Fixture{Projects: map[string]string{"p": "1"}}
	for i := range n {
		name := fmt.Sprintf("projects/p/locations/r/services/s%03d", i)
		f.Services = append(f.Services, &runpb.Service{
			Name:                name,
			LatestReadyRevision: name + "/revisions/r1",
			TrafficStatuses:     []*runpb.TrafficTargetStatus{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 100}},
		})
		f.Revisions = append(f.Revisions, &runpb.Revision{Name: name + "/revisions/r1", Containers: []*runpb.Container{{Name: "app"}}})
	}
	srv, err := fakegcp.NewServer(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	svcs, err := runapi.NewServicesClient(ctx, srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svcs.Close() })
	revs, err := runapi.NewRevisionsClient(ctx, srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { revs.Close() })
	return srv, &CloudRun{Services: svcs, Revisions: revs}
}

// secretFake serves secrets in project p (number 1) and returns the fake
// and a Secret Manager client dialled to it. hold, when not nil, sees every
// call on its way out: a test holds one in flight with it.
func secretFake(t *testing.T, hold grpc.UnaryClientInterceptor, secrets ...fakegcp.Secret) (*fakegcp.Server, *secretmanager.Client) {
	t.Helper()
	srv, err := fakegcp.NewServer(&fakegcp.Fixture{Projects: map[string]string{"p": "1"}, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	opts := srv.ClientOptions()
	if hold != nil {
		opts = append(opts, option.WithGRPCDialOption(grpc.WithChainUnaryInterceptor(hold)))
	}
	sm, err := secretmanager.NewClient(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	return srv, sm
}

// fakeSecret is projects/p/secrets/id with one version per value, numbered
// from 1.
func fakeSecret(id string, values ...string) fakegcp.Secret {
	s := fakegcp.Secret{Name: "projects/p/secrets/" + id}
	for _, v := range values {
		s.Versions = append(s.Versions, fakegcp.Version{Data: []byte(v)})
	}
	return s
}

// serveAll prefetches names and reads each twice, as two secrets naming
// the same services would; it returns each one's error ("" when read).
func serveAll(t *testing.T, c *CloudRun, names []string) []string {
	t.Helper()
	ctx := context.Background()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	wait := c.Prefetch(ctx, want)
	out := make([]string, len(names))
	var wg sync.WaitGroup
	for i, name := range append(names, names...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws, _, err := c.Serving(ctx, name)
			if i >= len(names) {
				return
			}
			switch {
			case err != nil:
				out[i] = err.Error()
			case len(ws) != 1 || ws[0].Err != nil:
				out[i] = fmt.Sprintf("workloads %v", ws)
			}
		}()
	}
	wg.Wait()
	wait()
	return out
}

func TestListingReadsEachServiceOnce(t *testing.T) {
	srv, c := runFake(t, 250)
	var names []string
	for i := range 250 {
		names = append(names, fmt.Sprintf("projects/p/locations/r/services/s%03d", i))
	}
	for i, e := range serveAll(t, c, names) {
		if e != "" {
			t.Errorf("%s: %s", names[i], e)
		}
	}
	if l, g, r := srv.Calls("ListServices"), srv.Calls("GetService"), srv.Calls("GetRevision"); l != 3 || g != 0 || r != 250 {
		t.Errorf("ListServices %d, GetService %d, GetRevision %d; want 3, 0, 250", l, g, r)
	}
}

func TestListingStopsOnceAllAreSeen(t *testing.T) {
	srv, c := runFake(t, 250)
	// Both are on the first page (the fake keeps fixture order).
	serveAll(t, c, []string{"projects/p/locations/r/services/s000", "projects/p/locations/r/services/s001"})
	if l, g := srv.Calls("ListServices"), srv.Calls("GetService"); l != 1 || g != 0 {
		t.Errorf("ListServices %d, GetService %d; want 1, 0", l, g)
	}
}

func TestListingGivesUpForGets(t *testing.T) {
	srv, c := runFake(t, 250)
	// Two services that are not there: after two pages, two gets cost no
	// more than the next page, and they name each service in their error.
	missing := []string{"projects/p/locations/r/services/nope1", "projects/p/locations/r/services/nope2"}
	for i, e := range serveAll(t, c, missing) {
		if !strings.Contains(e, missing[i]+": NotFound") {
			t.Errorf("%s: error %q, want GetService's NotFound for it", missing[i], e)
		}
	}
	if l, g := srv.Calls("ListServices"), srv.Calls("GetService"); l != 2 || g != 2 {
		t.Errorf("ListServices %d, GetService %d; want 2, 2", l, g)
	}
}

func TestListingDeniedFallsBackToGets(t *testing.T) {
	srv, c := runFake(t, 3)
	srv.SetFault("ListServices", "", codes.PermissionDenied)
	names := []string{"projects/p/locations/r/services/s000", "projects/p/locations/r/services/s002"}
	for i, e := range serveAll(t, c, names) {
		if e != "" {
			t.Errorf("%s: %s", names[i], e)
		}
	}
	if g := srv.Calls("GetService"); g != 2 {
		t.Errorf("GetService %d, want 2", g)
	}
}

// TestAccessIDAndNumberAtOnce asks for one version by project id and, while
// that call is in flight, by project number: one call answers both.
func TestAccessIDAndNumberAtOnce(t *testing.T) {
	// The first call is held on its way out until the test lets it go, so
	// the second ask surely finds it in flight.
	var (
		mu                        sync.Mutex
		n                         int
		inFlight, release, second chan struct{}
	)
	hold := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		mu.Lock()
		n++
		first, in, rel, sec := n == 1, inFlight, release, second
		mu.Unlock()
		if first {
			close(in)
			<-rel
		} else if sec != nil {
			close(sec) // a second call while the first is held: the bug
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	srv, sm := secretFake(t, hold, fakeSecret("jwt", "v1", "v2"))

	for _, names := range [][2]string{
		{"projects/p/secrets/jwt/versions/2", "projects/1/secrets/jwt/versions/2"},
		{"projects/p/secrets/jwt/versions/latest", "projects/1/secrets/jwt/versions/2"},
		{"projects/p/secrets/jwt/versions/latest", "projects/1/secrets/jwt/versions/latest"},
	} {
		t.Run(names[1], func(t *testing.T) {
			mu.Lock()
			n, inFlight, release, second = 0, make(chan struct{}), make(chan struct{}), make(chan struct{})
			mu.Unlock()
			a := NewAccessor(sm)
			waiting := make(chan struct{})
			a.onWait = func() { close(waiting) }
			before := srv.Calls("AccessSecretVersion")
			results := make([]Accessed, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			ask := func(i int) {
				defer wg.Done()
				results[i], errs[i] = a.Access(context.Background(), names[i])
			}
			wg.Add(2)
			go ask(0)
			<-inFlight
			go ask(1)
			select {
			case <-waiting:
			case <-second:
				t.Error("the second ask called Secret Manager while the first was in flight")
			}
			close(release)
			wg.Wait()
			for i := range errs {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
			}
			if results[0].Name != "projects/1/secrets/jwt/versions/2" || results[1].Name != results[0].Name {
				t.Errorf("answers %q and %q", results[0].Name, results[1].Name)
			}
			if got := srv.Calls("AccessSecretVersion") - before; got != 1 {
				t.Errorf("%d calls, want 1", got)
			}
		})
	}
}

func TestPrefetchLeavesTaggedServicesRevisionsAlone(t *testing.T) {
	srv, c := runFake(t, 3)
	// Only consumers with a tag name these services: the revisions serving
	// traffic are nobody's business, whether listed or got.
	for _, want := range []map[string]bool{
		{"projects/p/locations/r/services/s000": false, "projects/p/locations/r/services/s001": false},
		{"projects/p/locations/r/services/s002": false},
	} {
		c.Prefetch(context.Background(), want)()
	}
	if l, g, r := srv.Calls("ListServices"), srv.Calls("GetService"), srv.Calls("GetRevision"); l != 1 || g != 1 || r != 0 {
		t.Errorf("ListServices %d, GetService %d, GetRevision %d; want 1, 1, 0", l, g, r)
	}
}

// TestAccessByIDSharesFlightAfterNumberLearned: an ask by project id is in
// flight when another answer teaches the id's number; a second ask for the
// same version by id (now canonical by number) waits for the first instead
// of calling again.
func TestAccessByIDSharesFlightAfterNumberLearned(t *testing.T) {
	// The first ask for jwt is held on its way out until the test lets it
	// go; any later ask for jwt while it is held is the bug.
	var (
		mu    sync.Mutex
		jwts  int
		held  = make(chan struct{})
		rel   = make(chan struct{})
		twice = make(chan struct{})
	)
	hold := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if strings.Contains(fmt.Sprint(req), "/jwt/") {
			mu.Lock()
			jwts++
			n := jwts
			mu.Unlock()
			switch n {
			case 1:
				close(held)
				<-rel
			case 2:
				close(twice)
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	srv, sm := secretFake(t, hold, fakeSecret("jwt", "v1", "v2"), fakeSecret("other", "o1"))
	a := NewAccessor(sm)
	waiting := make(chan struct{})
	a.onWait = func() { close(waiting) }
	ctx := context.Background()
	const name = "projects/p/secrets/jwt/versions/latest"
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(1)
	go func() { defer wg.Done(); _, errs[0] = a.Access(ctx, name) }()
	<-held
	if _, err := a.Access(ctx, "projects/p/secrets/other/versions/1"); err != nil { // teaches p = 1
		t.Fatal(err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); _, errs[1] = a.Access(ctx, name) }()
	select {
	case <-waiting:
	case <-twice:
		t.Error("the second ask called Secret Manager while the first was in flight")
	}
	close(rel)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.CallsFor("AccessSecretVersion", name); n != 1 {
		t.Errorf("%s asked %d times in one run, want 1", name, n)
	}
}

// TestListedServiceOutlivesTheDeadline: a service its listing has already
// delivered is served after the run's deadline too, every time (a select
// between the delivered answer and the done context picks at random).
func TestListedServiceOutlivesTheDeadline(t *testing.T) {
	srv, c := runFake(t, 3)
	names := []string{"projects/p/locations/r/services/s000", "projects/p/locations/r/services/s001"}
	c.Prefetch(context.Background(), map[string]bool{names[0]: false, names[1]: false})()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 64 {
		for _, n := range names {
			if _, err := c.service(ctx, n); err != nil {
				t.Fatalf("try %d: %s: %v", i, n, err)
			}
		}
	}
	if l, g := srv.Calls("ListServices"), srv.Calls("GetService"); l != 1 || g != 0 {
		t.Errorf("ListServices %d, GetService %d; want 1, 0", l, g)
	}
}

// TestLandedFlightOutlivesTheDeadline: an ask that waited for another in
// flight uses its answer when both the answer and the deadline are there
// by the time it looks.
func TestLandedFlightOutlivesTheDeadline(t *testing.T) {
	var (
		mu       sync.Mutex
		inFlight chan struct{}
		release  chan struct{}
	)
	hold := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		mu.Lock()
		in, rel := inFlight, release
		inFlight = nil
		mu.Unlock()
		if in != nil {
			close(in)
			<-rel
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	_, sm := secretFake(t, hold, fakeSecret("jwt", "v1"))
	for i := range 32 {
		in, rel := make(chan struct{}), make(chan struct{})
		mu.Lock()
		inFlight, release = in, rel
		mu.Unlock()
		a := NewAccessor(sm)
		// The second ask, by number, waits for the first, by id; it looks
		// only once the first has landed and its own context has ended.
		waiting, look := make(chan struct{}), make(chan struct{})
		a.onWait = func() { close(waiting); <-look }
		first := make(chan error, 1)
		go func() {
			_, err := a.Access(context.Background(), "projects/p/secrets/jwt/versions/1")
			first <- err
		}()
		<-in
		ctx, cancel := context.WithCancel(context.Background())
		second := make(chan error, 1)
		go func() {
			_, err := a.Access(ctx, "projects/1/secrets/jwt/versions/1")
			second <- err
		}()
		<-waiting
		cancel()
		close(rel)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		close(look)
		if err := <-second; err != nil {
			t.Fatalf("try %d: %v", i, err)
		}
	}
}

// A listing whose page never answers gives up once the page has taken
// what one call may, and its services are read with GetService, well
// within the run's deadline.
func TestStuckListingFallsBackToGets(t *testing.T) {
	srv, c := runFake(t, 3)
	svcs, err := runapi.NewServicesClient(context.Background(), append(srv.ClientOptions(), option.WithGRPCDialOption(grpc.WithChainUnaryInterceptor(hangListings)))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svcs.Close() })
	c.Services = svcs
	c.Retry.Budget = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	names := []string{"projects/p/locations/r/services/s000", "projects/p/locations/r/services/s001"}
	wait := c.Prefetch(ctx, map[string]bool{names[0]: true, names[1]: true})
	for _, n := range names {
		if _, _, err := c.Serving(ctx, n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	wait()
	if ctx.Err() != nil {
		t.Error("the services waited for the run's deadline")
	}
	if g := srv.Calls("GetService"); g != 2 {
		t.Errorf("GetService %d, want 2", g)
	}
}

// TestExpectedAskIsWaitedFor: a runner announces its ask of latest before
// the services start; a service that asks for the same version by project
// number before the runner's ask goes out waits for it, and one call
// answers both.
func TestExpectedAskIsWaitedFor(t *testing.T) {
	srv, sm := secretFake(t, nil, fakeSecret("jwt", "v1", "v2"))
	a := NewAccessor(sm)
	waiting := make(chan struct{})
	a.onWait = func() { close(waiting) }
	ctx := context.Background()
	done := a.Expect("projects/p/secrets/jwt/versions/latest")
	service := make(chan error, 1)
	go func() {
		_, err := a.Access(ctx, "projects/1/secrets/jwt/versions/2")
		service <- err
	}()
	<-waiting // the service waits for the runner's ask, not yet made
	if _, err := a.Access(ctx, "projects/p/secrets/jwt/versions/latest"); err != nil {
		t.Fatal(err)
	}
	if err := <-service; err != nil {
		t.Fatal(err)
	}
	done()
	done()
	if n := srv.Calls("AccessSecretVersion"); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

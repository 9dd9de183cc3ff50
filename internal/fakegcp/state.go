package fakegcp

import (
	"sort"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// state is everything the fake services share. The resources never change
// after newState, but counters and faults do, and one mutex for all of it
// keeps the reasoning trivial; the fake is never a bottleneck.
type state struct {
	mu       sync.Mutex
	projects projectIndex
	secrets  map[string]*secretEntry // key: projectID + "/" + secret id
	// Cloud Run resources by runName.key, plus their listing order (newest
	// first, like the real API).
	services     map[string]*runpb.Service
	serviceKeys  []string
	revisions    map[string]*runpb.Revision
	revisionKeys []string
	// Cloud Run jobs by jobName.key, newest first (jobs.go).
	jobs     map[string]*runpb.Job
	jobKeys  []string
	calls    map[string]int
	callsFor map[callKey]int
	faults   map[callKey]*fault
	// latency is added to every call before it is answered (benchmarks
	// measure round trips with it; tests leave it at zero).
	latency time.Duration
}

type callKey struct{ method, resource string }

// fault is an injected error; left > 0 counts the calls it still fails.
type fault struct {
	code codes.Code
	left int
	msg  string // SetFaultMessage; empty: worded like the real service
	// details are attached to the error (SetFaultDetails).
	details []protoadapt.MessageV1
}

type secretEntry struct {
	projectID, id string
	aliases       map[string]int64
	versions      []versionEntry // versions[i] is version i+1
	createTime    time.Time
}

type versionEntry struct {
	data       []byte
	state      secretmanagerpb.SecretVersion_State
	createTime time.Time
}

// newState validates a fixture and builds the server state from a copy of
// it. Errors point at the fixture entry when it came from a file.
func newState(f *Fixture) (*state, error) {
	if f == nil {
		f = &Fixture{}
	}
	st := &state{
		projects:  projectIndex{numberOf: map[string]string{}, idOf: map[string]string{}},
		secrets:   map[string]*secretEntry{},
		services:  map[string]*runpb.Service{},
		revisions: map[string]*runpb.Revision{},
		calls:     map[string]int{},
		callsFor:  map[callKey]int{},
		faults:    map[callKey]*fault{},
	}

	ids := make([]string, 0, len(f.Projects))
	for id := range f.Projects {
		ids = append(ids, id)
	}
	sort.Strings(ids) // deterministic error order
	for _, id := range ids {
		num, at := f.Projects[id], f.projectAt[id]
		switch {
		case id == "" || strings.Contains(id, "/"):
			return nil, f.errAt(at, "invalid project id %q", id)
		case projectNumberRE.MatchString(id):
			return nil, f.errAt(at, "project id %q is a number; list projects as id: number", id)
		case !projectNumberRE.MatchString(num):
			return nil, f.errAt(at, "project %q: number %q is not a project number", id, num)
		}
		if other, dup := st.projects.idOf[num]; dup {
			return nil, f.errAt(at, "projects %q and %q have the same number %s", other, id, num)
		}
		st.projects.numberOf[id] = num
		st.projects.idOf[num] = id
	}

	for _, s := range f.Secrets {
		if err := st.addSecret(f, s); err != nil {
			return nil, err
		}
	}

	for i, svc := range f.Services {
		at := posAt(f.serviceAt, i)
		n, ok := parseServiceName(svc.GetName())
		if !ok {
			return nil, f.errAt(at, "service name %q: want projects/P/locations/L/services/S", svc.GetName())
		}
		id, _, ok := st.projects.resolve(n.project)
		if !ok {
			return nil, f.errAt(at, "service %q: project %q is not listed under projects", svc.GetName(), n.project)
		}
		key := n.key(id)
		if _, dup := st.services[key]; dup {
			return nil, f.errAt(at, "duplicate service %q", svc.GetName())
		}
		st.services[key] = proto.Clone(svc).(*runpb.Service)
		st.serviceKeys = append(st.serviceKeys, key)
	}
	for i, rev := range f.Revisions {
		at := posAt(f.revisionAt, i)
		n, ok := parseRevisionName(rev.GetName())
		if !ok {
			return nil, f.errAt(at, "revision name %q: want projects/P/locations/L/services/S/revisions/R", rev.GetName())
		}
		id, _, ok := st.projects.resolve(n.project)
		if !ok {
			return nil, f.errAt(at, "revision %q: project %q is not listed under projects", rev.GetName(), n.project)
		}
		key := n.key(id)
		if _, dup := st.revisions[key]; dup {
			return nil, f.errAt(at, "duplicate revision %q", rev.GetName())
		}
		st.revisions[key] = proto.Clone(rev).(*runpb.Revision)
		st.revisionKeys = append(st.revisionKeys, key)
	}
	if err := st.addJobs(f); err != nil {
		return nil, err
	}
	// The real List methods sort by creation time, newest first; resources
	// without one keep their fixture order after the others.
	sort.SliceStable(st.serviceKeys, func(i, j int) bool {
		return st.services[st.serviceKeys[i]].GetCreateTime().AsTime().After(st.services[st.serviceKeys[j]].GetCreateTime().AsTime())
	})
	sort.SliceStable(st.revisionKeys, func(i, j int) bool {
		return st.revisions[st.revisionKeys[i]].GetCreateTime().AsTime().After(st.revisions[st.revisionKeys[j]].GetCreateTime().AsTime())
	})
	return st, nil
}

func posAt(ps []pos, i int) pos {
	if i < len(ps) {
		return ps[i]
	}
	return pos{}
}

func (st *state) addSecret(f *Fixture, s Secret) error {
	n, ok := parseSecretName(s.Name)
	if !ok {
		return f.errAt(s.at, "secret name %q: want projects/P/secrets/S", s.Name)
	}
	id, _, ok := st.projects.resolve(n.project)
	if !ok {
		return f.errAt(s.at, "secret %q: project %q is not listed under projects", s.Name, n.project)
	}
	key := id + "/" + n.secret
	if _, dup := st.secrets[key]; dup {
		return f.errAt(s.at, "duplicate secret %q", s.Name)
	}
	e := &secretEntry{projectID: id, id: n.secret, aliases: map[string]int64{}, createTime: defaultCreateTime(0)}
	for i, v := range s.Versions {
		ve := versionEntry{data: append([]byte(nil), v.Data...), state: v.State, createTime: v.CreateTime}
		if ve.state == secretmanagerpb.SecretVersion_STATE_UNSPECIFIED {
			ve.state = secretmanagerpb.SecretVersion_ENABLED
		}
		if _, known := secretmanagerpb.SecretVersion_State_name[int32(ve.state)]; !known {
			return f.errAt(v.at, "secret %q: version %d: invalid state %d", s.Name, i+1, ve.state)
		}
		if ve.createTime.IsZero() {
			ve.createTime = defaultCreateTime(i)
		}
		// Version numbers follow creation order; a fixture that says
		// otherwise describes something the real service cannot produce.
		if i > 0 && ve.createTime.Before(e.versions[i-1].createTime) {
			return f.errAt(v.at, "secret %q: version %d is created before version %d", s.Name, i+1, i)
		}
		e.versions = append(e.versions, ve)
	}
	if len(e.versions) > 0 {
		e.createTime = e.versions[0].createTime
	}
	for alias, num := range s.Aliases {
		switch {
		case !aliasRE.MatchString(alias) || alias == "latest" || projectNumberRE.MatchString(alias):
			return f.errAt(s.at, "secret %q: invalid alias %q", s.Name, alias)
		case num < 1 || num > int64(len(e.versions)):
			return f.errAt(s.at, "secret %q: alias %q points to version %d, which does not exist", s.Name, alias, num)
		}
		e.aliases[alias] = num
	}
	st.secrets[key] = e
	return nil
}

package sources

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
)

// tagRe is the shape of a Cloud Run traffic tag.
var tagRe = regexp.MustCompile(`^[a-z][-a-z0-9]{0,62}$`)

// RevisionShare is a revision a cloudrun consumer stands for, with its
// actual share of the service's traffic.
type RevisionShare struct {
	Revision string // short name
	Percent  int
}

// TagNotFoundError is a cloudrun consumer's tag: that no traffic entry of
// the service carries. It reads as a NotFound (CodeOf).
type TagNotFoundError struct {
	Service string
	Tag     string
	Tags    []string // the tags the service has, sorted
}

func (e *TagNotFoundError) Error() string {
	have := "it has no tagged revision"
	if len(e.Tags) > 0 {
		have = "its tags are " + strings.Join(e.Tags, ", ")
	}
	return fmt.Sprintf("%s: NotFound: no revision serves traffic tag %q (%s)", e.Service, e.Tag, have)
}

// SelectRevisions says which revisions of svc a cloudrun consumer means,
// from the service's traffic_statuses (what is actually routed, not the
// traffic spec, which may not be applied yet):
//
//   - with no tag, every revision with a share of traffic above 0,
//     largest share first: their instances hold the values that E2E
//     requests to the service URL meet;
//   - with a tag, the revision that serves the tag's URL, whatever its
//     share, 0 included (gcloud run deploy --no-traffic --tag e2e).
//
// A revision's percent is its whole share: the sum of every entry that
// routes to it (a revision may be both LATEST and named, or tagged).
//
// While the service is reconciling, the revisions its traffic spec routes
// to are added (without a tag), at their current share: a deploy under way
// must not hide the revision about to serve.
func SelectRevisions(svc *runpb.Service, tag string) ([]RevisionShare, error) {
	percent := map[string]int{}
	var tagged []string
	tags := map[string]bool{}
	unready := 0 // the share of LATEST entries while no revision is ready
	for _, t := range svc.GetTrafficStatuses() {
		rev := statusRevision(svc, t)
		if rev == "" {
			if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
				unready += int(t.GetPercent())
			}
			continue
		}
		if t.GetPercent() > 0 {
			percent[rev] += int(t.GetPercent())
		}
		if t.GetTag() != "" {
			// Tags are named in messages: only ones of the shape Cloud Run
			// allows, so an odd answer cannot smuggle text into a CI log.
			if tagRe.MatchString(t.GetTag()) {
				tags[t.GetTag()] = true
			}
			if t.GetTag() == tag && !slices.Contains(tagged, rev) {
				tagged = append(tagged, rev)
			}
		}
	}
	if tag != "" {
		if len(tagged) == 0 {
			e := &TagNotFoundError{Service: svc.GetName(), Tag: tag}
			for t := range tags {
				e.Tags = append(e.Tags, t)
			}
			sort.Strings(e.Tags)
			return nil, e
		}
		out := make([]RevisionShare, len(tagged))
		for i, r := range tagged {
			out[i] = RevisionShare{Revision: r, Percent: percent[r]}
		}
		return out, nil
	}
	// While the service reconciles, the statuses may be stale: the
	// revisions its traffic spec is moving to are about to serve, so they
	// are consumers too, at the share they actually have now (0 for one
	// not serving yet). A LATEST target moves to the latest created
	// revision once it is ready.
	desired := map[string]bool{}
	if svc.GetReconciling() {
		for _, t := range svc.GetTraffic() {
			if rev := targetRevision(svc, t); rev != "" && t.GetPercent() > 0 {
				desired[rev] = true
			}
		}
	}
	if len(percent) == 0 && len(desired) == 0 && unready > 0 {
		return nil, fmt.Errorf("%s: no revision serves traffic: the LATEST traffic entry (%d%%) names no ready revision (the service has no ready revision: latest_ready_revision is empty)", svc.GetName(), unready)
	}
	if len(percent) == 0 && len(desired) == 0 {
		return nil, fmt.Errorf("%s: no revision serves traffic (traffic_statuses has no entry with percent > 0)", svc.GetName())
	}
	out := make([]RevisionShare, 0, len(percent)+len(desired))
	for r, p := range percent {
		out = append(out, RevisionShare{Revision: r, Percent: p})
	}
	for r := range desired {
		if _, ok := percent[r]; !ok {
			out = append(out, RevisionShare{Revision: r})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Percent != out[j].Percent {
			return out[i].Percent > out[j].Percent
		}
		return out[i].Revision < out[j].Revision
	})
	return out, nil
}

// statusRevision is the short revision name a traffic status routes to. A
// LATEST entry names no revision: it means latest_ready_revision, which the
// API gives as a full resource name.
func statusRevision(svc *runpb.Service, t *runpb.TrafficTargetStatus) string {
	rev := t.GetRevision()
	if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST || rev == "" {
		rev = path.Base(svc.GetLatestReadyRevision())
	}
	if rev == "." || rev == "/" {
		return ""
	}
	return rev
}

// targetRevision is the short revision name a traffic spec target routes
// to once applied. A LATEST target follows the latest revision once it is
// ready: while the service reconciles, that is the latest created one.
func targetRevision(svc *runpb.Service, t *runpb.TrafficTarget) string {
	rev := t.GetRevision()
	if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST || rev == "" {
		rev = svc.GetLatestCreatedRevision()
		if rev == "" {
			rev = svc.GetLatestReadyRevision()
		}
		rev = path.Base(rev)
	}
	if rev == "." || rev == "/" || rev == "" {
		return ""
	}
	return rev
}

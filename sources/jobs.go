package sources

import (
	"context"
	"fmt"
	"strings"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/googleapis/gax-go/v2"

	"github.com/secret-preflight/secret-preflight/internal/retry"
)

// jobGetter is the Cloud Run call a cloudrun_job consumer needs; the
// official *run.JobsClient satisfies it.
type jobGetter interface {
	GetJob(ctx context.Context, req *runpb.GetJobRequest, opts ...gax.CallOption) (*runpb.Job, error)
}

// JobLister is the Cloud Run call `init` uses to find jobs; the official
// *run.JobsClient satisfies it. Its iterator follows pagination.
type JobLister interface {
	ListJobs(ctx context.Context, req *runpb.ListJobsRequest, opts ...gax.CallOption) *run.JobIterator
}

// CloudRunJobs reads Cloud Run jobs (v2 Jobs API). One value serves one
// run: it reads each job once, however many consumers name it.
type CloudRunJobs struct {
	Jobs jobGetter
	// Retry bounds the retries of each call (zero: retry.Policy defaults).
	Retry retry.Policy
	// InitErr explains a missing client (e.g. no credentials).
	InitErr error

	read memo[*runpb.Job]
}

// JobName expands a short job name with the default project and region,
// and checks the shape of a full one.
func JobName(project, region, name string) (string, error) {
	if strings.HasPrefix(name, "projects/") {
		p := strings.Split(name, "/")
		if len(p) != 6 || p[2] != "locations" || p[4] != "jobs" || p[1] == "" || p[3] == "" || p[5] == "" {
			return "", fmt.Errorf("malformed job name %q (want projects/P/locations/R/jobs/J)", name)
		}
		return name, nil
	}
	if project == "" || region == "" {
		return "", fmt.Errorf("job %q: a short name needs gcp.project and gcp.region", name)
	}
	return fmt.Sprintf("projects/%s/locations/%s/jobs/%s", project, region, name), nil
}

// Job reads a job and reduces its template to a Workload: the containers
// and secret volumes of job.template.template (the TaskTemplate), which is
// what the job's next execution reads. Env-var secrets are resolved when
// each task starts, so the current template is the whole truth for the
// next run; executions already finished are of no interest to a gate.
func (c *CloudRunJobs) Job(ctx context.Context, name string) (Workload, error) {
	if c == nil || c.Jobs == nil {
		if c != nil && c.InitErr != nil {
			return Workload{}, fmt.Errorf("%s: %w", name, c.InitErr)
		}
		return Workload{}, fmt.Errorf("%s: no Cloud Run client configured", name)
	}
	j, err := c.read.do(name, func() (*runpb.Job, error) {
		return readOne(ctx, c.Retry, name, "run.jobs.get", func(ctx context.Context, opts ...gax.CallOption) (*runpb.Job, error) {
			return c.Jobs.GetJob(ctx, &runpb.GetJobRequest{Name: name}, opts...)
		})
	})
	if err != nil {
		return Workload{}, err
	}
	return JobWorkload(j), nil
}

// JobWorkload reduces a v2 job to its template's containers and secrets.
func JobWorkload(j *runpb.Job) Workload {
	t := j.GetTemplate().GetTemplate()
	return Workload{
		Service:    j.GetName(),
		Containers: v2Containers(t.GetContainers(), t.GetVolumes()),
	}
}

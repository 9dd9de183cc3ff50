package main

import (
	"context"
	"log/slog"

	runapi "cloud.google.com/go/run/apiv2"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/secret-preflight/secret-preflight/checks"
	"github.com/secret-preflight/secret-preflight/internal/retry"
	"github.com/secret-preflight/secret-preflight/preflight"
	"github.com/secret-preflight/secret-preflight/secret"
	"github.com/secret-preflight/secret-preflight/sources"
)

// Emulator variables, DESIGN.md section 9.
const (
	envSMEmulator  = "SECRET_PREFLIGHT_SECRETMANAGER_EMULATOR_HOST"
	envRunEmulator = "SECRET_PREFLIGHT_RUN_EMULATOR_HOST"
)

// clients are the cloud connections of one run.
type clients struct {
	secrets *sources.Accessor
	run     *sources.CloudRun
	jobs    *sources.CloudRunJobs
	close   []func() error
}

func (c *clients) Close() {
	for _, f := range c.close {
		_ = f()
	}
}

// clientOptions are the options of every Google client the tool creates,
// in every command: the one place a client is configured.
//
// The clients get a logger that drops everything, whatever
// GOOGLE_SDK_GO_LOGGING_LEVEL says. At debug level the official clients
// log every request and response to stderr: AccessSecretVersion payloads
// (the secret values, base64) and services' plain env values, before any
// ::add-mask:: could hide them. The tool reports what it needs itself.
//
// With host set they target an emulator (plaintext, no credentials), else
// the real API with Application Default Credentials.
func clientOptions(host string) []option.ClientOption {
	opts := []option.ClientOption{option.WithLogger(slog.New(slog.DiscardHandler))}
	if host == "" {
		return opts
	}
	return append(opts,
		option.WithEndpoint(host),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	)
}

// newClients connects to Secret Manager and Cloud Run. A client that cannot
// be created (no credentials, say) is not fatal here: each consumer that
// needs it reports the reason, and the run ends incomplete. Every read is
// retried under pol.
func newClients(ctx context.Context, e *env, pol retry.Policy) *clients {
	c := &clients{}
	sm, err := secretmanager.NewClient(ctx, clientOptions(e.get(envSMEmulator))...)
	if err != nil {
		c.secrets = sources.NewAccessor(nil)
		c.secrets.InitErr = &sources.ClientError{API: "Secret Manager", Err: err}
	} else {
		c.secrets = sources.NewAccessor(sm)
		c.close = append(c.close, sm.Close)
	}
	c.secrets.Retry = pol
	c.run = &sources.CloudRun{Retry: pol}
	runOpts := clientOptions(e.get(envRunEmulator))
	c.jobs = newJobsClient(ctx, runOpts, &c.close)
	c.jobs.Retry = pol
	svc, err := runapi.NewServicesClient(ctx, runOpts...)
	if err != nil {
		c.run.InitErr = &sources.ClientError{API: "Cloud Run", Err: err}
		return c
	}
	c.close = append(c.close, svc.Close)
	rev, err := runapi.NewRevisionsClient(ctx, runOpts...)
	if err != nil {
		c.run.InitErr = &sources.ClientError{API: "Cloud Run", Err: err}
		return c
	}
	c.close = append(c.close, rev.Close)
	c.run.Services, c.run.Revisions = svc, rev
	return c
}

// newJobsClient connects to the Cloud Run v2 Jobs API. As for the other
// clients, a failure is reported by each cloudrun_job consumer.
func newJobsClient(ctx context.Context, opts []option.ClientOption, closers *[]func() error) *sources.CloudRunJobs {
	jc, err := runapi.NewJobsClient(ctx, opts...)
	if err != nil {
		return &sources.CloudRunJobs{InitErr: &sources.ClientError{API: "Cloud Run", Err: err}}
	}
	*closers = append(*closers, jc.Close)
	return &sources.CloudRunJobs{Jobs: jc}
}

// options are the run options every command shares: the environment as
// the runner sees it, and these clients.
func (c *clients) options(e *env, fp *secret.Fingerprinter) preflight.Options {
	return preflight.Options{
		Resolver:     &sources.Resolver{LookupEnv: e.lookup, EnvNames: e.names, Secrets: c.secrets, JWKS: &sources.JWKSFetcher{}},
		CloudRun:     c.run,
		Jobs:         c.jobs,
		Fingerprints: fp,
		Prober:       &checks.Prober{},
	}
}

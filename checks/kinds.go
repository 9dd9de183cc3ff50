package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/secret-preflight/secret-preflight/config"
	"github.com/secret-preflight/secret-preflight/report"
)

// Hints name the command that changes what a consumer reads, and that
// depends on what it is: a live service and a job are updated with
// different gcloud commands (and guarded by different permissions), a
// manifest or a --set-secrets value is edited before it is deployed.

// runArgs is a service's or job's name for gcloud: NAME --project P
// --region R from a full resource name, else the name as written.
func runArgs(target, placeholder string) string {
	p := strings.Split(target, "/")
	if len(p) == 6 && p[0] == "projects" && p[2] == "locations" {
		return fmt.Sprintf("%s --project %s --region %s", p[5], p[1], p[3])
	}
	if target == "" {
		return placeholder
	}
	return path.Base(target)
}

// changeCommand is how to apply a gcloud flag (e.g. --remove-env-vars X)
// to what a consumer of that kind reads.
func changeCommand(kind, target, flag string) string {
	switch config.ConsumerKind(kind) {
	case config.KindCloudRunJob:
		return "gcloud run jobs update " + runArgs(target, "JOB") + " " + flag
	case config.KindManifest:
		return "edit " + target + " before deploying it"
	case config.KindSetSecrets:
		return "edit the --set-secrets value before deploying"
	}
	return "gcloud run services update " + runArgs(target, "SERVICE") + " " + flag
}

// changeCommands is changeCommand for each distinct consumer, in order.
func changeCommands(cs []*report.Consumer, flag string) string {
	var out []string
	for _, c := range cs {
		if cmd := changeCommand(c.Kind, c.Target, flag); !slices.Contains(out, cmd) {
			out = append(out, cmd)
		}
	}
	return strings.Join(out, "; ")
}

// readPermission is the permission that shows a consumer's plain env
// values: who can read the service's or job's config.
func readPermission(kind string) string {
	if config.ConsumerKind(kind) == config.KindCloudRunJob {
		return "run.jobs.get"
	}
	return "run.services.get"
}

// whatKind is what a deployed consumer is, in a sentence.
func whatKind(kind string) string {
	switch config.ConsumerKind(kind) {
	case config.KindCloudRunJob:
		return "job"
	case config.KindManifest:
		return "manifest"
	case config.KindSetSecrets:
		return "--set-secrets value"
	}
	return "service"
}

package sources

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wantWorkload is what a test expects of one service document.
type wantWorkload struct {
	service    string
	containers []wantContainer
	// problems are substrings, one per problem, in order.
	problems []string
}

// wantContainer lists a container's secret references as describeSecrets
// renders them; plain, when not nil, lists its plain env var names.
type wantContainer struct {
	name    string
	ingress bool
	secrets []string
	plain   []string
}

// describeSecrets renders the secret references of a container, one line
// each, in manifest order: "ENV -> SECRET:VERSION" and
// "mount DIR SECRET [PATH:VERSION ...]" (no items: "[]").
func describeSecrets(c Container) []string {
	var out []string
	for _, e := range c.Env {
		if e.Secret != nil {
			out = append(out, fmt.Sprintf("%s -> %s:%s", e.Name, e.Secret.Secret, e.Secret.Version))
		}
	}
	for _, m := range c.Mounts {
		items := make([]string, len(m.Items))
		for i, it := range m.Items {
			items[i] = it.Path + ":" + it.Version
		}
		out = append(out, fmt.Sprintf("mount %s %s [%s]", m.MountPath, m.Secret, strings.Join(items, " ")))
	}
	return out
}

func plainNames(c Container) []string {
	var out []string
	for _, e := range c.Env {
		if e.Secret == nil {
			out = append(out, e.Name)
		}
	}
	return out
}

// checkWorkloads compares parsed workloads with expectations.
func checkWorkloads(t *testing.T, got []Workload, want []wantWorkload) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d workloads, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Service != w.service {
			t.Errorf("workload %d: service %q, want %q", i, g.Service, w.service)
		}
		checkProblems(t, g.Problems, w.problems)
		if len(g.Containers) != len(w.containers) {
			t.Errorf("workload %d: %d containers, want %d", i, len(g.Containers), len(w.containers))
			continue
		}
		for j, wc := range w.containers {
			checkContainer(t, fmt.Sprintf("workload %d container %d", i, j), g.Containers[j], wc)
		}
	}
}

func checkContainer(t *testing.T, where string, got Container, want wantContainer) {
	t.Helper()
	if got.Name != want.name || got.Ingress != want.ingress {
		t.Errorf("%s: name %q ingress %v, want %q %v", where, got.Name, got.Ingress, want.name, want.ingress)
	}
	if d := describeSecrets(got); !slices.Equal(d, want.secrets) {
		t.Errorf("%s (%s): secrets\n got  %q\n want %q", where, got.Name, d, want.secrets)
	}
	if want.plain != nil && !slices.Equal(plainNames(got), want.plain) {
		t.Errorf("%s (%s): plain env %q, want %q", where, got.Name, plainNames(got), want.plain)
	}
}

func checkProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("problems %q, want %d matching %q", got, len(want), want)
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

func readFixture(t *testing.T, name string) (string, []byte) {
	t.Helper()
	p := filepath.Join("testdata", "manifests", name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, data
}

func TestParseManifest(t *testing.T) {
	fx := func(name string) string { return filepath.Join("testdata", "manifests", name) }
	tests := []struct {
		file string
		want []wantWorkload
	}{
		{"knative-multi.yaml", []wantWorkload{{service: "api", containers: []wantContainer{
			{name: "web", ingress: true, plain: []string{"LOG_LEVEL", "EMPTY"}, secrets: []string{
				"JWT_SECRET -> projects/987654/secrets/jwt-signing:7",
				// items path "latest" is a file named latest; the trailing
				// slash is kept as written; the emptyDir mount is dropped.
				"mount /etc/tls/ projects/987654/secrets/tls-bundle [latest:latest ca.pem:2]",
			}},
			{name: "agent", ingress: false, secrets: []string{
				"AGENT_TOKEN -> agent-token:prod",
				"mount /config agent-config []",
			}},
		}}}},
		{"knative-versions.yaml", []wantWorkload{{service: "worker", containers: []wantContainer{
			{name: "", ingress: true, plain: []string{"PASTED"}, secrets: []string{
				"PINNED -> jwt-signing:3",
				"ALIASED -> jwt-signing:current",
				"NO_KEY -> jwt-signing:latest",
				"CROSS_PROJECT -> projects/shared-secrets/secrets/jwt-signing:latest",
			}},
		}}}},
		{"multi-doc.yaml", []wantWorkload{
			{service: "frontend", containers: []wantContainer{{ingress: true, secrets: []string{"JWT_SECRET -> jwt-signing:latest"}}}},
			{service: "backend", containers: []wantContainer{{name: "app", ingress: true, secrets: []string{"JWT_SECRET -> jwt-signing:4"}}}},
		}},
		{"v2-service.yaml", []wantWorkload{{service: "billing", containers: []wantContainer{
			{name: "app", ingress: true, plain: []string{"MODE"}, secrets: []string{
				"JWT_SECRET -> projects/my-project/secrets/jwt-signing:5",
				"mount /keys signing-keys [private.pem:latest old.pem:1]",
			}},
			{name: "proxy", ingress: false, secrets: []string{"PROXY_KEY -> proxy-key:latest"}},
		}}}},
		{"v2-service-snake.yaml", []wantWorkload{{service: "billing", containers: []wantContainer{
			{name: "app", ingress: true, secrets: []string{
				"JWT_SECRET -> jwt-signing:5",
				"mount /keys signing-keys []",
			}},
		}}}},
		{"v2-service.json", []wantWorkload{{service: "ledger", containers: []wantContainer{
			{name: "ledger", ingress: true, plain: []string{"REGION"}, secrets: []string{
				"JWT_SECRET -> jwt-signing:latest",
				"mount /etc/ledger ledger-config [config.json:2]",
			}},
		}}}},
		{"malformed-alias.yaml", []wantWorkload{{service: "api",
			problems: []string{fx("malformed-alias.yaml") + `:9:75: malformed run.googleapis.com/secrets entry "bad=projects/42/secrets/other" (want ALIAS:projects/NUMBER/secrets/NAME)`},
			containers: []wantContainer{{ingress: true, secrets: []string{
				"JWT_SECRET -> projects/42/secrets/jwt-signing:latest",
				// The malformed alias is not applied: Cloud Run would not either.
				"OTHER -> bad:latest",
			}}},
		}}},
		{"placeholders.yaml", []wantWorkload{{service: "api",
			problems: []string{
				fx("placeholders.yaml") + `:15:21: the manifest holds an unrendered placeholder "__AUTH_SECRET_VERSION__" as the version of env JWT_SECRET`,
				fx("placeholders.yaml") + `:19:21: the manifest holds an unrendered placeholder "${DB_SECRET}" as the secret name of env DB_URL`,
			},
			containers: []wantContainer{{ingress: true, secrets: []string{
				"JWT_SECRET -> jwt-signing:__AUTH_SECRET_VERSION__",
				"DB_URL -> ${DB_SECRET}:latest",
			}}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, data := readFixture(t, tt.file)
			got, err := ParseManifest(p, data)
			if err != nil {
				t.Fatal(err)
			}
			checkWorkloads(t, got, tt.want)
		})
	}
}

// A plain env value may be a secret pasted into the manifest: it must be
// kept in a secret.Value, intact, and never show in a formatted workload.
func TestParseManifestPlainValueIsRedacted(t *testing.T) {
	p, data := readFixture(t, "knative-versions.yaml")
	ws, err := ParseManifest(p, data)
	if err != nil {
		t.Fatal(err)
	}
	ev := ws[0].Containers[0].Env[4]
	if ev.Name != "PASTED" || string(ev.Value.Reveal()) != "a-plain-value-that-might-be-a-secret\n" {
		t.Fatalf("PASTED = %q (set %v)", ev.Value.Reveal(), ev.Value.IsSet())
	}
	for _, s := range []string{fmt.Sprintf("%v", ws), fmt.Sprintf("%+v", ws), fmt.Sprintf("%#v", ws)} {
		if strings.Contains(s, "might-be-a-secret") {
			t.Fatalf("plain value printed: %s", s)
		}
	}
	empty := mustParse(t, "knative-multi.yaml")[0].Containers[0].Env[2]
	if empty.Name != "EMPTY" || !empty.Value.IsSet() || empty.Value.Len() != 0 {
		t.Errorf("EMPTY = %+v, want a set, empty value", empty)
	}
}

func mustParse(t *testing.T, name string) []Workload {
	t.Helper()
	p, data := readFixture(t, name)
	ws, err := ParseManifest(p, data)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct {
		file string
		// pos is the line:col the error must name after the file path.
		pos      string
		contains []string
	}{
		{"unrendered-envsubst.yaml", "10:3", []string{"not valid YAML", `unrendered template (a placeholder starts here)`,
			"render it first (envsubst, helm template) and point manifest: at the output"}},
		{"unrendered-percent.yaml", "9:23", []string{"not valid YAML", "unrendered template (a placeholder starts here)", "render it first"}},
		{"unrendered-helm.yaml", "4:9", []string{"metadata.name must be a string, found a mapping", "unrendered template (a placeholder at 4:9)", "render it first"}},
		{"not-a-service.yaml", "1:1", []string{`apiVersion "v1" kind "ConfigMap" is not a Cloud Run service`}},
		{"no-containers.yaml", "8:19", []string{"spec.template.spec.containers is missing or empty"}},
		// yaml.v3 names neither line nor anchor safely; the alias is found
		// and its name, a pasted value, not repeated.
		{"unknown-anchor.yaml", "12:18", []string{"not valid YAML: unknown anchor '…' referenced"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, data := readFixture(t, tt.file)
			ws, err := ParseManifest(p, data)
			if err == nil {
				t.Fatalf("no error; got %+v", ws)
			}
			if want := p + ":" + tt.pos + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not contain %q", err, c)
				}
			}
			for e := error(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), "s3cr3t") {
					t.Errorf("error chain holds the value: %q", e)
				}
			}
			var me *ManifestError
			if !errors.As(err, &me) || me.Path != p {
				t.Errorf("error %#v is not a *ManifestError for %s", err, p)
			}
		})
	}
}

func TestParseManifestInline(t *testing.T) {
	tests := []struct {
		name, data string
		// err is a substring of the error, or "" when parsing must succeed
		// with the given problems.
		err      string
		problems []string
	}{
		{name: "invalid YAML, no template", data: "a: b: c\n", err: "m.yaml:1:1: not valid YAML: mapping values are not allowed in this context"},
		{name: "empty file", data: "# nothing\n", err: "m.yaml:1:1: no Cloud Run service"},
		{name: "not a mapping", data: "- a\n- b\n", err: "m.yaml:1:1: the document is a list"},
		{name: "neither form", data: "spec:\n  containers: []\n", err: "m.yaml:1:1: neither a Knative Service"},
		{name: "containers not a list", data: "template:\n  containers: {name: a}\n", err: "m.yaml:2:15: template.containers must be a list"},
		{name: "unknown volume", data: "template:\n  containers:\n  - volumeMounts:\n    - {name: nope, mountPath: /x}\n",
			err: `m.yaml:4:14: template.containers[0].volumeMounts[0] names volume "nope"`},
		{name: "secretKeyRef without name", data: "template:\n  containers:\n  - env:\n    - name: A\n      valueSource: {secretKeyRef: {version: '1'}}\n",
			err: "m.yaml:5:35: template.containers[0].env[0].valueSource.secretKeyRef (env A) names no secret"},
		{name: "env value must not be echoed", data: "template:\n  containers:\n  - env:\n    - name: A\n      value: [hunter2]\n",
			err: "m.yaml:5:14: template.containers[0].env[0].value (env A) must be a string, found a list"},
		{name: "unknown anchor as a plain value", data: "template:\n  containers:\n  - env:\n    - name: A\n      value: *hunter2\n",
			err: "m.yaml:5:14: not valid YAML: unknown anchor '…' referenced"},
		{name: "unknown anchor in a flow map", data: "template:\n  containers:\n  - env: [{name: A, value: *hunter2}]\n",
			err: "m.yaml:3:28: not valid YAML: unknown anchor '…' referenced"},
		{name: "unknown anchor after a lookalike", data: "# value: *hunter2\ntemplate:\n  containers:\n  - env:\n    - {name: B, value: \"*hunter2\"}\n    - name: A\n      value: *hunter2 # comment\n",
			err: "m.yaml:7:14: not valid YAML: unknown anchor '…' referenced"},
		{name: "no ingress container", data: "template:\n  containers:\n  - name: a\n  - name: b\n",
			problems: []string{"m.yaml:3:3: none of the 2 containers declares ports"}},
		{name: "knative without template", data: "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n",
			err: "m.yaml:4:7: no spec.template: a Knative service keeps its containers under it"},
		{name: "job", data: "apiVersion: run.googleapis.com/v1\nkind: Job\n", err: `m.yaml:1:1: apiVersion "run.googleapis.com/v1" kind "Job" is not a Cloud Run service`},
		{name: "annotation on the service", data: "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    run.googleapis.com/secrets: a:projects/1/secrets/b\nspec:\n  template:\n    spec:\n      containers: [{image: x}]\n",
			problems: []string{"m.yaml:6:33: run.googleapis.com/secrets sits on metadata.annotations"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := ParseManifest("m.yaml", []byte(tt.data))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want it to contain %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error echoes a value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, ws[0].Problems, tt.problems)
		})
	}
}

// A plain env value may be shaped like a placeholder; the hints that a
// broken file is an unrendered template point at it without quoting it.
func TestManifestErrorsNeverQuoteAPlaceholderShapedValue(t *testing.T) {
	const v2 = "template:\n  containers:\n  - env:\n"
	tests := []struct{ name, data, pos string }{
		{"YAML error on the value's line", v2 + "    - name: A\n      value: ${CANARY_PH_1} x: y\n", "5:14"},
		{"YAML error on the next line", v2 + "    - name: A\n      value: %CANARY_PH_2%\n     bad: [\n", ""},
		{"a mapping beside it on one line", v2 + "    - {name: A, value: \"{{ CANARY_PH_3 }}\"}\n    - {name: B, value: {{ CANARY_PH_3 }}}\n", ""},
		{"a wrong type on its line", "template:\n  containers: [{env: [{name: A, value: __CANARY_PH_4__}, {name: B, value: [x]}]}]\n", "2:"},
		{"an error elsewhere", v2 + "    - name: A\n      value: ${CANARY_PH_5}\n  x: [\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest("m.yaml", []byte(tt.data))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "CANARY_PH") {
				t.Errorf("the error quotes the value: %v", err)
			}
			if !strings.Contains(err.Error(), "m.yaml:"+tt.pos) {
				t.Errorf("error %q does not name m.yaml:%s", err, tt.pos)
			}
		})
	}
}

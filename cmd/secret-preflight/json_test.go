package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"
)

// The JSON report is a contract (DESIGN.md section 8): fields may be
// added, never renamed or removed. Decode into maps so a renamed struct
// tag fails here even if the Go types still round-trip.
func TestJSONReportContract(t *testing.T) {
	fixture, err := os.ReadFile("../../examples/staging-incident/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, string(fixture))
	code, out, errs := h.run("check", "-c", "../../examples/staging-incident/secret-preflight.yaml", "--format", "json")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	requireKeys(t, "report", doc, "schema", "result", "fingerprint_scope", "secrets", "findings", "summary",
		"tool_version", "started_at", "duration_ms", "probes")
	if started, err := time.Parse(time.RFC3339, fmt.Sprint(doc["started_at"])); err != nil || started.IsZero() {
		t.Errorf("started_at %v is not RFC 3339: %v", doc["started_at"], err)
	}
	if d, ok := doc["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms %v, want a number >= 0", doc["duration_ms"])
	}
	if doc["schema"] != "secret-preflight/report/v1" || doc["result"] != "fail" || doc["fingerprint_scope"] != "run" {
		t.Errorf("schema/result/scope = %v %v %v", doc["schema"], doc["result"], doc["fingerprint_scope"])
	}
	requireKeys(t, "summary", doc["summary"].(map[string]any), "errors", "warnings", "infos")
	s := doc["secrets"].([]any)[0].(map[string]any)
	requireKeys(t, "secret", s, "name", "verdict", "consumers")
	for _, c := range s["consumers"].([]any) {
		requireKeys(t, "consumer", c.(map[string]any), "id", "kind", "target", "revision", "traffic_percent", "container",
			"resolved", "link", "via", "ref", "version", "fingerprint", "skipped", "error")
	}
	runner := s["consumers"].([]any)[0].(map[string]any)
	sk := runner["skipped"].([]any)[0].(map[string]any)
	requireKeys(t, "skipped", sk, "link", "via", "ref", "why")
	if sk["link"].(float64) != 0 || sk["why"] != "unset" {
		t.Errorf("skipped[0] = %v", sk)
	}
	backend := s["consumers"].([]any)[1].(map[string]any)
	if backend["id"] != "cloudrun:netra-backend-staging@netra-backend-staging-00042-abc/backend" ||
		backend["target"] != "projects/netra-staging/locations/us-central1/services/netra-backend-staging" ||
		backend["revision"] != "netra-backend-staging-00042-abc" || backend["traffic_percent"].(float64) != 100 ||
		backend["container"] != "backend" || backend["version"] != "2" {
		t.Errorf("backend consumer = %v", backend)
	}
	ids := map[string]bool{}
	for _, c := range s["consumers"].([]any) {
		ids[c.(map[string]any)["id"].(string)] = true
	}
	for _, f := range doc["findings"].([]any) {
		requireKeys(t, "finding", f.(map[string]any), "code", "severity", "secret", "consumers", "message", "hint")
		if f.(map[string]any)["hint"] == "" {
			t.Errorf("finding without a hint: %v", f)
		}
		// Findings name consumers by the ids the report lists.
		for _, id := range f.(map[string]any)["consumers"].([]any) {
			if !ids[id.(string)] {
				t.Errorf("finding %v names consumer %q, which is not in the report", f.(map[string]any)["code"], id)
			}
		}
	}
}

func requireKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	var missing []string
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%s lacks %v", what, missing)
	}
}

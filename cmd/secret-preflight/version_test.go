package main

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	info := func(mainVersion string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/secret-preflight/secret-preflight", Version: mainVersion}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for name, tc := range map[string]struct {
		version, commit, date string
		read                  func() (*debug.BuildInfo, bool)
		want                  buildVersion
		line                  string
	}{
		"stamped by goreleaser wins over build info": {
			"1.2.3", "0123abc", "2026-01-02T03:04:05Z",
			info("v0.0.0-dirty", "vcs.revision", "ffff", "vcs.time", "2020-01-01T00:00:00Z"),
			buildVersion{"1.2.3", "0123abc", "2026-01-02T03:04:05Z"},
			"secret-preflight 1.2.3 (commit 0123abc, built 2026-01-02T03:04:05Z)",
		},
		"go install module@version": {
			"", "", "", info("v1.4.0"),
			buildVersion{Version: "v1.4.0"},
			"secret-preflight v1.4.0",
		},
		"built in a checkout": {
			"", "", "", info("(devel)", "vcs.revision", "abcdef", "vcs.time", "2026-03-04T05:06:07Z"),
			buildVersion{"(devel)", "abcdef", "2026-03-04T05:06:07Z"},
			"secret-preflight (devel) (commit abcdef, built 2026-03-04T05:06:07Z)",
		},
		"no build info": {
			"", "", "", none,
			buildVersion{Version: "(devel)"},
			"secret-preflight (devel)",
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := versionFrom(tc.version, tc.commit, tc.date, tc.read)
			if got != tc.want {
				t.Errorf("versionFrom = %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.line {
				t.Errorf("String() = %q, want %q", got.String(), tc.line)
			}
		})
	}
}

// TestVersionCommand: `version` and `--version` print the same line, and
// the JSON report carries the same version.
func TestVersionCommand(t *testing.T) {
	want := currentVersion()
	for _, arg := range []string{"version", "--version"} {
		var out, errb bytes.Buffer
		if code := run(t.Context(), []string{arg}, &env{lookup: func(string) (string, bool) { return "", false }}, &out, &errb); code != exitOK {
			t.Fatalf("%s: exit %d\n%s", arg, code, errb.String())
		}
		if got := strings.TrimSpace(out.String()); got != want.String() {
			t.Errorf("%s printed %q, want %q", arg, got, want.String())
		}
	}

	var out, errb bytes.Buffer
	run(t.Context(), []string{"demo", "--format", "json"}, &env{lookup: func(string) (string, bool) { return "", false }}, &out, &errb)
	// One JSON array of the acts' reports.
	var reps []struct {
		ToolVersion *string `json:"tool_version"`
	}
	if err := json.Unmarshal(out.Bytes(), &reps); err != nil {
		t.Fatalf("demo --format json: %v\n%s", err, errb.String())
	}
	n := len(reps)
	for i, rep := range reps {
		if rep.ToolVersion == nil || *rep.ToolVersion != want.Version {
			t.Errorf("report %d: tool_version = %v, want %q", i+1, rep.ToolVersion, want.Version)
		}
	}
	if n == 0 {
		t.Fatalf("demo --format json wrote no report\n%s", errb.String())
	}
}

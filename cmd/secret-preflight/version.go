package main

import (
	"fmt"
	"runtime/debug"
)

// Set at link time by GoReleaser (.goreleaser.yaml):
//
//	-X main.version=1.2.3 -X main.commit=SHA -X main.date=RFC3339
//
// Package variables because -X can only set those; nothing assigns them
// at run time.
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildVersion is what this binary says it is: the stamped values of a
// release build, else what the go command recorded (a module version for
// `go install ...@v1.2.3`, the VCS revision and time for a build in a
// checkout), else "(devel)" and empty commit and date.
type buildVersion struct {
	Version string
	Commit  string
	Date    string
}

func currentVersion() buildVersion {
	return versionFrom(version, commit, date, debug.ReadBuildInfo)
}

// versionFrom fills what the linker did not stamp from the build info.
func versionFrom(version, commit, date string, readBuildInfo func() (*debug.BuildInfo, bool)) buildVersion {
	v := buildVersion{Version: version, Commit: commit, Date: date}
	if bi, ok := readBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && v.Commit == "":
				v.Commit = s.Value
			case s.Key == "vcs.time" && v.Date == "":
				v.Date = s.Value
			}
		}
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	return v
}

// String is the `version` line: secret-preflight VERSION (commit C, built D).
func (v buildVersion) String() string {
	s := "secret-preflight " + v.Version
	switch {
	case v.Commit != "" && v.Date != "":
		s += fmt.Sprintf(" (commit %s, built %s)", v.Commit, v.Date)
	case v.Commit != "":
		s += fmt.Sprintf(" (commit %s)", v.Commit)
	case v.Date != "":
		s += fmt.Sprintf(" (built %s)", v.Date)
	}
	return s
}

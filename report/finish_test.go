package report

import "testing"

func TestFinishResultAndExitCode(t *testing.T) {
	resolved := &Consumer{ID: "runner", Resolved: true}
	unreadable := &Consumer{ID: "cloudrun:a", Error: "PermissionDenied", ErrorCode: "PermissionDenied"}
	empty := &Consumer{ID: "runner", Link: -1}
	cases := []struct {
		name     string
		findings []*Finding
		cons     []*Consumer
		failOn   string
		want     string
		code     int
	}{
		{"clean", nil, []*Consumer{resolved}, "error", Pass, 0},
		{"error fails", []*Finding{{Code: "SP100", Severity: SevError}}, []*Consumer{resolved}, "error", Fail, 1},
		{"warning passes at error", []*Finding{{Code: "SP120", Severity: SevWarning}}, []*Consumer{resolved}, "error", Pass, 0},
		{"warning fails at warning", []*Finding{{Code: "SP120", Severity: SevWarning}}, []*Consumer{resolved}, "warning", Fail, 1},
		{"info never fails", []*Finding{{Code: "SP130", Severity: SevInfo}}, []*Consumer{resolved}, "warning", Pass, 0},
		// --fail-on never changes the exit code, not the result: errors
		// still make it fail, and the step passes.
		{"never still counts", []*Finding{{Code: "SP100", Severity: SevError}}, []*Consumer{resolved}, "never", Fail, 0},
		{"never with warnings only", []*Finding{{Code: "SP120", Severity: SevWarning}}, []*Consumer{resolved}, "never", Pass, 0},
		{"unreadable is incomplete", []*Finding{{Code: "SP102", Severity: SevError}}, []*Consumer{resolved, unreadable}, "error", Incomplete, 3},
		// Fail closed: even --fail-on never cannot turn an unchecked consumer into a pass.
		{"unreadable with never", []*Finding{{Code: "SP102", Severity: SevError}}, []*Consumer{unreadable}, "never", Incomplete, 3},
		{"findings elsewhere win", []*Finding{{Code: "SP102", Severity: SevError}, {Code: "SP100", Severity: SevError}}, []*Consumer{unreadable}, "error", Fail, 1},
		{"ignored finding", []*Finding{{Code: "SP100", Severity: SevError, Ignored: "known"}}, []*Consumer{resolved}, "error", Pass, 0},
		// A chain that yields nothing was not compared either.
		{"nothing resolved with never", []*Finding{{Code: "SP101", Severity: SevError}}, []*Consumer{resolved, empty}, "never", Fail, 3},
		{"nothing resolved, SP101 ignored", []*Finding{{Code: "SP101", Severity: SevError, Ignored: "known"}}, []*Consumer{empty}, "error", Incomplete, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Findings: tc.findings, Secrets: []*Secret{{Name: "s", Consumers: tc.cons}}}
			r.Finish(tc.failOn)
			if r.Result != tc.want || r.ExitCode() != tc.code {
				t.Errorf("result %s exit %d, want %s %d", r.Result, r.ExitCode(), tc.want, tc.code)
			}
			if r.Schema != Schema {
				t.Errorf("schema %q", r.Schema)
			}
		})
	}
}

func TestFinishSortsBySeverity(t *testing.T) {
	r := &Report{Findings: []*Finding{
		{Code: "SP130", Severity: SevInfo}, {Code: "SP120", Severity: SevWarning}, {Code: "SP100", Severity: SevError},
	}}
	r.Finish("error")
	if r.Findings[0].Code != "SP100" || r.Findings[2].Code != "SP130" {
		t.Errorf("order %s %s %s", r.Findings[0].Code, r.Findings[1].Code, r.Findings[2].Code)
	}
	if r.Summary != (Summary{Errors: 1, Warnings: 1, Infos: 1}) {
		t.Errorf("summary %+v", r.Summary)
	}
}

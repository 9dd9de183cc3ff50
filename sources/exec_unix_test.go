//go:build unix

package sources

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An exec link never makes the run overrun its deadline, even when a
// process the command started left its process group (setsid) and holds
// its stdout open: os/exec's WaitDelay would add up to a second per link.
// The error says what was killed: the process group, not the escapee.
func TestExecEndsByTheDeadline(t *testing.T) {
	for _, tc := range []struct {
		name, script, want string
	}{
		// Still running at the deadline.
		{"running", "setsid sleep 2 & sleep 2", "its process group was killed"},
		// Exited before the deadline, its stdout still held.
		{"exited", "setsid sleep 2 &", "its process group was killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			dl, _ := ctx.Deadline()
			_, err := runExec(ctx, []string{"sh", "-c", tc.script})
			// Well under the second os/exec's WaitDelay would add.
			if over := time.Since(dl); over > 500*time.Millisecond {
				t.Errorf("returned %v after the deadline", over.Round(time.Millisecond))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "with the processes it started") {
				t.Errorf("error %v claims processes outside the group were killed", err)
			}
		})
	}
}

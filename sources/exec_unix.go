//go:build unix

package sources

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a new process group and makes cancelling
// its context kill the whole group, so that the children of a shell
// script die with it instead of being orphaned.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
}

// killProcessGroup kills what is left of cmd's group after it ended.
func killProcessGroup(cmd *exec.Cmd) {
	_ = killGroup(cmd) // an empty group is the usual case
}

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	// The group id is the leader's pid (Setpgid with Pgid 0); a negative
	// pid addresses the group.
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

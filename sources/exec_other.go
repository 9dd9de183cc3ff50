//go:build !unix

package sources

import "os/exec"

// ownProcessGroup keeps exec.CommandContext's default outside Unix: the
// command itself is killed when the context ends. (Windows has no process
// groups to signal; its children are not tracked.)
func ownProcessGroup(cmd *exec.Cmd) {}

// killProcessGroup has nothing to do outside Unix.
func killProcessGroup(cmd *exec.Cmd) {}

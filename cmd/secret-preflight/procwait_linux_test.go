package main

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// waitExit blocks until process pid has exited (a zombie counts: it no
// longer runs) or d has passed, and says whether it exited. A pidfd
// becomes readable when its process exits, so this waits on the kernel's
// event rather than polling; it works for processes that are not our
// children, such as a grandchild reparented to init.
func waitExit(pid int, d time.Duration) (bool, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return true, nil // already gone and reaped
	}
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(left.Milliseconds())+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, err
		}
		return n > 0, nil
	}
}

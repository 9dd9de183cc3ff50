//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// waitExit blocks until process pid has exited or d has passed, and says
// whether it exited: a kqueue EVFILT_PROC/NOTE_EXIT event, which works for
// processes that are not our children.
func waitExit(pid int, d time.Duration) (bool, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return false, err
	}
	defer unix.Close(kq)
	var ev unix.Kevent_t
	unix.SetKevent(&ev, pid, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	ev.Fflags = unix.NOTE_EXIT
	ts := unix.NsecToTimespec(d.Nanoseconds())
	out := make([]unix.Kevent_t, 1)
	for {
		n, err := unix.Kevent(kq, []unix.Kevent_t{ev}, out, &ts)
		if errors.Is(err, unix.ESRCH) {
			return true, nil // already gone
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, err
		}
		return n > 0, nil
	}
}

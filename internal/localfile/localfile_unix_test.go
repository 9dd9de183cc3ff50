//go:build unix

package localfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mkfifo makes a FIFO nobody writes to or reads from: opening it without
// O_NONBLOCK would block the test forever.
func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	return p
}

func TestReadRefusesFIFO(t *testing.T) {
	p := mkfifo(t)
	_, err := Read(p, MiB, "x")
	var nr *NotRegularError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), p+" is a named pipe (FIFO), not a regular file") {
		t.Errorf("FIFO: %v", err)
	}
}

func TestWriteRefusesFIFO(t *testing.T) {
	p := mkfifo(t)
	for _, flags := range []int{os.O_WRONLY | os.O_CREATE | os.O_TRUNC, os.O_WRONLY | os.O_CREATE | os.O_APPEND} {
		f, err := OpenWrite(p, flags, 0o644)
		if err == nil {
			f.Close()
			t.Fatal("opened a FIFO for writing")
		}
		if !strings.Contains(err.Error(), "named pipe (FIFO)") {
			t.Errorf("FIFO with no reader: %v", err)
		}
	}
	// With a reader the open succeeds; the mode check still refuses.
	r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if f, err := OpenWrite(p, os.O_WRONLY|os.O_APPEND, 0o644); err == nil || !strings.Contains(err.Error(), "named pipe") {
		if f != nil {
			f.Close()
		}
		t.Errorf("FIFO with a reader: %v", err)
	}
}

func TestReadRefusesDevices(t *testing.T) {
	for _, p := range []string{"/dev/zero", "/dev/urandom", "/dev/null"} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		_, err := Read(p, MiB, "x")
		if err == nil || !strings.Contains(err.Error(), "character device") {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestReadRefusesSocket(t *testing.T) {
	// Socket paths are short on some systems: use a short temp dir.
	dir, err := os.MkdirTemp("", "lf")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "s")
	l, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Read(p, MiB, "x"); err == nil || !strings.Contains(err.Error(), "socket") {
		t.Errorf("socket: %v", err)
	}
}

package localfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadRegular(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := Read(p, 10, "a test file")
	if err != nil || string(b) != "0123456789" {
		t.Fatalf("Read at the limit = %q, %v", b, err)
	}
	_, err = Read(p, 9, "a test file")
	var tl *TooLargeError
	if !errors.As(err, &tl) || err.Error() != p+" is larger than the 9-byte limit for a test file" {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none"), 10, "x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestLimitMessage(t *testing.T) {
	e := &TooLargeError{Path: "c.yaml", Limit: LimitConfig, What: "a config file"}
	if got, want := e.Error(), "c.yaml is larger than the 4 MiB limit for a config file"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestReadRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(dir, 10, "x")
	var nr *NotRegularError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
}

func TestWriteRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	if f, err := OpenWrite(dir, os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		f.Close()
		t.Error("opened a directory for writing")
	}
	p := filepath.Join(dir, "new")
	f, err := OpenWrite(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatalf("a new regular file: %v", err)
	}
	f.Close()
}

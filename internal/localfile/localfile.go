// Package localfile reads and writes the local files secret-preflight is
// told to use (config, manifests, file: and dotenv links, --baseline,
// reports), bounded so that a hostile or mistaken path cannot hang a run or
// exhaust its memory: only regular files are used, opening never blocks
// (a FIFO with no writer would block open(2) forever), and every read is
// capped at a size fixed per kind of file, checked before anything is
// allocated.
package localfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Read limits, documented in README.md ("Limits and retries").
const (
	MiB = 1 << 20
	// LimitSecret bounds a secret value read through a file: link, and a
	// .env file read through a dotenv link.
	LimitSecret = 1 * MiB
	// LimitConfig bounds the config file.
	LimitConfig = 4 * MiB
	// LimitManifest bounds a service manifest (and an emulator fixture).
	LimitManifest = 16 * MiB
	// LimitReport bounds a JSON report read back (--baseline).
	LimitReport = 64 * MiB
)

// NotRegularError is a path that names something other than a regular file:
// reading a FIFO or a device may block forever or never end.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file: secret-preflight only reads and writes regular files", e.Path, Describe(e.Mode))
}

// TooLargeError is a file larger than the limit for its kind.
type TooLargeError struct {
	Path  string
	Limit int64
	What  string // e.g. "a config file"
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than the %s limit for %s", e.Path, size(e.Limit), e.What)
}

func size(n int64) string {
	if n >= MiB && n%MiB == 0 {
		return fmt.Sprintf("%d MiB", n/MiB)
	}
	return fmt.Sprintf("%d-byte", n)
}

// Describe names a file type for a person.
func Describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}

// Read returns the contents of the regular file at path, at most limit
// bytes; what names the kind of file for the error above the limit. Errors
// from opening keep their os type (errors.Is(err, fs.ErrNotExist) works).
func Read(path string, limit int64, what string) ([]byte, error) {
	f, err := openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Mode: st.Mode()}
	}
	if st.Size() > limit {
		return nil, &TooLargeError{Path: path, Limit: limit, What: what}
	}
	// The file may grow between Stat and the read: read one byte past the
	// limit to tell, and never more.
	buf, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(buf)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit, What: what}
	}
	return buf, nil
}

// OpenWrite opens path for writing with flags (os.O_WRONLY and friends),
// refusing an existing target that is not a regular file: a FIFO with no
// reader would block the open, one with a slow reader the writes, and a
// device is not where a report belongs.
func OpenWrite(path string, flags int, perm fs.FileMode) (*os.File, error) {
	f, err := openFile(path, flags, perm)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Mode: st.Mode()}
	}
	return f, nil
}

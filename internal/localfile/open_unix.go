//go:build unix

package localfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openFile opens without blocking: open(2) of a FIFO waits for the other
// end unless O_NONBLOCK is set. The flag is harmless on regular files,
// the only ones the callers go on to use.
func openFile(path string, flags int, perm fs.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flags|syscall.O_NONBLOCK, perm)
	if errors.Is(err, syscall.ENXIO) {
		// A FIFO opened for writing with no reader: say what it is rather
		// than "no such device or address".
		if st, serr := os.Stat(path); serr == nil && !st.Mode().IsRegular() {
			return nil, &NotRegularError{Path: path, Mode: st.Mode()}
		}
	}
	return f, err
}

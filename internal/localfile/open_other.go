//go:build !unix

package localfile

import (
	"io/fs"
	"os"
)

// openFile opens path; outside Unix there are no FIFOs in the file system
// whose open blocks, and the mode check after opening refuses the rest.
func openFile(path string, flags int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(path, flags, perm)
}

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secret-preflight/secret-preflight/internal/localfile"
)

// defaultNames are the config locations Find tries, in order, relative to
// the directory it is given (DESIGN.md section 4).
var defaultNames = []string{
	"secret-preflight.yaml",
	filepath.Join(".github", "secret-preflight.yaml"),
}

// Load reads and parses the config file at path. A file that cannot be
// read yields the os error (or a localfile error: not a regular file, over
// localfile.LimitConfig); a file that can be read but is invalid yields
// Errors.
func Load(path string) (*Config, error) {
	data, err := localfile.Read(path, localfile.LimitConfig, "a config file")
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Find returns the default config file under dir: secret-preflight.yaml,
// else .github/secret-preflight.yaml. The returned path is dir joined with
// the name, so relative paths inside the config resolve the same way
// whichever directory the caller runs from.
func Find(dir string) (string, error) {
	for _, name := range defaultNames {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		switch {
		case err == nil && !st.IsDir():
			return p, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			// A permission problem must not look like "no config": the user
			// would then write a second one.
			return "", err
		}
	}
	where := dir
	if where == "" {
		where = "."
	}
	return "", fmt.Errorf("no config file: tried %s and %s in %s (use -c FILE to name one)",
		defaultNames[0], defaultNames[1], where)
}

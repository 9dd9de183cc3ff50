package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/secret-preflight/secret-preflight/internal/localfile"
)

// defaultDirs are the directories Find looks in, in order, relative to the
// directory it is given; in each it accepts either extension of defaultBase
// (DESIGN.md section 4).
var defaultDirs = []string{"", ".github"}

const defaultBase = "secret-preflight"

// EnvConfig names the config file when no -c flag does; it comes before the
// default names.
const EnvConfig = "SECRET_PREFLIGHT_CONFIG"

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

// Find returns the default config file under dir: secret-preflight.yaml
// or secret-preflight.yml, else .github/secret-preflight.yaml or .yml. Both
// extensions in one directory is an error naming both: which one is meant
// is a guess, and guessing wrong checks the wrong file. The returned path is
// dir joined with the name, so relative paths inside the config resolve the
// same way whichever directory the caller runs from.
func Find(dir string) (string, error) {
	var tried []string
	for _, sub := range defaultDirs {
		var found []string
		for _, ext := range []string{".yaml", ".yml"} {
			p := filepath.Join(dir, sub, defaultBase+ext)
			tried = append(tried, filepath.Join(sub, defaultBase+ext))
			st, err := os.Stat(p)
			switch {
			case err == nil && !st.IsDir():
				found = append(found, p)
			case err != nil && !errors.Is(err, fs.ErrNotExist):
				// A permission problem must not look like "no config": the
				// user would then write a second one.
				return "", err
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 2:
			return "", fmt.Errorf("two config files: %s and %s; remove one, or name one with -c FILE or %s", found[0], found[1], EnvConfig)
		}
	}
	where := dir
	if where == "" {
		where = "."
	}
	return "", fmt.Errorf("no config file: tried %s in %s (use -c FILE or %s=FILE to name one)",
		strings.Join(tried, ", "), where, EnvConfig)
}

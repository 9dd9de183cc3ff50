// Package examples embeds the bundled scenarios so `secret-preflight demo`
// works from an installed binary, with no checkout and no network.
package examples

import "embed"

// FS holds the example directories, e.g. staging-incident/fixture.yaml.
//
//go:embed staging-incident
var FS embed.FS

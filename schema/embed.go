// Package schema holds the JSON Schema of the config file, version 1, for
// editors and tools. The loader in package config is authoritative; the
// schema follows it as closely as JSON Schema can (see schema_test.go for
// the rules only the loader checks).
package schema

import _ "embed"

// ConfigV1 is the JSON Schema (draft 2020-12) of config version 1, the
// content of config-v1.json.
//
//go:embed config-v1.json
var ConfigV1 []byte

// ConfigV1ID is the $id of ConfigV1.
const ConfigV1ID = "https://raw.githubusercontent.com/secret-preflight/secret-preflight/main/schema/config-v1.json"

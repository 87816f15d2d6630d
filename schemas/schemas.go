// Package schemas embeds the JSON Schemas of Ketenhub: the shared
// registration schema and the configuration schemas.
package schemas

import "embed"

// FS holds every *.schema.json file of this folder.
//
//go:embed *.schema.json
var FS embed.FS

// RegistrationV1 is the file name of the shared registration schema, version 1.
const RegistrationV1 = "registration.v1.schema.json"

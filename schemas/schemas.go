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

// Config is the file name of the schema of the hub configuration file
// (ketenhub.yaml).
const Config = "config.schema.json"

// Partner is the file name of the schema of one partner configuration file
// (partners/<id>.yaml).
const Partner = "partner.schema.json"

// Package schemas embeds the JSON Schemas of Ketenhub: the shared
// registration and consent schemas and the configuration schemas.
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

// Roles is the file name of the schema of the roles and rights file (roles.yaml).
const Roles = "roles.schema.json"

// ConsentV1 is the file name of the schema of a consent statement delivered by a partner, version 1.
const ConsentV1 = "consent.v1.schema.json"

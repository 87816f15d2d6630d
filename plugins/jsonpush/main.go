// Command ketenhub-jsonpush is the adapter plugin for partner systems that
// push their registrations to the hub as JSON (POST
// /v1/partners/{partner}/registrations), or drop JSON files: a list of
// records, a list inside an object, or NDJSON, mapped onto the shared schema
// by configuration. The hub starts it per partner; see README.md.
package main

import "github.com/ketenhub/ketenhub/plugins/sdk"

func main() { sdk.Serve(newAdapter()) }

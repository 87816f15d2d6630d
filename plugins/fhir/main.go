// Command ketenhub-fhir is the Ketenhub adapter for FHIR R4 after the Dutch
// nl-core profiles: Patient resources become registrations, Consent
// resources are validated. It reads a single resource, a Bundle or NDJSON,
// in JSON or XML. The hub starts it as a plugin; see README.md for its
// configuration and mapping.
package main

import "github.com/ketenhub/ketenhub/plugins/sdk"

func main() { sdk.Serve(newAdapter()) }

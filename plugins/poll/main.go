// Command ketenhub-poll is the adapter for partners whose webservice the
// hub polls: a JSON REST service or a StUF-BG person service. See
// README.md.
package main

import "github.com/ketenhub/ketenhub/plugins/sdk"

func main() { sdk.Serve(newAdapter()) }

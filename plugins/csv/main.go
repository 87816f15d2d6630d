// Command ketenhub-csv is the Ketenhub adapter for delimited files (CSV and
// its dialects) that legacy partner systems export. The hub starts it as a
// plugin; see README.md for its configuration.
package main

import "github.com/ketenhub/ketenhub/plugins/sdk"

func main() { sdk.Serve(newAdapter()) }

// Command ketenhub-iwmo is the Ketenhub adapter for iWmo messages (the Wmo
// iStandaard): WMO301 toewijzing, WMO305 start zorg, WMO307 stop zorg and
// WMO315 verzoek om toewijzing, in XML (release 2.x and 3.x) and in the
// fixed-width format of release 2.0. The hub starts it as a plugin; see
// README.md for its configuration and mapping.
package main

import "github.com/ketenhub/ketenhub/plugins/sdk"

func main() { sdk.Serve(newAdapter()) }

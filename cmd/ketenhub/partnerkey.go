package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/config"
)

const partnerUsage = `Usage: ketenhub partner key new <partner> [--config config/ketenhub.yaml] [--expires YYYY-MM-DD]
       ketenhub partner test <partner> <sample-file> [--config config/ketenhub.yaml] [--json]

key new generates an API key for a partner system. The key is printed once,
for the partner; the hub keeps only its SHA-256, which goes into auth.yaml.

test runs a sample export through the partner's mapping (its adapter and the
shared schema) without storing anything; see 'ketenhub partner test -h'.
`

// cmdPartner runs `ketenhub partner key new <partner>` and `ketenhub
// partner test <partner> <sample-file>`.
func cmdPartner(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "test" {
		return cmdPartnerTest(ctx, args[1:], stdout, stderr)
	}
	if len(args) < 2 || args[0] != "key" || args[1] != "new" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, partnerUsage)
			return nil
		}
		fmt.Fprint(stderr, partnerUsage)
		return usageError{"partner: the subcommands are: partner key new <partner>, partner test <partner> <sample-file>"}
	}
	fs := newFlags("partner key new", stderr)
	path := fs.String("config", DefaultConfig, "hub configuration file (the partner must have a partner file)")
	expires := fs.String("expires", "", "last day the key is accepted (YYYY-MM-DD, UTC); empty: no end")
	partner, err := parseWithArgument(fs, args[2:])
	if err != nil || helpAsked(args[2:]) {
		return err
	}
	if partner == "" {
		return usageError{"partner key new: give the partner id: ketenhub partner key new <partner>"}
	}
	if *expires != "" {
		if _, err := time.Parse(time.DateOnly, *expires); err != nil {
			return usageError{fmt.Sprintf("--expires %q: want a day as YYYY-MM-DD", *expires)}
		}
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return reportConfigErrors(stderr, err)
	}
	var ids []string
	for _, p := range cfg.Partners {
		ids = append(ids, p.ID)
	}
	if !slices.Contains(ids, partner) {
		return usageError{fmt.Sprintf("partner %q has no partner file in %s; known: %s", partner, cfg.PartnersDir, strings.Join(ids, ", "))}
	}
	key, err := auth.NewAPIKey()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Nieuwe API-sleutel voor partner %s. Hij wordt maar één keer getoond: geef hem via een veilig kanaal aan de partner.\n\n", partner)
	fmt.Fprintf(stdout, "  %s\n\n", key)
	fmt.Fprintf(stdout, "De partner stuurt hem mee als 'Authorization: Bearer <sleutel>' of '%s: <sleutel>'.\n", auth.APIKeyHeader)
	fmt.Fprintf(stdout, "Zet dit in auth.yaml onder partners: > %s: > api_keys: (de hub bewaart alleen de SHA-256):\n\n", partner)
	fmt.Fprintf(stdout, "      - id: %s\n        sha256: %s\n", key.ID, key.Hash())
	if *expires != "" {
		fmt.Fprintf(stdout, "        expires: %s\n", *expires)
	}
	return nil
}

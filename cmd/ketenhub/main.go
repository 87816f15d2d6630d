// Command ketenhub is the Ketenhub integration hub of a care chain.
//
//	ketenhub serve    [--config config/ketenhub.yaml]   run the hub
//	ketenhub validate [--config config/ketenhub.yaml]   check all configuration, then exit
//	ketenhub bench    [--rows 1000000]                   measure ingest against raw COPY
//	ketenhub quality  [--registrations 5000]             measure client recognition
//	ketenhub audit    verify | client <id>               check the audit trail, report on one client
//	ketenhub partner  key new <partner>                  generate a partner API key
//	ketenhub partner  test <partner> <sample-file>       run a sample through a partner's mapping
//	ketenhub token    --user U --org O --role R          mint a user's token (example region, tests)
//	ketenhub tls      dev-ca [--out var/dev-ca]          write a development CA and certificates (testing only)
//	ketenhub version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// DefaultConfig is the configuration file used without --config.
const DefaultConfig = "config/ketenhub.yaml"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "ketenhub:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "ketenhub:", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

// errHelp is returned by a command whose flags asked for help (-h): the
// flag set has printed its usage, and the command does nothing else.
var errHelp = errors.New("help shown")

func (e usageError) Error() string { return e.msg }

const usage = `Usage: ketenhub <command> [flags]

Commands:
  serve      run the hub (drop folders, pipeline, API)
  validate   check the hub, partner, adapter, auth and roles configuration, then exit
  bench      ingest a generated export end to end and compare with raw COPY
  quality    measure client recognition on generated noise (precision, recall, false merges)
  audit      check the audit trail's hash chain, or report who saw one client's data
  partner    key new <partner>: generate an API key for a partner system;
             test <partner> <sample-file>: run a sample through the partner's mapping, store nothing
  token      mint a user's token (JWT) with the HMAC key of auth.yaml, for the example region and tests
  tls        dev-ca: write a development CA, a server certificate for localhost and a client certificate
             per partner, to try TLS with client certificates (testing only)
  version    print the version

Run 'ketenhub <command> -h' for the flags of a command.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "validate":
		return cmdValidate(ctx, rest, stdout, stderr)
	case "bench":
		return cmdBench(ctx, rest, stdout, stderr)
	case "quality":
		return cmdQuality(ctx, rest, stdout, stderr)
	case "audit":
		return cmdAudit(ctx, rest, stdout, stderr)
	case "partner":
		return cmdPartner(ctx, rest, stdout, stderr)
	case "token":
		return cmdToken(ctx, rest, stdout, stderr)
	case "tls":
		return cmdTLS(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "ketenhub", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ketenhub "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

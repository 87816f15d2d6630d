package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// decodeStUF reads an npsLa01 answer as a stream and maps every object of
// its antwoord.
func decodeStUF(ctx context.Context, e *emitter, src io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	inputs := e.p.mapping.Inputs
	sr := &sourceReader{r: src}
	a, err := readStUF(ctx, sr, func(o *stufObject) error {
		e.begin(o.n)
		for i, in := range inputs {
			switch in.Key {
			case keySource:
				e.set(i, objectKey(e.p.stufKey, o))
			case "/tijdstipRegistratie":
				e.set(i, registeredAt(o.leaves[in.Key], e.p))
			default:
				e.set(i, o.leaves[in.Key])
			}
		}
		if err := e.finish(ctx, o.n); err != nil {
			return emitError{err}
		}
		return nil
	})
	var st errStructure
	var ee emitError
	switch {
	case err == nil && a.fault != nil:
		return e.refuse(ctx, sdk.CodeDocumentRejected, "%s; er zijn geen personen verwerkt", a.fault.message())
	case err == nil:
		return nil
	case sr.failure(ctx, err) != nil:
		return sr.failure(ctx, err)
	case errors.As(err, &ee):
		return ee.err
	case errors.As(err, &st) && st.msg == "leeg":
		return e.refuse(ctx, sdk.CodeEmptyDocument, "de pagina is leeg (geen XML)")
	}
	done := "er is niets verwerkt"
	if a.objects > 0 {
		done = fmt.Sprintf("de %d personen daarvóór zijn verwerkt, de rest niet", a.objects)
	}
	code := sdk.CodeDocumentRejected
	if !errors.As(err, &st) {
		code = sdk.CodeSyntax // XML that is not well-formed
	}
	return e.refuse(ctx, code, "de pagina is geen leesbaar npsLa01-bericht (%s); %s", describeXMLError(err), done)
}

// registeredAt turns a tijdstipRegistratie into RFC 3339 in the mapping's
// timezone; a value that is no tijdstip is left for the mapping to refuse.
func registeredAt(v string, p *plan) string {
	if v == "" {
		return ""
	}
	t, err := parseTijdstip(v, p.mapping.Loc)
	if err != nil {
		return v
	}
	return t.Format(timeRFC3339Millis)
}

// timeRFC3339Millis keeps a tijdstip's milliseconds.
const timeRFC3339Millis = "2006-01-02T15:04:05.000Z07:00"

// objectKey is the record key of an object: its StUF key, or else a
// pseudonym of its BSN (never the BSN itself, which would then reach logs
// and receipts), or "" when it has neither.
func objectKey(secret []byte, o *stufObject) string {
	if o.key != "" {
		return o.key
	}
	bsn := strings.TrimSpace(o.leaves["/inp.bsn"]) // StUF writes it as nine digits
	if bsn == "" {
		return ""
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(bsn))
	return "nps-" + hex.EncodeToString(m.Sum(nil))[:24]
}

// stufKeySecret returns the key of the pseudonymous record keys: the
// secret in the environment variable env when it is configured, else one
// derived from the partner id (see README.md on what that protects).
func stufKeySecret(partner, env string) []byte {
	if env != "" {
		return []byte(os.Getenv(env))
	}
	return []byte("ketenhub-poll-stuf-bg/" + partner)
}

package audit

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// ClientReport is every logged event about one client in a period: who saw
// or changed what about the client, when, for whom, in which role and
// organisation, for what purpose and on what basis. It answers a client's
// access request (inzageverzoek) about the use of their data.
type ClientReport struct {
	Client string `json:"client"`
	// From and To bound the period (From inclusive, To exclusive); zero
	// means unbounded.
	From    time.Time `json:"from,omitzero"`
	To      time.Time `json:"to,omitzero"`
	Entries []Entry   `json:"entries"`
}

// maxClientEntries bounds one report; a longer history is asked for in
// shorter periods.
const maxClientEntries = 100000

// ForClient returns the events about client (as Client, or among Related,
// as when client was merged or split) logged at or after from and before
// to, in chain order. A zero from or to leaves that side open. After a
// merge, the events logged under the former ids are found by asking for
// those ids too; the link_change event lists them in Related.
//
// It returns an error when client is empty or looks like a BSN, when the
// period holds more than 100,000 events, or when the database cannot be
// read.
func (l *Log) ForClient(ctx context.Context, client string, from, to time.Time) (ClientReport, error) {
	r := ClientReport{Client: client, From: from, To: to, Entries: []Entry{}}
	if client == "" {
		return r, fmt.Errorf("audit report for a client: %w: client is required", ErrInvalidEvent)
	}
	if err := checkID("client", client); err != nil {
		return r, fmt.Errorf("audit report for a client: %w", err)
	}
	var lo, hi *time.Time
	if !from.IsZero() {
		lo = &from
	}
	if !to.IsZero() {
		hi = &to
	}
	rows, err := l.pool.Query(ctx, `SELECT `+entryColumns+` FROM audit_log
		WHERE (client = $1 OR (related <> '{}' AND related @> ARRAY[$1]))
		  AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
		ORDER BY seq LIMIT $4`, client, lo, hi, maxClientEntries+1)
	if err != nil {
		return r, fmt.Errorf("audit report for a client: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return r, fmt.Errorf("audit report for a client: %w", err)
		}
		r.Entries = append(r.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("audit report for a client: %w", err)
	}
	if len(r.Entries) > maxClientEntries {
		return ClientReport{}, fmt.Errorf("audit report for a client: more than %d events in the period; ask for a shorter period", maxClientEntries)
	}
	return r, nil
}

// Dutch names of event types, outcomes and bases in the printed report.
var (
	typeNames = map[EventType]string{
		TypeDisclosure: "inzage/verstrekking", TypeConsentChange: "toestemming gewijzigd", TypeLinkChange: "koppeling gewijzigd",
		TypeConfigChange: "configuratie gewijzigd", TypeLogin: "aanmelding", TypeAuthFailure: "mislukte aanmelding",
		TypeExport: "export", TypeEmergencyAccess: "noodtoegang", TypeAuditRead: "logging ingezien",
	}
	outcomeNames = map[Outcome]string{OutcomeSuccess: "uitgevoerd", OutcomeDenied: "geweigerd", OutcomeFailure: "mislukt"}
	basisNames   = map[BasisKind]string{BasisConsent: "toestemming", BasisBemoeizorg: "bemoeizorg", BasisLegal: "wettelijke grondslag"}
)

// WriteText prints the report as a table in Dutch, one line per event, for
// the privacy officer who answers the access request. User ids are printed
// as logged; the organisation that issued them can name the person.
func (r ClientReport) WriteText(w io.Writer) error {
	period := "hele bewaarperiode"
	switch {
	case !r.From.IsZero() && !r.To.IsZero():
		period = r.From.Format(time.DateOnly) + " tot " + r.To.Format(time.DateOnly)
	case !r.From.IsZero():
		period = "vanaf " + r.From.Format(time.DateOnly)
	case !r.To.IsZero():
		period = "tot " + r.To.Format(time.DateOnly)
	}
	if _, err := fmt.Fprintf(w, "Logging voor cliënt %s, %s: %d gebeurtenis(sen)\n\n", r.Client, period, len(r.Entries)); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "regel\ttijd\tgebeurtenis\tgebruiker\tnamens\torganisatie\trol\tdoel\tgegevens\tgrondslag\tnood\tuitkomst\tbron")
	for _, e := range r.Entries {
		what := typeNames[e.Type]
		if what == "" {
			what = string(e.Type)
		}
		if e.Action != "" {
			what += " (" + e.Action + ")"
		}
		basis := basisNames[e.Basis.Kind]
		if e.Basis.Ref != "" {
			basis += " " + e.Basis.Ref
		}
		nood := "nee"
		if e.Emergency {
			nood = "JA"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Local().Format("2006-01-02 15:04:05"),
			what, dash(e.User), dash(e.ActingFor), dash(e.Organisation), dash(e.Role), dash(e.Purpose),
			dash(strings.Join(e.Categories, ",")), dash(basis), nood, outcomeNames[e.Outcome], e.Source)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

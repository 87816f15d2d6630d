package clients

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/identity"
)

// EvidenceJSON is how a comparison is stored and shown: the registration it
// was made with and the weight of each field.
type EvidenceJSON struct {
	With   RefJSON     `json:"with"`
	Grade  string      `json:"grade"`
	Rule   string      `json:"rule"`
	Score  float64     `json:"score"`
	Fields []FieldJSON `json:"fields"`
}

// RefJSON names one partner registration.
type RefJSON struct {
	Partner   string `json:"partner"`
	RecordKey string `json:"record_key"`
}

// FieldJSON is one field's part in a comparison.
type FieldJSON struct {
	Field   string  `json:"field"`
	Outcome string  `json:"outcome"`
	Detail  string  `json:"detail,omitempty"`
	Weight  float64 `json:"weight"`
}

func evidenceJSON(e identity.Evidence) EvidenceJSON {
	out := EvidenceJSON{With: RefJSON{e.With.Partner, e.With.RecordKey}, Grade: e.Match.Grade.String(),
		Rule: e.Match.Rule, Score: e.Match.Score, Fields: make([]FieldJSON, 0, len(e.Match.Fields))}
	for _, f := range e.Match.Fields {
		out.Fields = append(out.Fields, FieldJSON{Field: f.Field, Outcome: string(f.Outcome), Detail: f.Detail, Weight: f.Weight})
	}
	return out
}

type review struct {
	clientID string
	key      string
	ev       identity.Evidence
}

type relink struct {
	from, to, key string
}

// linkWriter gathers a chunk's link changes and writes them in a few
// statements.
type linkWriter struct {
	partner    string
	newClients []string
	// new registrations
	insKeys, insClients, insGrades, insRules, insEvidence []string
	insFeatures                                           [][]byte
	insHash, insEnc                                       [][]byte
	insInvalid                                            []bool
	insScores                                             []float32
	insBlockList                                          [][]int64
	// changed registrations
	updIDs                                                  []int64
	updClients, updGrades, updRules, updEvidence, updBlocks []string
	updFeatures                                             [][]byte
	updHash, updEnc                                         [][]byte
	updInvalid                                              []bool
	updScores                                               []float32
	reviews                                                 []review
	relinks                                                 []relink
	merges                                                  []autoMerge
	membersChecked                                          map[string]bool
}

func newLinkWriter(partner string) *linkWriter {
	return &linkWriter{partner: partner, membersChecked: map[string]bool{}}
}

// othersIn reports whether client holds registrations other than self.
func (w *linkWriter) othersIn(ctx context.Context, r *Registry, tx pgx.Tx, clientID string, self identity.Ref) bool {
	if v, ok := w.membersChecked[clientID]; ok {
		return v
	}
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM registration_identity WHERE client_id = $1
		AND NOT (partner = $2 AND record_key = $3) LIMIT 1) x`, clientID, self.Partner, self.RecordKey).Scan(&n)
	if err != nil {
		r.log.Warn("cannot count a client's registrations; treating it as shared", "error", err)
		n = 1
	}
	w.membersChecked[clientID] = n > 0
	return n > 0
}

func blocksLiteral(bs []int64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range bs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte('}')
	return b.String()
}

func (w *linkWriter) add(p prepared, ex existing, isKnown bool, clientID string, d identity.Decision, rule string) {
	grade := d.Grade.String()
	var ev []byte
	if d.Evidence.With != (identity.Ref{}) {
		ev, _ = json.Marshal(evidenceJSON(d.Evidence))
	} else {
		ev = []byte("null")
	}
	score := float32(d.Evidence.Match.Score)
	if isKnown {
		w.updIDs = append(w.updIDs, ex.id)
		w.updClients = append(w.updClients, clientID)
		w.updGrades = append(w.updGrades, grade)
		w.updRules = append(w.updRules, rule)
		w.updFeatures = append(w.updFeatures, p.features)
		w.updEvidence = append(w.updEvidence, string(ev))
		w.updBlocks = append(w.updBlocks, blocksLiteral(p.blocks))
		w.updHash = append(w.updHash, p.bsnHash)
		w.updEnc = append(w.updEnc, p.bsnEnc)
		w.updInvalid = append(w.updInvalid, p.invalid)
		w.updScores = append(w.updScores, score)
		return
	}
	w.insKeys = append(w.insKeys, p.in.RecordKey)
	w.insClients = append(w.insClients, clientID)
	w.insGrades = append(w.insGrades, grade)
	w.insRules = append(w.insRules, rule)
	w.insFeatures = append(w.insFeatures, p.features)
	w.insEvidence = append(w.insEvidence, string(ev))
	w.insBlockList = append(w.insBlockList, p.blocks)
	w.insHash = append(w.insHash, p.bsnHash)
	w.insEnc = append(w.insEnc, p.bsnEnc)
	w.insInvalid = append(w.insInvalid, p.invalid)
	w.insScores = append(w.insScores, score)
}

func (w *linkWriter) write(ctx context.Context, tx pgx.Tx) error {
	if len(w.newClients) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO clients (id) SELECT unnest($1::text[])`, w.newClients); err != nil {
			return fmt.Errorf("create chain clients: %w", err)
		}
	}
	if len(w.insKeys) > 0 {
		// COPY is several times faster than INSERT for thousands of rows; the
		// ids come from the sequence in one call (linking holds its lock, so
		// nobody else takes ids meanwhile, and a gap would be harmless).
		var last int64
		if err := tx.QueryRow(ctx, `SELECT setval('registration_identity_id_seq', nextval('registration_identity_id_seq') + $1 - 1)`,
			int64(len(w.insKeys))).Scan(&last); err != nil {
			return fmt.Errorf("reserve link ids of %s: %w", w.partner, err)
		}
		first := last - int64(len(w.insKeys)) + 1
		rows := make([][]any, len(w.insKeys))
		for i, k := range w.insKeys {
			id := first + int64(i)
			var ev any
			if w.insEvidence[i] != "null" {
				ev = w.insEvidence[i]
			}
			rows[i] = []any{id, w.partner, k, w.insClients[i], w.insGrades[i], w.insRules[i], w.insFeatures[i], ev,
				w.insBlockList[i], nilBytes(w.insHash[i]), nilBytes(w.insEnc[i]), w.insInvalid[i], w.insScores[i]}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"registration_identity"},
			[]string{"id", "partner", "record_key", "client_id", "grade", "rule", "features", "evidence", "blocks", "bsn_hash", "bsn_enc", "bsn_invalid", "score"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("link registrations of %s: %w", w.partner, err)
		}
	}
	if len(w.updIDs) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE registration_identity ri SET client_id = u.c, grade = u.g, rule = u.r,
				features = u.f, evidence = u.e::jsonb, blocks = u.b::bigint[], bsn_hash = u.h, bsn_enc = u.x,
				bsn_invalid = u.i, score = u.s, linked_by = CASE WHEN ri.client_id = u.c THEN ri.linked_by ELSE 'hub' END,
				linked_at = CASE WHEN ri.client_id = u.c THEN ri.linked_at ELSE now() END
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[], $8::bytea[], $9::bytea[], $10::bool[], $11::real[])
				AS u(id, c, g, r, f, e, b, h, x, i, s)
			WHERE ri.id = u.id`,
			w.updIDs, w.updClients, w.updGrades, w.updRules, w.updFeatures, w.updEvidence, w.updBlocks,
			w.updHash, w.updEnc, w.updInvalid, w.updScores); err != nil {
			return fmt.Errorf("update links of %s: %w", w.partner, err)
		}
	}
	if err := w.writeReviews(ctx, tx); err != nil {
		return err
	}
	for _, rl := range w.relinks {
		regs, _ := json.Marshal([]RefJSON{{w.partner, rl.key}})
		if _, err := tx.Exec(ctx, `INSERT INTO client_history (actor, action, client_id, other_client_id, registrations, reason)
			VALUES ('hub', 'relink', $1, $2, $3, 'de identiteitsgegevens van de registratie zijn gewijzigd')`,
			rl.to, rl.from, regs); err != nil {
			return fmt.Errorf("record relink of %s: %w", w.partner, err)
		}
	}
	return nil
}

// writeReviews queues the chunk's review items in one statement: a pair
// already open, or kept apart by a person, is not queued again.
func (w *linkWriter) writeReviews(ctx context.Context, tx pgx.Tx) error {
	if len(w.reviews) == 0 {
		return nil
	}
	n := len(w.reviews)
	clients, others, keys, otherPartners, otherKeys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	grades, rules, evidence := make([]string, n), make([]string, n), make([]string, n)
	scores := make([]float64, n)
	for i, rv := range w.reviews {
		ev, _ := json.Marshal(evidenceJSON(rv.ev))
		clients[i], others[i], keys[i] = rv.clientID, rv.ev.ClientID, rv.key
		otherPartners[i], otherKeys[i] = rv.ev.With.Partner, rv.ev.With.RecordKey
		grades[i], rules[i], scores[i], evidence[i] = rv.ev.Match.Grade.String(), rv.ev.Match.Rule, rv.ev.Match.Score, string(ev)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO review_items (client_id, other_client_id, partner, record_key, other_partner,
			other_record_key, grade, rule, score, evidence)
		SELECT u.c, u.o, $1, u.k, u.op, u.ok, u.g, u.r, u.s, u.e::jsonb
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[])
			WITH ORDINALITY AS u(c, o, k, op, ok, g, r, s, e, n)
		WHERE NOT EXISTS (SELECT 1 FROM kept_apart WHERE client_a = least(u.c, u.o) AND client_b = greatest(u.c, u.o))
		ORDER BY u.n
		ON CONFLICT (least(client_id, other_client_id), greatest(client_id, other_client_id)) WHERE status = 'open' DO NOTHING`,
		w.partner, clients, others, keys, otherPartners, otherKeys, grades, rules, scores, evidence); err != nil {
		return fmt.Errorf("queue reviews of %s: %w", w.partner, err)
	}
	return nil
}

// nilBytes makes an empty byte slice NULL.
func nilBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

package pipeline

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
)

// Accepted announces the registrations of one chunk that the store stage
// stored (new, changed or deleted): the topic accepted.
type Accepted struct {
	DocumentID string
	Partner    string
	// Seq is the chunk's number within the document; with DocumentID it
	// identifies the announcement.
	Seq        int
	RecordKeys []string
}

// AcceptedFunc handles one announcement inside tx, a transaction of its own
// that commits when it returns nil. An error is retried with backoff (the
// pipeline's middleware); a message that keeps failing goes to the poison
// queue and is logged. The same announcement may come twice (a crash
// between commit and acknowledgement): the function must recognise it.
type AcceptedFunc func(ctx context.Context, tx pgx.Tx, a Accepted) error

// OnAccepted makes fn the consumer of the accepted topic, as the handler
// called name. Announcements wait on the topic until a consumer is added;
// on a running pipeline the consumer starts at once.
func (p *Pipeline) OnAccepted(ctx context.Context, name string, fn AcceptedFunc) error {
	h := func(msg *message.Message) error {
		ctx := withMessage(msg.Context(), msg)
		var m acceptedMessage
		if err := decode(msg.Payload, &m); err != nil {
			return err
		}
		a := Accepted{DocumentID: m.DocumentID, Partner: m.Partner, Seq: m.Seq, RecordKeys: m.RecordKeys}
		return p.cfg.Store.InTx(ctx, func(tx pgx.Tx) error { return fn(ctx, tx, a) })
	}
	if _, err := p.addHandler(topicAccepted, name, h); err != nil {
		return err
	}
	if p.router.IsRunning() {
		if err := p.router.RunHandlers(ctx); err != nil {
			return fmt.Errorf("start handler %s: %w", name, err)
		}
	}
	return nil
}

package route

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a webhook request.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// t + "." + body with the partner's secret>".
	SignatureHeader = "X-Ketenhub-Signature"
	// IdempotencyHeader carries the batch id: a retry of a batch carries
	// the same key.
	IdempotencyHeader = "Idempotency-Key"
)

// WebhookBody is the JSON body of a webhook request.
type WebhookBody struct {
	BatchID   string        `json:"batch_id"`
	Recipient string        `json:"recipient"`
	Items     []WebhookItem `json:"items"`
}

// WebhookItem is one delivery in a webhook request.
type WebhookItem struct {
	// DeliveryID is stable: a delivery sent again carries the same id.
	DeliveryID    string `json:"delivery_id"`
	Operation     string `json:"operation"` // new | change | delete
	SourcePartner string `json:"source_partner"`
	RecordKey     string `json:"record_key"`
	// ClientID is the hub's chain client (a pseudonym): the same person at
	// every partner.
	ClientID string `json:"client_id"`
	Purpose  string `json:"purpose"`
	// Registration is the registration in the shared schema, with only the
	// fields the receiver may see.
	Registration json.RawMessage `json:"registration"`
}

// WebhookResponse is what a receiver may answer with a 2xx: the deliveries
// it refuses, each with a reason (without personal data). Every other
// delivery of the request counts as acknowledged.
type WebhookResponse struct {
	Items []WebhookResult `json:"items"`
}

// WebhookResult is a receiver's verdict on one delivery.
type WebhookResult struct {
	DeliveryID string `json:"delivery_id"`
	Status     string `json:"status"` // accepted | rejected
	Reason     string `json:"reason,omitempty"`
}

// maxResponse bounds what is read of a webhook answer.
const maxResponse = 1 << 20

// post sends the items to the recipient's webhook in one signed request.
// A 2xx acknowledges every item the answer does not reject; 408, 429, 5xx,
// a timeout or an unreachable receiver leave them for a retry (429 and 503
// with Retry-After at that time); any other status fails them.
func (d *Deliverer) post(ctx context.Context, r Recipient, items []item) outcome {
	var o outcome
	body := WebhookBody{BatchID: items[0].d.BatchID, Recipient: r.Partner, Items: make([]WebhookItem, len(items))}
	for i, it := range items {
		body.Items[i] = WebhookItem{DeliveryID: it.d.DeliveryID, Operation: it.d.Operation, SourcePartner: it.d.SourcePartner,
			RecordKey: it.d.RecordKey, ClientID: it.d.ClientID, Purpose: it.d.Purpose, Registration: it.reg}
	}
	b, err := json.Marshal(body)
	if err != nil {
		o.retry = "DELIVERY_ENCODE: " + err.Error()
		return o
	}
	ctx, cancel := context.WithTimeout(ctx, r.Webhook.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Webhook.URL, bytes.NewReader(b))
	if err != nil {
		o.retry = "DELIVERY_UNREACHABLE: " + err.Error()
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Ketenhub-route/1")
	req.Header.Set(IdempotencyHeader, body.BatchID)
	req.Header.Set(SignatureHeader, Sign(r.Webhook.Secret, d.now(), b))
	resp, err := d.cfg.HTTPClient.Do(req)
	if err != nil {
		o.retry = "DELIVERY_UNREACHABLE: de ontvanger is niet bereikbaar of antwoordde niet op tijd: " + transportError(err)
		return o
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		rejected := map[string]string{}
		var wr WebhookResponse
		if json.Unmarshal(answer, &wr) == nil {
			for _, res := range wr.Items {
				if res.Status == "rejected" {
					rejected[res.DeliveryID] = res.Reason
				}
			}
		}
		for _, it := range items {
			if reason, ok := rejected[it.d.DeliveryID]; ok {
				o.fail("DELIVERY_REJECTED: de ontvanger weigerde deze levering: "+reason, it.d.Seq)
				continue
			}
			o.deliver("", it.d.Seq)
		}
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		o.retry = fmt.Sprintf("DELIVERY_SERVER_ERROR: de ontvanger antwoordde HTTP %d; later opnieuw", code)
		o.retryAt = retryAfter(resp.Header.Get("Retry-After"), d.now())
	default:
		for _, it := range items {
			o.fail(fmt.Sprintf("DELIVERY_REFUSED: de ontvanger weigerde de levering met HTTP %d", code), it.d.Seq)
		}
	}
	return o
}

// transportError describes a failed request without its URL's query.
func transportError(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "geen antwoord binnen de wachttijd"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap().Error()
	}
	return err.Error()
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h string, now time.Time) time.Time {
	if h == "" {
		return time.Time{}
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second)
	}
	if t, err := http.ParseTime(h); err == nil {
		return t
	}
	return time.Time{}
}

// Sign returns the value of the signature header for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>." + body)>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrSignatureMissing = errors.New("signature header missing or malformed")
	ErrSignatureInvalid = errors.New("signature does not match the body")
	ErrSignatureExpired = errors.New("signature is too old or from the future")
)

// Verify checks a signature header of a webhook request against its body,
// as a receiver should before it trusts the request: the HMAC must match
// and the time t must lie within tolerance of now (against replays). It
// returns ErrSignatureMissing, ErrSignatureInvalid or ErrSignatureExpired.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
		case k == "t":
			ts = v
		case k == "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureMissing
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal(s, want)
	}
	if !ok {
		return ErrSignatureInvalid
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureExpired
	}
	return nil
}

package route

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// SidecarSuffix ends the name of the file that lists the deliveries of a
// pickup file: <file>.deliveries.json.
const SidecarSuffix = ".deliveries.json"

// Sidecar is the content of a pickup file's sidecar: which delivery is on
// which line, so that a receiver can recognise a delivery it had before
// (the same delivery id) and learn the operation even when its own format
// has no column for it.
type Sidecar struct {
	Format        string        `json:"format"` // always "ketenhub-deliveries-v1"
	Recipient     string        `json:"recipient"`
	SourcePartner string        `json:"source_partner"`
	BatchID       string        `json:"batch_id"`
	File          string        `json:"file"`
	MediaType     string        `json:"media_type"`
	Items         []SidecarItem `json:"items"`
}

// SidecarItem is one delivery in a pickup file.
type SidecarItem struct {
	DeliveryID string `json:"delivery_id"`
	Line       int    `json:"line"`
	Operation  string `json:"operation"`
	RecordKey  string `json:"record_key"`
	ClientID   string `json:"client_id"`
}

// jsonlLine is one line of a pickup file in the jsonl format.
type jsonlLine struct {
	DeliveryID    string          `json:"delivery_id"`
	Operation     string          `json:"operation"`
	SourcePartner string          `json:"source_partner"`
	RecordKey     string          `json:"record_key"`
	ClientID      string          `json:"client_id"`
	Purpose       string          `json:"purpose"`
	Registration  json.RawMessage `json:"registration"`
}

// writePickup writes the items as files in the recipient's pickup folder:
// one file per source partner (so that record keys of two partners never
// meet in one file), or more when the partner's format holds fewer items
// per file (an adapter that leaves items, sdk.EncodeResult.Left), each with
// its sidecar. Every file is written under a
// hidden temporary name and renamed, the sidecar before the file it
// describes, so that a partner never sees half a file. The names derive
// from the deliveries, so a retry after a crash writes the same files
// again. A written delivery is delivered; one the adapter cannot write
// fails with the adapter's reason.
func (d *Deliverer) writePickup(ctx context.Context, r Recipient, items []item) outcome {
	var o outcome
	if err := os.MkdirAll(r.Pickup.Folder, 0o750); err != nil {
		o.retry = "DELIVERY_WRITE: de ophaalmap kan niet worden gemaakt: " + err.Error()
		return o
	}
	for _, group := range bySource(items) {
		window := len(group)
		for len(group) > 0 {
			call := group[:min(window, len(group))]
			left, err := d.writeGroup(ctx, r, call, &o)
			if err == nil && len(left) == len(call) {
				err = fmt.Errorf("DELIVERY_ENCODE: de adapter schreef geen van de %d registraties en weigerde er ook geen", len(call))
			}
			if err != nil {
				o.retry = err.Error()
				return o
			}
			window = sdk.EncodeWindow(len(call) - len(left))
			group = append(left, group[len(call):]...)
		}
	}
	return o
}

// bySource splits items by source partner, keeping their order.
func bySource(items []item) [][]item {
	var order []string
	groups := map[string][]item{}
	for _, it := range items {
		s := it.d.SourcePartner
		if _, ok := groups[s]; !ok {
			order = append(order, s)
		}
		groups[s] = append(groups[s], it)
	}
	out := make([][]item, len(order))
	for i, s := range order {
		out[i] = groups[s]
	}
	return out
}

// fileBase names the files of a group: the time of its first delivery, the
// source partner and a hash of its delivery ids.
func fileBase(group []item) string {
	h := sha256.New()
	for _, it := range group {
		h.Write([]byte(it.d.DeliveryID))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%s-%s-%s", group[0].d.CreatedAt.UTC().Format("20060102T150405Z"), group[0].d.SourcePartner,
		hex.EncodeToString(h.Sum(nil)[:6]))
}

// writeGroup writes one file of a source partner's items and its sidecar
// and records the outcome in o. It returns the items the adapter left for
// the next file, or the reason to retry when the file could not be
// written.
func (d *Deliverer) writeGroup(ctx context.Context, r Recipient, group []item, o *outcome) ([]item, error) {
	base := fileBase(group)
	tmp := filepath.Join(r.Pickup.Folder, "."+base+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("DELIVERY_WRITE: het bestand kan niet worden geschreven: %w", err)
	}
	defer os.Remove(tmp) // a no-op once renamed
	w := bufio.NewWriter(f)
	var res sdk.EncodeResult
	switch r.Pickup.Format {
	case FormatJSONL:
		res, err = writeJSONL(w, group)
	default:
		res, err = d.encode(ctx, r.Partner, w, group)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	left := leftOf(group, res)
	for _, rej := range res.Rejected {
		if s, ok := seqOf(group, rej.DeliveryID); ok {
			o.fail(rej.Code+": "+rej.Message, s)
		}
	}
	if len(res.Written) == 0 {
		return left, nil
	}
	name := base + res.Suffix
	sc := Sidecar{Format: "ketenhub-deliveries-v1", Recipient: r.Partner, SourcePartner: group[0].d.SourcePartner,
		BatchID: group[0].d.BatchID, File: name, MediaType: res.MediaType}
	var written []int64
	for _, wi := range res.Written {
		s, ok := seqOf(group, wi.DeliveryID)
		if !ok {
			continue
		}
		it := group[indexOf(group, wi.DeliveryID)]
		sc.Items = append(sc.Items, SidecarItem{DeliveryID: wi.DeliveryID, Line: wi.Line, Operation: it.d.Operation,
			RecordKey: it.d.RecordKey, ClientID: it.d.ClientID})
		written = append(written, s)
	}
	b, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("DELIVERY_WRITE: %w", err)
	}
	if err := writeAtomic(filepath.Join(r.Pickup.Folder, name+SidecarSuffix), append(b, '\n')); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(r.Pickup.Folder, name)); err != nil {
		return nil, fmt.Errorf("DELIVERY_WRITE: het bestand kan niet worden neergezet: %w", err)
	}
	syncDir(r.Pickup.Folder)
	o.deliver(name, written...)
	return left, nil
}

// leftOf returns the items of group the adapter neither wrote nor rejected,
// for the next file.
func leftOf(group []item, res sdk.EncodeResult) []item {
	req := sdk.EncodeRequest{Items: make([]sdk.EncodeItem, len(group))}
	byID := make(map[string]item, len(group))
	for i, it := range group {
		req.Items[i] = sdk.EncodeItem{DeliveryID: it.d.DeliveryID}
		byID[it.d.DeliveryID] = it
	}
	var left []item
	for _, it := range res.Left(req) {
		left = append(left, byID[it.DeliveryID])
	}
	return left
}

// encode writes the group in the partner's own format through its adapter.
func (d *Deliverer) encode(ctx context.Context, partner string, w *bufio.Writer, group []item) (sdk.EncodeResult, error) {
	enc, err := d.cfg.Encoders.Encoder(ctx, partner)
	if err != nil {
		return sdk.EncodeResult{}, fmt.Errorf("DELIVERY_ENCODE: de adapter van %s is niet beschikbaar: %w", partner, err)
	}
	req := sdk.EncodeRequest{Partner: partner, Items: make([]sdk.EncodeItem, len(group))}
	for i, it := range group {
		req.Items[i] = sdk.EncodeItem{DeliveryID: it.d.DeliveryID, Operation: sdk.Operation(it.d.Operation), JSON: it.reg}
	}
	res, err := enc.Encode(ctx, req, w)
	if err != nil {
		return sdk.EncodeResult{}, fmt.Errorf("DELIVERY_ENCODE: de adapter kon het bestand niet schrijven: %w", err)
	}
	return res, nil
}

// writeJSONL writes the group as JSON lines.
func writeJSONL(w *bufio.Writer, group []item) (sdk.EncodeResult, error) {
	res := sdk.EncodeResult{Suffix: ".jsonl", MediaType: "application/jsonl"}
	for i, it := range group {
		b, err := json.Marshal(jsonlLine{DeliveryID: it.d.DeliveryID, Operation: it.d.Operation, SourcePartner: it.d.SourcePartner,
			RecordKey: it.d.RecordKey, ClientID: it.d.ClientID, Purpose: it.d.Purpose, Registration: it.reg})
		if err != nil {
			return res, fmt.Errorf("DELIVERY_WRITE: %w", err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return res, fmt.Errorf("DELIVERY_WRITE: het bestand kan niet worden geschreven: %w", err)
		}
		res.Written = append(res.Written, sdk.EncodedItem{DeliveryID: it.d.DeliveryID, Line: i + 1})
	}
	return res, nil
}

func seqOf(group []item, deliveryID string) (int64, bool) {
	if i := indexOf(group, deliveryID); i >= 0 {
		return group[i].d.Seq, true
	}
	return 0, false
}

func indexOf(group []item, deliveryID string) int {
	for i, it := range group {
		if it.d.DeliveryID == deliveryID {
			return i
		}
	}
	return -1
}

// writeAtomic writes a file under a hidden temporary name and renames it.
func writeAtomic(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("DELIVERY_WRITE: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("DELIVERY_WRITE: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable, as far as the file system allows.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}

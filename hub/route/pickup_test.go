package route

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// oneFileEncoder writes one item per file, as a format that holds a single
// registration (an iWmo 3.x message) does, rejects items whose JSON is
// "reject" on the way and leaves the rest; with stuck it handles nothing.
// It counts the items of every call in calls.
type oneFileEncoder struct {
	stuck bool
	calls *[]int
}

func (e oneFileEncoder) Encode(_ context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	if e.calls != nil {
		*e.calls = append(*e.calls, len(req.Items))
	}
	res := sdk.EncodeResult{Suffix: ".xml", MediaType: "application/xml"}
	if e.stuck {
		return res, nil
	}
	for _, it := range req.Items {
		if string(it.JSON) == "reject" {
			res.Rejected = append(res.Rejected, sdk.EncodeError{DeliveryID: it.DeliveryID, Code: sdk.CodeEncodeFormat, Message: "past niet"})
			continue
		}
		fmt.Fprintf(out, "<bericht>%s</bericht>\n", it.DeliveryID)
		res.Written = append(res.Written, sdk.EncodedItem{DeliveryID: it.DeliveryID, Line: 1})
		break
	}
	return res, nil
}

type oneFileEncoders struct{ enc oneFileEncoder }

func (e oneFileEncoders) Encoder(context.Context, string) (sdk.Encoder, error) { return e.enc, nil }

func pickupItems(payloads ...string) []item {
	created := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	var items []item
	for i, p := range payloads {
		items = append(items, item{d: store.Delivery{Seq: int64(i + 1), DeliveryID: fmt.Sprintf("dlv_%02d", i), SourcePartner: "ggz-oost",
			RecordKey: fmt.Sprintf("k%d", i), Operation: "new", CreatedAt: created}, reg: json.RawMessage(p)})
	}
	return items
}

// TestPickupOneItemPerFile: an adapter that leaves items gets them again
// for the next file (at most sdk.EncodeWindow of them after the first
// call), until every item is written (one file and sidecar each) or
// rejected; one that handles nothing makes the batch wait.
func TestPickupOneItemPerFile(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		var calls []int
		d := &Deliverer{cfg: DelivererConfig{Encoders: oneFileEncoders{enc: oneFileEncoder{calls: &calls}}}}
		r := Recipient{Partner: "wmo-thuishulp", Pickup: &Pickup{Folder: dir, Format: FormatAdapter}}
		payloads := []string{`{}`, "reject", `{}`, `{}`}
		for range 36 {
			payloads = append(payloads, `{}`)
		}
		o := d.writePickup(context.Background(), r, pickupItems(payloads...))
		if o.retry != "" {
			t.Fatalf("retry: %s", o.retry)
		}
		var delivered []int64
		for _, s := range o.delivered {
			delivered = append(delivered, s...)
		}
		slices.Sort(delivered)
		if len(delivered) != 39 || delivered[0] != 1 || delivered[1] != 3 || len(o.failed) != 1 || len(o.delivered) != 39 {
			t.Fatalf("delivered %v in %d files, failed %v", delivered, len(o.delivered), o.failed)
		}
		if calls[0] != 40 || slices.Max(calls[1:]) != 16 || len(calls) != 39 {
			t.Errorf("calls with %v items, want 40 and then at most 16", calls)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		if len(files) != 39 {
			t.Fatalf("%d files, want 39", len(files))
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			var sc Sidecar
			sb, serr := os.ReadFile(f + SidecarSuffix)
			if err != nil || serr != nil || json.Unmarshal(sb, &sc) != nil || len(sc.Items) != 1 ||
				!strings.Contains(string(b), sc.Items[0].DeliveryID) {
				t.Fatalf("file %s (%q) with sidecar %s", f, b, sb)
			}
		}
	})
	t.Run("ErrNothingHandled", func(t *testing.T) {
		d := &Deliverer{cfg: DelivererConfig{Encoders: oneFileEncoders{enc: oneFileEncoder{stuck: true}}}}
		r := Recipient{Partner: "wmo-thuishulp", Pickup: &Pickup{Folder: t.TempDir(), Format: FormatAdapter}}
		o := d.writePickup(context.Background(), r, pickupItems(`{}`, `{}`))
		if !strings.HasPrefix(o.retry, "DELIVERY_ENCODE") || len(o.delivered) != 0 || len(o.failed) != 0 {
			t.Fatalf("outcome %+v", o)
		}
	})
}

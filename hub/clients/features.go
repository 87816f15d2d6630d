package clients

import (
	"encoding/binary"
	"errors"

	"github.com/ketenhub/ketenhub/hub/identity"
)

// featuresVersion starts every encoded identity, so that the encoding can
// change while old rows are still read.
const featuresVersion = 1

// errFeatures is returned for bytes encodeFeatures did not make.
var errFeatures = errors.New("identity features: bad encoding")

// encodeFeatures writes a normalised identity without its BSN in a compact
// binary form: the registry reads thousands of candidates per chunk, and
// decoding this is an order of magnitude cheaper than JSON.
func encodeFeatures(n identity.Normalised) []byte {
	b := make([]byte, 0, 96)
	b = append(b, featuresVersion)
	flags := byte(0)
	if n.BSNInvalid {
		flags |= 1
	}
	b = append(b, flags)
	for _, s := range []string{n.Surname, n.Prefix, n.PartnerSurname, n.Initials, n.Gender} {
		b = appendString(b, s)
	}
	for _, list := range [][]string{n.SurnameParts, n.PartnerParts, n.FirstNames} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = appendString(b, s)
		}
	}
	for _, v := range []int{n.Year, n.Month, n.Day} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeFeatures reads what encodeFeatures wrote.
func decodeFeatures(b []byte) (identity.Normalised, error) {
	var n identity.Normalised
	if len(b) < 2 || b[0] != featuresVersion {
		return n, errFeatures
	}
	n.BSNInvalid = b[1]&1 != 0
	d := decoder{b: b[2:]}
	for _, s := range []*string{&n.Surname, &n.Prefix, &n.PartnerSurname, &n.Initials, &n.Gender} {
		*s = d.string()
	}
	for _, list := range []*[]string{&n.SurnameParts, &n.PartnerParts, &n.FirstNames} {
		k := d.uvarint()
		if k > uint64(len(d.b)) {
			return n, errFeatures
		}
		if k > 0 {
			*list = make([]string, k)
			for i := range *list {
				(*list)[i] = d.string()
			}
		}
	}
	for _, v := range []*int{&n.Year, &n.Month, &n.Day} {
		*v = int(d.uvarint())
	}
	if d.err || len(d.b) != 0 {
		return identity.Normalised{}, errFeatures
	}
	return n, nil
}

type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) string() string {
	k := d.uvarint()
	if k > uint64(len(d.b)) {
		d.err = true
		d.b = nil
		return ""
	}
	s := string(d.b[:k])
	d.b = d.b[k:]
	return s
}

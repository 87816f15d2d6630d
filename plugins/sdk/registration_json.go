package sdk

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// AppendJSON appends the JSON encoding of r to dst and returns the extended
// slice. The bytes are exactly those of json.Marshal(r): the same field
// order, the same omitempty rules, life domains sorted by name and strings
// escaped as encoding/json escapes them (HTML characters, U+2028 and U+2029
// included, invalid UTF-8 replaced by U+FFFD). It never fails and, for a
// dst with room to spare, does not allocate unless r has more than
// maxStackDomains life domains.
//
// AppendJSON is written out by hand for the adapters' hot path and must be
// kept in step with Registration and the types it holds: a field added to
// any of them must be added here too. TestAppendJSONCoversEveryField fails
// until it is.
func (r *Registration) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendJSONKey(dst, `"schema_version":`)
	dst = appendJSONString(dst, r.SchemaVersion)
	dst = appendJSONKey(dst, `"source":{"partner":`)
	dst = appendJSONString(dst, r.Source.Partner)
	dst = appendJSONKey(dst, `"record_key":`)
	dst = appendJSONString(dst, r.Source.RecordKey)
	dst = append(dst, '}')
	dst = appendJSONKey(dst, `"operation":`)
	dst = appendJSONString(dst, string(r.Operation))
	dst = appendJSONField(dst, `"registered_at":`, r.RegisteredAt)
	dst = appendJSONKey(dst, `"client":`)
	dst = r.Client.appendJSON(dst)
	if w := r.ResponsibleWorker; w != nil {
		dst = appendJSONKey(dst, `"responsible_worker":`)
		dst = w.appendJSON(dst)
	}
	dst = appendJSONField(dst, `"process_step":`, r.ProcessStep)
	dst = appendJSONField(dst, `"target_group":`, r.TargetGroup)
	dst = appendJSONField(dst, `"municipality":`, r.Municipality)
	dst = appendJSONField(dst, `"neighbourhood":`, r.Neighbourhood)
	if len(r.LifeDomains) > 0 {
		dst = appendJSONKey(dst, `"life_domains":`)
		dst = appendLifeDomains(dst, r.LifeDomains)
	}
	if s := r.Sensitive; s != nil {
		dst = appendJSONKey(dst, `"sensitive":`)
		dst = s.appendJSON(dst)
	}
	return append(dst, '}')
}

func (c *Client) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendJSONField(dst, `"bsn":`, c.BSN)
	dst = appendJSONField(dst, `"surname":`, c.Surname)
	dst = appendJSONField(dst, `"surname_prefix":`, c.SurnamePrefix)
	dst = appendJSONField(dst, `"initials":`, c.Initials)
	dst = appendJSONField(dst, `"first_names":`, c.FirstNames)
	dst = appendJSONField(dst, `"partner_surname":`, c.PartnerSurname)
	dst = appendJSONField(dst, `"partner_surname_prefix":`, c.PartnerSurnamePrefix)
	dst = appendJSONField(dst, `"birth_date":`, c.BirthDate)
	dst = appendJSONField(dst, `"gender":`, c.Gender)
	return append(dst, '}')
}

func (w *ResponsibleWorker) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendJSONField(dst, `"name":`, w.Name)
	dst = appendJSONField(dst, `"organisation":`, w.Organisation)
	dst = appendJSONField(dst, `"role":`, w.Role)
	return append(dst, '}')
}

func (d LifeDomain) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendJSONKey(dst, `"status":`)
	dst = appendJSONString(dst, d.Status)
	dst = appendJSONField(dst, `"date":`, d.Date)
	return append(dst, '}')
}

func (s *Sensitive) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if p := s.DiagnosisPresent; p != nil {
		dst = appendJSONKey(dst, `"diagnosis_present":`)
		if *p {
			dst = append(dst, "true"...)
		} else {
			dst = append(dst, "false"...)
		}
	}
	dst = appendJSONField(dst, `"diagnosis_classification":`, s.DiagnosisClassification)
	return append(dst, '}')
}

// maxStackDomains is how many life domains appendLifeDomains sorts without
// allocating.
const maxStackDomains = 8

// appendLifeDomains writes the domains in the order of their names, as
// encoding/json sorts map keys.
func appendLifeDomains(dst []byte, m map[string]LifeDomain) []byte {
	type domain struct {
		name string
		LifeDomain
	}
	var buf [maxStackDomains]domain
	domains := buf[:0]
	for name, d := range m {
		domains = append(domains, domain{name, d})
	}
	slices.SortFunc(domains, func(a, b domain) int { return strings.Compare(a.name, b.name) })
	dst = append(dst, '{')
	for i, d := range domains {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, d.name)
		dst = append(dst, ':')
		dst = d.appendJSON(dst)
	}
	return append(dst, '}')
}

// appendJSONKey writes the key of an object member, key being the quoted
// name and a colon, after a comma unless the member is the object's first:
// every value ends in '"', '}' or 'e' (true, false), so the last byte is
// '{' only at the start of an object.
func appendJSONKey(dst []byte, key string) []byte {
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	return append(dst, key...)
}

// appendJSONField writes an omitempty string member: nothing when v is
// empty.
func appendJSONField(dst []byte, key, v string) []byte {
	if v == "" {
		return dst
	}
	dst = appendJSONKey(dst, key)
	return appendJSONString(dst, v)
}

// appendJSONString writes s as a JSON string the way encoding/json does with
// HTML escaping on (json.Marshal).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonSafe marks the ASCII bytes that encoding/json writes as they are with
// HTML escaping on: all printable characters but the quote, the backslash
// and <, > and &.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := ' '; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

package sdk

import (
	"fmt"

	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

// This file translates between the Go contract and the generated protobuf
// messages. It is the only place that knows both; empty lists and byte
// slices become nil so that a round trip gives back an equal value.

func descriptionToProto(d Description) *adapterpb.DescribeResponse {
	return &adapterpb.DescribeResponse{
		Name:         d.Name,
		Version:      d.Version,
		Capabilities: d.Capabilities,
		ConfigSchema: d.ConfigSchema,
	}
}

func descriptionFromProto(p *adapterpb.DescribeResponse) Description {
	return Description{
		Name:         p.GetName(),
		Version:      p.GetVersion(),
		Capabilities: nilIfEmpty(p.GetCapabilities()),
		ConfigSchema: nilIfEmpty(p.GetConfigSchema()),
	}
}

func configErrorToProto(e *ConfigError) *adapterpb.ConfigError {
	if e == nil {
		return nil
	}
	return &adapterpb.ConfigError{Field: e.Field, Message: e.Message}
}

func configErrorFromProto(p *adapterpb.ConfigError) *ConfigError {
	if p == nil {
		return nil
	}
	return &ConfigError{Field: p.GetField(), Message: p.GetMessage()}
}

func documentToProto(d Document) *adapterpb.Document {
	return &adapterpb.Document{
		Id:           d.ID,
		Partner:      d.Partner,
		OriginalName: d.OriginalName,
		ReceivedAt:   d.ReceivedAt,
		Size:         d.Size,
		KnownDigests: int64(d.Known.Len()),
	}
}

func documentFromProto(p *adapterpb.Document) Document {
	return Document{
		ID:           p.GetId(),
		Partner:      p.GetPartner(),
		OriginalName: p.GetOriginalName(),
		ReceivedAt:   p.GetReceivedAt(),
		Size:         p.GetSize(),
	}
}

func chunkToProto(c Chunk) *adapterpb.Chunk {
	p := &adapterpb.Chunk{Seq: int64(c.Seq)}
	if len(c.Records) > 0 {
		p.Records = make([]*adapterpb.Record, len(c.Records))
		for i, r := range c.Records {
			p.Records[i] = &adapterpb.Record{Line: int64(r.Line), RecordKey: r.RecordKey, Json: r.JSON, SourceDigest: r.SourceDigest}
		}
	}
	if len(c.Errors) > 0 {
		p.Errors = make([]*adapterpb.RecordError, len(c.Errors))
		for i, e := range c.Errors {
			p.Errors[i] = &adapterpb.RecordError{
				Line:      int64(e.Line),
				Column:    int64(e.Column),
				Field:     e.Field,
				RecordKey: e.RecordKey,
				Code:      e.Code,
				Message:   e.Message,
			}
		}
	}
	if len(c.Unchanged) > 0 {
		p.UnchangedLines = make([]int64, len(c.Unchanged))
		p.UnchangedKeys = make([]string, len(c.Unchanged))
		for i, u := range c.Unchanged {
			p.UnchangedLines[i], p.UnchangedKeys[i] = int64(u.Line), u.RecordKey
		}
	}
	if len(c.Consents) > 0 {
		p.Consents = make([]*adapterpb.Consent, len(c.Consents))
		for i, cs := range c.Consents {
			p.Consents[i] = &adapterpb.Consent{Line: int64(cs.Line), RecordKey: cs.RecordKey, Json: cs.JSON}
		}
	}
	return p
}

// chunkFromProto returns an error for unchanged lines and keys that do not
// pair up.
func chunkFromProto(p *adapterpb.Chunk) (Chunk, error) {
	c := Chunk{Seq: int(p.GetSeq())}
	if rs := p.GetRecords(); len(rs) > 0 {
		c.Records = make([]Record, len(rs))
		for i, r := range rs {
			c.Records[i] = Record{Line: int(r.GetLine()), RecordKey: r.GetRecordKey(), JSON: nilIfEmpty(r.GetJson()),
				SourceDigest: nilIfEmpty(r.GetSourceDigest())}
		}
	}
	if es := p.GetErrors(); len(es) > 0 {
		c.Errors = make([]RecordError, len(es))
		for i, e := range es {
			c.Errors[i] = RecordError{
				Line:      int(e.GetLine()),
				Column:    int(e.GetColumn()),
				Field:     e.GetField(),
				RecordKey: e.GetRecordKey(),
				Code:      e.GetCode(),
				Message:   e.GetMessage(),
			}
		}
	}
	lines, keys := p.GetUnchangedLines(), p.GetUnchangedKeys()
	if len(lines) != len(keys) {
		return c, fmt.Errorf("chunk %d has %d unchanged lines and %d keys", c.Seq, len(lines), len(keys))
	}
	if len(lines) > 0 {
		c.Unchanged = make([]Unchanged, len(lines))
		for i := range lines {
			c.Unchanged[i] = Unchanged{Line: int(lines[i]), RecordKey: keys[i]}
		}
	}
	if cs := p.GetConsents(); len(cs) > 0 {
		c.Consents = make([]Consent, len(cs))
		for i, x := range cs {
			c.Consents[i] = Consent{Line: int(x.GetLine()), RecordKey: x.GetRecordKey(), JSON: nilIfEmpty(x.GetJson())}
		}
	}
	return c, nil
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

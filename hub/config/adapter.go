package config

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// ValidateAdapterConfig checks the adapter.config of a partner against the
// JSON Schema the partner's adapter reports for its configuration (draft-07
// unless the schema names another draft; it must be self-contained). Each
// problem is located in the partner's YAML file with field names under
// adapter.config. A schema that does not compile gives one
// CONFIG_ADAPTER_SCHEMA problem at adapter.name. The result is empty when
// the config is valid.
func ValidateAdapterConfig(p *Partner, schemaJSON []byte) Errors {
	name := p.Adapter.Name
	if name == "" {
		name = "adapter"
	}
	sd, err := compileSchema(schemaBase+"adapters/"+name+"/config.schema.json", schemaJSON)
	if err != nil {
		e := Error{File: p.shownFile(), Field: "adapter.name", Code: CodeAdapterSchema,
			Message: fmt.Sprintf("adapter %q meldt een ongeldig schema voor zijn configuratie: %v", p.Adapter.Name, err)}
		if p.doc != nil {
			if k, v := locate(p.doc.root, "/adapter/name"); k != nil {
				e.Line, e.Column = v.Line, v.Column
			}
		}
		return Errors{e}
	}
	d, err := p.configDocument()
	if err != nil {
		return Errors{{File: p.shownFile(), Field: "adapter.config", Code: CodeType,
			Message: "de adapterconfiguratie is geen geldige JSON: " + err.Error()}}
	}
	return sortWithin(sd.validate(d, "adapter.config"))
}

// AdapterConfigError builds a problem about the adapter configuration of p
// that the adapter itself found (for instance while configuring), located
// in the partner's YAML file. pointer is a JSON pointer into adapter.config
// ("/columns/bsn"; "" for the whole config); when it leads nowhere, the
// deepest part that exists is pointed at.
func (p *Partner) AdapterConfigError(pointer, code, message string) Error {
	d, err := p.configDocument()
	if err != nil {
		return Error{File: p.shownFile(), Field: "adapter.config", Code: code, Message: message}
	}
	return d.at("adapter.config", pointer, false, code, message)
}

// shownFile is the partner file as named in problems.
func (p *Partner) shownFile() string {
	if p.display != "" {
		return p.display
	}
	return p.File
}

// configDocument gives adapter.config as a document of its own: the YAML
// subtree for positions and the JSON value for validation.
func (p *Partner) configDocument() (*document, error) {
	var value any = map[string]any{}
	if len(p.Adapter.Config) > 0 {
		v, err := decodeJSON(p.Adapter.Config)
		if err != nil {
			return nil, err
		}
		value = v
	}
	d := &document{file: p.shownFile(), value: value}
	if p.doc != nil {
		if k, v := locate(p.doc.root, "/adapter/config"); k != nil {
			d.root, d.rootKey = v, k
		} else {
			// No adapter.config in the file: point at the adapter key.
			d.rootKey, _ = locate(p.doc.root, "/adapter")
		}
	}
	if d.root == nil {
		d.root = &yaml.Node{Kind: yaml.MappingNode}
	}
	return d, nil
}

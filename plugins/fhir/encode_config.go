package main

import (
	"regexp"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/internal/strictjson"
)

// Output holds the settings of outbound files (Encode): the output part of
// the configuration. Every setting is optional.
type Output struct {
	// Format is the form of the file: transaction (default), collection
	// or ndjson.
	Format string `json:"format"`
	// Base is the URL under which the hub names its own identifier
	// systems, code systems and full URLs; default DefaultBase.
	Base string `json:"base"`
	// EpisodeOfCare writes the chain data (process step, target group,
	// regievoerder) as an EpisodeOfCare next to every Patient; default
	// true.
	EpisodeOfCare *bool `json:"episode_of_care"`
}

// UnmarshalJSON reads the output settings strictly: an unknown setting is a
// *sdk.ConfigError that names it under /output.
func (o *Output) UnmarshalJSON(b []byte) error {
	type plain Output
	var p plain
	if err := outputObject.Decode(b, &p); err != nil {
		return err
	}
	*o = Output(p)
	return nil
}

// outputObject is where the output settings stand in the configuration.
var outputObject = strictjson.Object{At: "/output", NotObject: "output is geen JSON-object", Trailing: "output is geen JSON-object"}

// The forms of an outbound file.
const (
	outTransaction = "transaction"
	outCollection  = "collection"
	outNDJSON      = "ndjson"
)

// DefaultBase is the default of output.base.
const DefaultBase = "https://ketenhub.nl/fhir"

// baseURL is the form of output.base: an http(s) URL without query,
// fragment or trailing slash, of characters that need no escaping in an
// identifier system or a search parameter.
var baseURL = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*$`)

// outPlan is how Encode writes the partner's files, checked when the
// configuration is.
type outPlan struct {
	form    string
	base    string
	episode bool
}

// newOutPlan checks the output settings against the format the partner's
// own files are read in: Encode writes JSON, and a partner whose files are
// read as XML, or as JSON when it gets NDJSON (and the other way round),
// could not read its own files back. It returns a *sdk.ConfigError.
func newOutPlan(o *Output, in format) (*outPlan, error) {
	op := &outPlan{form: outTransaction, base: DefaultBase, episode: true}
	if o == nil {
		return op, nil
	}
	switch o.Format {
	case "":
	case outTransaction, outCollection, outNDJSON:
		op.form = o.Format
	default:
		return nil, configErr("/output/format", "waarde niet toegestaan; toegestaan zijn transaction, collection, ndjson")
	}
	if o.Base != "" {
		if len(o.Base) > 200 || !baseURL.MatchString(o.Base) {
			return nil, configErr("/output/base", "moet een http- of https-URL zijn zonder query, fragment of afsluitende '/', van hoogstens 200 tekens (letters, cijfers, '.', '-', '_', '~')")
		}
		op.base = o.Base
	}
	if o.EpisodeOfCare != nil {
		op.episode = *o.EpisodeOfCare
	}
	switch {
	case in == formatXML:
		return nil, configErr("/output", "de adapter schrijft JSON, maar leest de bestanden van deze partner als XML (format: xml); kies format auto of json")
	case in == formatJSON && op.form == outNDJSON, in == formatNDJSON && op.form != outNDJSON:
		return nil, configErr("/output/format", "past niet bij format %s: de partner zou zijn eigen bestanden niet kunnen lezen", in)
	}
	return op, nil
}

// Namespaces of the hub's own URIs under output.base.
func (o *outPlan) registrationSystem(source string) string {
	return o.base + "/NamingSystem/registration/" + source
}

func (o *outPlan) batchSystem() string { return o.base + "/NamingSystem/delivery-batch" }
func (o *outPlan) stepSystem() string  { return o.base + "/CodeSystem/process-step" }
func (o *outPlan) groupSystem() string { return o.base + "/CodeSystem/target-group" }
func (o *outPlan) partnerURL(p string) string {
	return o.base + "/partner/" + strings.ToLower(p)
}

package main

import (
	"regexp"

	"github.com/ketenhub/ketenhub/plugins/internal/strictjson"
)

// Output holds the settings of outbound messages (Encode): the output part
// of the configuration. A partner receives WMO301 messages, so only a
// partner with role aanbieder has them.
type Output struct {
	// Afzender is the gemeentecode in the header of a message whose
	// registration is no toewijzing of a gemeente (record key
	// <gemeentecode>-T<nummer>). Required.
	Afzender string `json:"afzender"`
	// Ontvanger is the partner's AGB code in the header; default the first
	// of codes.
	Ontvanger string `json:"ontvanger"`
	// ProductCategory is the Categorie of the toegewezen product, unless
	// the registration is a toewijzing whose life domain names its own.
	// Required; it must not be a category of life_domains.
	ProductCategory string `json:"product_category"`
	// ProductCode is the product Code with ProductCategory; default none.
	ProductCode string `json:"product_code"`
}

// UnmarshalJSON reads the output settings strictly: an unknown setting is a
// *sdk.ConfigError that names it under /output.
func (o *Output) UnmarshalJSON(b []byte) error {
	type settings Output
	var s settings
	if err := outputObject.Decode(b, &s); err != nil {
		return err
	}
	*o = Output(s)
	return nil
}

// outputObject is where the output settings stand in the configuration.
var outputObject = strictjson.Object{At: "/output", NotObject: "de configuratie is geen geldig JSON-object", Trailing: "output is geen JSON-object"}

// outPlan is how Encode writes the partner's messages, checked when the
// configuration is.
type outPlan struct {
	afzender  string
	ontvanger string
	category  string
	code      string
	// categories gives the product category of each life domain of
	// life_domains: the lowest when several map to it.
	categories map[string]string
}

var productCode = regexp.MustCompile(`^[0-9A-Za-z]{5}$`)

// newOutPlan checks the output settings of c against the plan made so far:
// the partner must be an aanbieder that takes WMO301 messages from its own
// code (so that it reads its messages back), and the product category must
// not be one of life_domains (else a registration without life domains
// would come back with one). It returns nil without output settings, and a
// *sdk.ConfigError naming the first problem.
func newOutPlan(c *Config, p *plan) (*outPlan, error) {
	o := c.Output
	if o == nil {
		return nil, nil
	}
	op := &outPlan{afzender: o.Afzender, ontvanger: o.Ontvanger, category: o.ProductCategory, code: o.ProductCode,
		categories: map[string]string{}}
	switch {
	case p.role != roleAanbieder:
		return nil, configErr("/output", "alleen een aanbieder ontvangt iWmo-berichten (WMO301 toewijzing) van de hub; laat output weg bij rol gemeente")
	case !p.accept[wmo301]:
		return nil, configErr("/output", "de hub schrijft WMO301-berichten; neem WMO301 op in message_types")
	case !digits4.MatchString(o.Afzender):
		return nil, configErr("/output/afzender", "geef de gemeentecode (4 cijfers) die als afzender in de berichten staat")
	case o.Ontvanger == "":
		op.ontvanger = c.Codes[0]
	case !p.codes[o.Ontvanger]:
		return nil, configErr("/output/ontvanger", "moet een van de codes van de partner zijn, anders leest de partner zijn eigen berichten niet")
	}
	for _, cat := range sortedKeys(p.domains) {
		if _, ok := op.categories[p.domains[cat]]; !ok {
			op.categories[p.domains[cat]] = cat
		}
	}
	switch {
	case !digits2.MatchString(o.ProductCategory):
		return nil, configErr("/output/product_category", "geef de productcategorie (2 cijfers) van de toewijzing")
	case p.domains[o.ProductCategory] != "":
		return nil, configErr("/output/product_category", "de categorie staat in life_domains; kies een categorie die geen leefgebied aanduidt, anders krijgt elke toewijzing er een")
	case o.ProductCode != "" && !productCode.MatchString(o.ProductCode):
		return nil, configErr("/output/product_code", "een productcode bestaat uit 5 letters of cijfers")
	}
	return op, nil
}

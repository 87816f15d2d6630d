package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/schemas"
)

// Codes of problems in roles.yaml beyond the schema (whose problems carry
// the CONFIG_* codes of hub/config). Tools and tests may rely on them.
const (
	// CodeUnknownName means a name refers to a purpose, region, role,
	// target group or partner that does not exist.
	CodeUnknownName = "ROLES_UNKNOWN_NAME"
	// CodeConflict means rules contradict each other: a hub operator with
	// access to client data, a partner system with a role for users, a
	// group named like a partner.
	CodeConflict = "ROLES_CONFLICT"
	// CodeNoEffect means a rule can never have an effect, which is almost
	// always a mistake: classes without an operation that shows data, or
	// an operation that shows data without classes.
	CodeNoEffect = "ROLES_NO_EFFECT"
)

// LoadOptions configure Load and Parse.
type LoadOptions struct {
	// Partners are the ids of the configured partners (hub/config). When
	// given, every partner id in roles.yaml must be one of them, and the
	// consent registry accepts only these partners and the groups as
	// recipients. Nil: partner ids are not checked.
	Partners []string
}

// Load reads roles.yaml at path. Every problem is reported at once, as
// config.Errors, each formatted "file:line:col: field: message [CODE]" with
// the file named as path. It returns a Policy only when there are none.
func Load(path string, opts LoadOptions) (*Policy, error) {
	f, errs := config.LoadFile(path, path, schemas.Roles)
	return finish(path, f, errs, opts)
}

// Parse is Load for bytes already read; shown names the file in problems.
func Parse(shown string, data []byte, opts LoadOptions) (*Policy, error) {
	f, errs := config.ParseFile(shown, data, schemas.Roles)
	return finish(shown, f, errs, opts)
}

// finish checks a parsed file beyond its schema and builds the Policy.
func finish(shown string, f *config.File, errs config.Errors, opts LoadOptions) (*Policy, error) {
	if f == nil {
		return nil, errs.Sorted()
	}
	var rf rolesFile
	f.Decode(&rf)
	l := loader{f: f, rf: &rf, bad: map[string]bool{}, errs: errs}
	for _, e := range errs {
		l.bad[e.Field] = true
	}
	p := l.build(shown, opts)
	if len(l.errs) > 0 {
		return nil, l.errs.Sorted()
	}
	return p, nil
}

// rolesFile mirrors roles.yaml for decoding after schema validation.
type rolesFile struct {
	Version  int `json:"version"`
	Purposes map[string]struct {
		Description string   `json:"description"`
		Consent     string   `json:"consent"`
		LegalGround string   `json:"legal_ground"`
		Classes     *[]Class `json:"classes"`
	} `json:"purposes"`
	Regions    map[string][]string `json:"regions"`
	Groups     map[string][]string `json:"groups"`
	Bemoeizorg struct {
		MaxDays         int     `json:"max_days"`
		ReviewEveryDays int     `json:"review_every_days"`
		Classes         []Class `json:"classes"`
	} `json:"bemoeizorg"`
	Roles map[string]struct {
		Description   string          `json:"description"`
		For           string          `json:"for"`
		Organisations []string        `json:"organisations"`
		Classes       []Class         `json:"classes"`
		Scope         json.RawMessage `json:"scope"`
		Purposes      []string        `json:"purposes"`
		Operations    []Operation     `json:"operations"`
	} `json:"roles"`
	Partners map[string]string `json:"partners"`
}

type scopeFile struct {
	OwnOrganisation bool     `json:"own_organisation"`
	TargetGroups    []string `json:"target_groups"`
	Municipalities  []string `json:"municipalities"`
	Regions         []string `json:"regions"`
}

// loader builds a Policy and collects the problems of the cross-checks.
type loader struct {
	f    *config.File
	rf   *rolesFile
	bad  map[string]bool // fields with a schema problem: not checked further
	errs config.Errors
}

// ok reports whether field and the fields around it passed the schema.
func (l *loader) ok(field string) bool {
	for i := range len(field) + 1 {
		if (i == len(field) || field[i] == '.' || field[i] == '[') && l.bad[field[:i]] {
			return false
		}
	}
	return !l.bad[""]
}

func (l *loader) fail(ptr, code, format string, args ...any) {
	l.errs = append(l.errs, l.f.At(ptr, code, fmt.Sprintf(format, args...)))
}

func (l *loader) failKey(ptr, code, format string, args ...any) {
	l.errs = append(l.errs, l.f.AtKey(ptr, code, fmt.Sprintf(format, args...)))
}

func (l *loader) build(shown string, opts LoadOptions) *Policy {
	rf := l.rf
	p := &Policy{
		File:     shown,
		Revision: l.f.Revision,
		LoadedAt: time.Now(),
		Purposes: map[string]Purpose{},
		Regions:  map[string][]string{},
		Groups:   map[string][]string{},
		Roles:    map[string]Role{},
		Partners: map[string]string{},
		Bemoeizorg: BemoeizorgRules{
			Max:         time.Duration(rf.Bemoeizorg.MaxDays) * 24 * time.Hour,
			ReviewEvery: time.Duration(rf.Bemoeizorg.ReviewEveryDays) * 24 * time.Hour,
			Classes:     intersect(Classes, rf.Bemoeizorg.Classes),
		},
	}
	for name, pf := range rf.Purposes {
		pu := Purpose{Name: name, Description: pf.Description, ConsentRequired: pf.Consent != "not_required", LegalGround: pf.LegalGround}
		if pf.Classes != nil {
			pu.Classes = intersect(Classes, *pf.Classes)
			if pu.Classes == nil {
				pu.Classes = []Class{}
			}
		}
		p.Purposes[name] = pu
	}
	for name, ms := range rf.Regions {
		p.Regions[name] = slices.Clone(ms)
	}
	for name, ms := range rf.Groups {
		p.Groups[name] = slices.Clone(ms)
	}

	known := map[string]bool{}
	for _, id := range opts.Partners {
		known[id] = true
	}
	if opts.Partners != nil {
		p.knownPartners = known
	}
	checkPartner := func(ptr, field, id string) {
		if opts.Partners != nil && id != "" && !known[id] && l.ok(field) {
			report := l.fail
			if strings.HasPrefix(ptr, "/partners/") {
				report = l.failKey // the id is the key
			}
			report(ptr, CodeUnknownName, "partner %q staat niet in de partnerconfiguratie; %s", id, knownList(opts.Partners))
		}
	}

	for _, g := range sortedKeys(rf.Groups) {
		for i, id := range rf.Groups[g] {
			checkPartner(ptrf("/groups/%s/%d", g, i), fmt.Sprintf("groups.%s[%d]", g, i), id)
		}
	}
	l.roles(p, checkPartner)
	for _, id := range sortedKeys(rf.Partners) {
		role := rf.Partners[id]
		field := "partners." + id
		checkPartner(ptrf("/partners/%s", id), field, id)
		if !l.ok(field) {
			continue
		}
		r, exists := p.Roles[role]
		switch {
		case !exists:
			if _, declared := rf.Roles[role]; !declared {
				l.fail(ptrf("/partners/%s", id), CodeUnknownName, "rol %q staat niet onder roles; %s", role, knownList(sortedKeys(rf.Roles)))
			}
		case r.For != Partner:
			l.fail(ptrf("/partners/%s", id), CodeConflict, "rol %q is voor medewerkers; een partnersysteem heeft een rol met for: partner", role)
		}
		p.Partners[id] = role
	}
	// A recipient name must say one thing: a group is not named like a partner.
	partnerIDs := map[string]bool{}
	for id := range known {
		partnerIDs[id] = true
	}
	for id := range rf.Partners {
		partnerIDs[id] = true
	}
	for _, ms := range rf.Groups {
		for _, id := range ms {
			partnerIDs[id] = true
		}
	}
	for _, g := range sortedKeys(rf.Groups) {
		if partnerIDs[g] && l.ok("groups."+g) {
			l.failKey(ptrf("/groups/%s", g), CodeConflict, "groep %q heeft dezelfde naam als een partner; een ontvanger van toestemming moet eenduidig zijn", g)
		}
	}
	return p
}

// roles checks and converts every role.
func (l *loader) roles(p *Policy, checkPartner func(ptr, field, id string)) {
	rf := l.rf
	targetGroups := TargetGroups()
	for _, name := range sortedKeys(rf.Roles) {
		rr := rf.Roles[name]
		base := "roles." + name
		if !l.ok(base) {
			continue
		}
		r := Role{
			Name: name, Description: rr.Description, For: User,
			Organisations: slices.Clone(rr.Organisations),
			Classes:       intersect(Classes, rr.Classes),
			Purposes:      slices.Clone(rr.Purposes),
			Operations:    slices.Clone(rr.Operations),
		}
		if rr.For == string(Partner) {
			r.For = Partner
		}
		for i, id := range rr.Organisations {
			checkPartner(ptrf("/roles/%s/organisations/%d", name, i), fmt.Sprintf("%s.organisations[%d]", base, i), id)
		}
		for i, pu := range rr.Purposes {
			field := fmt.Sprintf("%s.purposes[%d]", base, i)
			if _, ok := rf.Purposes[pu]; !ok && pu != "" && l.ok(field) && l.ok("purposes") {
				l.fail(ptrf("/roles/%s/purposes/%d", name, i), CodeUnknownName, "doel %q staat niet onder purposes; %s", pu, knownList(sortedKeys(rf.Purposes)))
			}
		}
		if len(rr.Scope) > 0 && l.ok(base+".scope") {
			r.Scope = l.scope(name, rr.Scope, targetGroups)
		}

		shows := slices.ContainsFunc(r.Operations, Operation.DisclosesData)
		concerns := slices.ContainsFunc(r.Operations, Operation.ConcernsClient)
		switch {
		case slices.Contains(r.Operations, OperateHub) && (concerns || len(r.Classes) > 0 || r.Scope.covers()):
			l.fail(ptrf("/roles/%s/operations", name), CodeConflict,
				"een rol met operate_hub (beheer van de hub) ziet nooit cliëntgegevens: geen classes, scope of handelingen op cliënten (%s)", clientOps())
		case len(r.Classes) > 0 && !shows && l.ok(base+".classes"):
			l.fail(ptrf("/roles/%s/classes", name), CodeNoEffect,
				"classes hebben alleen effect met read_feed, lookup, review_matches of receive; haal classes weg of voeg de handeling toe")
		case shows && len(r.Classes) == 0 && l.ok(base+".classes") && l.ok(base+".operations"):
			l.fail(ptrf("/roles/%s/operations", name), CodeNoEffect,
				"deze rol mag gegevens inzien maar heeft geen classes; zonder classes is geen enkel veld zichtbaar")
		}
		p.Roles[name] = r
	}
}

// scope converts the scope of a role: "all" or a mapping.
func (l *loader) scope(role string, raw json.RawMessage, targetGroups []string) Scope {
	var all string
	if json.Unmarshal(raw, &all) == nil {
		return Scope{All: all == "all"}
	}
	var sf scopeFile
	if json.Unmarshal(raw, &sf) != nil {
		return Scope{}
	}
	s := Scope{OwnOrganisation: sf.OwnOrganisation, TargetGroups: slices.Clone(sf.TargetGroups), Regions: slices.Clone(sf.Regions)}
	base := "roles." + role + ".scope"
	for i, tg := range sf.TargetGroups {
		if !slices.Contains(targetGroups, tg) && l.ok(fmt.Sprintf("%s.target_groups[%d]", base, i)) {
			l.fail(ptrf("/roles/%s/scope/target_groups/%d", role, i), CodeUnknownName,
				"doelgroep %q bestaat niet in het registratieschema; kies uit: %s", tg, strings.Join(targetGroups, ", "))
		}
	}
	seen := map[string]bool{}
	add := func(m string) {
		if n := normalise(m); !seen[n] {
			seen[n] = true
			s.Municipalities = append(s.Municipalities, n)
		}
	}
	for _, m := range sf.Municipalities {
		add(m)
	}
	for i, rg := range sf.Regions {
		ms, ok := l.rf.Regions[rg]
		if !ok && l.ok(fmt.Sprintf("%s.regions[%d]", base, i)) && l.ok("regions") {
			l.fail(ptrf("/roles/%s/scope/regions/%d", role, i), CodeUnknownName,
				"regio %q staat niet onder regions; %s", rg, knownList(sortedKeys(l.rf.Regions)))
		}
		for _, m := range ms {
			add(m)
		}
	}
	sort.Strings(s.Municipalities)
	return s
}

func clientOps() string {
	var names []string
	for _, o := range Operations {
		if o.ConcernsClient() {
			names = append(names, string(o))
		}
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func knownList(names []string) string {
	if len(names) == 0 {
		return "er zijn er nog geen"
	}
	return "bekend: " + strings.Join(names, ", ")
}

// ptrf builds a JSON pointer from a format whose %s and %d arguments are
// single tokens.
func ptrf(format string, args ...any) string {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
		}
	}
	return fmt.Sprintf(format, args...)
}

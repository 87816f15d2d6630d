package policy_test

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub/policy"
)

// wantFieldClasses is the x-sensitivity of every field of
// registration.v1, written out: a change to the schema's classes must be
// seen here too.
var wantFieldClasses = map[string]policy.Class{
	"schema_version":                     policy.Chain,
	"source":                             policy.Chain,
	"source.partner":                     policy.Chain,
	"source.record_key":                  policy.Chain,
	"operation":                          policy.Chain,
	"registered_at":                      policy.Chain,
	"client":                             policy.Identity,
	"client.bsn":                         policy.Identity,
	"client.surname":                     policy.Identity,
	"client.surname_prefix":              policy.Identity,
	"client.initials":                    policy.Identity,
	"client.first_names":                 policy.Identity,
	"client.partner_surname":             policy.Identity,
	"client.partner_surname_prefix":      policy.Identity,
	"client.birth_date":                  policy.Identity,
	"client.gender":                      policy.Identity,
	"responsible_worker":                 policy.Chain,
	"responsible_worker.name":            policy.Chain,
	"responsible_worker.organisation":    policy.Chain,
	"responsible_worker.role":            policy.Chain,
	"process_step":                       policy.Chain,
	"target_group":                       policy.Chain,
	"municipality":                       policy.Chain,
	"neighbourhood":                      policy.Chain,
	"life_domains":                       policy.Chain,
	"life_domains.*":                     policy.Chain,
	"life_domains.*.status":              policy.Chain,
	"life_domains.*.date":                policy.Chain,
	"sensitive":                          policy.Sensitive,
	"sensitive.diagnosis_present":        policy.Sensitive,
	"sensitive.diagnosis_classification": policy.Special,
}

func TestFieldClasses(t *testing.T) {
	got := policy.FieldClasses()
	if !maps.Equal(got, wantFieldClasses) {
		for f, c := range got {
			if wantFieldClasses[f] != c {
				t.Errorf("field %s: class %q, want %q", f, c, wantFieldClasses[f])
			}
		}
		for f := range wantFieldClasses {
			if _, ok := got[f]; !ok {
				t.Errorf("field %s missing from the compiled map", f)
			}
		}
	}
}

// sample is a registration with every field set.
const sample = `{
  "schema_version": "1",
  "source": {"partner": "ggz-oost", "record_key": "ggz-0000001"},
  "operation": "new",
  "registered_at": "2025-01-10T09:00:00+01:00",
  "client": {"bsn": "220476573", "surname": "Angelo", "surname_prefix": "d'", "initials": "Y.",
    "first_names": "Yvonne", "partner_surname": "Jansen", "partner_surname_prefix": "van",
    "birth_date": "1940-02-07", "gender": "vrouw"},
  "responsible_worker": {"name": "A. Bakker", "organisation": "opvang", "role": "regievoerder"},
  "process_step": "triage",
  "target_group": "veelpleger",
  "municipality": "Helmond",
  "neighbourhood": "Binnenstad",
  "life_domains": {"wonen": {"status": "instabiel", "date": "2025-01-01"}, "inkomen": {"status": "stabiel"}},
  "sensitive": {"diagnosis_present": true, "diagnosis_classification": "F20.0 <&>"}
}`

// leafClasses gives, for every leaf of sample, the classes that must all
// be visible for it to be shown (its own and its objects').
var leafClasses = func() map[string][]policy.Class {
	var doc map[string]any
	if err := json.Unmarshal([]byte(sample), &doc); err != nil {
		panic(err)
	}
	out := map[string][]policy.Class{}
	var walk func(m map[string]any, prefix, schemaPrefix string, path []policy.Class)
	walk = func(m map[string]any, prefix, schemaPrefix string, path []policy.Class) {
		for k, v := range m {
			field, schemaField := join(prefix, k), join(schemaPrefix, k)
			c, ok := wantFieldClasses[schemaField]
			if !ok {
				schemaField = join(schemaPrefix, "*")
				c = wantFieldClasses[schemaField]
			}
			p := append(slices.Clone(path), c)
			if sub, ok := v.(map[string]any); ok {
				walk(sub, field, schemaField, p)
				continue
			}
			out[field] = p
		}
	}
	walk(doc, "", "", nil)
	return out
}()

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// leaves lists the dotted leaf paths of a JSON document.
func leaves(t *testing.T, doc []byte) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("filtered document is not JSON: %v", err)
	}
	var out []string
	var walk func(m map[string]any, prefix string)
	walk = func(m map[string]any, prefix string) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				if len(sub) == 0 {
					t.Errorf("empty object %s left in the filtered document", join(prefix, k))
				}
				walk(sub, join(prefix, k))
				continue
			}
			out = append(out, join(prefix, k))
		}
	}
	walk(m, "")
	sort.Strings(out)
	return out
}

// wantShown lists the leaves of sample visible with classes.
func wantShown(classes []policy.Class) []string {
	var out []string
	for f, path := range leafClasses {
		ok := true
		for _, c := range path {
			ok = ok && slices.Contains(classes, c)
		}
		if ok {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// checkFiltered filters sample with classes and checks every leaf: shown
// when all its classes are visible, absent otherwise.
func checkFiltered(t *testing.T, classes []policy.Class) {
	t.Helper()
	got, err := policy.Filter([]byte(sample), classes)
	if err != nil {
		t.Fatal(err)
	}
	shown := leaves(t, got)
	want := wantShown(classes)
	for f := range leafClasses {
		in, wantIn := slices.Contains(shown, f), slices.Contains(want, f)
		switch {
		case in && !wantIn:
			t.Errorf("classes %v: field %s is shown, must not be", classes, f)
		case !in && wantIn:
			t.Errorf("classes %v: field %s is not shown, must be", classes, f)
		}
	}
	for _, f := range shown {
		if _, ok := leafClasses[f]; !ok {
			t.Errorf("classes %v: unexpected field %s", classes, f)
		}
	}
}

func TestFilter(t *testing.T) {
	// Every subset of the four classes.
	for mask := range 1 << len(policy.Classes) {
		var classes []policy.Class
		for i, c := range policy.Classes {
			if mask&(1<<i) != 0 {
				classes = append(classes, c)
			}
		}
		t.Run(strings.Join(classNames(classes), "+"), func(t *testing.T) { checkFiltered(t, classes) })
	}
}

func classNames(cs []policy.Class) []string {
	if len(cs) == 0 {
		return []string{"none"}
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func TestFilterSpecialNeedsSensitive(t *testing.T) {
	// The classification is special data inside the sensitive object: seeing
	// it needs both, so a role with special alone sees nothing of it.
	got, err := policy.Filter([]byte(sample), []policy.Class{policy.Special})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "{}" {
		t.Errorf("Filter(special) = %s, want {}", got)
	}
}

func TestFilterKeepsValues(t *testing.T) {
	got, err := policy.Filter([]byte(sample), policy.Classes)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(sample), &b); err != nil {
		t.Fatal(err)
	}
	ga, _ := json.Marshal(a)
	gb, _ := json.Marshal(b)
	if string(ga) != string(gb) {
		t.Errorf("all classes visible changed the document:\n%s\nwant\n%s", ga, gb)
	}
	if !strings.Contains(string(got), `"F20.0 <&>"`) {
		t.Errorf("text was escaped: %s", got)
	}
}

func TestFilterDropsUnknownFields(t *testing.T) {
	doc := `{"municipality": "Best", "extra": "x", "client": {"surname": "Jansen", "nickname": "J"},
		"sensitive": "not an object", "life_domains": {"wonen": {"status": "stabiel", "note": "x"}}}`
	got, err := policy.Filter([]byte(doc), policy.Classes)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"client":{"surname":"Jansen"},"life_domains":{"wonen":{"status":"stabiel"}},"municipality":"Best"}`
	if string(got) != want {
		t.Errorf("Filter = %s\nwant   %s", got, want)
	}
}

func TestFilterNotAnObject(t *testing.T) {
	for _, doc := range []string{`[]`, `null`, `"x"`, `{`} {
		if _, err := policy.Filter([]byte(doc), policy.Classes); err == nil {
			t.Errorf("Filter(%s): no error", doc)
		}
	}
}

func TestFilterValueLeavesInput(t *testing.T) {
	doc := map[string]any{"client": map[string]any{"bsn": "220476573"}, "municipality": "Best"}
	out := policy.FilterValue(doc, []policy.Class{policy.Chain})
	if _, ok := doc["client"]; !ok {
		t.Error("FilterValue changed its input")
	}
	if _, ok := out["client"]; ok {
		t.Error("identity shown with chain only")
	}
}

func TestFields(t *testing.T) {
	got := policy.Fields([]policy.Class{policy.Identity, policy.Chain, policy.Sensitive})
	if !slices.Contains(got, "sensitive.diagnosis_present") || slices.Contains(got, "sensitive.diagnosis_classification") {
		t.Errorf("Fields(identity, chain, sensitive) = %v", got)
	}
	if !slices.IsSorted(got) {
		t.Error("Fields not sorted")
	}
	if got := policy.Fields(nil); len(got) != 0 {
		t.Errorf("Fields(nil) = %v", got)
	}
}

func TestEnums(t *testing.T) {
	if got := policy.ProcessSteps(); strings.Join(got, ",") != "aanmelding,triage,zorgvraagverduidelijking,trajecttoewijzing,trajectmonitoring,uitstroom_nazorg" {
		t.Errorf("process steps %v", got)
	}
	if got := policy.TargetGroups(); !slices.Contains(got, "veelpleger") || !slices.Contains(got, "feitelijk_dakloos") {
		t.Errorf("target groups %v", got)
	}
}

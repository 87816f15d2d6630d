package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// TestDocumentRefused checks the documents that are refused as a whole:
// one record error on line 0 with the right code, and no records.
func TestDocumentRefused(t *testing.T) {
	patientXML := string(sdktest.Testdata(t, "nl-core-Patient-01.xml"))
	tests := []struct {
		name, config, file, doc, code string
	}{
		{"ErrEmpty", "default", "x.json", "", sdk.CodeEmptyDocument},
		{"ErrBlank", "default", "x.json", "\n  \n", sdk.CodeEmptyDocument},
		{"ErrBOMOnly", "default", "x.json", "\xef\xbb\xbf\n", sdk.CodeEmptyDocument},
		{"ErrPDF", "default", "x.json", "%PDF-1.7", sdk.CodeBinary},
		{"ErrBinary", "default", "x.json", "{\x00\x01\x02", sdk.CodeBinary},
		{"ErrUTF16", "default", "x.json", "\xff\xfe{\x00", sdk.CodeEncoding},
		{"ErrCSV", "default", "x.json", "bsn;naam\n1;X\n", sdk.CodeHeaderMissing},
		{"ErrArray", "default", "x.json", `[{"resourceType": "Patient"}]`, sdk.CodeHeaderMissing},
		{"ErrOtherXML", "default", "x.xml", `<Bericht xmlns="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"/>`, sdk.CodeHeaderMissing},
		{"ErrCharset", "default", "x.xml", `<?xml version="1.0" encoding="ISO-8859-1"?>` + "\n" + patientXML, sdk.CodeEncoding},
		{"ErrFormatMismatch", "ggz-bulk", "x.ndjson", patientXML, sdk.CodeHeaderMissing},
		{"ErrBundleEmpty", "default", "x.json", "{\n\"resourceType\": \"Bundle\", \"type\": \"collection\"\n}", sdk.CodeEmptyDocument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := decodeNamed(t, mustAdapter(t, string(adaptertest.ReadConfig(t, tt.config))), tt.file, tt.doc)
			errs := w.Errors()
			if len(w.Records()) != 0 || len(errs) != 1 || errs[0].Line != 0 || errs[0].Code != tt.code {
				t.Errorf("got %d records and errors %+v, want one document-level %s", len(w.Records()), errs, tt.code)
			}
		})
	}
}

// TestDocumentRefusedAfterRecords checks that a document that breaks off
// keeps what came before: the records, then one document-level error.
func TestDocumentRefusedAfterRecords(t *testing.T) {
	bundle := string(bigJSONBundle(3))
	xmlBundle := string(bigXMLBundle(3))
	third := strings.Index(bundle, `"id": "p2"`)
	thirdXML := strings.Index(xmlBundle, `<id value="p2"/>`)
	huge := strings.Replace(bundle, `"id": "p2"`, `"id": "p2", "text": {"div": "`+strings.Repeat("x", 100<<10)+`"}`, 1)
	tests := []struct {
		name, file, doc string
		records         int
		contains        string
	}{
		{"JSONTruncated", "x.json", bundle[:third], 2, "midden in de JSON"},
		{"JSONTwoObjects", "x.json", bundle + bundle, 3, "nog meer"},
		{"JSONBroken", "x.json", bundle[:third] + "}}" + bundle[third:], 2, "niet goed gevormd"},
		{"JSONTooLarge", "x.json", huge, 2, "max_resource_bytes"},
		{"XMLTruncated", "x.xml", xmlBundle[:thirdXML], 2, "midden in de XML"},
		{"XMLTwoRoots", "x.xml", xmlBundle + xmlBundle, 3, "nog een element"},
	}
	cfg := `{"max_resource_bytes": 65536}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := decodeNamed(t, mustAdapter(t, cfg), tt.file, tt.doc)
			errs := w.Errors()
			if len(w.Records()) != tt.records || len(errs) == 0 {
				t.Fatalf("got %d records and errors %+v, want %d records and an error", len(w.Records()), errs, tt.records)
			}
			last := errs[len(errs)-1]
			if last.Line != 0 || last.Code != sdk.CodeDocumentRejected || !strings.Contains(last.Message, tt.contains) {
				t.Errorf("last error = %+v, want a document-level %s saying %q", last, sdk.CodeDocumentRejected, tt.contains)
			}
		})
	}
	t.Run("NDJSONLineTooLong", func(t *testing.T) {
		long := `{"resourceType":"Patient","id":"x","text":{"div":"` + strings.Repeat("x", 70<<10) + `"}}`
		doc := string(sdktest.Testdata(t, "bulk-export.ndjson")) + long + "\n" + `{"resourceType":"Patient","id":"y","name":[{"family":"Y"}]}` + "\n"
		w := decodeNamed(t, mustAdapter(t, cfg), "x.ndjson", doc)
		errs := w.Errors()
		if len(w.Records()) != 7 || len(errs) != 1 || errs[0].Line != 7 || errs[0].Code != sdk.CodeRowTooLong {
			t.Errorf("got %d records and errors %+v, want 7 records and %s on line 7", len(w.Records()), errs, sdk.CodeRowTooLong)
		}
	})
}

// TestOperations checks the operation of a Patient from the request method
// and active.
func TestOperations(t *testing.T) {
	pat := func(active string) string {
		return `{"resourceType": "Patient", "id": "p1", ` + active + `"name": [{"family": "Jansen"}]}`
	}
	tests := []struct {
		name, config, method, active string
		want                         sdk.Operation
		wantErr                      string
	}{
		{"NoRequest", "default", "", "", sdk.OpNew, ""},
		{"POST", "default", "POST", "", sdk.OpNew, ""},
		{"PUT", "default", "PUT", "", sdk.OpChange, ""},
		{"DELETE", "default", "DELETE", "", sdk.OpDelete, ""},
		{"Inactive", "default", "PUT", `"active": false, `, sdk.OpDelete, ""},
		{"Active", "default", "PUT", `"active": true, `, sdk.OpChange, ""},
		{"InactiveIgnored", "ggz-bulk", "PUT", `"active": false, `, sdk.OpChange, ""},
		{"GET", "default", "GET", "", "", ""},
		{"ErrPATCH", "default", "PATCH", "", "", sdk.CodeValueUnknown},
		{"ErrMethod", "default", "MERGE", "", "", sdk.CodeValueUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry := `{"resource": ` + pat(tt.active) + `}`
			if tt.method != "" {
				entry = `{"resource": ` + pat(tt.active) + `, "request": {"method": "` + tt.method + `", "url": "Patient/p1"}}`
			}
			cfg := string(adaptertest.ReadConfig(t, tt.config))
			if tt.config == "ggz-bulk" {
				cfg = `{"inactive": "ignore"}`
			}
			w := decodeNamed(t, mustAdapter(t, cfg), "x.json", `{"resourceType": "Bundle", "type": "transaction", "entry": [`+entry+`]}`)
			recs, errs := w.Records(), w.Errors()
			switch {
			case tt.wantErr != "":
				if len(recs) != 0 || len(errs) != 1 || errs[0].Code != tt.wantErr {
					t.Errorf("got %d records and errors %+v, want one %s", len(recs), errs, tt.wantErr)
				}
			case tt.want == "":
				if len(recs) != 0 || len(errs) != 0 {
					t.Errorf("got %d records and errors %+v, want nothing", len(recs), errs)
				}
			case len(recs) != 1 || len(errs) != 0 || !strings.Contains(string(recs[0].JSON), `"operation":"`+string(tt.want)+`"`):
				t.Errorf("got records %v and errors %+v, want one with operation %s", len(recs), errs, tt.want)
			}
		})
	}
}

// TestHistoryBundle checks that a history Bundle gives the newest version
// of a resource (its first entry) and passes over the older ones.
func TestHistoryBundle(t *testing.T) {
	doc := `{"resourceType": "Bundle", "type": "history", "entry": [
{"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Nieuw"}]}, "request": {"method": "PUT", "url": "Patient/p1"}},
{"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Oud"}]}, "request": {"method": "POST", "url": "Patient"}}
]}`
	w := decodeString(t, mustAdapter(t, `{}`), doc)
	recs := w.Records()
	if len(recs) != 1 || len(w.Errors()) != 0 || recs[0].Line != 2 || !strings.Contains(string(recs[0].JSON), `"surname":"Nieuw"`) {
		t.Errorf("got %d records and errors %+v, want the newest version on line 2", len(recs), w.Errors())
	}
}

// TestSingleResourceAnyOrder checks that a single JSON resource is read
// whatever the order of its members, and starts on the line of its brace.
func TestSingleResourceAnyOrder(t *testing.T) {
	doc := "\n\n{\n \"name\": [{\"family\": \"van Dijk\"}],\n \"id\": \"q\",\n \"resourceType\": \"Patient\"\n}\n"
	w := decodeString(t, mustAdapter(t, `{}`), doc)
	recs := w.Records()
	if len(recs) != 1 || recs[0].Line != 3 || recs[0].RecordKey != "Patient/q" || !strings.Contains(string(recs[0].JSON), `"surname":"Dijk","surname_prefix":"van"`) {
		t.Errorf("got records %+v and errors %+v", recs, w.Errors())
	}
}

// TestPatientXMLErrors checks the problems only the XML format can have.
func TestPatientXMLErrors(t *testing.T) {
	doc := strings.Replace(string(sdktest.Testdata(t, "nl-core-Patient-01.xml")), `<gender value="female">`, `<active value="ja"/><gender value="female">`, 1)
	w := decodeString(t, mustAdapter(t, `{}`), doc)
	errs := w.Errors()
	if len(w.Records()) != 0 || len(errs) != 1 || errs[0].Field != "Patient.active" || errs[0].RecordKey != "Patient/nl-core-Patient-01" {
		t.Errorf("got %d records and errors %+v, want one for Patient.active", len(w.Records()), errs)
	}
}

// TestNoPersonalDataInErrors checks that no record error quotes a name, a
// BSN or a birth date from the documents.
func TestNoPersonalDataInErrors(t *testing.T) {
	personal := []string{"9999900070", "999990007", "999990019", "Een", "Twee", "Drie", "1980-13-01", "Dertien", "J3", "gisteren", "Kok", "999990032"}
	for _, gc := range []struct{ name, config string }{{"broken.ndjson", "ggz-bulk"}, {"transaction-bundle.json", "default"}} {
		w := decodeNamed(t, mustAdapter(t, string(adaptertest.ReadConfig(t, gc.config))), gc.name, string(sdktest.Testdata(t, gc.name)))
		for _, e := range w.Errors() {
			for _, p := range personal {
				if strings.Contains(e.Message, p) || strings.Contains(e.RecordKey, p) || strings.Contains(e.Field, p) {
					t.Errorf("%s: error on line %d quotes personal data: %+v", gc.name, e.Line, e)
				}
			}
		}
	}
}

// TestStreams decodes a large generated Bundle in each format while the
// last part of it is held back, and checks that chunks arrive before the
// whole Bundle has been read.
func TestStreams(t *testing.T) {
	n := 5000
	if raceEnabled {
		n = 3000
	}
	for _, tt := range []struct {
		name, file string
		doc        []byte
	}{
		{"JSON", "x.json", bigJSONBundle(n)},
		{"XML", "x.xml", bigXMLBundle(n)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAdapter(t, `{}`)
			doc := testDoc
			doc.OriginalName = tt.file
			w := adaptertest.DecodeHeldBack(t, a, doc, tt.doc)
			recs, errs := w.Records(), w.Errors()
			if len(recs) != n || len(errs) != 0 {
				t.Errorf("got %d records and errors %+v, want %d records", len(recs), errs, n)
			}
			if recs[n-1].Line <= recs[0].Line {
				t.Errorf("lines %d and %d do not increase", recs[0].Line, recs[n-1].Line)
			}
		})
	}
}

// bigJSONBundle is a collection Bundle of n Patients, pretty-printed.
func bigJSONBundle(n int) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"collection\",\n  \"entry\": [\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "    {\n      \"fullUrl\": \"https://fhir.example.org/fhir/Patient/p%d\",\n      \"resource\": {\n        \"resourceType\": \"Patient\",\n        \"id\": \"p%d\",\n        \"name\": [{\"use\": \"official\", \"family\": \"Klant%d\"}]\n      }\n    }", i, i, i)
	}
	b.WriteString("\n  ]\n}\n")
	return b.Bytes()
}

// bigXMLBundle is a collection Bundle of n Patients in XML.
func bigXMLBundle(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<Bundle xmlns=\"http://hl7.org/fhir\">\n  <type value=\"collection\"/>\n")
	for i := range n {
		fmt.Fprintf(&b, "  <entry>\n    <resource>\n      <Patient>\n        <id value=\"p%d\"/>\n        <name><family value=\"Klant%d\"/></name>\n      </Patient>\n    </resource>\n  </entry>\n", i, i)
	}
	b.WriteString("</Bundle>\n")
	return b.Bytes()
}

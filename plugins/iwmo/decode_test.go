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
// one record error on line 0 with the right code and retourcode, and no
// records.
func TestDocumentRefused(t *testing.T) {
	xml301 := string(sdktest.Testdata(t, "CasusA-02-WMO301_toewijzing.xml"))
	ei305 := string(sdktest.Testdata(t, "WMO305_voorbeeld.txt"))
	tests := []struct {
		name, config, doc, code, rc string
	}{
		{"ErrEmpty", "gemeente-diemen", "", sdk.CodeEmptyDocument, "0001"},
		{"ErrBlank", "gemeente-diemen", " \n\t\n", sdk.CodeEmptyDocument, "0001"},
		{"ErrBOMOnly", "gemeente-diemen", "\xef\xbb\xbf \n", sdk.CodeEmptyDocument, "0001"},
		{"ErrPDF", "gemeente-diemen", "%PDF-1.4\n...", sdk.CodeBinary, "0001"},
		{"ErrBinary", "gemeente-diemen", "01\x00\x01\x02\x03", sdk.CodeBinary, "0001"},
		{"ErrUTF16", "gemeente-diemen", "\xff\xfe<\x00B\x00", sdk.CodeEncoding, "0001"},
		{"ErrJSON", "gemeente-diemen", `{"resourceType": "Patient"}`, sdk.CodeHeaderMissing, "0001"},
		{"ErrCSV", "gemeente-diemen", "bsn;naam\n123;X\n", sdk.CodeHeaderMissing, "0001"},
		{"ErrOtherXML", "gemeente-diemen", `<Patient xmlns="http://hl7.org/fhir"/>`, sdk.CodeHeaderMissing, "0001"},
		{"ErrIJw", "gemeente-diemen", `<Bericht xmlns="http://www.istandaarden.nl/ijw/3_2/jw301/schema"/>`, sdk.CodeHeaderMissing, "0001"},
		{"ErrCharset", "gemeente-diemen", strings.Replace(xml301, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1), sdk.CodeEncoding, "0001"},
		{"ErrOtherGemeente", "gemeente-diemen", strings.ReplaceAll(xml301, ">0384<", ">0363<"), sdk.CodeHeaderMissing, "0018"},
		{"ErrOtherAanbieder", "aanbieder-thuishulp", xml301, sdk.CodeHeaderMissing, "0014"},
		{"ErrTypeNotAccepted", "aanbieder-thuishulp", string(sdktest.Testdata(t, "iwmo3-WMO315-verzoek.xml")), sdk.CodeHeaderMissing, "0010"},
		{"ErrCodeNamespace", "gemeente-diemen", strings.Replace(xml301, "<iwmo:Code>414<", "<iwmo:Code>418<", 1), sdk.CodeHeaderMissing, "0010"},
		{"ErrVersion", "gemeente-diemen", strings.Replace(xml301, "<iwmo:Versie>2<", "<iwmo:Versie>1<", 1), sdk.CodeHeaderMissing, "0011"},
		{"ErrNoHeader", "gemeente-diemen", `<wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/2_0/wmo301/schema/2_0"><wmo301:Clienten><wmo301:Client/></wmo301:Clienten></wmo301:Bericht>`, sdk.CodeHeaderMissing, "8026"},
		{"ErrNoTrailer", "gemeente-diemen", ei305[:strings.LastIndex(ei305, "\n99")], sdk.CodeDocumentRejected, "0208"},
		{"ErrTwoVoorloop", "gemeente-diemen", strings.Replace(ei305, "\n99", "\n"+ei305[:180]+"\n99", 1), sdk.CodeDocumentRejected, "8199"},
		{"ErrEIVersion", "gemeente-diemen", "01418" + "03" + ei305[7:], sdk.CodeHeaderMissing, "0011"},
		{"ErrEINoVoorloop", "gemeente-diemen", ei305[181:], sdk.CodeHeaderMissing, "0207"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := decodeString(t, mustAdapter(t, string(adaptertest.ReadConfig(t, tt.config))), tt.doc)
			errs := w.Errors()
			var doc []sdk.RecordError
			for _, e := range errs {
				if e.Line == 0 {
					doc = append(doc, e)
				}
			}
			if len(doc) != 1 {
				t.Fatalf("document-level errors = %+v, want one", errs)
			}
			if doc[0].Code != tt.code || !strings.Contains(doc[0].Message, "retourcode "+tt.rc+")") {
				t.Errorf("error = %+v, want code %s with retourcode %s", doc[0], tt.code, tt.rc)
			}
		})
	}
}

// TestDocumentRefusedAfterRecords checks that a document that breaks off
// keeps what came before: the records, then one document-level error.
func TestDocumentRefusedAfterRecords(t *testing.T) {
	xml := string(bigXML(3))
	ei := string(sdktest.Testdata(t, "WMO305_voorbeeld.txt"))
	third := strings.Index(xml, "<Client><Bsn>999990019</Bsn><Geslacht>1</Geslacht><Naam><Geslachtsnaam><Naam>Klant2")
	tests := []struct {
		name, doc string
		records   int
		contains  string
	}{
		{"XMLTruncated", xml[:third+40], 2, "houdt op regel"},
		{"XMLTwoMessages", xml + xml, 3, "nog een element"},
		{"XMLBroken", xml[:third] + "<Client><Bsn 1>" + xml[third+13:], 2, "niet goed gevormd"},
		{"EITwoMessages", ei + "\n" + ei, 1, "na het sluitrecord"},
		{"EIAfterDOSEOF", ei + "\n\x1a" + ei, 1, "na het sluitrecord"},
		{"EICountWrong", strings.Replace(ei, "990000010000010000002", "990000010000010000009", 1), 1, "totaal aantal detailrecords"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := decodeString(t, mustAdapter(t, string(adaptertest.ReadConfig(t, "gemeente-diemen"))), tt.doc)
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
}

// TestEIDOSEndOfFile checks that the end-of-file mark some old tools write
// after the sluitrecord is no record.
func TestEIDOSEndOfFile(t *testing.T) {
	w := decodeString(t, mustAdapter(t, string(adaptertest.ReadConfig(t, "gemeente-diemen"))), string(sdktest.Testdata(t, "WMO305_voorbeeld.txt"))+"\r\n\x1a")
	if len(w.Records()) != 1 || len(w.Errors()) != 0 {
		t.Errorf("got %d records and errors %+v, want 1 record", len(w.Records()), w.Errors())
	}
}

// TestEIEncoding checks that a fixed-width record in UTF-8 is refused when
// windows-1252 is configured, and read when utf-8 is.
func TestEIEncoding(t *testing.T) {
	doc := strings.Replace(string(sdktest.Testdata(t, "WMO305_voorbeeld.txt")), "Vries", "Vriës", 1)
	w := decodeString(t, mustAdapter(t, string(adaptertest.ReadConfig(t, "gemeente-diemen"))), doc)
	errs := w.Errors()
	if len(w.Records()) != 0 || len(errs) != 2 || errs[0].Line != 2 || errs[0].Code != sdk.CodeEncoding || !strings.Contains(errs[0].Message, "ei_encoding") {
		t.Errorf("windows-1252: got %d records and errors %+v, want an encoding error on line 2 and the product line not assessed", len(w.Records()), errs)
	}
	cfg := `{"role": "gemeente", "codes": ["0384"], "ei_encoding": "utf-8"}`
	w = decodeString(t, mustAdapter(t, cfg), doc)
	if recs := w.Records(); len(recs) != 1 || !strings.Contains(string(recs[0].JSON), `"surname":"Vriës"`) || len(w.Errors()) != 0 {
		t.Errorf("utf-8: got records %v and errors %+v, want the record with the accented surname", len(recs), w.Errors())
	}
}

// TestNoPersonalDataInErrors checks that no record error of the broken
// samples quotes a name, a BSN or a birth date from the document.
func TestNoPersonalDataInErrors(t *testing.T) {
	personal := []string{"Visser", "99999008", "999990081", "1990", "Jansen", "Pietersen", "Bakker", "12345678A", "999990044", "19800101"}
	for _, name := range []string{"broken-WMO301.xml", "broken-WMO305.txt"} {
		w := decodeString(t, mustAdapter(t, string(adaptertest.ReadConfig(t, "gemeente-diemen"))), string(sdktest.Testdata(t, name)))
		for _, e := range w.Errors() {
			for _, p := range personal {
				if strings.Contains(e.Message, p) || strings.Contains(e.RecordKey, p) {
					t.Errorf("%s: error on line %d quotes personal data: %s", name, e.Line, e.Message)
				}
			}
		}
	}
}

// TestStreams decodes a large generated message of each format while the
// second half of it is held back, and checks that chunks arrive before the
// whole message has been read.
func TestStreams(t *testing.T) {
	n := 5000
	if raceEnabled {
		n = 3000
	}
	for _, tt := range []struct {
		name string
		doc  []byte
	}{
		{"XML", bigXML(n)},
		{"EI", bigEI(n)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAdapter(t, string(adaptertest.ReadConfig(t, "gemeente-diemen")))
			w := adaptertest.DecodeHeldBack(t, a, testDoc, tt.doc)
			recs, errs := w.Records(), w.Errors()
			if len(recs) != n || len(errs) != 0 {
				t.Errorf("got %d records and errors %+v, want %d records", len(recs), errs, n)
			}
		})
	}
}

// bigXML is a WMO301 of release 2.1 with n clients of one toewijzing each.
func bigXML(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Bericht xmlns="http://www.istandaarden.nl/iwmo/2_1/wmo301/schema/2_1"><Header><BerichtCode>414</BerichtCode><BerichtVersie>2</BerichtVersie>
<Afzender>0384</Afzender><Ontvanger>98025566</Ontvanger><BerichtIdentificatie><Identificatie>X</Identificatie><Dagtekening>2025-01-01</Dagtekening></BerichtIdentificatie></Header><Clienten>
`)
	for i := range n {
		fmt.Fprintf(&b, `<Client><Bsn>999990019</Bsn><Geslacht>1</Geslacht><Naam><Geslachtsnaam><Naam>Klant%d</Naam></Geslachtsnaam></Naam>
<Beschikking><ToegewezenProducten><ToegewezenProduct><ToewijzingNummer>%d</ToewijzingNummer><Product><Categorie>07</Categorie></Product>
<Ingangsdatum>2025-01-01</Ingangsdatum></ToegewezenProduct></ToegewezenProducten></Beschikking></Client>
`, i, i+1)
	}
	b.WriteString("</Clienten></Bericht>\n")
	return b.Bytes()
}

// bigEI is a fixed-width WMO305 with n clients of one product line each.
func bigEI(n int) []byte {
	var b bytes.Buffer
	line := func(s string) {
		b.WriteString(s + strings.Repeat(" ", 180-len(s)) + "\n")
	}
	line("014180200038442420111KHSTREAM0305202501011")
	for i := range n {
		link := fmt.Sprintf("%013d", i) + strings.Repeat(" ", 11)
		line(fmt.Sprintf("02%012d999990019%s1980010101Klant%-20d          1K     1", 2*i+1, link, i))
		line(fmt.Sprintf("07%012d%s%018d0202A012025010120250102424201110000001004211", 2*i+2, link, i+1))
	}
	line(fmt.Sprintf("99%06d%06d%07d", n, n, 2*n))
	return b.Bytes()
}

// TestCorrectionInOneMessage checks that a start taken back and sent anew in
// the same message (StatusAanlevering 3, then 1, for the same toewijzing)
// gives the new start only, in both formats, and that two starts without
// a withdrawal are a duplicate.
func TestCorrectionInOneMessage(t *testing.T) {
	ei := string(sdktest.Testdata(t, "WMO305_voorbeeld.txt"))
	lines := strings.Split(ei, "\n")
	withdrawn := lines[2][:98] + "3" + lines[2][99:]
	corrected := strings.Replace(lines[2], "2015010142420111", "2015010542420111", 1)
	fix := func(status1, status2 string) string {
		a, b := withdrawn, corrected
		a = a[:98] + status1 + a[99:]
		b = b[:98] + status2 + b[99:]
		return strings.Join([]string{lines[0], lines[1], a, b, strings.Replace(lines[3], "990000010000010000002", "990000010000020000003", 1)}, "\n")
	}
	xml := string(sdktest.Testdata(t, "iwmo3-WMO305-start.xml"))
	xmlFix := func(status1, status2 string) string {
		s := strings.Replace(xml, "<wmo305:ToewijzingNummer>1002<", "<wmo305:ToewijzingNummer>1001<", 1)
		s = strings.Replace(s, "<wmo305:StatusAanlevering>1<", "<wmo305:StatusAanlevering>first<", 1)
		s = strings.Replace(s, "<wmo305:StatusAanlevering>3<", "<wmo305:StatusAanlevering>"+status2+"<", 1)
		return strings.Replace(s, ">first<", ">"+status1+"<", 1)
	}
	tests := []struct {
		name, config, doc string
		records, errs     int
		line              int
	}{
		{"EI", "gemeente-diemen", fix("3", "1"), 1, 0, 4},
		{"XML", "aanbieder-thuishulp", xmlFix("3", "1"), 1, 0, 44},
		{"ErrEITwice", "gemeente-diemen", fix("1", "1"), 1, 1, 3},
		{"ErrXMLWithdrawnLast", "aanbieder-thuishulp", xmlFix("1", "3"), 1, 1, 34},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := decodeString(t, mustAdapter(t, string(adaptertest.ReadConfig(t, tt.config))), tt.doc)
			recs, errs := w.Records(), w.Errors()
			if len(recs) != tt.records || len(errs) != tt.errs || recs[0].Line != tt.line {
				t.Fatalf("got records %+v and errors %+v, want %d record(s) on line %d and %d error(s)", recs, errs, tt.records, tt.line, tt.errs)
			}
			if tt.errs > 0 && errs[0].Code != sdk.CodeDuplicateKey {
				t.Errorf("error = %+v, want %s", errs[0], sdk.CodeDuplicateKey)
			}
			if tt.errs == 0 && !strings.Contains(string(recs[0].JSON), `"process_step":"trajectmonitoring"`) {
				t.Errorf("record %s: want the start (trajectmonitoring)", recs[0].JSON)
			}
		})
	}
}

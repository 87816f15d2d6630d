package main

// The iWmo retourcodes (code list WJ001, RETOURCODE) that the adapter names
// in its record errors. A receiver of an iWmo message answers each record
// with such a code; the adapter reports the same finding with a stable
// Ketenhub code (plugins/sdk/codes.go) and puts the retourcode in the Dutch
// message, so that the partner's ICT staff recognise it. The texts are those
// of the code list.
const (
	rcTechnical     = "0001" // Bericht is afgekeurd om technische redenen.
	rcRecordType    = "0002" // KENMERK RECORD ontbreekt of is onjuist.
	rcMessageCode   = "0010" // Berichtcode ontbreekt of is onjuist.
	rcVersion       = "0011" // Versienummer berichtstandaard ontbreekt of is onjuist.
	rcAanbiederHead = "0014" // Zorgverlenerscode ontbreekt, is onbekend of onjuist (voorlooprecord).
	rcGemeenteHead  = "0018" // Gemeentecode ontbreekt of is onjuist (voorlooprecord).
	rcClientCount   = "0155" // AANTAL CLIENTRECORDS ontbreekt of is onjuist.
	rcDetailCount   = "0156" // TOTAAL AANTAL DETAILRECORDS ontbreekt of is onjuist.
	rcNoHeader      = "0207" // Records niet beoordeeld, VOORLOOPRECORD ontbreekt of is onjuist.
	rcNoTrailer     = "0208" // Records niet beoordeeld, SLUITRECORD ontbreekt of is onjuist.
	rcInitials      = "0310" // Voorletters ontbreken of zijn onjuist.
	rcSurname       = "0312" // NAAM (01) ontbreekt of is onjuist.
	rcBirthDate     = "0350" // GEBOORTEDATUM ontbreekt of is onjuist.
	rcGender        = "0351" // GESLACHT ontbreekt of is onjuist.
	rcAanbieder     = "0383" // WMO-aanbieder ontbreekt of is onjuist.
	rcPartnerName   = "0388" // NAAM (02) ontbreekt of is onjuist.
	rcDateUse       = "0398" // DATUMGEBRUIK ontbreekt of is onjuist.
	rcBSN           = "0399" // BSN ontbreekt of is onjuist.
	rcGemeente      = "0423" // Gemeentecode ontbreekt of is onjuist (detailrecord).
	rcBegin         = "0699" // BEGINDATUM levering ontbreekt of is onjuist.
	rcPlace         = "0802" // Fysieke plaats record onjuist.
	rcDuplicate     = "0803" // Record is dubbel opgenomen.
	rcLength        = "0804" // Lengte record onjuist.
	rcStatus        = "0806" // STATUS AANLEVERING RECORD ontbreekt of is onjuist.
	rcBeschikking   = "1062" // Beschikkingnummer of indicatiebesluitnummer ontbreekt of is onjuist.
	rcCategory      = "1112" // PRODUCTCATEGORIE ontbreekt of is onjuist.
	rcProductCode   = "1142" // PRODUCTCODE ontbreekt of is onjuist.
	rcAssignDate    = "1173" // TOEWIJZINGSDATUM ontbreekt of is onjuist.
	rcStart         = "1174" // INGANGSDATUM zorgtoewijzing ontbreekt of is onjuist.
	rcEnd           = "1175" // EINDDATUM zorgtoewijzing ontbreekt of is onjuist.
	rcAssignTime    = "1201" // TOEWIJZINGSTIJD ontbreekt of onjuist.
	rcReason        = "1208" // REDEN INTREKKING ontbreekt of is onjuist.
	rcNotAssessed   = "8002" // Record is niet beoordeeld (wegens afkeuring boven- of ondergeschikt[e] record[s]).
	rcProductDate   = "8007" // (Begin-/eind)datum product ontbreekt of is onjuist.
	rcOrder         = "8026" // Volgorde recordtypen is niet correct.
	rcEndBeforeDate = "8188" // Einddatum product moet groter zijn dan of gelijk zijn aan begindatum product.
	rcTwoHeaders    = "8199" // Voorlooprecord komt ten onrechte meerdere keren voor.
	rcTwoTrailers   = "8200" // Sluitrecord komt ten onrechte meerdere keren voor.
)

// withRC appends a retourcode to a Dutch message.
func withRC(msg, rc string) string {
	if rc == "" {
		return msg
	}
	return msg + " (iWmo-retourcode " + rc + ")"
}

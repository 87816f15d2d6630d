package identity

// commonSurnameList holds surnames borne by many people in the Netherlands:
// the Dutch names of the top of the Nederlandse Familienamenbank (Meertens
// Instituut, municipal registers of 2007; from De Jong, about 86,000 bearers,
// down to about 10,000), and the most frequent surnames of the largest
// communities of newer Dutch (Yılmaz, Nguyen and Ali lead that list; the
// other Turkish names are the most frequent in Turkey). Spelling variants
// that fold to the same key (Meijer and Meyer) need one entry; voorvoegsels
// are dropped by the key, so "de Jong" stands for Jong and De Jong alike.
var commonSurnameList = []string{
	"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
	"Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
	"Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs",
	"de Haan", "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin",
	"van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet", "van de Ven", "Hoekstra", "Maas",
	"Verhoeven", "Koster", "van Dam", "van der Wal", "Prins", "Blom", "Huisman", "Peeters", "de Jonge",
	"Kuipers", "Kuijpers", "van Veen", "Post", "Kuiper", "Veenstra", "Kramer", "van den Brink", "Scholten",
	"van Wijk", "Postma", "Martens", "Vink", "de Ruiter", "Timmermans", "Groen", "Gerritsen", "Jonker",
	"van Loon", "van der Velde", "Willemsen", "Smeets", "de Lange", "Bosch", "van Dongen", "Schipper",
	"de Koning", "van der Laan", "van der Velden", "Driessen", "van Doorn", "Hermans", "Evers", "Hofman",
	"Bosman", "Wolters", "Sanders", "van der Horst", "Mol", "Molenaar", "van de Pol", "de Leeuw", "Verbeek",
	"Wouters", "Hoek", "'t Hart",
	"Yılmaz", "Nguyen", "Ali", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın",
	"Özdemir", "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt",
}

// commonSurnames holds the keys of commonSurnameList.
var commonSurnames = func() map[string]bool {
	m := make(map[string]bool, len(commonSurnameList))
	for _, s := range commonSurnameList {
		m[parseSurname(s, "").key] = true
	}
	return m
}()

// commonSurname reports whether the surname key k is borne by many people,
// so that agreeing on it says little about being the same person.
func commonSurname(k string) bool { return commonSurnames[k] }

package identity

// commonSurnameList holds surnames borne by many people in the Netherlands:
// the Dutch names of the top of the Nederlandse Familienamenbank (Meertens
// Instituut, municipal registers of 2007; from De Jong, about 86,000 bearers,
// down to about 10,000), the most frequent surnames of the largest
// communities of newer Dutch (Yılmaz, Nguyen and Ali lead that list; the
// other Turkish names are the most frequent in Turkey), and further names
// down to about 5,000 bearers (0.03% of the population), in about the order
// of the Familienamenbank. A surname that is not in the list is borne by
// fewer than about 5,000 people; the risk arguments of the near-match rules
// (docs/identity.md) rest on that bound. Spelling variants that fold to the
// same key (Meijer and Meyer) need one entry; voorvoegsels are dropped by the
// key, so "de Jong" stands for Jong and De Jong alike.
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
	// Further surnames of about 5,000 bearers or more, Dutch and of newer Dutch.
	"Boer", "de Vos", "Koning", "van den Bosch", "van der Meulen", "Bouwman", "Boom", "Mohamed", "Gerrits",
	"van Rijn", "Claassen", "Kroon", "Koopman", "van Rooij", "Lammers", "Verschuren", "van Es", "Goossens",
	"Dijkman", "Jansma", "de Wolf", "Heijnen", "Boon", "Verhagen", "de Kok", "Dirks", "van Os", "Arts",
	"van Zanten", "Hoogendoorn", "Kooijman", "van der Zee", "Rutten", "El Amrani", "van Hout", "Mertens",
	"Franken", "Schreurs", "Vissers", "Verbruggen", "Ahmed", "Baas", "van den Hoek", "Klein", "van Gelder",
	"Veldhuis", "Nijhuis", "Pronk", "Hoogland", "van der Ploeg", "Vonk", "Stam", "Zwart", "Dekkers", "Verweij",
	"Bouma", "Hoekman", "Schuurman", "Kort", "van Rossum", "Hendriksen", "Mulders", "Nowak", "Coenen",
	"Kersten", "van der Steen", "Verkerk", "Aarts", "Hassan", "Bouwmeester", "van Dalen", "Hoogenboom",
	"Bruins", "Roelofs", "Bakkali", "Nieuwenhuis", "van der Kolk", "van Rooijen", "van Vugt", "Geerts",
	"Boersma", "Visscher", "Wijnands", "Stevens", "Wijnen", "Tran", "van Noort", "Pieters", "Benali", "Spijker",
	"Teunissen", "Zijlstra", "Özkan", "Hoogeveen", "Brinkman", "Kowalski", "Kamphuis", "Oosterhuis", "Bouzid",
	"Jongman", "van Kampen", "Beekman", "Şimşek", "Nijland", "van Ginkel", "Hussein", "Wiersma", "Terpstra",
	"Polat", "Hiemstra", "Kingma", "El Idrissi", "Jellema", "Talsma", "Korkmaz", "Bosma", "Feenstra", "Ramdin",
	"Hofstra", "Reitsma", "Wiśniewski", "Tuinstra", "Claessens", "Erdoğan", "Bemelmans", "Kusters", "Chen",
	"Cox", "Gielen", "Pinas", "Houben", "Lemmens", "Güler", "Verheijen", "Engelen", "El Khattabi", "Bongers",
	"Bergmans", "Wójcik", "Verstappen", "van Lieshout", "Aksoy", "van Kessel", "Swinkels", "Mahabier",
	"van Hoof", "van Erp", "Abdi", "Thijssen", "Brouwers", "Tekin", "Geurts", "Raaijmakers", "Martina",
	"Leenders", "Schellekens", "Aarab", "van de Wiel", "Timmers", "Kowalczyk", "Konings", "Ramakers", "Vaessen",
	"Jagesar", "Janssens", "de Roos", "Osman", "Kwakman", "Bijl", "Latumahina", "Sluiter", "Zuidema", "Koops",
	"Ouali", "Kamp", "Muller", "Wang", "Schmidt", "Klaassen", "Biharie", "Lubbers", "de Wilde", "Tesfay",
	"Slot", "de Rooij", "Boukhari", "van Zwieten", "Verboom", "Kamiński", "van der Bijl", "Roos", "Pham",
	"Hulshof", "Nijenhuis", "Sewdien", "Lucassen", "Hartman", "Chaoui", "Keizer", "van Essen", "Pattiasina",
	"Tromp", "Vroom", "Lewandowski", "Veenendaal", "Zwaan", "Haile", "Hagen", "van Egmond", "Azzouz", "de Heer",
	"van der Sluis", "Cijntje", "Stolk", "de Waal", "Zhang", "van Duijn", "Blokland", "El Hamdaoui",
	"Groenewegen", "Langeveld", "Zieliński", "de Man", "Tuhumury", "van Putten", "Zwanenburg", "Tahiri", "Tol",
	"Hoogstraten", "Kanhai", "Borst", "Plomp", "Mohamud", "Kruijt", "Brands", "Al Ahmad", "van der Schaaf",
	"Bouwens", "Koeiman", "Versteeg", "Spaans", "Ziani", "Overbeek", "Romijn", "Tekle", "de Jager", "Verhoef",
	"Alhassan", "van Kempen", "Dingemans", "Isenia", "Sprangers", "Lin", "van Wijngaarden", "Blokker",
	"Sahetapy", "Kloosterman", "Haddou", "Rozendaal", "Szymański", "Ramcharan", "Rosaria",
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

package quality

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Surnames of the synthetic persons follow the frequencies of the Dutch
// population (docs/identity.md, "Synthetic persons"): a ranked list of
// nationalSurnames names, each rank borne by a share of the population that
// falls with the rank as a piecewise power law fitted to the Nederlandse
// Familienamenbank (Meertens Instituut, municipal registers of 2007: about
// 314,000 surnames, de Jong 86,534 bearers, Jansen 75,698, de Vries 73,152 of
// 16.4 million): the most common name 0.52%, the top 100 about 12.5%, about
// 3,000 names with 1,000 bearers or more, and half of the population with a
// name of fewer than 1,000 bearers. The first ranks are the real names of
// commonSurnameRanks; the further ranks are composed names (composedSurname),
// each with a key of its own.
const (
	nationalPopulation = 17_900_000
	nationalSurnames   = 314_000
	surnameTop         = 0.0052 // share of the most common surname
	surnameExpTop      = 0.43   // power law of ranks 1–100
	surnameExpMiddle   = 0.75   // from rank 100 down to 1,000 bearers
	surnameExpTail     = 1.23   // below 1,000 bearers
)

// commonSurnameRanks are real surnames in about their order of frequency in
// the Netherlands: the top of the Nederlandse Familienamenbank (de Jong,
// Jansen, de Vries, …; the order beyond the first ten is approximate), with
// the most frequent surnames of newer Dutch (Turkish, Moroccan, Surinamese,
// Antillean, Moluccan, Polish, Vietnamese, Chinese, Somali, Eritrean and
// Syrian names) at ranks of the same order as their bearers. A name that
// folds to the key of an earlier one (Boer after de Boer) adds its share to
// that key, as the two spellings do in the registers.
var commonSurnameRanks = []string{
	// 1–100
	"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer",
	"de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
	"de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
	"van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin", "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet",
	"van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins", "Blom", "Huisman",
	"Peeters", "de Jonge", "Kuipers", "van Veen", "Post", "Kuiper", "Veenstra", "Kramer", "van den Brink", "Scholten",
	"van Wijk", "Postma", "Martens", "Vink", "de Ruiter", "Timmermans", "Groen", "Gerritsen", "Jonker", "van Loon",
	"Boer", "van der Velde", "Willemsen", "Smeets", "de Lange", "de Vos", "Bosch", "van Dongen", "Schipper", "de Koning",
	"van der Laan", "Koning", "van der Velden", "Driessen", "van Doorn", "Hermans", "Evers", "van den Bosch", "van der Meulen", "Hofman",
	"Bosman", "Wolters", "Sanders", "van der Horst", "Mol", "Kuijpers", "Molenaar", "van de Pol", "de Leeuw", "Verbeek",
	// 101–
	"Wouters", "Hoek", "Yılmaz", "'t Hart", "Bouwman", "Boom", "Mohamed", "Gerrits", "van Rijn", "Claassen",
	"Kroon", "Koopman", "Kaya", "van Rooij", "Lammers", "Verschuren", "Ali", "van Es", "Goossens", "Dijkman",
	"Jansma", "de Wolf", "Demir", "Heijnen", "Boon", "Verhagen", "de Kok", "Şahin", "Dirks", "van Os",
	"Arts", "Nguyen", "van Zanten", "Hoogendoorn", "Kooijman", "Çelik", "van der Zee", "Rutten", "El Amrani", "van Hout",
	"Mertens", "Franken", "Yıldız", "Schreurs", "Vissers", "Verbruggen", "Ahmed", "Baas", "van den Hoek", "Klein",
	"Öztürk", "van Gelder", "Veldhuis", "Nijhuis", "Yıldırım", "Pronk", "Hoogland", "van der Ploeg", "Aydın", "Vonk",
	"Stam", "Zwart", "Özdemir", "Dekkers", "Verweij", "Bouma", "Arslan", "Hoekman", "Schuurman", "Kort",
	"Doğan", "van Rossum", "Hendriksen", "Mulders", "Nowak", "Coenen", "Kersten", "Kılıç", "van der Steen", "Verkerk",
	"Aarts", "Hassan", "Bouwmeester", "van Dalen", "Aslan", "Hoogenboom", "Bruins", "Roelofs", "Bakkali", "Nieuwenhuis",
	"Çetin", "van der Kolk", "van Rooijen", "Kara", "van Vugt", "Geerts", "Boersma", "Koç", "Visscher", "Wijnands",
	"Kurt", "Stevens", "Wijnen", "Tran", "van Noort", "Pieters", "Benali", "Spijker", "Teunissen", "Zijlstra",
	"Özkan", "Hoogeveen", "Brinkman", "Kowalski", "Kamphuis", "Oosterhuis", "Bouzid", "Jongman", "van Kampen", "Beekman",
	"Şimşek", "Nijland", "van Ginkel", "Hussein", "Wiersma", "Terpstra", "Polat", "Hiemstra", "Kingma", "El Idrissi",
	"Jellema", "Talsma", "Korkmaz", "Bosma", "Feenstra", "Ramdin", "Hofstra", "Reitsma", "Wiśniewski", "Tuinstra",
	"Claessens", "Erdoğan", "Bemelmans", "Kusters", "Chen", "Cox", "Gielen", "Pinas", "Houben", "Lemmens",
	"Güler", "Verheijen", "Engelen", "El Khattabi", "Bongers", "Bergmans", "Wójcik", "Verstappen", "van Lieshout", "Aksoy",
	"van Kessel", "Swinkels", "Mahabier", "van Hoof", "van Erp", "Abdi", "Thijssen", "Brouwers", "Tekin", "Geurts",
	"Raaijmakers", "Martina", "Leenders", "Schellekens", "Aarab", "van de Wiel", "Timmers", "Kowalczyk", "Konings", "Ramakers",
	"Vaessen", "Jagesar", "Janssens", "de Roos", "Osman", "Kwakman", "Bijl", "Latumahina", "Sluiter", "Zuidema",
	"Koops", "Ouali", "Kamp", "Muller", "Wang", "Schmidt", "Klaassen", "Biharie", "Lubbers", "de Wilde",
	"Tesfay", "Slot", "de Rooij", "Boukhari", "van Zwieten", "Verboom", "Kamiński", "van der Bijl", "Roos", "Pham",
	"Hulshof", "Nijenhuis", "Sewdien", "Lucassen", "Hartman", "Chaoui", "Keizer", "van Essen", "Pattiasina", "Tromp",
	"Vroom", "Lewandowski", "Veenendaal", "Zwaan", "Haile", "Hagen", "van Egmond", "Azzouz", "de Heer", "van der Sluis",
	"Cijntje", "Stolk", "de Waal", "Zhang", "van Duijn", "Blokland", "El Hamdaoui", "Groenewegen", "Langeveld", "Zieliński",
	"de Man", "Tuhumury", "van Putten", "Zwanenburg", "Tahiri", "Tol", "Hoogstraten", "Kanhai", "Borst", "Plomp",
	"Mohamud", "Kruijt", "Brands", "Al Ahmad", "van der Schaaf", "Bouwens", "Koeiman", "Versteeg", "Spaans", "Ziani",
	"Overbeek", "Romijn", "Tekle", "de Jager", "Verhoef", "Alhassan", "van Kempen", "Dingemans", "Isenia", "Sprangers",
	"Lin", "van Wijngaarden", "Blokker", "Sahetapy", "Kloosterman", "Haddou", "Rozendaal", "Szymański", "Ramcharan", "Rosaria",
}

// Parts of composed surnames (composedSurname): Dutch compounds of a
// landscape, trade or nickname word and a place or patronymic ending, with a
// Frisian, Groningen, Twente or genitive ending for the rarest, and
// Turkish, Maghrebi, Polish and Hindostani compositions besides.
var (
	dutchHeads = []string{"Aal", "Akker", "Appel", "Bakel", "Beuk", "Berk", "Blok", "Bloem", "Boog", "Brak",
		"Brand", "Breed", "Brug", "Bult", "Dal", "Dons", "Donk", "Eik", "Elzen", "Esch", "Geer", "Gras", "Haag",
		"Haar", "Ham", "Hazel", "Heide", "Hel", "Hoog", "Holt", "Hul", "Kaag", "Kerk", "Klop", "Kool", "Kreek",
		"Kuil", "Laar", "Lang", "Leeu", "Lind", "Loo", "Maat", "Mos", "Nijen", "Noord", "Oost", "Over", "Pad",
		"Put", "Raven", "Ree", "Riet", "Rot", "Sand", "Schaap", "Schol", "Smal", "Spaar", "Steen", "Stok", "Tuin",
		"Veer", "Vel", "Vlie", "Vonder", "Waal", "Weer", "Wei", "Wester", "Wijn", "Wit", "Zand", "Zuid", "Zwan",
		"Kalver", "Hane", "Haver", "Rogge", "Vlas", "Koe", "Gans", "Rook", "Kooi", "Pluim", "Dorren", "Eng",
		"Goor", "Hengel", "Kamer", "Knol", "Lam", "Meul", "Nagel", "Oude", "Peer", "Rader", "Ruig", "Scheep",
		"Sijp", "Span", "Stroo", "Teer", "Val", "Vier", "Wage", "Wel", "Wolf", "Zijl", "Zomer", "Winter", "Dorst",
		"Bran", "Glas", "Gouw", "Kalk", "Klok", "Kruis", "Lamp", "Mast", "Ploeg", "Rijs", "Schut", "Sterk",
		"Voor", "Water", "Gerst", "Hooi", "Koren", "Linnen", "Mout", "Turf", "Veen", "Els", "Ijs", "Ekker",
		"Aart", "Bart", "Claes", "Dirk", "Evert", "Frans", "Geert", "Harm", "Jelle", "Klaas", "Lub", "Maarten",
		"Otten", "Reinier", "Sijbe", "Tjal", "Ubbe", "Wob", "Ype", "Ebbe", "Fokke", "Gabe", "Hidde", "Ids"}
	dutchTails = []string{"man", "kamp", "horst", "hof", "hoven", "huis", "huizen", "veld", "berg", "dijk", "broek", "beek", "meer", "stein", "land", "wijk", "voort", "gaard",
		"schot", "brink", "holt", "loo", "laar", "donk", "rode", "sloot", "water", "weg", "burg", "hout", "mate",
		"kes", "sen", "ers", "steeg", "straat", "kuil", "lo", "wold", "zijl", "werf", "heem", "stede",
		"akker", "hage", "bosch", "dal", "daal", "heuvel", "kolk", "poel", "pad", "stra", "sma", "inga", "ema",
		"ink", "ing", "haar", "stok", "steen", "tuin", "vaart", "gracht", "bos", "meijer", "boer", "smit",
		"veen", "oord", "haven", "poort"}
	dutchEnds = []string{"s", "e", "er", "en", "ink", "ma", "inga", "sen", "kes", "stra", "sma", "el", "ers", "je", "ing",
		"tjes", "ius", "ena", "ens", "elaar", "enga", "um", "erink", "emaker", "ert", "ie", "a", "ijn", "ijs", "ick"}
	turkHeads   = []string{"Ak", "Kara", "Öz", "Er", "Gül", "Demir", "Yıldız", "Kaya", "Tek", "Ay", "Sarı", "Bay", "Can", "Şen", "Uz", "Kol", "Tun", "Ar", "Al", "Kır", "Ün", "Çak", "Bal", "Taş", "Yük", "Ek", "Güneş", "Ok", "Tür", "İnan"}
	turkTails   = []string{"soy", "taş", "kaya", "demir", "han", "er", "oğlu", "türk", "can", "göz", "kurt", "dağ", "men", "el", "bay", "ay", "ışık", "gün", "tekin", "yol"}
	arabPrefix  = []string{"El ", "Ben ", "Bou", "Ait "}
	arabRoots   = []string{"Hamd", "Idris", "Khatt", "Ouard", "Mous", "Ghazz", "Bakk", "Fass", "Hadd", "Yahy", "Mans", "Ouahab", "Azz", "Kadd", "Tahr", "Bark", "Jabr", "Mekk", "Rachd", "Salh", "Zerr", "Moukh", "Harr", "Chark", "Tij"}
	arabEnds    = []string{"aoui", "ani", "ari", "ali", "i", "ouni", "ati", "ou"}
	polishHeads = []string{"Nowa", "Kowal", "Wiśniew", "Wójc", "Kamiń", "Lewandow", "Zieliń", "Szymań", "Woźniak", "Dąbrow", "Kozłow", "Jankow", "Mazur", "Kwiatkow", "Krawczy", "Piotrow", "Grabow", "Nowakow", "Pawłow", "Michal", "Adamczy", "Dudek", "Zając", "Wieczor", "Jabłoń", "Król", "Majew", "Olszew", "Jaworsk", "Wróbl"}
	polishEnds  = []string{"ski", "wski", "czyk", "ak", "ek", "icz", "owicz", "iak"}
	hindHeads   = []string{"Ram", "Jag", "Sew", "Mahab", "Bald", "Kanh", "Rambh", "Sookh", "Lach", "Gang", "Bhag", "Chot", "Dew", "Har", "Mung", "Perm", "Rag", "Sarj", "Tew"}
	hindEnds    = []string{"din", "lal", "charan", "sing", "persad", "kaaran", "ai", "bali", "nath", "dew"}
)

// composedSurname returns the surname of composed rank i (0 for the first
// rank after commonSurnameRanks). Every fifth of the first ranks is a name of
// newer Dutch while those compositions last; the others are Dutch
// compounds, of two parts for the higher ranks and with an ending for the
// rarest. Distinct ranks give distinct keys (TestSurnameDistribution).
func composedSurname(i int) string {
	prefix, name, _ := composedParts(i)
	return prefix + name
}

// composedParts returns the voorvoegsel (with its space) and the name of
// composed rank i, and whether it is a name of newer Dutch.
func composedParts(i int) (prefix, name string, foreign bool) {
	n := len(turkHeads)*len(turkTails) + len(arabPrefix)*len(arabRoots)*len(arabEnds) +
		len(polishHeads)*len(polishEnds) + len(hindHeads)*len(hindEnds)
	if i%5 == 4 && i/5 < n {
		return "", foreignSurname(i / 5), true
	}
	i -= min(i/5, n)
	two := len(dutchHeads) * len(dutchTails)
	// Neighbouring ranks differ in their head.
	h, t := i%len(dutchHeads), (i/len(dutchHeads))%len(dutchTails)
	name = dutchHeads[h] + dutchTails[t]
	if i >= two {
		name += dutchEnds[(i/two-1)%len(dutchEnds)]
	}
	// A voorvoegsel for some place names, as in "van Hazelbroek" or
	// "ter Haarhorst"; it does not change the key.
	switch {
	case i%7 == 0 && (strings.HasSuffix(name, "broek") || strings.HasSuffix(name, "dijk") || strings.HasSuffix(name, "veld")):
		prefix = "van "
	case i%11 == 0 && strings.HasSuffix(name, "horst"):
		prefix = "ter "
	}
	return prefix, name, false
}

// composedKey is surnameKey of composed rank i; the Dutch compounds are
// plain ASCII, whose key is quick to make.
func composedKey(i int) string {
	prefix, name, foreign := composedParts(i)
	if foreign {
		return surnameKey(prefix + name)
	}
	return strings.ReplaceAll(strings.ToLower(name), "ij", "y")
}

// foreignSurname returns composed name j of newer Dutch: Turkish, then
// Maghrebi, Polish and Hindostani.
func foreignSurname(j int) string {
	if n := len(turkHeads) * len(turkTails); j < n {
		return turkHeads[j%len(turkHeads)] + turkTails[j/len(turkHeads)]
	}
	j -= len(turkHeads) * len(turkTails)
	if n := len(arabPrefix) * len(arabRoots) * len(arabEnds); j < n {
		p := arabPrefix[j%len(arabPrefix)]
		j /= len(arabPrefix)
		root := arabRoots[j%len(arabRoots)] + arabEnds[j/len(arabRoots)]
		if p == "Bou" {
			root = strings.ToLower(root)
		}
		return p + root
	}
	j -= len(arabPrefix) * len(arabRoots) * len(arabEnds)
	if n := len(polishHeads) * len(polishEnds); j < n {
		return polishHeads[j%len(polishHeads)] + polishEnds[j/len(polishHeads)]
	}
	j -= len(polishHeads) * len(polishEnds)
	return hindHeads[j%len(hindHeads)] + hindEnds[j/len(hindHeads)]
}

// Surname and first-name frequencies, built once.
var names struct {
	once     sync.Once
	surnames []float64 // cumulative share of the surname ranks
	skip     []int     // compositions (composedSurname) skipped: the key of a listed name
	male     []float64 // cumulative weights of maleFirstNames
	female   []float64
}

func buildNames() {
	names.once.Do(func() {
		names.surnames = make([]float64, nationalSurnames)
		sum := 0.0
		for r := 1; r <= nationalSurnames; r++ {
			sum += surnameShare(r)
			names.surnames[r-1] = sum
		}
		for i := range names.surnames {
			names.surnames[i] /= sum
		}
		listed := map[string]bool{}
		for _, s := range commonSurnameRanks {
			listed[surnameKey(s)] = true
		}
		for c, n := 0, len(commonSurnameRanks); n < nationalSurnames; c++ {
			if listed[composedKey(c)] {
				names.skip = append(names.skip, c)
				continue
			}
			n++
		}
		names.male = firstNameWeights(maleFirstNames, maleRareNames)
		names.female = firstNameWeights(femaleFirstNames, femaleRareNames)
	})
}

// surnameShare is the unnormalised share of the population bearing the
// surname of rank r (1-based).
func surnameShare(r int) float64 {
	top := surnameTop * math.Pow(100, -surnameExpTop)
	mid := 100 * math.Pow(top/(1000.0/nationalPopulation), 1/surnameExpMiddle) // rank of 1,000 bearers
	switch x := float64(r); {
	case r <= 100:
		return surnameTop * math.Pow(x, -surnameExpTop)
	case x <= mid:
		return top * math.Pow(x/100, -surnameExpMiddle)
	default:
		return 1000.0 / nationalPopulation * math.Pow(x/mid, -surnameExpTail)
	}
}

// surnameRank draws a surname rank (0-based) from the national distribution.
func surnameRank(r *rand.Rand) int {
	buildNames()
	return min(sort.SearchFloat64s(names.surnames, r.Float64()), nationalSurnames-1)
}

// surnameOfRank is the surname of rank i (0-based): a listed name, or the
// next composition whose key is not a listed name's.
func surnameOfRank(i int) string {
	if i < len(commonSurnameRanks) {
		return commonSurnameRanks[i]
	}
	buildNames()
	c := i - len(commonSurnameRanks)
	for _, s := range names.skip {
		if s <= c {
			c++
		}
	}
	return composedSurname(c)
}

// surnameKey is the key under which the hub compares surname s.
func surnameKey(s string) string {
	return identity.Normalise(sdk.Client{Surname: s}).Surname
}

// First names follow the Nederlandse Voornamenbank (Meertens Instituut; G.
// Bloothooft, "Uniek zijn, of juist niet", 2020): Maria (359,000 bearers)
// and Johannes (324,000) lead the first given names, about 4% of each sex.
// A first name is drawn from the ranked list with a share falling as
// firstNameExp over the ranks (about 70% of persons), or uniformly from the
// list of rarer names (the rest). The real tail is far longer (some 600,000
// given names, 270,000 people with a first name of their own): drawing it
// from a few hundred names makes equal first names more frequent than they
// are, which makes the test harder, not easier.
const (
	firstNameTop  = 0.04
	firstNameExp  = 0.62
	firstNameRare = 0.30 // share of persons with a name from the rare list
)

func firstNameWeights(common, rare []string) []float64 {
	w := make([]float64, 0, len(common)+len(rare))
	sum := 0.0
	for r := range common {
		sum += firstNameTop * math.Pow(float64(r+1), -firstNameExp)
		w = append(w, sum)
	}
	top := sum
	for range rare {
		sum += top * firstNameRare / (1 - firstNameRare) / float64(len(rare))
		w = append(w, sum)
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// firstName draws one given name of the gender ("man" or "vrouw").
func firstName(r *rand.Rand, gender string) string {
	buildNames()
	common, rare, w := maleFirstNames, maleRareNames, names.male
	if gender == "vrouw" {
		common, rare, w = femaleFirstNames, femaleRareNames, names.female
	}
	i := min(sort.SearchFloat64s(w, r.Float64()), len(w)-1)
	if i < len(common) {
		return common[i]
	}
	return rare[i-len(common)]
}

// maleFirstNames and femaleFirstNames are given names of men and women in the
// Netherlands in about their order of frequency as a first given name over
// all ages (traditional names of the older generations first, then the
// names of later decades and of newer Dutch), compound names among them.
var (
	maleFirstNames = []string{"Johannes", "Jan", "Cornelis", "Hendrik", "Willem", "Petrus", "Pieter", "Gerrit",
		"Wilhelmus", "Peter", "Jacobus", "Johan", "Hendrikus", "Antonius", "Adrianus", "Mohamed", "Theodorus",
		"Franciscus", "Gerardus", "Jacob", "Robert", "Paul", "Dirk", "Klaas", "Arie", "Marinus", "Albert",
		"Martinus", "Michael", "Mark", "Thomas", "Daan", "Hans", "Marcel", "Richard", "Bernardus", "Nicolaas",
		"Frank", "Dennis", "Erik", "Patrick", "Kevin", "Jeroen", "Martijn", "Henk", "Kees", "Wim", "Piet",
		"Stefan", "Sander", "Bas", "Niels", "Tim", "Tom", "Lucas", "Sem", "Bram", "Ruben", "Thijs", "Jesse",
		"Vincent", "Bart", "Joost", "Wouter", "Remco", "Ronald", "Edwin", "René", "Rob", "Michel", "Arjan",
		"Mehmet", "Ahmed", "Mustafa", "Ali", "Youssef", "Leendert", "Teunis", "Hermanus", "Frederik", "Anton",
		"Gert", "Harm", "Evert", "Egbert", "Lambertus", "Josephus", "Aart", "Jos", "Ton", "Ad", "Cor", "Gijs",
		"Koen", "Stijn", "Luuk", "Milan", "Levi", "Finn", "Noah", "Liam", "Lars", "Max", "Mees", "Teun", "Jelle",
		"Sjoerd", "Rick", "Nick", "Mike", "Jordy", "Dylan", "Sven", "Joris", "Maarten", "Hugo", "Floris",
		"Jan-Willem", "Peter-Jan", "Jan-Pieter", "Hasan", "Hüseyin", "İbrahim", "Khalid", "Omar", "Rachid",
		"Said", "Hamza", "Bilal", "Ayoub", "Karim", "Emre", "Burak", "Murat", "Yusuf", "Ömer", "Kemal", "Piotr",
		"Krzysztof", "Tomasz", "Paweł", "Marek", "Rajesh", "Ricardo", "Dwayne", "Giovanni", "Carlos", "Mario",
		"Andries", "Douwe", "Auke", "Tjeerd", "Wietse", "Hielke", "Sietse", "Geert", "Reinier", "Rutger",
		"Olaf", "Ivo", "Pim", "Job", "Siem", "Jurre", "Ties", "Cas", "Guus", "Jim", "Julian", "Sam", "David",
		"Daniel", "Jonas", "Adam", "Elias", "Yassin", "Mohammed", "Abdel", "Nordin", "Mounir", "Jamal"}
	femaleFirstNames = []string{"Maria", "Johanna", "Anna", "Cornelia", "Elisabeth", "Wilhelmina", "Catharina",
		"Hendrika", "Adriana", "Petronella", "Jacoba", "Geertruida", "Margaretha", "Aaltje", "Grietje",
		"Neeltje", "Antje", "Sandra", "Linda", "Monique", "Petra", "Esther", "Karin", "Ingrid", "Marieke",
		"Fatima", "Anouk", "Sanne", "Lisa", "Emma", "Julia", "Sophie", "Eva", "Fleur", "Laura", "Iris",
		"Femke", "Lotte", "Tess", "Anne", "Ellen", "Wendy", "Mirjam", "Anita", "Yvonne", "Bianca", "Chantal",
		"Danielle", "Patricia", "Nicole", "Saskia", "Manon", "Kim", "Marjolein", "Ineke", "Joke", "Gerda",
		"Hilda", "Riet", "Ria", "Annie", "Corrie", "Truus", "Marian", "Jolanda", "Astrid", "Inge", "Judith",
		"Suzanne", "Miranda", "Angela", "Simone", "Hanneke", "Willemijn", "Lieke", "Noor", "Milou", "Nina",
		"Fenna", "Saar", "Yara", "Lynn", "Isa", "Mila", "Sara", "Zoë", "Evi", "Roos", "Elif", "Zeynep",
		"Ayşe", "Fatma", "Emine", "Hatice", "Khadija", "Aicha", "Naima", "Malika", "Samira", "Nadia", "Hanan",
		"Meryem", "Esra", "Büşra", "Merve", "Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Priya",
		"Anjali", "Sharmila", "Natasha", "Anne-Marie", "Marie-José", "Anne-Fleur", "Theodora", "Francisca",
		"Gerarda", "Alida", "Dirkje", "Trijntje", "Jantje", "Klaasje", "Hillegonda", "Berendina", "Janna",
		"Tineke", "Jannie", "Bep", "Mies", "Tiny", "Els", "Greet", "Marga", "Marja", "Mieke", "Nel", "Wil",
		"Carla", "Ilse", "Mariska", "Debora", "Charlotte", "Floor", "Merel", "Noa", "Liv", "Olivia", "Nora",
		"Hannah", "Elin", "Jasmijn", "Lara", "Amber", "Demi", "Kelly", "Naomi", "Romy", "Britt", "Jade",
		"Sophia", "Maud", "Vera", "Loes", "Lieve", "Imane", "Salma", "Hajar", "Soumaya", "Ikram", "Latifa"}
	maleRareNames = []string{"Abe", "Alwin", "Ardjan", "Barend", "Bauke", "Benno", "Berend", "Boudewijn",
		"Casper", "Coen", "Dolf", "Durk", "Eelco", "Eppo", "Erwin", "Ewout", "Feike", "Folkert", "Germ",
		"Gosse", "Hajo", "Hein", "Herre", "Hylke", "IJsbrand", "Jaap", "Jarno", "Jeltje", "Jildert", "Joep",
		"Jort", "Kick", "Lammert", "Lieuwe", "Machiel", "Meindert", "Menno", "Minne", "Onno", "Otto", "Pieke",
		"Quirijn", "Rembrandt", "Rienk", "Roeland", "Rogier", "Rolf", "Romke", "Rudolf", "Sibbele", "Sijmen",
		"Steven", "Taco", "Tammo", "Tjalling", "Tjibbe", "Ubel", "Valentijn", "Wessel", "Wiebe", "Willibrord",
		"Wopke", "Ynte", "Zeger", "Abdelkader", "Abderrahim", "Brahim", "Driss", "Hicham", "Jaouad", "Lahcen",
		"Mimoun", "Noureddine", "Redouan", "Tarik", "Zakaria", "Alper", "Barış", "Cem", "Deniz", "Engin", "Fatih",
		"Gökhan", "Hakan", "Kaan", "Levent", "Onur", "Serkan", "Tolga", "Volkan", "Anand", "Dinesh", "Kishan",
		"Navin", "Ravi", "Sunil", "Vikash", "Errol", "Glenn", "Humphrey", "Orlando", "Romano", "Sergio",
		"Dariusz", "Grzegorz", "Łukasz", "Mateusz", "Wojciech", "Dung", "Minh", "Thanh", "Wei", "Jun",
		"Abdirahman", "Filmon", "Yonas", "Tesfalem", "Ammar", "Firas", "Khaled", "Tariq", "Bogdan", "Dragan",
		"Goran", "Miroslav", "Nikola", "Ioannis", "Kostas", "Stavros", "Ahmet", "Halil", "Recep", "Osman",
		"Ivar", "Magnus", "Sten", "Aurelio", "Benedikt", "Cornelius", "Desmond", "Fabian", "Gideon", "Ignatius"}
	femaleRareNames = []string{"Aafke", "Afke", "Akke", "Baukje", "Berber", "Betsy", "Dieuwke", "Doutzen",
		"Eelkje", "Froukje", "Gepke", "Geeske", "Hiske", "Hylkje", "Ietje", "Jikke", "Klaske", "Lolkje",
		"Minke", "Nynke", "Rinske", "Sjoukje", "Tjitske", "Wypkje", "Ymkje", "Aleida", "Bertha", "Clasina",
		"Diewertje", "Egberdina", "Femmigje", "Gesina", "Harmina", "Ida", "Jozefien", "Lamberta", "Mechteld",
		"Otje", "Pietronella", "Reinalda", "Stientje", "Teuntje", "Wobbegien", "Zwaantje", "Annelot",
		"Benthe", "Daphne", "Emmy", "Floortje", "Guusje", "Hester", "Isabel", "Jette", "Kiki", "Liselot",
		"Mirthe", "Nienke", "Quinty", "Rosalie", "Silke", "Tirza", "Veerle", "Wende", "Xandra", "Yfke",
		"Zilla", "Amal", "Bouchra", "Dounia", "Fadoua", "Ghizlane", "Houda", "Kaoutar", "Loubna", "Nawal",
		"Rajae", "Siham", "Wafae", "Yasmina", "Asli", "Burcu", "Derya", "Ebru", "Gizem", "Hülya", "Özlem",
		"Sevgi", "Tuba", "Yeliz", "Aarti", "Devika", "Kavita", "Nisha", "Reshma", "Sunita", "Germaine",
		"Ivette", "Maureen", "Shirley", "Sherida", "Małgorzata", "Ewa", "Beata", "Dorota", "Iwona", "Lan",
		"Mai", "Thuy", "Mei", "Xiu", "Hodan", "Ifrah", "Saba", "Semhar", "Rahwa", "Dima", "Lina", "Rania",
		"Rasha", "Ljiljana", "Milica", "Snežana", "Eleni", "Despina", "Gülsüm", "Hacer", "Sultan", "Ingeborg",
		"Solveig", "Agathe", "Beatrix", "Clementine", "Dorothea", "Evelien", "Gabriëlle", "Henriëtte"}
)

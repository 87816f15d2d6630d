package identity

// Given names that in the Netherlands are borne almost only by one sex: the
// most frequent first given names of men and of women in the Nederlandse
// Voornamenbank (Meertens Instituut), traditional, recent and of newer Dutch.
// Names given to both sexes (Anne, Kim, Sam, Jesse, Floor, Noa, Wil, Cor,
// Jos, Robin, …) are left out, so that the table names the sex of a person
// from the first given name only when that is nearly certain.
var (
	maleGivenNames = []string{"Johannes", "Jan", "Cornelis", "Hendrik", "Willem", "Petrus", "Pieter", "Gerrit",
		"Wilhelmus", "Peter", "Jacobus", "Johan", "Hendrikus", "Antonius", "Adrianus", "Mohamed", "Mohammed",
		"Theodorus", "Franciscus", "Gerardus", "Jacob", "Robert", "Paul", "Dirk", "Klaas", "Arie", "Albert",
		"Martinus", "Michael", "Mark", "Thomas", "Daan", "Hans", "Marcel", "Richard", "Bernardus", "Nicolaas",
		"Frank", "Dennis", "Erik", "Patrick", "Kevin", "Jeroen", "Martijn", "Henk", "Kees", "Wim", "Piet",
		"Stefan", "Sander", "Bas", "Niels", "Tim", "Tom", "Lucas", "Sem", "Bram", "Ruben", "Thijs", "Vincent",
		"Bart", "Joost", "Wouter", "Remco", "Ronald", "Edwin", "René", "Rob", "Michel", "Arjan", "Mehmet",
		"Ahmed", "Mustafa", "Youssef", "Leendert", "Teunis", "Hermanus", "Frederik", "Anton", "Gert", "Harm",
		"Evert", "Egbert", "Lambertus", "Josephus", "Aart", "Ton", "Gijs", "Koen", "Stijn", "Luuk", "Milan",
		"Levi", "Finn", "Noah", "Liam", "Lars", "Max", "Mees", "Teun", "Jelle", "Sjoerd", "Rick", "Nick",
		"Mike", "Jordy", "Dylan", "Sven", "Joris", "Maarten", "Hugo", "Floris", "Jan-Willem", "Peter-Jan",
		"Jan-Pieter", "Hasan", "Hüseyin", "İbrahim", "Khalid", "Omar", "Rachid", "Said", "Hamza", "Bilal",
		"Ayoub", "Karim", "Emre", "Burak", "Murat", "Yusuf", "Ömer", "Kemal", "Piotr", "Krzysztof", "Tomasz",
		"Paweł", "Marek", "Rajesh", "Ricardo", "Dwayne", "Giovanni", "Carlos", "Mario", "Andries", "Douwe",
		"Tjeerd", "Wietse", "Hielke", "Sietse", "Geert", "Reinier", "Rutger", "Olaf", "Ivo", "Pim", "Job",
		"Siem", "Jurre", "Ties", "Cas", "Guus", "Jim", "Julian", "David", "Daniel", "Jonas", "Adam", "Elias",
		"Yassin", "Abdel", "Nordin", "Mounir", "Jamal", "Jozef", "Jacobus", "Wilhelm", "Gerard", "Frans",
		"Jaap", "Joop", "Herman", "Hendrikus", "Berend", "Harry", "Fred", "Ben", "Jeffrey", "Jasper", "Jorn"}
	femaleGivenNames = []string{"Maria", "Johanna", "Anna", "Cornelia", "Elisabeth", "Wilhelmina", "Catharina",
		"Hendrika", "Adriana", "Petronella", "Jacoba", "Geertruida", "Margaretha", "Aaltje", "Grietje",
		"Neeltje", "Antje", "Sandra", "Linda", "Monique", "Petra", "Esther", "Karin", "Ingrid", "Marieke",
		"Fatima", "Anouk", "Sanne", "Lisa", "Emma", "Julia", "Sophie", "Eva", "Fleur", "Laura", "Iris",
		"Femke", "Lotte", "Tess", "Ellen", "Wendy", "Mirjam", "Anita", "Yvonne", "Bianca", "Chantal",
		"Danielle", "Patricia", "Nicole", "Saskia", "Manon", "Marjolein", "Ineke", "Joke", "Gerda", "Hilda",
		"Riet", "Ria", "Annie", "Corrie", "Truus", "Marian", "Jolanda", "Astrid", "Inge", "Judith", "Suzanne",
		"Miranda", "Angela", "Simone", "Hanneke", "Willemijn", "Lieke", "Noor", "Milou", "Nina", "Fenna",
		"Saar", "Yara", "Mila", "Sara", "Zoë", "Evi", "Roos", "Elif", "Zeynep", "Ayşe", "Fatma", "Emine",
		"Hatice", "Khadija", "Aicha", "Naima", "Malika", "Samira", "Nadia", "Hanan", "Meryem", "Esra", "Büşra",
		"Merve", "Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Priya", "Anjali", "Sharmila", "Natasha",
		"Anne-Marie", "Marie-José", "Anne-Fleur", "Theodora", "Francisca", "Gerarda", "Alida", "Dirkje",
		"Trijntje", "Jantje", "Klaasje", "Hillegonda", "Berendina", "Janna", "Tineke", "Jannie", "Mies", "Els",
		"Greet", "Marga", "Marja", "Mieke", "Nel", "Carla", "Ilse", "Mariska", "Debora", "Charlotte", "Merel",
		"Liv", "Olivia", "Nora", "Hannah", "Jasmijn", "Lara", "Amber", "Naomi", "Romy", "Sophia", "Maud",
		"Vera", "Loes", "Lieve", "Imane", "Salma", "Hajar", "Soumaya", "Ikram", "Latifa", "Annemarie",
		"Marianne", "Gerda", "Henny", "Bep", "Diny", "Dina", "Rika", "Jenny", "Helena", "Christina", "Susanne"}
)

// givenNameGender maps the key of a given name to "m" or "v".
var givenNameGender = func() map[string]string {
	m := make(map[string]string, len(maleGivenNames)+len(femaleGivenNames))
	for _, s := range maleGivenNames {
		m[key(fold(s, false))] = "m"
	}
	for _, s := range femaleGivenNames {
		m[key(fold(s, false))] = "v"
	}
	return m
}()

// nameGender is the sex that the first given name of n names (see
// maleGivenNames), or "" when there is no first name or it is not in the
// table.
func nameGender(n Normalised) string {
	if len(n.FirstNames) == 0 {
		return ""
	}
	return givenNameGender[n.FirstNames[0]]
}

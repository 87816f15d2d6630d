#!/usr/bin/env python3
"""Makes the sample pushes of the partner "schuldhulp" from the RvIG test persons.

Run from plugins/jsonpush/testdata with the path of persons_extract.csv (see SOURCE.txt):
    python3 samples.py /work/shared/data/rvig-testpersonen/persons_extract.csv
It writes schuldhulp.json and schuldhulp.ndjson. The persons (BSN, names, birth date, gender) are the
RvIG's fictitious test persons; everything about the debt-help trajectory is made up, deterministically.
"""
import csv, json, random, sys

rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")) if r["lg_id"] and r["bsn_11proef"] == "1"]
with_prefix = [r for r in rows if r["voorvoegsel"] and r["voorvoegsel"] != "voorvoegsel"][:14]
without = [r for r in rows if not r["voorvoegsel"]][:26]
persons = sorted(with_prefix + without, key=lambda r: r["lg_id"])

rnd = random.Random(5)
fases = ["aanmelding", "intake", "plan", "stabilisatie", "afgesloten"]
groepen = ["dreigend dakloos", "residentieel dakloos", "multiprobleemgezin", "zorgmijder", "feitelijk dakloos"]
gemeenten = ["Helmond", "Eindhoven", "Deurne", "Geldrop-Mierlo", "Veldhoven", "Someren"]
casemanagers = ["R. de Wit (Kredietbank)", "S. Öztürk (Kredietbank)", "J. van Loon (Wijkteam)", "P. Jansen"]
gebieden = ["Financiën", "Huisvesting", "Dagbesteding", "Sociaal netwerk"]
scores = ["stabiel", "instabiel", "?"]

def dmy(d):  # 19851201 -> 01-12-1985; unknown parts stay 00
    return d[6:8] + "-" + d[4:6] + "-" + d[0:4]

records = []
for i, p in enumerate(persons):
    rec = {
        "dossiernummer": "SHV-2025-%04d" % (i + 1),
        "mutatie": "nieuw" if i % 7 else "wijziging",
        "persoon": {
            "bsn": p["bsn"],
            "voornamen": p["voornamen"],
            "voorvoegsel": p["voorvoegsel"],
            "geslachtsnaam": p["geslachtsnaam"],
            "geboortedatum": dmy(p["geboortedatum"]),
            "geslacht": p["geslacht"] or "O",
        },
        "traject": {
            "fase": fases[i % len(fases)],
            "doelgroep": groepen[rnd.randrange(len(groepen))],
            "gemeente": gemeenten[rnd.randrange(len(gemeenten))],
            "casemanager": casemanagers[i % len(casemanagers)],
            "schuldbedrag": rnd.randrange(500, 60000),
        },
        "leefgebieden": [
            {"gebied": g, "score": scores[rnd.randrange(len(scores))]}
            | ({"peildatum": "%02d-0%d-2025" % (rnd.randrange(1, 28), rnd.randrange(1, 3))} if rnd.random() < 0.6 else {})
            for g in gebieden[: rnd.randrange(1, 5)]
        ],
        "gemeld": "2025-02-%02d %02d:%02d" % (rnd.randrange(1, 28), rnd.randrange(8, 18), rnd.randrange(0, 60)),
    }
    if i % 5 == 3:
        rec["persoon"]["bsn"] = None  # not every client gives a BSN
    records.append(rec)

doc = {"bericht": {"afzender": "schuldhulp", "systeem": "SHV-registratie 4.2", "aangemaakt": "2025-03-01T09:15:00+01:00"},
       "registraties": records}
with open("schuldhulp.json", "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, indent=2)
    f.write("\n")
with open("schuldhulp.ndjson", "w", encoding="utf-8") as f:
    for r in records:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

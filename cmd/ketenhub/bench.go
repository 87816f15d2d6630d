package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/store"
)

// cmdBench generates realistic partner exports, ingests them end to end
// (land → adapter → validate → store with client recognition → receipt) on
// the configured database, then ingests the next night's exports with 1% of
// the records changed, and compares both with a raw PostgreSQL COPY of the
// same rows, measured in the same run on the same database. With --partners
// the rows are spread over several partners that deliver at the same time,
// with persons registered at more than one of them.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	rows := fs.Int("rows", 1_000_000, "records in the generated exports, all partners together")
	partnerCount := fs.Int("partners", 1, "partners that each deliver their share of the rows at the same time")
	changed := fs.Float64("changed", 0.01, "share of records changed in the second night's export")
	plugins := fs.String("plugins", "", "folder with the adapter binaries (default: plugins/ next to this executable)")
	keep := fs.String("dir", "", "work folder (default: a temporary folder, removed afterwards)")
	cpuProfile := fs.String("cpuprofile", "", "write the hub's CPU profile of the ingests to this file")
	profileNight := fs.Int("profile-night", 0, "with --cpuprofile: profile only night 1 or 2 (0: both)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rows <= 0 {
		return usageError{"--rows must be positive"}
	}
	if *partnerCount < 1 || *partnerCount > 50 {
		return usageError{"--partners must be between 1 and 50"}
	}
	partners := benchPartnerIDs(*partnerCount)
	if *plugins == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find plugins: %w", err)
		}
		*plugins = filepath.Join(filepath.Dir(exe), "plugins")
	}
	dir := *keep
	if dir != "" {
		// Passable for the managed PostgreSQL's unprivileged user (see below).
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return fmt.Errorf("create work folder: %w", err)
		}
	} else {
		tmp, err := os.MkdirTemp("", "ketenhub-bench-")
		if err != nil {
			return fmt.Errorf("create work folder: %w", err)
		}
		// Passable for the managed PostgreSQL's unprivileged user, so that its
		// cluster stays inside the folder (and goes with it) instead of in
		// the fallback folder.
		if err := os.Chmod(tmp, 0o711); err != nil {
			return fmt.Errorf("create work folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	cfgPath, err := writeBenchConfig(dir, filepath.Join(*plugins, "ketenhub-csv"), partners)
	if err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return reportConfigErrors(stderr, err)
	}
	log := newLogger(stderr, slog.LevelWarn)
	n, err := openNode(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer n.close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- n.pipe.Run(runCtx) }()
	<-n.pipe.Running()

	var night1, night2 []string
	for _, p := range partners {
		night1 = append(night1, filepath.Join(dir, p+"-night1.csv"))
		night2 = append(night2, filepath.Join(dir, p+"-night2.csv"))
	}
	if err := generateExport(night1, night2, *rows, *changed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rows: %d\npartners: %d\n", *rows, len(partners))
	stopProfile := func() {}
	startProfile := func(night int) error {
		if *cpuProfile == "" || (*profileNight != 0 && *profileNight != night) || night == 2 && *profileNight == 0 {
			return nil
		}
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("create profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("start profile: %w", err)
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close(); stopProfile = func() {} }
		return nil
	}
	defer func() { stopProfile() }()
	if err := startProfile(1); err != nil {
		return err
	}
	first, err := benchIngest(ctx, n, partners, night1)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "first_ingest_seconds: %.2f\nfirst_ingest_rows_per_sec: %.0f\n", first.Seconds(), float64(*rows)/first.Seconds())
	if *profileNight == 1 {
		stopProfile()
	}
	if err := startProfile(2); err != nil {
		return err
	}
	var adapterPIDs []string
	for _, p := range partners {
		if host := n.adapters.host(p); host != nil && host.Status().PID > 0 {
			adapterPIDs = append(adapterPIDs, strconv.Itoa(host.Status().PID))
		}
	}
	adaptersCPU := func() (sum float64) {
		for _, pid := range adapterPIDs {
			sum += cpuSeconds(pid)
		}
		return sum
	}
	hubCPU, adapterCPU := cpuSeconds("self"), adaptersCPU()
	second, err := benchIngest(ctx, n, partners, night2)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "second_night_changed: %.2f%%\nsecond_night_seconds: %.2f\nsecond_night_vs_first: %.3f\n",
		*changed*100, second.Seconds(), second.Seconds()/first.Seconds())
	fmt.Fprintf(stdout, "second_night_cpu_seconds: hub %.2f, adapters %.2f\n", cpuSeconds("self")-hubCPU, adaptersCPU()-adapterCPU)
	stopProfile()
	fmt.Fprintf(stdout, "hub_peak_rss_mib: %.0f\n", peakRSSMiB("self"))
	adapterRSS := 0.0
	for _, pid := range adapterPIDs {
		adapterRSS = max(adapterRSS, peakRSSMiB(pid))
	}
	fmt.Fprintf(stdout, "adapter_peak_rss_mib: %.0f\n", adapterRSS)
	var clientCount int64
	if err := n.store.Pool().QueryRow(ctx, `SELECT count(DISTINCT client_id) FROM registration_identity`).Scan(&clientCount); err != nil {
		return fmt.Errorf("count chain clients: %w", err)
	}
	fmt.Fprintf(stdout, "chain_clients: %d\n", clientCount)
	copyDur, copied, err := benchCopy(ctx, n.store, dir)
	if err != nil {
		return err
	}
	copyRate := float64(copied) / copyDur.Seconds()
	fmt.Fprintf(stdout, "copy_rows: %d\ncopy_seconds: %.2f\ncopy_rows_per_sec: %.0f\n", copied, copyDur.Seconds(), copyRate)
	fmt.Fprintf(stdout, "ratio_vs_copy: %.2f\n", (float64(*rows)/first.Seconds())/copyRate)
	stop()
	<-done
	return nil
}

// benchPartnerIDs names the bench's partners: "bench" alone, or bench-1 …
// bench-n.
func benchPartnerIDs(n int) []string {
	if n == 1 {
		return []string{"bench"}
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%d", i+1)
	}
	return ids
}

// benchIngest lands one file per partner, all at the same time, and waits
// until every receipt is made; it returns the time from the start of landing
// to the last receipt.
func benchIngest(ctx context.Context, n *node, partners, paths []string) (time.Duration, error) {
	start := time.Now()
	errs := make(chan error, len(partners))
	for i := range partners {
		go func() { errs <- benchIngestOne(ctx, n, partners[i], paths[i]) }()
	}
	var first error
	for range partners {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return time.Since(start), first
}

// benchIngestOne lands a file as the partner and waits until its receipt is
// made.
func benchIngestOne(ctx context.Context, n *node, partner, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	defer f.Close()
	doc, _, err := n.store.Land(ctx, store.Landing{Partner: partner, OriginalName: filepath.Base(path), Source: "drop",
		OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error { return n.pipe.Submit(ctx, tx, partner, id) }}, f)
	if err != nil {
		return err
	}
	for {
		d, err := n.store.Document(ctx, doc.ID)
		if err != nil {
			return err
		}
		switch d.Status {
		case hub.DocDone:
			if d.Receipt.Counts.Rejected > 0 {
				return fmt.Errorf("bench export of %s had %d rejected records: %+v", partner, d.Receipt.Counts.Rejected, d.Receipt.Errors[0])
			}
			return nil
		case hub.DocFailed:
			return errors.New("bench document failed: " + d.Failure)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// benchCopy dumps the stored registrations to a file (not timed) and times a
// raw COPY of them into a table shaped like registrations, indexes included.
func benchCopy(ctx context.Context, s *store.Store, dir string) (time.Duration, int64, error) {
	path := filepath.Join(dir, "registrations.copy")
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, fmt.Errorf("create copy file: %w", err)
	}
	defer f.Close()
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	const cols = "partner, record_key, status, operation, content_hash, data, document_id, line, registered_at"
	if _, err := conn.Conn().PgConn().CopyTo(ctx, f, "COPY (SELECT "+cols+" FROM registrations) TO STDOUT"); err != nil {
		return 0, 0, fmt.Errorf("dump registrations: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, err
	}
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE registrations INCLUDING ALL)"); err != nil {
		return 0, 0, fmt.Errorf("create copy table: %w", err)
	}
	defer conn.Exec(context.Background(), "DROP TABLE IF EXISTS bench_copy")
	start := time.Now()
	tag, err := conn.Conn().PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), "COPY bench_copy ("+cols+") FROM STDIN")
	if err != nil {
		return 0, 0, fmt.Errorf("copy registrations: %w", err)
	}
	return time.Since(start), tag.RowsAffected(), nil
}

// cpuSeconds reads the CPU time (user and system) a process has used:
// "self" or a pid; 0 when it cannot be read.
func cpuSeconds(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil || pid == "" {
		return 0
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: utime and stime are the 12th and 13th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}

// clockTicks is the kernel's USER_HZ, 100 on Linux everywhere.
const clockTicks = 100

// peakRSSMiB reads the peak resident set size (VmHWM) of a process: "self"
// or a pid.
func peakRSSMiB(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// writeBenchConfig writes a hub configuration with the given partners, each
// with the export of benchPartnerYAML.
func writeBenchConfig(dir, csvPlugin string, partners []string) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "partners"), 0o750); err != nil {
		return "", fmt.Errorf("write bench config: %w", err)
	}
	hubYAML := fmt.Sprintf("listen: 127.0.0.1:0\ndata_dir: data\npartners_dir: partners\nadapters:\n  csv:\n    binary: %q\n", csvPlugin)
	if err := os.WriteFile(filepath.Join(dir, "ketenhub.yaml"), []byte(hubYAML), 0o640); err != nil {
		return "", fmt.Errorf("write bench config: %w", err)
	}
	files := map[string]string{"roles.yaml": benchRolesYAML, "auth.yaml": "# The bench serves no API: nobody signs in.\n"}
	for _, p := range partners {
		files[filepath.Join("partners", p+".yaml")] = strings.Replace(benchPartnerYAML, "id: bench\nname: Bench\n", "id: "+p+"\nname: "+p+"\n", 1)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o640); err != nil {
			return "", fmt.Errorf("write bench config: %w", err)
		}
	}
	return filepath.Join(dir, "ketenhub.yaml"), nil
}

// benchRolesYAML are the rules of the bench's hub, which serves no API: only
// operating the hub, no access to client data.
const benchRolesYAML = `version: 1
purposes:
  beheer:
    description: Meten van de hub.
    consent: not_required
    legal_ground: Meting zonder inzage in cliëntgegevens
    classes: []
bemoeizorg:
  max_days: 90
  review_every_days: 30
  classes: []
roles:
  ict-beheer:
    description: Beheer van de hub.
    purposes: [beheer]
    operations: [operate_hub]
`

const benchHeader = "dossiernr,bsn,achternaam,tussenvoegsel,voorletters,voornaam,geboortedatum,geslacht,doelgroep,gemeente,processtap,regievoerder,wonen,inkomen,zorg\n"

var (
	benchSurnames = []string{"Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot",
		"Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "Yilmaz", "El Amrani", "Nowak", "Kaya"}
	benchGroups  = []string{"feitelijk dakloos", "residentieel dakloos", "dreigend dakloos", "zwerfjongere", "veelpleger", "zorgmijder", "overlastgever"}
	benchSteps   = []string{"aanmelding", "triage", "zorgvraagverduidelijking", "trajecttoewijzing", "trajectmonitoring", "uitstroom"}
	benchTowns   = []string{"Eindhoven", "Helmond", "Best", "Geldrop-Mierlo", "Valkenswaard", "Son en Breugel", "Oirschot", "Bladel"}
	benchWorkers = []string{"M. Yilmaz (SZW)", "K. Jansen (IMW)", "J. de Vries (GGD)", "A. Bakker (opvang)"}
	benchStatus  = []string{"stabiel", "instabiel", "onbekend"}
)

// generateExport writes two nights of a full export per partner (row i goes
// to partner i mod len(night1)): the second has a share of the records
// changed (a life domain status), the rest byte-identical. A tenth of the
// rows is another dossier of a person generated before, at any partner.
func generateExport(night1, night2 []string, rows int, changed float64) error {
	var w1s, w2s []*bufio.Writer
	for i := range night1 {
		for _, path := range []string{night1[i], night2[i]} {
			f, err := os.Create(path)
			if err != nil {
				return fmt.Errorf("generate export: %w", err)
			}
			defer f.Close()
			w := bufio.NewWriterSize(f, 1<<20)
			w.WriteString(benchHeader)
			if path == night1[i] {
				w1s = append(w1s, w)
			} else {
				w2s = append(w2s, w)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var persons []benchPerson
	for i := 1; i <= rows; i++ {
		p := newBenchPerson(rng)
		if len(persons) > 0 && rng.IntN(10) == 0 {
			// Another dossier of a person registered before: client
			// recognition links the two.
			p = persons[rng.IntN(len(persons))]
		} else if len(persons) < 1<<16 {
			persons = append(persons, p)
		} else {
			persons[rng.IntN(len(persons))] = p
		}
		wonen := benchStatus[rng.IntN(3)]
		prefixPart := fmt.Sprintf("bench-%07d,%s,%s,%s,%s.,%s,%s,%s,%s,%s,%s,%q,",
			i, p.bsn, p.surname, p.prefix, p.first[:1], p.first, p.birth, p.gender,
			benchGroups[rng.IntN(len(benchGroups))], benchTowns[rng.IntN(len(benchTowns))], benchSteps[rng.IntN(len(benchSteps))],
			benchWorkers[rng.IntN(len(benchWorkers))])
		rest := fmt.Sprintf(",%s,%s\n", benchStatus[rng.IntN(3)], benchStatus[rng.IntN(3)])
		w1s[i%len(w1s)].WriteString(prefixPart + wonen + rest)
		if rng.Float64() < changed {
			wonen = benchStatus[(indexOf(benchStatus, wonen)+1)%3]
		}
		w2s[i%len(w2s)].WriteString(prefixPart + wonen + rest)
	}
	for _, w := range append(w1s, w2s...) {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("generate export: %w", err)
		}
	}
	return nil
}

// benchPerson is the identity in one generated row.
type benchPerson struct {
	bsn, surname, prefix, first, birth, gender string
}

// Surnames of the generated export: a share from a short list of the most
// common Dutch surnames, the rest composed from parts, so that name
// frequencies have the long tail of a real population (client recognition's
// blocks stay as small as they are in real life).
var (
	benchNameStarts = []string{"Ver", "Hoog", "Wes", "Oos", "Zuid", "Noord", "Klein", "Groot", "Nieuw", "Oud", "Hof", "Molen",
		"Kerk", "Brink", "Dam", "Heem", "Ter", "Vel", "Wit", "Zwart", "Rood", "Blom", "Berk", "Eik", "Lin", "Haz", "Kuip", "Stee",
		"Boer", "Smit", "Bak", "Wever", "Schip", "Veer", "Dijk", "Zand", "Water", "Hout", "Steen", "Goud"}
	benchNameRoots = []string{"berg", "bos", "dijk", "veen", "hoek", "kamp", "laan", "wal", "broek", "heuvel", "meer", "hout",
		"horst", "stede", "land", "weg", "straat", "veld", "beek", "burg", "dam", "donk", "rode", "loo", "hage", "hoven", "kerk",
		"poel", "sloot", "gracht", "haven", "", "ink", "inga", "stra", "sma", "ema", "ens", "ing", "er"}
	benchNameEnds = []string{"", "", "", "s", "e", "er", "man", "mans", "ink", "sen"}
	benchPrefixes = []string{"", "", "", "", "", "", "van", "de", "van der", "van den", "ter", "van de", "den", "in 't"}
	benchFemale   = []string{"Anna", "Maria", "Johanna", "Cornelia", "Fatima", "Sanne", "Ayşe", "Esra", "Lotte", "Emma", "Sophie",
		"Julia", "Eva", "Fleur", "Anouk", "Chantal", "Esther", "Gerda", "Ingrid", "Karin", "Linda", "Monique", "Naima", "Petra",
		"Saskia", "Tamara", "Yvonne", "Zeynep", "Inês", "Agnieszka", "Malika", "Hanneke", "Wilhelmina", "Joke", "Ria"}
	benchMale = []string{"Johannes", "Mohamed", "Pieter", "Kees", "Daan", "Jan", "Henk", "Cornelis", "Willem", "Hendrik",
		"Gerrit", "Ahmed", "Sem", "Thijs", "Bram", "Ruben", "Mark", "Dennis", "Erik", "Frank", "Lucas", "Niels", "Stefan",
		"Tim", "Umut", "Vincent", "Youssef", "Piotr", "Theo", "Sjoerd", "Jeroen", "Karel", "Frans", "Ton", "Said"}
)

func newBenchPerson(rng *rand.Rand) benchPerson {
	var p benchPerson
	if rng.IntN(100) < 15 {
		full := benchSurnames[rng.IntN(len(benchSurnames))]
		if j := strings.LastIndexByte(full, ' '); j > 0 {
			p.prefix, p.surname = full[:j], full[j+1:]
		} else {
			p.surname = full
		}
	} else {
		p.prefix = benchPrefixes[rng.IntN(len(benchPrefixes))]
		p.surname = benchNameStarts[rng.IntN(len(benchNameStarts))] + benchNameRoots[rng.IntN(len(benchNameRoots))] +
			benchNameEnds[rng.IntN(len(benchNameEnds))]
	}
	names := benchMale
	p.gender = "man"
	if rng.IntN(2) == 0 {
		names, p.gender = benchFemale, "vrouw"
	}
	p.first = names[rng.IntN(len(names))]
	if rng.IntN(3) == 0 {
		p.first += " " + names[rng.IntN(len(names))]
	}
	if rng.IntN(10) < 7 {
		p.bsn = validBSN(rng)
	}
	p.birth = fmt.Sprintf("%04d%02d%02d", 1935+rng.IntN(72), 1+rng.IntN(12), 1+rng.IntN(28))
	return p
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return 0
}

// validBSN draws a number that passes the elfproef.
func validBSN(rng *rand.Rand) string {
	for {
		d := make([]int, 9)
		sum := 0
		for i := 0; i < 8; i++ {
			d[i] = rng.IntN(10)
			sum += (9 - i) * d[i]
		}
		d[8] = sum % 11
		if d[8] == 10 || (d[0] == 0 && d[1] == 0) {
			continue
		}
		return fmt.Sprintf("%d%d%d%d%d%d%d%d%d", d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8])
	}
}

// benchPartnerYAML is the bench partner: the municipality's export format
// (the generator writes that dialect), as a full export that ends missing
// records, so the second night exercises the unchanged-record path.
const benchPartnerYAML = `id: bench
name: Bench
adapter:
  name: csv
  config:
    delimiter: ","
    encoding: utf-8
    header: true
    date_layouts: ["20060102"]
    surname_prefix_mode: column
    initials_from_first_names: true
    columns:
      dossiernr: source.record_key
      bsn: client.bsn
      achternaam: client.surname
      tussenvoegsel: client.surname_prefix
      voorletters: client.initials
      voornaam: client.first_names
      geboortedatum: client.birth_date
      geslacht: client.gender
      doelgroep: target_group
      gemeente: municipality
      processtap: process_step
      regievoerder:
        pattern: '(?P<naam>[^()]*?)\s*(?:\((?P<organisatie>[^()]*)\))?'
        groups:
          naam: responsible_worker.name
          organisatie: responsible_worker.organisation
      wonen: life_domains.wonen.status
      inkomen: life_domains.inkomen.status
      zorg: life_domains.zorg.status
    values:
      client.gender:
        map: {man: man, vrouw: vrouw, "": onbekend}
      target_group:
        map:
          feitelijk dakloos: feitelijk_dakloos
          residentieel dakloos: residentieel_dakloos
          dreigend dakloos: dreigend_dakloos
          zwerfjongere: zwerfjongere
          veelpleger: veelpleger
          zorgmijder: zorgmijder
          overlastgever: overlastgever
      process_step:
        map: {uitstroom: uitstroom_nazorg}
export:
  kind: full
  missing: end
`

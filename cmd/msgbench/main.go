// Command msgbench benchmarks the messaging plugin end to end: it builds
// the app, bulk-seeds it with "messaging seed", serves it on loopback and
// drives it over HTTP with real auth tokens, comparing each measure with a
// bare PocketBase collection under an equivalent members-only rule.
//
//	GOTOOLCHAIN=auto go run ./cmd/msgbench -size full
//
// See BENCHMARKS.md for the measures and goals.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// searchWords are the search measures' queries: words of the seeded
// messages (internal/seed's vocabulary).
var searchWords = []string{"meeting", "coffee", "project", "weekend", "thanks", "photo"}

// pacedRate is the offered send rate, in messages per second, at which
// the realtime measure takes its delivery latency.
const pacedRate = 100

const (
	userPassword      = "benchpass123"
	superuserEmail    = "bench@example.com"
	superuserPassword = "bench-superuser-1"
)

func main() {
	cfg := config{}
	flag.StringVar(&cfg.Size, "size", "small", "small (seconds, tiny data) or full (10k users, 100k threads, 100k and 1M messages, 0/1000/5000 SSE clients)")
	flag.DurationVar(&cfg.Duration, "duration", 0, "measuring time per measure, after a warm-up (default 2s small, 15s full)")
	flag.IntVar(&cfg.Conc, "c", 16, "concurrent HTTP clients per measure")
	flag.StringVar(&cfg.JSON, "json", "bench-results.json", "write the results as JSON to this file (empty: don't)")
	flag.StringVar(&cfg.Bin, "bin", "", "app binary to run (default: go build the repo's main package into the work dir)")
	flag.StringVar(&cfg.WorkDir, "workdir", "", "work directory for the data dirs and logs (default: a new temp dir)")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the work directory")
	flag.BoolVar(&cfg.Profile, "profile", false, "benchmark ./cmd/msgbench/profserve (the app plus a pprof listener) and save a server CPU profile per measure into the work dir (implies -keep)")
	flag.BoolVar(&cfg.NotifyOnly, "notify-only", false, "seed only the first dataset and run only the notification measures on it")
	flag.BoolVar(&cfg.AntiSpamOnly, "antispam-only", false, "seed only the first dataset and run only the send measures with the anti-spam checks off and on")
	flag.BoolVar(&cfg.ExportOnly, "export-only", false, "seed one conversation of 100,000 messages (small: 5,000) and measure a member's export of it: time, size, server memory")
	flag.BoolVar(&cfg.PurgeOnly, "purge-only", false, "seed only the first dataset and measure send p99 without and during a purge of 100,000 deleted message bodies (small: 5,000)")
	flag.BoolVar(&cfg.BigThreadOnly, "bigthread-only", false, "run only the big-thread measures: posts into a 10,000-member conversation (small: 600), its counter fan-out, other members' sends during it")
	flag.BoolVar(&cfg.RolesOnly, "roles-only", false, "run only the role-message measures: a message to a role of 10,000 members (small: 600) expanded in the background (needs issue 13's roles)")
	flag.IntVar(&cfg.NotifyRounds, "notify-rounds", 0, "rounds of the notification measures, each off then on (default 1 small, 2 full)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, cfg); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, cfg config) (*Report, error) {
	p, err := plans(cfg.Size)
	if err != nil {
		return nil, err
	}
	if cfg.Duration == 0 {
		cfg.Duration = 2 * time.Second
		if cfg.Size == "full" {
			cfg.Duration = 15 * time.Second
		}
	}
	if cfg.NotifyRounds == 0 {
		cfg.NotifyRounds = 1
		if cfg.Size == "full" {
			cfg.NotifyRounds = 2
		}
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "msgbench: "+format+"\n", args...)
	}
	nofile := raiseFileLimit()
	if need := uint64(slices.Max(p.Ks) + 200); nofile < need {
		logf("warning: open-files limit %d is below the %d the realtime measure needs", nofile, need)
	}

	work := cfg.WorkDir
	if cfg.Profile {
		cfg.Keep = true
	}
	if work == "" {
		if work, err = os.MkdirTemp("", "msgbench-"); err != nil {
			return nil, err
		}
		if !cfg.Keep {
			defer os.RemoveAll(work)
		}
	}
	bin := cfg.Bin
	if bin == "" && !cfg.NotifyOnly {
		pkg := "."
		if cfg.Profile {
			pkg = "./cmd/msgbench/profserve"
		}
		logf("building %s into %s", pkg, work)
		if bin, err = buildApp(work, pkg); err != nil {
			return nil, err
		}
	}
	// The notification measures run profserve, which can turn the
	// pipeline off (notify.go).
	nbin := bin
	if (!cfg.Profile || cfg.Bin != "" || bin == "") && !cfg.BigThreadOnly && !cfg.RolesOnly {
		dir := filepath.Join(work, "profserve")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		logf("building ./cmd/msgbench/profserve into %s", dir)
		if nbin, err = buildApp(dir, "./cmd/msgbench/profserve"); err != nil {
			return nil, err
		}
	}
	if cfg.NotifyOnly {
		bin = nbin
	}
	if cfg.ExportOnly {
		p.Datasets = []dataset{exportDataset(cfg.Size)}
	}
	if cfg.BigThreadOnly || cfg.RolesOnly {
		p.Datasets = nil
	}
	if cfg.NotifyOnly || cfg.AntiSpamOnly || cfg.PurgeOnly {
		// The first dataset: the measures need users (full: 10,000), not
		// a million messages.
		p.Datasets = p.Datasets[:1]
	}

	rep := &Report{Size: cfg.Size, Duration: cfg.Duration.String(), Concurrency: cfg.Conc,
		CPUs: runtime.NumCPU(), Started: time.Now().UTC()}
	for i, ds := range p.Datasets {
		last := i == len(p.Datasets)-1
		if err := runDataset(ctx, cfg, bin, nbin, filepath.Join(work, ds.Name), ds, last, p, rep, logf); err != nil {
			return rep, fmt.Errorf("dataset %s: %w", ds.Name, err)
		}
	}
	// Last in a whole run: its own dataset, around one big conversation.
	if cfg.BigThreadOnly || (!cfg.NotifyOnly && !cfg.AntiSpamOnly && !cfg.ExportOnly && !cfg.RolesOnly && !cfg.PurgeOnly) {
		if err := runBigThread(ctx, cfg, bin, work, rep, logf); err != nil {
			return rep, fmt.Errorf("big thread: %w", err)
		}
	}
	if cfg.RolesOnly {
		if err := runRoles(ctx, cfg, bin, work, rep, logf); err != nil {
			return rep, fmt.Errorf("roles: %w", err)
		}
	}
	rep.Goals = goals(rep, p)
	if cfg.NotifyOnly || cfg.AntiSpamOnly || cfg.ExportOnly || cfg.PurgeOnly || cfg.BigThreadOnly || cfg.RolesOnly {
		// The seeding goal is the full set's (1,000,000 messages).
		rep.Goals = slices.DeleteFunc(rep.Goals, func(g Goal) bool { return strings.HasPrefix(g.Goal, "seeding") })
	}
	printReport(cfg.Out, rep)
	if cfg.JSON != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return rep, err
		}
		if err := os.WriteFile(cfg.JSON, append(b, '\n'), 0o644); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func runDataset(ctx context.Context, cfg config, bin, nbin, dir string, ds dataset, last bool, p plan, rep *Report, logf func(string, ...any)) error {
	dataDir := filepath.Join(dir, "pb_data")
	if err := os.MkdirAll(filepath.Join(dir, "pb_migrations"), 0o755); err != nil {
		return err
	}
	logf("%s: seeding %d users, %d threads, %d messages", ds.Name, ds.Users, ds.Threads, ds.Messages)
	s, err := seed(bin, dataDir, ds)
	if err != nil {
		return err
	}
	rep.Seeding = append(rep.Seeding, s)
	logf("%s: seeded %d rows in %.1fs (%.0f rows/s); recount fixed %d", ds.Name, s.Rows, s.Seconds, s.RowsPerSec, s.RecountFixed)
	if err := setupReference(bin, dir, dataDir); err != nil {
		return err
	}
	add := func(r Result) {
		rep.Results = append(rep.Results, r)
		logf("%s: %-8s K=%-5d %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d %s",
			ds.Name, r.Measure, r.Clients, r.RPS, r.P50, r.P99, r.Errors, r.FirstErr)
	}
	if cfg.NotifyOnly {
		return runNotify(ctx, cfg, nbin, dataDir, ds, p.GroupSize, add, logf)
	}

	ms, err := startMeasured(ctx, cfg, bin, dataDir, dir, logf)
	if err != nil {
		return err
	}
	srv, a, profiled := ms.srv, ms.a, ms.profiled
	defer func() {
		if srv != nil {
			srv.stop()
		}
	}()
	if cfg.ExportOnly {
		return measureExport(ctx, a, srv, ds, add, logf)
	}
	// One real password sign-in proves the seeded hash; the many tokens
	// the measures need are minted (bcrypt would take minutes).
	if _, err := a.loginUser(ctx, "user1@example.com"); err != nil {
		return fmt.Errorf("password sign-in of a seeded user: %w", err)
	}
	fx, toks, err := senders(ctx, a, cfg.Conc)
	if err != nil {
		return err
	}

	measure := func(name string, fn func(ctx context.Context, w, i int) error) Result {
		var st stats
		profiled(name, func() { st = load(ctx, cfg.Conc, cfg.Duration, 0, fn) })
		return st.result(name, ds.Name)
	}
	reader := func(w, i int) member { return fx.readers[(w*7919+i)%len(fx.readers)] }
	get := func(path string) func(ctx context.Context, w, i int) error {
		return func(ctx context.Context, w, i int) error {
			m := reader(w, i)
			return a.do(ctx, "GET", strings.ReplaceAll(path, "{thread}", m.thread), m.token, nil, nil)
		}
	}
	var seq atomic.Int64
	send := func(d *deliveries) func(ctx context.Context, w, i int) error {
		return func(ctx context.Context, w, i int) error {
			m := fx.senders[w%len(fx.senders)]
			body := fmt.Sprintf("bench %d", seq.Add(1))
			if d != nil {
				d.sentAt.Store(body, time.Now())
			}
			return a.do(ctx, "POST", "/api/messaging/threads/"+m.thread+"/messages", m.token, map[string]string{"body": body}, nil)
		}
	}
	create := func(ctx context.Context, w, i int) error {
		m := fx.senders[w%len(fx.senders)]
		return a.do(ctx, "POST", "/api/collections/bench_notes/records", m.token,
			map[string]string{"thread": m.thread, "author": m.user, "body": fmt.Sprintf("bench %d", seq.Add(1))}, nil)
	}

	if cfg.AntiSpamOnly {
		ref := measure("create", create)
		ref.Measure = "create(ref)"
		add(ref)
		add(withRef(measure("send", send(nil)), ref))
		return measureAntiSpam(ctx, a, func() Result { return measure("send", send(nil)) }, add)
	}
	if cfg.PurgeOnly {
		// The purge's measure has no warm-up: the purge may be over in
		// a few seconds, and the senders are warm from the first.
		sendFor := func(c context.Context, d time.Duration) Result {
			warm := time.Duration(0)
			if c == ctx {
				warm = min(d/5, 2*time.Second)
			}
			return loadWarm(c, cfg.Conc, warm, d, 0, send(nil)).result("send", ds.Name)
		}
		return measurePurge(ctx, cfg, bin, dir, dataDir, sendFor, add, logf)
	}

	// Reads first, then writes (which add a little data).
	list := measure("list", get("/api/collections/bench_notes/records?filter=thread%3D%27{thread}%27&sort=-created&perPage=20&skipTotal=1"))
	list.Measure = "list(ref)"
	add(list)
	add(withRef(measure("inbox", get("/api/messaging/threads")), list))
	add(withRef(measure("thread", get("/api/messaging/threads/{thread}/messages")), list))
	add(withRef(measure("unread", get("/api/messaging/unread")), list))
	// Search: a word from the seeded vocabulary (each is in about one
	// message in ten), across all the reader's conversations and within
	// one; the last word is also a prefix, as a member's query would be.
	searchWord := func(i int) string { return searchWords[i%len(searchWords)] }
	search := func(thread bool) func(ctx context.Context, w, i int) error {
		return func(ctx context.Context, w, i int) error {
			m := reader(w, i)
			path := "/api/messaging/search?q=" + searchWord(i)
			if thread {
				path += "&thread=" + m.thread
			}
			return a.do(ctx, "GET", path, m.token, nil, nil)
		}
	}
	add(withRef(measure("search", search(false)), list))
	add(withRef(measure("search(thread)", search(true)), list))
	ref := measure("create", create)
	ref.Measure = "create(ref)"
	add(ref)
	add(withRef(measure("send", send(nil)), ref))

	if !last {
		return nil
	}
	if err := measureAntiSpam(ctx, a, func() Result { return measure("send", send(nil)) }, add); err != nil {
		return err
	}
	// A fresh server process, so its memory shows the realtime clients,
	// not what earlier measures left on the heap.
	srv.stop()
	fresh, err := startServer(ctx, bin, dataDir, ms.env)
	if err != nil {
		srv = nil
		return err
	}
	srv, a.base = fresh, fresh.base
	if err := realtime(ctx, cfg, a, srv, fx, toks, ds, p.Ks, send, add, profiled, logf); err != nil {
		return err
	}
	// Last: the notification measures change the settings (delay, SMTP).
	srv.stop()
	srv = nil
	return runNotify(ctx, cfg, nbin, dataDir, ds, p.GroupSize, add, logf)
}

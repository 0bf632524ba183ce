package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The big-thread measures (issue 13's foundation: the counter fan-out of
// messaging/fanout.go). One conversation of bigMembers members (full:
// 10,000), seeded with "messaging seed --role support --role-members N
// --role-thread" beside a small bulk dataset whose 2–5-member threads give
// the other senders, then:
//
//   - bigpost: posts into it one at a time, each by one of 16 members, with
//     200 members' live clients connected: the answer latency, the
//     delivery of the "message" event to every client, and the time until
//     the fan-out has counted every member (messaging_fanouts empty);
//     bigpost(ref) is the bare create of a bench_notes row in the same
//     thread, one at a time, by the same members;
//   - bigburst: the same number of posts from 16 members at once, and the
//     time until the fan-out of them all is done;
//   - read(small) / read(big): members reading the newest page of their
//     small threads, then of the big one (the issue: about the same cost);
//   - send(no fanout) / send(during fanout): the send measure in the small
//     threads, then again while a member posts into the big thread as soon
//     as the previous post's fan-out is done (the worker always busy);
//   - afterwards a sample of the members' unread counts against the
//     messages (superuser records API) and "messaging recount" on the
//     stopped server, which must fix nothing.

// bigThreadMeasures names the measures (printed in their own table).
var bigThreadMeasures = []string{"bigpost(ref)", "bigpost", "bigburst", "read(small)", "read(big)", "send(no fanout)", "send(during fanout)", "bigthread check"}

// bigThreadPlan is the size of the big-thread measures.
type bigThreadPlan struct {
	Data    dataset // the bulk dataset around the thread
	Members int     // the big thread's members (the role's)
	Posts   int     // posts of bigpost, and of bigburst
	Clients int     // live clients among the members
	Sample  int     // members whose unread count is checked
}

func bigThreadPlanFor(size string) bigThreadPlan {
	if size == "full" {
		return bigThreadPlan{Data: dataset{"bigthread", 10000, 10000, 10000}, Members: 10000, Posts: 50, Clients: 200, Sample: 200}
	}
	// Over the plugin's default FanOutThreshold (500): the fan-out path.
	return bigThreadPlan{Data: dataset{"bigthread", 200, 500, 500}, Members: 600, Posts: 10, Clients: 50, Sample: 50}
}

// bigPoster is one member posting into the big thread.
type bigPoster struct{ user, token string }

func runBigThread(ctx context.Context, cfg config, bin, work string, rep *Report, logf func(string, ...any)) error {
	bp := bigThreadPlanFor(cfg.Size)
	ds := bp.Data
	dir := filepath.Join(work, ds.Name)
	dataDir := filepath.Join(dir, "pb_data")
	logf("%s: seeding %d users, %d threads, %d messages, and a conversation of %d members of role support",
		ds.Name, ds.Users, ds.Threads, ds.Messages, bp.Members)
	s, err := seed(bin, dataDir, ds, "--role", "support", "--role-members", strconv.Itoa(bp.Members), "--role-thread")
	if err != nil {
		return err
	}
	rep.Seeding = append(rep.Seeding, s)
	if s.RoleThread == "" || s.RoleMembers != bp.Members {
		return fmt.Errorf("seeding the big thread: %d role members, thread %q", s.RoleMembers, s.RoleThread)
	}
	thread := s.RoleThread
	logf("%s: seeded in %.1fs; recount fixed %d; big thread %s", ds.Name, s.WallSeconds, s.RecountFixed, thread)
	if err := setupReference(bin, dir, dataDir); err != nil {
		return err
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
	fx, toks, err := senders(ctx, a, cfg.Conc)
	if err != nil {
		return err
	}
	members, err := a.roleHolders(ctx, "support", cfg.Conc+bp.Clients)
	if err != nil {
		return err
	}
	if len(members) < cfg.Conc+bp.Clients {
		return fmt.Errorf("%d members of role support, want %d", len(members), cfg.Conc+bp.Clients)
	}
	tokList, err := toks.getAll(ctx, members)
	if err != nil {
		return err
	}
	posters := make([]bigPoster, cfg.Conc)
	for i := range posters {
		posters[i] = bigPoster{members[i], tokList[i]}
	}
	add := func(r Result) {
		r.Dataset, r.GroupSize = ds.Name, bp.Members
		rep.Results = append(rep.Results, r)
		logf("%s: %-20s %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d %s", ds.Name, r.Measure, r.RPS, r.P50, r.P99, r.Errors, r.FirstErr)
	}

	// The members' live clients.
	tr := newArrivals()
	sse := newSSEClient()
	clients, err := connectClients(ctx, sse, a, tokList[cfg.Conc:cfg.Conc+bp.Clients], 16, tr.onEvent)
	if err != nil {
		return fmt.Errorf("connecting the members' live clients: %w", err)
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()

	var seq atomic.Int64
	post := func(ctx context.Context, p bigPoster) (string, error) {
		body := fmt.Sprintf("big %d", seq.Add(1))
		tr.expect(body)
		return body, a.do(ctx, "POST", "/api/messaging/threads/"+thread+"/messages", p.token, map[string]string{"body": body}, nil)
	}

	// bigpost(ref): the bare create in the same thread.
	var refLats []time.Duration
	for i := range bp.Posts + 3 {
		p := posters[i%len(posters)]
		t0 := time.Now()
		err := a.do(ctx, "POST", "/api/collections/bench_notes/records", p.token,
			map[string]string{"thread": thread, "author": p.user, "body": fmt.Sprintf("ref %d", i)}, nil)
		if err != nil {
			return fmt.Errorf("bigpost(ref): %w", err)
		}
		if i >= 3 { // warm-up
			refLats = append(refLats, time.Since(t0))
		}
	}
	ref := latencyResult("bigpost(ref)", refLats, 0, "")
	add(ref)

	// bigpost: one at a time, each until every client has it and the
	// fan-out is done.
	var lats, fanouts, allGot []time.Duration
	var errs int
	var firstErr string
	delivered := 0
	profiled("bigpost", func() {
		for i := range bp.Posts + 3 {
			if i == 3 {
				tr.resetLatencies() // the warm-up's
			}
			t0 := time.Now()
			body, err := post(ctx, posters[i%len(posters)])
			lat := time.Since(t0)
			if err != nil {
				errs++
				firstErr = err.Error()
				continue
			}
			got := tr.wait(ctx, body, bp.Clients, 10*time.Second)
			if err := waitFanOuts(ctx, a, time.Minute); err != nil {
				errs++
				firstErr = err.Error()
				return
			}
			if i < 3 { // warm-up
				continue
			}
			lats, fanouts = append(lats, lat), append(fanouts, time.Since(t0))
			if got >= 0 {
				allGot = append(allGot, got)
				delivered++
			}
		}
	})
	r := withRef(latencyResult("bigpost", lats, errs, firstErr), ref)
	r.DeliveryP50, r.DeliveryP99 = tr.percentiles()
	_, r.AllClientsP99 = percentiles(allGot)
	r.Delivered, r.Sent, r.Clients = delivered, len(lats), bp.Clients
	r.FanOutP50, r.FanOutP99 = percentiles(fanouts)
	add(r)

	// bigburst: every poster at once.
	var burstLats []time.Duration
	var burstMu sync.Mutex
	burstErrs := 0
	began := time.Now()
	_ = forEach(ctx, len(posters), bp.Posts, func(ctx context.Context, i int) error {
		t0 := time.Now()
		_, err := post(ctx, posters[i%len(posters)])
		burstMu.Lock()
		defer burstMu.Unlock()
		if err != nil {
			burstErrs++
			return nil
		}
		burstLats = append(burstLats, time.Since(t0))
		return nil
	})
	answered := time.Since(began)
	if err := waitFanOuts(ctx, a, 5*time.Minute); err != nil {
		return err
	}
	br := withRef(latencyResult("bigburst", burstLats, burstErrs, ""), ref)
	// Posts answered per second of the burst, all at once.
	br.Seconds = answered.Seconds()
	br.RPS = float64(len(burstLats)) / br.Seconds
	br.DrainSeconds = time.Since(began).Seconds()
	br.Drained = true
	add(br)

	// Reading: the newest page of a small thread, then of the big one.
	read := func(name string, page func(w, i int) (thread, token string)) Result {
		var st stats
		profiled(name, func() {
			st = load(ctx, cfg.Conc, cfg.Duration, 0, func(ctx context.Context, w, i int) error {
				th, tok := page(w, i)
				return a.do(ctx, "GET", "/api/messaging/threads/"+th+"/messages", tok, nil, nil)
			})
		})
		return st.result(name, "")
	}
	small := read("read(small)", func(w, i int) (string, string) {
		m := fx.readers[(w*7919+i)%len(fx.readers)]
		return m.thread, m.token
	})
	add(small)
	add(withRef(read("read(big)", func(w, i int) (string, string) { return thread, posters[w%len(posters)].token }), small))

	// Other members' sends with and without a fan-out running.
	sendSmall := func(ctx context.Context, w, i int) error {
		m := fx.senders[w%len(fx.senders)]
		return a.do(ctx, "POST", "/api/messaging/threads/"+m.thread+"/messages", m.token,
			map[string]string{"body": fmt.Sprintf("bench %d", seq.Add(1))}, nil)
	}
	measure := func(name string) func() Result {
		return func() Result {
			var st stats
			profiled(name, func() { st = load(ctx, cfg.Conc, cfg.Duration, 0, sendSmall) })
			return st.result(name, "")
		}
	}
	base := measure("send(no fanout)")()
	add(base)
	during, posts, err := whileRunning(ctx, measure("send(during fanout)"), func(ctx context.Context) error {
		if _, err := post(ctx, posters[0]); err != nil {
			return err
		}
		return waitFanOuts(ctx, a, time.Minute)
	})
	if err != nil {
		return fmt.Errorf("posting into the big thread during the send measure: %w", err)
	}
	during = withRef(during, base)
	during.Sent = posts
	add(during)
	// A post cut short by the measure's end may still commit on the
	// server (its job appears with it): let it, then wait for the fan-out,
	// or the check below races the last batch (it saw one in ten members
	// one message short).
	time.Sleep(time.Second)
	if err := waitFanOuts(ctx, a, 5*time.Minute); err != nil {
		return err
	}

	// Exact counts: a sample against the messages, then Recount on the
	// whole database with the server stopped.
	checked, wrong, err := checkUnread(ctx, a, thread, bp.Sample)
	if err != nil {
		return err
	}
	srv.stop()
	srv = nil
	out, err := appCmd(bin, dataDir, "messaging", "recount")
	if err != nil {
		return err
	}
	fixed, err := recountFixed(out)
	if err != nil {
		return err
	}
	add(Result{Measure: "bigthread check", UnreadChecked: checked, UnreadWrong: wrong, RecountFixed: fixed})
	if cfg.Keep {
		logf("%s: data in %s", ds.Name, dir)
	}
	return nil
}

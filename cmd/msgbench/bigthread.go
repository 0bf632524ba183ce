package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
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
	env, pprofAddr, err := profileEnv(cfg)
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, bin, dataDir, env)
	if err != nil {
		return err
	}
	defer func() {
		if srv != nil {
			srv.stop()
		}
	}()
	profiled := func(name string, fn func()) {
		if pprofAddr == "" {
			fn()
			return
		}
		done := profile(ctx, pprofAddr, cfg.Duration, filepath.Join(dir, name+".pprof"), logf)
		fn()
		<-done
	}
	a := newAPI(srv.base)
	if err := a.loginSuperuser(ctx); err != nil {
		return err
	}
	if err := setAntiSpam(ctx, a, true); err != nil {
		return err
	}
	fx, toks, err := loadFixture(ctx, a, cfg.Conc)
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
	var clients []*sseClient
	var mu sync.Mutex
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	err = forEach(ctx, 16, bp.Clients, func(_ context.Context, i int) error {
		c, err := connectSSE(ctx, sse, a, tokList[cfg.Conc+i], "messaging", tr.onEvent)
		if err != nil {
			return err
		}
		mu.Lock()
		clients = append(clients, c)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return fmt.Errorf("connecting the members' live clients: %w", err)
	}

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

// latencyResult is a Result of requests made one at a time: their count,
// latency percentiles, and req/s as one over their mean latency.
func latencyResult(name string, lats []time.Duration, errs int, firstErr string) Result {
	r := Result{Measure: name, Requests: len(lats), Errors: errs, FirstErr: firstErr}
	var sum time.Duration
	for _, l := range lats {
		sum += l
	}
	r.Seconds = sum.Seconds()
	if r.Seconds > 0 {
		r.RPS = float64(len(lats)) / r.Seconds
	}
	r.P50, r.P99 = percentiles(lats)
	return r
}

// roleHolders returns the ids of up to n users holding role.
func (a *api) roleHolders(ctx context.Context, role string, n int) ([]string, error) {
	var out struct {
		Items []struct{ ID string }
	}
	q := url.Values{"perPage": {strconv.Itoa(min(n, 1000))}, "filter": {"roles~'" + role + "'"}, "fields": {"id"}, "skipTotal": {"1"}}
	if err := a.do(ctx, "GET", "/api/collections/users/records?"+q.Encode(), a.superuser, nil, &out); err != nil {
		return nil, err
	}
	ids := make([]string, len(out.Items))
	for i, it := range out.Items {
		ids[i] = it.ID
	}
	return ids, nil
}

// waitFanOuts polls until no counter fan-out is pending (the
// superuser-only messaging_fanouts collection is empty).
func waitFanOuts(ctx context.Context, a *api, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var out struct{ Items []json.RawMessage }
		err := a.do(ctx, "GET", "/api/collections/messaging_fanouts/records?perPage=1&fields=id&skipTotal=1", a.superuser, nil, &out)
		if err != nil {
			return err
		}
		if len(out.Items) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("counter fan-out still pending after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkUnread compares the unread count of n random members of thread
// with the messages they have not read (others', not deleted, not system
// notes, after their last read), as Recount computes it, through the
// superuser records API.
func checkUnread(ctx context.Context, a *api, thread string, n int) (checked, wrong int, err error) {
	var ms struct {
		Items []struct {
			User        string `json:"user"`
			Unread      int    `json:"unread"`
			LastReadSeq int    `json:"last_read_seq"`
			Left        bool   `json:"left"`
		}
	}
	q := url.Values{"perPage": {strconv.Itoa(n)}, "filter": {"thread='" + thread + "'"}, "sort": {"@random"},
		"fields": {"user,unread,last_read_seq,left"}, "skipTotal": {"1"}}
	if err := a.do(ctx, "GET", "/api/collections/thread_members/records?"+q.Encode(), a.superuser, nil, &ms); err != nil {
		return 0, 0, err
	}
	for _, m := range ms.Items {
		if m.Left {
			continue
		}
		var out struct{ TotalItems int }
		// System notes don't count; this very read adds one ("Staff
		// viewed this conversation", oversight.go).
		f := fmt.Sprintf("thread='%s' && seq>%d && author!='%s' && deleted=false && (author!='' || author_deleted=true)",
			thread, m.LastReadSeq, m.User)
		q := url.Values{"perPage": {"1"}, "filter": {f}, "fields": {"id"}}
		if err := a.do(ctx, "GET", "/api/collections/messages/records?"+q.Encode(), a.superuser, nil, &out); err != nil {
			return checked, wrong, err
		}
		checked++
		if out.TotalItems != m.Unread {
			wrong++
		}
	}
	if checked == 0 {
		return 0, 0, errors.New("no member of the big thread to check")
	}
	return checked, wrong, nil
}

// arrivals records when each live client got each expected message.
type arrivals struct {
	mu     sync.Mutex
	sentAt map[string]time.Time
	got    map[string]int
	lats   []time.Duration
	last   map[string]time.Time
}

func newArrivals() *arrivals {
	return &arrivals{sentAt: map[string]time.Time{}, got: map[string]int{}, last: map[string]time.Time{}}
}

// expect notes that body is being sent now.
func (t *arrivals) expect(body string) {
	t.mu.Lock()
	t.sentAt[body] = time.Now()
	t.mu.Unlock()
}

func (t *arrivals) onEvent(_ string, data []byte) {
	now := time.Now()
	var ev struct {
		Type    string
		Message struct{ Body string }
	}
	if json.Unmarshal(data, &ev) != nil || ev.Type != "message" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.sentAt[ev.Message.Body]
	if !ok {
		return
	}
	t.got[ev.Message.Body]++
	t.last[ev.Message.Body] = now
	t.lats = append(t.lats, now.Sub(at))
}

// wait waits until n clients have body and returns the time from its
// sending to the last arrival, or -1 after limit.
func (t *arrivals) wait(ctx context.Context, body string, n int, limit time.Duration) time.Duration {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		t.mu.Lock()
		got, last, at := t.got[body], t.last[body], t.sentAt[body]
		t.mu.Unlock()
		if got >= n {
			return last.Sub(at)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return -1
}

func (t *arrivals) resetLatencies() {
	t.mu.Lock()
	t.lats = nil
	t.mu.Unlock()
}

// percentiles are the per-client delivery latencies so far.
func (t *arrivals) percentiles() (p50, p99 float64) {
	t.mu.Lock()
	lats := append([]time.Duration(nil), t.lats...)
	t.mu.Unlock()
	return percentiles(lats)
}

// printBigThread prints the big-thread measures.
func printBigThread(w io.Writer, rs []Result, ratio func(float64) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "big thread\tmembers\trequests\treq/s\tp50 ms\tp99 ms\terrors\tvs\treq/s ratio\tp99 ratio\t"+
		"live clients\tdelivery p50\tdelivery p99\tall clients p99\tfan-out p50\tfan-out p99\tburst drain s\t")
	for _, r := range rs {
		if r.Measure == "bigthread check" {
			continue
		}
		ref, cl, dp50, dp99, all, f50, f99, drain := "-", "-", "-", "-", "-", "-", "-", "-"
		if r.Ref != "" {
			ref = r.Ref
		}
		if r.Measure == "bigpost" {
			cl = fmt.Sprintf("%d (%d/%d)", r.Clients, r.Delivered, r.Sent)
			dp50, dp99, all = fmt.Sprintf("%.1f", r.DeliveryP50), fmt.Sprintf("%.1f", r.DeliveryP99), fmt.Sprintf("%.1f", r.AllClientsP99)
			f50, f99 = fmt.Sprintf("%.0f", r.FanOutP50), fmt.Sprintf("%.0f", r.FanOutP99)
		}
		if r.Measure == "bigburst" {
			drain = fmt.Sprintf("%.2f", r.DrainSeconds)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Measure, r.GroupSize, r.Requests, r.RPS, r.P50, r.P99, r.Errors, ref, ratio(r.RatioRPS), ratio(r.RatioP99),
			cl, dp50, dp99, all, f50, f99, drain)
	}
	tw.Flush()
	for _, r := range rs {
		if r.Measure == "bigthread check" {
			fmt.Fprintf(w, "big thread afterwards: %d members' unread checked against the messages, %d wrong; recount fixed %d\n",
				r.UnreadChecked, r.UnreadWrong, r.RecountFixed)
		}
	}
}

// bigThreadGoals checks the goals for a post into a big thread.
func bigThreadGoals(rep *Report, addGoal func(goal, target, measured string, met bool)) {
	if r := findMeasure(rep, "bigpost"); r != nil {
		addGoal(fmt.Sprintf("post into a %d-member thread, p99", r.GroupSize), "≤ 200 ms",
			fmt.Sprintf("%.1f ms (p50 %.1f; bare create %.1f ms p99)", r.P99, r.P50, r.P99/max(r.RatioP99, 1e-9)), r.P99 <= 200 && r.Errors == 0)
		addGoal(fmt.Sprintf("its %d members' live clients get it", r.Clients), "all",
			fmt.Sprintf("%d/%d posts reached every client; delivery p99 %.1f ms, all clients within %.1f ms p99", r.Delivered, r.Sent, r.DeliveryP99, r.AllClientsP99),
			r.Sent > 0 && r.Delivered == r.Sent)
		addGoal(fmt.Sprintf("fan-out of a post to %d members (the issue's role-message time)", r.GroupSize), "≤ 10 s",
			fmt.Sprintf("%.2f s p99 (p50 %.2f s)", r.FanOutP99/1000, r.FanOutP50/1000), r.FanOutP99 <= 10000)
	}
	if r := findMeasure(rep, "read(big)"); r != nil {
		addGoal(fmt.Sprintf("a member reads a %d-member thread vs a small one, p99", r.GroupSize), "≤ 1.5×",
			fmt.Sprintf("%.2f× (%.1f vs %.1f ms; %.0f vs %.0f req/s)", r.RatioP99, r.P99, r.P99/max(r.RatioP99, 1e-9), r.RPS, r.RPS/max(r.RatioRPS, 1e-9)),
			r.RatioP99 <= 1.5 && r.Errors == 0)
	}
	if r := findMeasure(rep, "send(during fanout)"); r != nil {
		addGoal("other members' sends during a fan-out vs without", "≥ 0.7×",
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s; %d big-thread posts fanned out meanwhile)", r.RatioRPS, r.RPS, r.RPS/max(r.RatioRPS, 1e-9), r.Sent),
			r.RatioRPS >= 0.7)
	}
	if r := findMeasure(rep, "bigthread check"); r != nil {
		addGoal("afterwards: unread exact, recount fixes nothing", "0 / 0",
			fmt.Sprintf("%d of %d sampled wrong; recount fixed %d", r.UnreadWrong, r.UnreadChecked, r.RecountFixed),
			r.UnreadWrong == 0 && r.UnreadChecked > 0 && r.RecountFixed == 0)
	}
}

// findMeasure returns the first result of measure, on any dataset.
func findMeasure(rep *Report, measure string) *Result {
	for i := range rep.Results {
		if rep.Results[i].Measure == measure {
			return &rep.Results[i]
		}
	}
	return nil
}

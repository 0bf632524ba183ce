package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"time"
)

// The notification measures: the same send workload on a server with the
// notification pipeline off (messaging.Config.NotificationsOff) and on,
// with a notification delay of 0 (every window is due at once) and the
// app's SMTP settings pointed at a local sink that accepts everything, so
// the worker fans out and really sends while the senders are measured.
// Both servers run profserve (MSGBENCH_NOTIFICATIONS=off for the
// baseline), on the same data, one after the other (off first).
//
//   - send(notify off|on): the send measure's 16 threads of 2–5 members.
//     After "on", the time the worker takes to empty the queue.
//   - group(notify off|on): every worker posts to one group of
//     groupSize members (1,000 at full size), as a different member.

// notifyMeasures names the measures.
var notifyMeasures = []string{"send(notify off)", "send(notify on)", "group(notify off)", "group(notify on)"}

// notifyOffEnv is the profserve environment of the baseline server.
const notifyOffEnv = "MSGBENCH_NOTIFICATIONS=off"

func runNotify(ctx context.Context, cfg config, bin, dataDir string, ds dataset, groupSize int, add func(Result), logf func(string, ...any)) error {
	sink, err := startSMTPSink()
	if err != nil {
		return err
	}
	defer sink.close()

	// With -profile, a CPU profile of the server per measure, as for the
	// other measures.
	env, pprofAddr, err := profileEnv(cfg)
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, bin, dataDir, append([]string{notifyOffEnv}, env...))
	if err != nil {
		return err
	}
	defer func() {
		if srv != nil {
			srv.stop()
		}
	}()
	a := newAPI(srv.base)
	if err := a.loginSuperuser(ctx); err != nil {
		return err
	}
	// Delay 0 (-1 in the settings record: no delay), everyone in
	// conversation mode, groups as large as the measure's.
	if err := a.do(ctx, "PATCH", "/api/collections/messaging_settings/records/messagingconfig", a.superuser,
		map[string]any{"notify_delay_seconds": -1, "email_notifications": "conversation", "max_group_size": groupSize}, nil); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if err := setAntiSpam(ctx, a, true); err != nil {
		return err
	}
	if err := a.do(ctx, "PATCH", "/api/settings", a.superuser, map[string]any{"smtp": map[string]any{
		"enabled": true, "host": sink.host, "port": sink.port, "tls": false}}, nil); err != nil {
		return fmt.Errorf("SMTP settings: %w", err)
	}
	fx, toks, err := loadFixture(ctx, a, cfg.Conc)
	if err != nil {
		return err
	}
	group, err := makeGroup(ctx, a, toks, groupSize, cfg.Conc)
	if err != nil {
		return err
	}
	logf("%s: notifications: group %s of %d members; SMTP sink on %s", ds.Name, group[0].thread, groupSize, sink.addr())

	var seq atomic.Int64
	post := func(members []member) func(ctx context.Context, w, i int) error {
		return func(ctx context.Context, w, i int) error {
			m := members[w%len(members)]
			return a.do(ctx, "POST", "/api/messaging/threads/"+m.thread+"/messages", m.token,
				map[string]string{"body": fmt.Sprintf("bench notify %d", seq.Add(1))}, nil)
		}
	}
	measure := func(name string, fn func(ctx context.Context, w, i int) error) Result {
		// The sink's count when the warm-up ends and when the measure
		// does: the emails sent during the measuring window.
		warm := min(cfg.Duration/5, 2*time.Second)
		var atWarm atomic.Int64
		timer := time.AfterFunc(warm, func() { atWarm.Store(sink.count()) })
		var done <-chan struct{}
		if pprofAddr != "" {
			done = profile(ctx, pprofAddr, cfg.Duration, filepath.Join(filepath.Dir(dataDir), name+".pprof"), logf)
		}
		st := load(ctx, cfg.Conc, cfg.Duration, 0, fn)
		if done != nil {
			<-done
		}
		timer.Stop()
		mails := int(sink.count() - atWarm.Load())
		r := st.result(name, ds.Name)
		if st.Seconds > 0 {
			r.Mails, r.MailsPerSec = mails, float64(mails)/st.Seconds
		}
		return r
	}
	// Off then on, cfg.NotifyRounds times (the machine's load drifts, and
	// the goals compare the means over the rounds): the plain sends'
	// rounds first, then the group's, whose queue outlasts its wait.
	restart := func(off bool) error {
		srv.stop()
		srv = nil
		e := env
		if off {
			e = append([]string{notifyOffEnv}, env...)
		}
		if srv, err = startServer(ctx, bin, dataDir, e); err != nil {
			return err
		}
		a.base = srv.base
		return nil
	}
	for _, isGroup := range []bool{false, true} {
		name, members, size := "send", fx.senders, 0
		// A bounded wait for the group: its queue is the measure's
		// messages times the members who have not read them. What is left
		// runs during the next round's "on" measure (against "on").
		wait := 2 * time.Minute
		if isGroup {
			name, members, size = "group", group, groupSize
			wait = min(max(2*cfg.Duration, 10*time.Second), time.Minute)
		}
		for round := 1; round <= cfg.NotifyRounds; round++ {
			if isGroup || round > 1 {
				if err := restart(true); err != nil {
					return err
				}
			}
			off := measure(name+"(notify off)", post(members))
			off.Round, off.GroupSize = round, size
			add(off)
			if err := restart(false); err != nil {
				return err
			}
			on := withRef(measure(name+"(notify on)", post(members)), off)
			on.Round, on.GroupSize = round, size
			if err := drain(ctx, a, sink, &on, wait); err != nil {
				return err
			}
			add(on)
		}
	}
	if cfg.Keep {
		logf("%s: notification server log in %s", ds.Name, filepath.Join(filepath.Dir(dataDir), "server.log"))
	}
	return nil
}

// withRef sets r's reference and ratios.
func withRef(r, ref Result) Result {
	r.Ref = ref.Measure
	if ref.RPS > 0 {
		r.RatioRPS = r.RPS / ref.RPS
	}
	if ref.P99 > 0 {
		r.RatioP99 = r.P99 / ref.P99
	}
	return r
}

// makeGroup starts a group of size members (the first users by email) and
// returns one sending member per worker, each a different member.
func makeGroup(ctx context.Context, a *api, toks *tokens, size, conc int) ([]member, error) {
	users, err := a.userIDs(ctx, size)
	if err != nil {
		return nil, err
	}
	if len(users) < size {
		return nil, fmt.Errorf("a %d-member group needs %d users, the dataset has %d", size, size, len(users))
	}
	senders := min(conc, size)
	tokList, err := toks.getAll(ctx, users[:senders])
	if err != nil {
		return nil, err
	}
	var out struct {
		Thread struct{ ID string }
	}
	if err := a.do(ctx, "POST", "/api/messaging/threads", tokList[0],
		map[string]any{"recipients": users[1:], "subject": "Everyone", "body": "Welcome, everyone."}, &out); err != nil {
		return nil, fmt.Errorf("starting the group: %w", err)
	}
	ms := make([]member, senders)
	for i := range ms {
		ms[i] = member{user: users[i], thread: out.Thread.ID, token: tokList[i]}
	}
	return ms, nil
}

// queued counts the notification work due: pending outbox rows and
// notifications being sent, or waiting or to retry whose time has come.
// Rows due later are not the measure's: the app's own 5-minute windows
// opened by the measures before these, say.
func queued(ctx context.Context, a *api) (outbox, notifications int, err error) {
	count := func(coll, filter string) (int, error) {
		var out struct{ TotalItems int }
		q := url.Values{"filter": {filter}, "perPage": {"1"}, "fields": {"id"}}
		err := a.do(ctx, "GET", "/api/collections/"+coll+"/records?"+q.Encode(), a.superuser, nil, &out)
		return out.TotalItems, err
	}
	if outbox, err = count("messaging_outbox", "state='pending'&&next_attempt<=@now"); err != nil {
		return 0, 0, err
	}
	notifications, err = count("messaging_notifications", "state='sending'||((state='waiting'||state='retry')&&next_attempt<=@now)")
	return outbox, notifications, err
}

// drain waits, at most limit, for the worker to empty the queue (of due
// work) after a measure, and records in r how long it took, the emails
// sent meanwhile, and what was left if it did not finish.
func drain(ctx context.Context, a *api, sink *smtpSink, r *Result, limit time.Duration) error {
	began, from := time.Now(), sink.count()
	for {
		ob, nt, err := queued(ctx, a)
		if err != nil {
			return fmt.Errorf("reading the queue: %w", err)
		}
		elapsed := time.Since(began)
		if ob+nt == 0 || elapsed >= limit {
			r.DrainSeconds = elapsed.Seconds()
			r.DrainMails = int(sink.count() - from)
			if r.DrainSeconds > 0 {
				r.DrainMailsPerSec = float64(r.DrainMails) / r.DrainSeconds
			}
			r.LeftOutbox, r.LeftNotifications = ob, nt
			r.Drained = ob+nt == 0
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), errors.New("waiting for the notification queue"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

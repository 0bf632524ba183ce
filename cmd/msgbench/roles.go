package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The role-message measures (issue 13), run only with -roles-only: a
// member allowed to message roles (user1@example.com, given the "admin"
// role, which the role_message_roles setting lists) starts an
// announcement to the role "support" of rolesPlan.Members users
// (POST /api/messaging/threads {"roles":["support"],"announcement":true}),
// which the server expands in the background (messaging_expansions):
//
//   - rolemsg: the sender's answer time, and the time until the
//     expansion jobs of the thread are done and every member is in it
//     (thread_members rows), over rolesPlan.Rounds role messages; then a
//     sample of the members' unread counts against the messages;
//   - send(no expansion) / send(during expansion): the send measure in
//     small threads, then again while the sender starts one role message
//     after another, each when the previous one's expansion is done;
//   - afterwards "messaging recount" on the stopped server must fix
//     nothing.

// rolesMeasures names the measures (printed in their own table).
var rolesMeasures = []string{"rolemsg", "send(no expansion)", "send(during expansion)", "roles check"}

type rolesPlan struct {
	Data    dataset
	Members int // holders of the role
	Rounds  int // role messages timed one at a time
	Sample  int // members whose unread count is checked per message
}

func rolesPlanFor(size string) rolesPlan {
	if size == "full" {
		return rolesPlan{Data: dataset{"roles", 10000, 10000, 10000}, Members: 10000, Rounds: 3, Sample: 100}
	}
	return rolesPlan{Data: dataset{"roles", 200, 500, 500}, Members: 600, Rounds: 2, Sample: 50}
}

func runRoles(ctx context.Context, cfg config, bin, work string, rep *Report, logf func(string, ...any)) error {
	rp := rolesPlanFor(cfg.Size)
	ds := rp.Data
	dir := filepath.Join(work, ds.Name)
	dataDir := filepath.Join(dir, "pb_data")
	logf("%s: seeding %d users, %d threads, %d messages, and %d members of role support", ds.Name, ds.Users, ds.Threads, ds.Messages, rp.Members)
	s, err := seed(bin, dataDir, ds, "--role", "support", "--role-members", strconv.Itoa(rp.Members))
	if err != nil {
		return err
	}
	rep.Seeding = append(rep.Seeding, s)
	if err := setupReference(bin, dir, dataDir); err != nil {
		return err
	}
	ms, err := startMeasured(ctx, cfg, bin, dataDir, dir, logf)
	if err != nil {
		return err
	}
	srv, a := ms.srv, ms.a
	defer func() {
		if srv != nil {
			srv.stop()
		}
	}()
	fx, toks, err := senders(ctx, a, cfg.Conc)
	if err != nil {
		return err
	}
	// The sender: a bulk user, given a role that may message roles.
	var users struct {
		Items []struct{ ID string }
	}
	q := url.Values{"filter": {"email='user1@example.com'"}, "fields": {"id"}, "skipTotal": {"1"}}
	if err := a.do(ctx, "GET", "/api/collections/users/records?"+q.Encode(), a.superuser, nil, &users); err != nil || len(users.Items) == 0 {
		return fmt.Errorf("finding user1: %v", err)
	}
	sender := users.Items[0].ID
	if err := a.do(ctx, "PATCH", "/api/collections/users/records/"+sender, a.superuser, map[string]any{"roles": []string{"admin"}}, nil); err != nil {
		return fmt.Errorf("giving user1 the admin role: %w", err)
	}
	if err := a.do(ctx, "PATCH", "/api/collections/messaging_settings/records/messagingconfig", a.superuser,
		map[string]any{"role_message_roles": []string{"admin"}}, nil); err != nil {
		return fmt.Errorf("role_message_roles setting: %w", err)
	}
	token, err := toks.get(ctx, sender)
	if err != nil {
		return err
	}
	add := func(r Result) {
		r.Dataset, r.GroupSize = ds.Name, rp.Members
		rep.Results = append(rep.Results, r)
		logf("%s: %-22s %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d %s", ds.Name, r.Measure, r.RPS, r.P50, r.P99, r.Errors, r.FirstErr)
	}

	var n atomic.Int64
	// roleMessage starts one announcement to the role and returns the
	// answer time and the time until every member is in the thread.
	roleMessage := func(ctx context.Context) (thread string, answer, all time.Duration, err error) {
		var out struct {
			Thread struct {
				ID           string `json:"id"`
				Expanding    bool   `json:"expanding"`
				Announcement bool   `json:"announcement"`
			} `json:"thread"`
		}
		t0 := time.Now()
		err = a.do(ctx, "POST", "/api/messaging/threads", token, map[string]any{"roles": []string{"support"}, "announcement": true,
			"subject": "To support", "body": fmt.Sprintf("role message %d", n.Add(1))}, &out)
		answer = time.Since(t0)
		if err != nil {
			return "", answer, 0, err
		}
		if !out.Thread.Announcement {
			return "", answer, 0, fmt.Errorf("role message %s: not an announcement", out.Thread.ID)
		}
		if err := waitExpanded(ctx, a, out.Thread.ID, rp.Members+1, 2*time.Minute); err != nil {
			return out.Thread.ID, answer, 0, err
		}
		return out.Thread.ID, answer, time.Since(t0), nil
	}

	var answers, alls []time.Duration
	checked, wrong := 0, 0
	for range rp.Rounds {
		thread, answer, all, err := roleMessage(ctx)
		if err != nil {
			return err
		}
		answers, alls = append(answers, answer), append(alls, all)
		c, w, err := checkUnread(ctx, a, thread, rp.Sample)
		if err != nil {
			return err
		}
		checked, wrong = checked+c, wrong+w
	}
	r := latencyResult("rolemsg", answers, 0, "")
	r.FanOutP50, r.FanOutP99 = percentiles(alls)
	r.UnreadChecked, r.UnreadWrong = checked, wrong
	add(r)

	sendSmall := func(ctx context.Context, w, i int) error {
		m := fx.senders[w%len(fx.senders)]
		return a.do(ctx, "POST", "/api/messaging/threads/"+m.thread+"/messages", m.token,
			map[string]string{"body": fmt.Sprintf("bench %d", n.Add(1))}, nil)
	}
	measure := func(name string) func() Result {
		return func() Result { return load(ctx, cfg.Conc, cfg.Duration, 0, sendSmall).result(name, "") }
	}
	base := measure("send(no expansion)")()
	add(base)
	during, started, err := whileRunning(ctx, measure("send(during expansion)"), func(ctx context.Context) error {
		_, _, _, err := roleMessage(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("role messages during the send measure: %w", err)
	}
	during = withRef(during, base)
	during.Sent = started
	add(during)

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
	add(Result{Measure: "roles check", RecountFixed: fixed})
	return nil
}

// waitExpanded polls until thread's expansion jobs are all done and it
// has want members; a failed job is an error.
func waitExpanded(ctx context.Context, a *api, thread string, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var jobs struct {
			Items []struct {
				State string `json:"state"`
				Error string `json:"error"`
			}
		}
		q := url.Values{"filter": {"thread='" + thread + "'"}, "fields": {"state,error"}, "perPage": {"100"}, "skipTotal": {"1"}}
		if err := a.do(ctx, "GET", "/api/collections/messaging_expansions/records?"+q.Encode(), a.superuser, nil, &jobs); err != nil {
			return err
		}
		done := true
		for _, j := range jobs.Items {
			if j.State == "failed" {
				return fmt.Errorf("expansion of thread %s failed: %s", thread, j.Error)
			}
			done = done && j.State == "done"
		}
		if done {
			var members struct{ TotalItems int }
			q := url.Values{"filter": {"thread='" + thread + "' && left=false"}, "fields": {"id"}, "perPage": {"1"}}
			if err := a.do(ctx, "GET", "/api/collections/thread_members/records?"+q.Encode(), a.superuser, nil, &members); err != nil {
				return err
			}
			if members.TotalItems >= want {
				return nil
			}
			if len(jobs.Items) > 0 {
				return fmt.Errorf("thread %s: expansion done with %d members, want %d", thread, members.TotalItems, want)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thread %s: not expanded after %s", thread, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// printRoles prints the role-message measures.
func printRoles(w io.Writer, rs []Result, ratio func(float64) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "roles\tmembers\trequests\treq/s\tp50 ms\tp99 ms\terrors\tvs\treq/s ratio\tall members p50 ms\tall members p99 ms\tunread wrong\trecount fixed\t")
	for _, r := range rs {
		ref, all50, all99, unread, fixed := "-", "-", "-", "-", "-"
		if r.Ref != "" {
			ref = r.Ref
		}
		switch r.Measure {
		case "rolemsg":
			all50, all99 = fmt.Sprintf("%.0f", r.FanOutP50), fmt.Sprintf("%.0f", r.FanOutP99)
			unread = fmt.Sprintf("%d/%d", r.UnreadWrong, r.UnreadChecked)
		case "roles check":
			fixed = fmt.Sprint(r.RecountFixed)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Measure, r.GroupSize, r.Requests, r.RPS, r.P50, r.P99, r.Errors, ref, ratio(r.RatioRPS), all50, all99, unread, fixed)
	}
	tw.Flush()
}

// rolesGoals checks the goals for a role message.
func rolesGoals(rep *Report, addGoal func(goal, target, measured string, met bool)) {
	if r := findMeasure(rep, "rolemsg"); r != nil {
		addGoal(fmt.Sprintf("role message to %d members: sender answered", r.GroupSize), "≤ 200 ms",
			fmt.Sprintf("%.1f ms p99 over %d (p50 %.1f)", r.P99, r.Requests, r.P50), r.P99 <= 200)
		addGoal("…and all members have it, unread exact", "≤ 10 s",
			fmt.Sprintf("%.2f s p99 (p50 %.2f s); %d of %d sampled unread counts wrong", r.FanOutP99/1000, r.FanOutP50/1000, r.UnreadWrong, r.UnreadChecked),
			r.FanOutP99 <= 10000 && r.UnreadWrong == 0 && r.UnreadChecked > 0)
	}
	if r := findMeasure(rep, "send(during expansion)"); r != nil {
		addGoal("other members' sends during an expansion vs without", "≥ 0.7×",
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s; %d role messages started meanwhile)", r.RatioRPS, r.RPS, r.RPS/max(r.RatioRPS, 1e-9), r.Sent),
			r.RatioRPS >= 0.7)
	}
	if r := findMeasure(rep, "roles check"); r != nil {
		addGoal("after the role messages, recount fixes nothing", "0", fmt.Sprint(r.RecountFixed), r.RecountFixed == 0)
	}
}

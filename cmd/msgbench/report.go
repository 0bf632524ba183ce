package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Seeding is one "messaging seed" run.
type Seeding struct {
	Dataset        string  `json:"dataset"`
	Users          int     `json:"users"`
	Threads        int     `json:"threads"`
	Members        int     `json:"memberships"`
	Messages       int     `json:"messages"`
	Rows           int     `json:"rows"`
	Seconds        float64 `json:"seconds"`
	WallSeconds    float64 `json:"wall_seconds"`
	RowsPerSec     float64 `json:"rows_per_sec"`
	MessagesPerSec float64 `json:"messages_per_sec"`
	RecountFixed   int     `json:"recount_fixed"`
	// RoleMembers and RoleThread: the big-thread dataset's role members
	// and their conversation (seed --role-members --role-thread).
	RoleMembers int    `json:"role_members,omitempty"`
	RoleThread  string `json:"role_thread,omitempty"`
}

// Result is one measure on one dataset.
type Result struct {
	Measure  string  `json:"measure"`
	Dataset  string  `json:"dataset"`
	Clients  int     `json:"sse_clients"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	FirstErr string  `json:"first_error,omitempty"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Ref      string  `json:"ref,omitempty"`
	RatioRPS float64 `json:"ratio_rps,omitempty"`
	RatioP99 float64 `json:"ratio_p99,omitempty"`
	// Realtime only.
	DeliveryP50 float64 `json:"delivery_p50_ms,omitempty"`
	DeliveryP99 float64 `json:"delivery_p99_ms,omitempty"`
	// DeliverySaturatedP99 is the delivery p99 during the saturated send
	// measure; DeliveryP50/P99 are at PacedRate messages/s.
	DeliverySaturatedP99 float64 `json:"delivery_saturated_p99_ms,omitempty"`
	PacedRate            int     `json:"paced_rate,omitempty"`
	Delivered            int     `json:"delivered,omitempty"`
	Sent                 int     `json:"sent,omitempty"`
	RSSMB                float64 `json:"rss_mb,omitempty"`
	PeakRSSMB            float64 `json:"peak_rss_mb,omitempty"`
	AnonRSSMB            float64 `json:"anon_rss_mb,omitempty"`
	FileRSSMB            float64 `json:"file_rss_mb,omitempty"`
	// Round is the round of a measure taken several times (antispam.go,
	// notify.go).
	Round int `json:"round,omitempty"`
	// Notification measures only (notify.go): the group's size, the
	// emails the SMTP sink received during the measuring window, and
	// after it how long the worker took to empty the queue (or what it
	// left when the wait ended).
	GroupSize         int     `json:"group_size,omitempty"`
	Mails             int     `json:"mails,omitempty"`
	MailsPerSec       float64 `json:"mails_per_sec,omitempty"`
	DrainSeconds      float64 `json:"drain_seconds,omitempty"`
	DrainMails        int     `json:"drain_mails,omitempty"`
	DrainMailsPerSec  float64 `json:"drain_mails_per_sec,omitempty"`
	Drained           bool    `json:"drained,omitempty"`
	LeftOutbox        int     `json:"left_outbox,omitempty"`
	LeftNotifications int     `json:"left_notifications,omitempty"`
	// Big-thread measures only (bigthread.go): the time from a post to
	// the last live client's arrival, and until the fan-out counted
	// every member (ms); the members' unread counts sampled and found
	// wrong, and what recount fixed afterwards.
	AllClientsP99 float64 `json:"all_clients_p99_ms,omitempty"`
	FanOutP50     float64 `json:"fanout_p50_ms,omitempty"`
	FanOutP99     float64 `json:"fanout_p99_ms,omitempty"`
	UnreadChecked int     `json:"unread_checked,omitempty"`
	UnreadWrong   int     `json:"unread_wrong,omitempty"`
	RecountFixed  int     `json:"recount_fixed,omitempty"`
}

// Goal is one line of the goals.
type Goal struct {
	Goal     string `json:"goal"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// Report is the whole run, also written as JSON.
type Report struct {
	Size        string    `json:"size"`
	Duration    string    `json:"duration_per_measure"`
	Concurrency int       `json:"concurrency"`
	CPUs        int       `json:"cpus"`
	Started     time.Time `json:"started"`
	Seeding     []Seeding `json:"seeding"`
	Results     []Result  `json:"results"`
	Goals       []Goal    `json:"goals"`
}

func find(rep *Report, measure, dataset string, k int) *Result {
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Measure == measure && r.Dataset == dataset && r.Clients == k {
			return r
		}
	}
	return nil
}

// goals checks the goals against the report.
func goals(rep *Report, p plan) []Goal {
	var small, large string // none with -bigthread-only or -roles-only
	if len(p.Datasets) > 0 {
		small, large = p.Datasets[0].Name, p.Datasets[len(p.Datasets)-1].Name
	}
	var gs []Goal
	addGoal := func(goal, target, measured string, met bool) {
		gs = append(gs, Goal{Goal: goal, Target: target, Measured: measured, Met: met})
	}
	if g, ok := purgeGoal(rep, small); ok {
		gs = append(gs, g)
	}
	if s, c := find(rep, "send", large, 0), find(rep, "create(ref)", large, 0); s != nil && c != nil {
		addGoal("send throughput vs bare create", "≥ 0.8×",
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", s.RatioRPS, s.RPS, c.RPS), s.RatioRPS >= 0.8)
		addGoal("send p99 vs bare create p99", "≤ 2×",
			fmt.Sprintf("%.2f× (%.1f vs %.1f ms)", s.RatioP99, s.P99, c.P99), s.RatioP99 <= 2)
	}
	for _, m := range []string{"inbox", "thread", "unread", "search", "search(thread)"} {
		a, b := find(rep, m, small, 0), find(rep, m, large, 0)
		if a == nil || b == nil || a.P99 == 0 {
			continue
		}
		ratio := b.P99 / a.P99
		addGoal(m+" p99 at "+large+" vs "+small, "≤ 1.5×",
			fmt.Sprintf("%.2f× (%.1f vs %.1f ms)", ratio, b.P99, a.P99), ratio <= 1.5)
	}
	if in := find(rep, "inbox", large, 0); in != nil {
		addGoal("inbox throughput vs bare list ("+large+")", "≥ 0.8×",
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", in.RatioRPS, in.RPS, in.RPS/max(in.RatioRPS, 1e-9)), in.RatioRPS >= 0.8)
	}
	if sr := find(rep, "search", large, 0); sr != nil {
		addGoal("search throughput vs bare list ("+large+")", "≥ 0.5×",
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", sr.RatioRPS, sr.RPS, sr.RPS/max(sr.RatioRPS, 1e-9)), sr.RatioRPS >= 0.5)
		addGoal("search p99 vs bare list p99 ("+large+")", "≤ 3×",
			fmt.Sprintf("%.2f× (%.1f ms)", sr.RatioP99, sr.P99), sr.RatioP99 <= 3)
	}
	kmax := slices.Max(p.Ks)
	if r := find(rep, "realtime", large, kmax); r != nil {
		addGoal(fmt.Sprintf("send with %d SSE clients vs none", kmax), "≥ 0.8×",
			fmt.Sprintf("%.2f× (%.0f req/s)", r.RatioRPS, r.RPS), r.RatioRPS >= 0.8)
		addGoal(fmt.Sprintf("member delivery p99 with %d SSE clients", kmax), "≤ 100 ms",
			fmt.Sprintf("%.1f ms at %d msg/s (%d/%d delivered; %.1f ms at saturation)", r.DeliveryP99, r.PacedRate, r.Delivered, r.Sent, r.DeliverySaturatedP99),
			r.DeliveryP99 <= 100 && r.Delivered == r.Sent)
		addGoal(fmt.Sprintf("server RSS with %d SSE clients", kmax), "≤ 300 MB",
			fmt.Sprintf("%.0f MB (peak %.0f MB; anonymous %.0f MB, file-backed %.0f MB)", r.RSSMB, r.PeakRSSMB, r.AnonRSSMB, r.FileRSSMB), r.RSSMB <= 300)
	}
	// The notification measures ran on one dataset, in rounds: the
	// ratios of the sums over the rounds.
	if on, onP99, n := median(rep, "send(antispam on)", large); n > 0 {
		off, offP99, _ := median(rep, "send(antispam off)", large)
		addGoal("send throughput, anti-spam on vs off", "≥ 0.9×",
			fmt.Sprintf("%.2f× (medians of %d: %.0f vs %.0f req/s; p99 %.1f vs %.1f ms)", on/max(off, 1e-9), n, on, off, onP99, offP99),
			on >= 0.9*off)
	}
	if on, off := notifySum(rep, "send(notify on)"), notifySum(rep, "send(notify off)"); on.RPS > 0 && off.RPS > 0 {
		addGoal("send throughput, notifications on vs off", "≥ 0.9×",
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s, %d round(s); %d emails sent during the measures)", on.RPS/off.RPS, on.RPS, off.RPS, on.Round, on.Mails),
			on.RPS/off.RPS >= 0.9 && on.Mails > 0)
	}
	if on, off := notifySum(rep, "group(notify on)"), notifySum(rep, "group(notify off)"); on.RPS > 0 && off.RPS > 0 {
		addGoal(fmt.Sprintf("send to a %d-member group, notifications on vs off", on.GroupSize), "≥ 0.9×",
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s; worst p99 %.1f vs %.1f ms)", on.RPS/off.RPS, on.RPS, off.RPS, on.P99, off.P99),
			on.RPS/off.RPS >= 0.9)
	}
	bigThreadGoals(rep, addGoal)
	rolesGoals(rep, addGoal)
	for _, s := range rep.Seeding {
		if s.Dataset == large {
			addGoal(fmt.Sprintf("seeding %d messages", s.Messages), "≤ 60 s",
				fmt.Sprintf("%.1f s (%.0f rows/s, %.0f messages/s)", s.Seconds, s.RowsPerSec, s.MessagesPerSec), s.Seconds <= 60)
		}
	}
	return gs
}

func printReport(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "\nmsgbench -size %s: %s per measure, %d concurrent clients, %d CPUs\n\n", rep.Size, rep.Duration, rep.Concurrency, rep.CPUs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "seeding\tusers\tthreads\tmemberships\tmessages\trows\tseconds\trows/s\tmessages/s\trecount fixed\t")
	for _, s := range rep.Seeding {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.1f\t%.0f\t%.0f\t%d\t\n", s.Dataset, s.Users, s.Threads, s.Members, s.Messages, s.Rows, s.Seconds, s.RowsPerSec, s.MessagesPerSec, s.RecountFixed)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	own := func(r Result) bool {
		return slices.Contains(notifyMeasures, r.Measure) || slices.Contains(bigThreadMeasures, r.Measure) || slices.Contains(rolesMeasures, r.Measure)
	}
	if slices.ContainsFunc(rep.Results, func(r Result) bool { return !own(r) }) {
		fmt.Fprintln(tw, "measure\tdataset\tSSE K\treq/s\tp50 ms\tp99 ms\terrors\tvs\treq/s ratio\tp99 ratio\tdelivery p50\tdelivery p99\tsaturated p99\tdelivered\tRSS MB\t")
	}
	ratio := func(v float64) string {
		if v == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", v)
	}
	var notify, big, roles []Result
	for _, r := range rep.Results {
		if slices.Contains(notifyMeasures, r.Measure) {
			notify = append(notify, r)
			continue
		}
		if slices.Contains(bigThreadMeasures, r.Measure) {
			big = append(big, r)
			continue
		}
		if slices.Contains(rolesMeasures, r.Measure) {
			roles = append(roles, r)
			continue
		}
		ref := r.Ref
		if ref == "" {
			ref = "-"
		}
		dp50, dp99, sat, del, rss := "-", "-", "-", "-", "-"
		if r.Measure == "realtime" {
			dp50, dp99 = fmt.Sprintf("%.2f", r.DeliveryP50), fmt.Sprintf("%.2f", r.DeliveryP99)
			sat = fmt.Sprintf("%.2f", r.DeliverySaturatedP99)
			del, rss = fmt.Sprintf("%d/%d", r.Delivered, r.Sent), fmt.Sprintf("%.0f", r.RSSMB)
		}
		name := r.Measure
		if r.Round > 0 {
			name += fmt.Sprintf(" #%d", r.Round)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			name, r.Dataset, r.Clients, r.RPS, r.P50, r.P99, r.Errors, ref, ratio(r.RatioRPS), ratio(r.RatioP99), dp50, dp99, sat, del, rss)
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(notify) > 0 {
		printNotify(w, notify, ratio)
		fmt.Fprintln(w)
	}
	if len(big) > 0 {
		printBigThread(w, big, ratio)
		fmt.Fprintln(w)
	}
	if len(roles) > 0 {
		printRoles(w, roles, ratio)
		fmt.Fprintln(w)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "goal\ttarget\tmeasured\tmet")
	for _, g := range rep.Goals {
		met := "NOT MET"
		if g.Met {
			met = "met"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Goal, g.Target, g.Measured, met)
	}
	tw.Flush()
}

// printNotify prints the notification measures: the emails the sink got
// during the measure, and the wait for the queue to empty after it.
func printNotify(w io.Writer, rs []Result, ratio func(float64) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "notifications\tdataset\tround\tgroup\treq/s\tp50 ms\tp99 ms\terrors\tvs\treq/s ratio\tp99 ratio\temails in measure\temails/s\tdrain s\tdrain emails\tdrain emails/s\tleft (outbox/notifications)\t")
	for _, r := range rs {
		ref, group, mails, drain, dmails, drate, left := "-", "-", "-", "-", "-", "-", "-"
		if r.Ref != "" {
			ref = r.Ref
		}
		if r.GroupSize > 0 {
			group = fmt.Sprint(r.GroupSize)
		}
		if r.Ref != "" { // the "on" measures
			mails = fmt.Sprintf("%d\t%.1f", r.Mails, r.MailsPerSec)
			drain, dmails, drate = fmt.Sprintf("%.1f", r.DrainSeconds), fmt.Sprint(r.DrainMails), fmt.Sprintf("%.1f", r.DrainMailsPerSec)
			left = fmt.Sprintf("%d/%d", r.LeftOutbox, r.LeftNotifications)
		} else {
			mails = "-\t-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.1f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Measure, r.Dataset, r.Round, group, r.RPS, r.P50, r.P99, r.Errors, ref, ratio(r.RatioRPS), ratio(r.RatioP99), mails, drain, dmails, drate, left)
	}
	tw.Flush()
}

// notifySum adds up a notification measure's rounds: mean req/s, worst
// p99, total emails; Round is the number of rounds.
func notifySum(rep *Report, measure string) Result {
	var sum Result
	for _, r := range rep.Results {
		if r.Measure != measure {
			continue
		}
		sum.Round++
		sum.RPS += r.RPS
		sum.P99 = max(sum.P99, r.P99)
		sum.Mails += r.Mails
		sum.GroupSize = r.GroupSize
	}
	if sum.Round > 0 {
		sum.RPS /= float64(sum.Round)
	}
	return sum
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmallBenchmark runs the whole benchmark on tiny data: build, seed,
// serve, every measure (the notification measures too, one round with a
// 100-member group and a real SMTP sink; the big-thread measures with 600
// members, over the default fan-out threshold), the table and the JSON
// file. The role-message measures (-roles-only) are not part of it.
func TestSmallBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end benchmark; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "results.json")
	var out, logs bytes.Buffer
	rep, err := run(ctx, config{Size: "small", Duration: time.Second, Conc: 8, JSON: jsonPath,
		WorkDir: filepath.Join(dir, "work"), Out: &out, Log: &logs})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}

	for _, s := range rep.Seeding {
		if s.Rows == 0 || s.RowsPerSec <= 0 {
			t.Errorf("seeding %s: %+v", s.Dataset, s)
		}
		if s.RecountFixed != 0 {
			t.Errorf("seeding %s: recount fixed %d unread counts; seeded data is inconsistent", s.Dataset, s.RecountFixed)
		}
	}
	p, _ := plans("small")
	want := map[string]bool{}
	for _, ds := range p.Datasets {
		for _, m := range []string{"list(ref)", "inbox", "thread", "unread", "search", "search(thread)", "create(ref)", "send"} {
			want[m+"@"+ds.Name+"@0"] = true
		}
	}
	last := p.Datasets[len(p.Datasets)-1].Name
	for _, k := range p.Ks {
		want["realtime@"+last+"@"+itoa(k)] = true
	}
	for _, m := range notifyMeasures {
		want[m+"@"+last+"@0"] = true
	}
	for round := 1; round <= antiSpamRounds; round++ {
		want["send(antispam off)@"+last+"@0#"+itoa(round)] = true
		want["send(antispam on)@"+last+"@0#"+itoa(round)] = true
	}
	big := bigThreadPlanFor("small")
	for _, m := range bigThreadMeasures {
		k := 0
		if m == "bigpost" {
			k = big.Clients
		}
		want[m+"@bigthread@"+itoa(k)] = true
	}
	for _, r := range rep.Results {
		key := r.Measure + "@" + r.Dataset + "@" + itoa(r.Clients)
		if strings.HasPrefix(r.Measure, "send(antispam") {
			key += "#" + itoa(r.Round)
		}
		if !want[key] {
			t.Errorf("unexpected measure %s", key)
			continue
		}
		delete(want, key)
		if r.Measure == "bigthread check" {
			// The big thread afterwards: a sample of unread counts
			// against the messages, and recount.
			if r.UnreadChecked == 0 || r.UnreadWrong != 0 || r.RecountFixed != 0 {
				t.Errorf("%s: %d of %d sampled unread counts wrong, recount fixed %d", key, r.UnreadWrong, r.UnreadChecked, r.RecountFixed)
			}
			continue
		}
		if r.RPS <= 0 || r.Requests == 0 || r.P99 <= 0 {
			t.Errorf("%s: no throughput: %+v", key, r)
		}
		if r.Errors > 0 {
			t.Errorf("%s: %d errors, first: %s", key, r.Errors, r.FirstErr)
		}
		if r.Measure == "realtime" && (r.Sent == 0 || r.Delivered != r.Sent) {
			t.Errorf("%s: delivered %d of %d messages to the watching members", key, r.Delivered, r.Sent)
		}
		switch r.Measure {
		case "bigpost":
			// Every post reached every live client, and its fan-out ended.
			if r.GroupSize != big.Members || r.Sent != big.Posts || r.Delivered != r.Sent || r.FanOutP99 <= 0 || r.Ref != "bigpost(ref)" {
				t.Errorf("%s: %d members, %d/%d posts delivered to all %d clients, fan-out p99 %.0f ms, vs %q",
					key, r.GroupSize, r.Delivered, r.Sent, r.Clients, r.FanOutP99, r.Ref)
			}
		case "bigburst":
			if !r.Drained || r.DrainSeconds <= 0 || r.Requests != big.Posts {
				t.Errorf("%s: %d posts, drained %v in %.2fs", key, r.Requests, r.Drained, r.DrainSeconds)
			}
		case "send(during fanout)":
			if r.Ref != "send(no fanout)" || r.RatioRPS == 0 || r.Sent == 0 {
				t.Errorf("%s: vs %q %.2f×, %d big-thread posts meanwhile", key, r.Ref, r.RatioRPS, r.Sent)
			}
		case "send(notify on)":
			// The worker sends (during the measure, which at 1 s may be
			// too short to see one, or after it) and empties the queue.
			if r.Mails+r.DrainMails == 0 || !r.Drained || r.Ref != "send(notify off)" || r.RatioRPS == 0 {
				t.Errorf("%s: %d emails during the measure, drained %v (%d emails), vs %q %.2f×",
					key, r.Mails, r.Drained, r.DrainMails, r.Ref, r.RatioRPS)
			}
		case "group(notify on)":
			if r.GroupSize != p.GroupSize || r.Mails+r.DrainMails == 0 || r.Ref != "group(notify off)" {
				t.Errorf("%s: group of %d, %d+%d emails, vs %q", key, r.GroupSize, r.Mails, r.DrainMails, r.Ref)
			}
		case "send(notify off)", "group(notify off)":
			if r.Mails != 0 {
				t.Errorf("%s: %d emails with notifications off", key, r.Mails)
			}
		}
	}
	for key := range want {
		t.Errorf("missing measure %s", key)
	}
	// 10, plus search: p99 at the larger dataset for search and
	// search(thread), and throughput and p99 vs the bare list; plus
	// notifications: send and group send, on vs off; plus anti-spam on vs
	// off; plus the big thread: post p99, live clients, fan-out time,
	// reading it vs a small one, sends during the fan-out, exact counts
	// afterwards.
	if len(rep.Goals) != 23 {
		t.Errorf("got %d goals, want 23", len(rep.Goals))
	}

	table := out.String()
	for _, s := range []string{"seeding", "list(ref)", "inbox", "thread", "unread", "search", "create(ref)", "send", "realtime", "send(notify on)", "group(notify off)", "emails in measure", "send(antispam on) #3", "big thread", "bigburst", "recount fixed 0", "goal"} {
		if !strings.Contains(table, s) {
			t.Errorf("table lacks %q:\n%s", s, table)
		}
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil || len(back.Results) != len(rep.Results) {
		t.Errorf("bad JSON report (%v)", err)
	}
	t.Log("\n" + table)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestSmallRolesBenchmark runs -roles-only on tiny data (a role of 600):
// every role message reaches every member with exact unread counts, and
// recount fixes nothing. Its speed goals are the full run's to judge.
func TestSmallRolesBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end benchmark; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var out, logs bytes.Buffer
	rep, err := run(ctx, config{Size: "small", Duration: time.Second, Conc: 4, RolesOnly: true,
		WorkDir: filepath.Join(dir, "work"), Out: &out, Log: &logs})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.Measure] = true
		if r.Errors > 0 {
			t.Errorf("%s: %d errors, first: %s", r.Measure, r.Errors, r.FirstErr)
		}
		switch r.Measure {
		case "rolemsg":
			if r.UnreadChecked == 0 || r.UnreadWrong != 0 {
				t.Errorf("rolemsg: %d of %d sampled unread counts wrong", r.UnreadWrong, r.UnreadChecked)
			}
		case "roles check":
			if r.RecountFixed != 0 {
				t.Errorf("recount fixed %d", r.RecountFixed)
			}
		}
	}
	for _, m := range rolesMeasures {
		if !seen[m] {
			t.Errorf("missing measure %s\n%s", m, out.String())
		}
	}
}

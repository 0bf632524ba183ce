package messaging_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"
)

// budgetOn is a config with only the first-contact budget on, at n new
// people a week, so that the other limits stay out of the way.
func budgetOn(n int) messaging.Config {
	return messaging.Config{AntiSpam: messaging.AntiSpamConfig{TrustedRoles: []string{}, MinAccountAgeHours: -1,
		NewAccountDays: -1, NewAccountConversationsPerDay: -1, NewAccountMaxRecipients: -1, MessagesPerMinute: -1,
		NewPeoplePerWeek: n}}
}

// budgetClock fixes the clock at a Wednesday noon (UTC) near now and
// returns it with the seconds left until its week ends (Monday 00:00).
func budgetClock(f *fixture) (now time.Time, toWeekEnd int) {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	now = day.AddDate(0, 0, (int(time.Wednesday)-int(day.Weekday())+7)%7-7).Add(12 * time.Hour)
	messaging.SetClockForTest(f.pm, func() time.Time { return now })
	return now, int((4*24 + 12) * time.Hour / time.Second)
}

// strangers adds users s1…sn, new to everyone.
func (f *fixture) strangers(n int) []string {
	f.t.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = "s" + strconv.Itoa(i+1)
		f.users[names[i]] = f.mustUser(names[i])
	}
	return names
}

// used is name's points used in the fixture clock's week (0 without a row).
func (f *fixture) used(name string) int {
	f.t.Helper()
	var row struct {
		Used int    `db:"used"`
		Week string `db:"week"`
	}
	err := f.app.DB().NewQuery("SELECT used, week FROM " + messaging.CollectionNameContactBudgets + " WHERE user = {:u}").
		Bind(dbx.Params{"u": f.id(name)}).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return 0
	}
	f.must(err)
	return row.Used
}

// outcome is the outcome of sender's first contact with recipient, or
// "none" without one.
func (f *fixture) outcome(sender, recipient string) string {
	f.t.Helper()
	var out string
	err := f.app.DB().NewQuery("SELECT outcome FROM " + messaging.CollectionNameFirstContacts +
		" WHERE sender = {:s} AND recipient = {:r}").Bind(dbx.Params{"s": f.id(sender), "r": f.id(recipient)}).Row(&out)
	if errors.Is(err, sql.ErrNoRows) {
		return "none"
	}
	f.must(err)
	return out
}

// startErr starts a conversation through the Go API and returns the error.
func (f *fixture) startErr(from string, to ...string) error {
	ids := make([]string, len(to))
	for i, n := range to {
		ids[i] = f.id(n)
	}
	_, _, err := f.pm.Start(f.id(from), ids, "", "hello from "+from)
	return err
}

// usedIs checks after the request that name's points are want.
func usedIs(s tests.ApiScenario, f *fixture, name string, want int) tests.ApiScenario {
	prev := s.AfterTestFunc
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
		if prev != nil {
			prev(t, app, res)
		}
		if got := f.used(name); got != want {
			t.Errorf("%s used %d, want %d", name, got, want)
		}
	}
	return s
}

func TestBudget_WhoIsNew(t *testing.T) {
	t.Parallel()
	f := newFixture(t, budgetOn(4))
	budgetClock(f)
	s := f.strangers(5)
	// Bob shares a group with alice (admin started it): a contact.
	f.start("admin", []string{"alice", "bob"}, "Team", "team")

	steps := []struct {
		what string
		do   func() error
		used int
	}{
		{"a direct conversation with a stranger costs 1", func() error { return f.startErr("alice", s[0]) }, 1},
		{"a group of two strangers and a contact costs 2", func() error { return f.startErr("alice", s[1], s[2], "bob") }, 3},
		{"a contact costs nothing", func() error { return f.startErr("alice", "bob") }, 3},
		{"someone already contacted costs nothing again", func() error { return f.startErr("alice", s[0], s[1]) }, 3},
		{"writing back to someone who wrote first costs nothing", func() error {
			f.must(f.startErr("s4", "alice"))
			return f.startErr("alice", "s4", "bob")
		}, 3},
		{"adding a stranger to a group costs 1", func() error {
			g, _ := f.start("alice", []string{"bob", "s4"}, "", "g")
			return f.pm.AddMembers(f.id("alice"), g.Id, []string{f.id("s5")})
		}, 4},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		if got := f.used("alice"); got != st.used {
			t.Fatalf("%s: used %d, want %d", st.what, got, st.used)
		}
	}
	// The week's 4 are spent: one more stranger is refused, and nothing
	// of the refused start is written.
	d := f.mustUser("d2")
	f.users["d2"] = d
	threads, _ := f.app.CountRecords(messaging.CollectionNameThreads)
	err := f.startErr("alice", "d2")
	if !errors.Is(err, messaging.ErrRateLimited) {
		t.Fatalf("over the budget: %v, want ErrRateLimited", err)
	}
	if after, _ := f.app.CountRecords(messaging.CollectionNameThreads); after != threads || f.outcome("alice", "d2") != "none" || f.used("alice") != 4 {
		t.Errorf("a refused start left threads %d→%d, contact %q, used %d", threads, after, f.outcome("alice", "d2"), f.used("alice"))
	}
	// Contacts still work.
	if err := f.startErr("alice", "bob"); err != nil {
		t.Errorf("a contact after the budget ran out: %v", err)
	}
}

func TestBudget_RefusedWithRetryAfter(t *testing.T) {
	t.Parallel()
	// Alice has used her 2 on s1 and s2.
	setup := func(f *fixture) (toWeekEnd int) {
		_, secs := budgetClock(f)
		f.strangers(3)
		f.must(f.startErr("alice", "s1"))
		f.must(f.startErr("alice", "s2"))
		return secs
	}
	startAPI := func(f *fixture, to ...string) tests.ApiScenario {
		ids := make([]string, len(to))
		for i, n := range to {
			ids[i] = f.id(n)
		}
		return f.as("alice", http.MethodPost, "/api/messaging/threads", map[string]any{"recipients": ids, "body": "one more"})
	}
	runCases(t, []apiCase{
		{cfg: budgetOn(2), name: "a third stranger → 429 until the week ends", build: func(f *fixture) tests.ApiScenario {
			secs := setup(f)
			s := countIs(expect(startAPI(f, "s3"), 429, []string{`"status":429`, `"code":"messaging_rate_limited"`,
				`"limit":"new_people_per_week"`, `"retryAfter":` + strconv.Itoa(secs),
				"You can start conversations with 2 new people a week. Please try again in 5 days."}),
				messaging.CollectionNameThreads, 2)
			return retryAfterIs(s, strconv.Itoa(secs))
		}},
		{cfg: budgetOn(2), name: "adding a stranger to a group → 429", build: func(f *fixture) tests.ApiScenario {
			secs := setup(f)
			g, _ := f.start("alice", []string{"s1", "s2"}, "", "group")
			s := f.as("alice", http.MethodPost, threadURL(g.Id, "/members"), map[string]any{"users": []string{f.id("s3")}})
			return retryAfterIs(countIs(expect(s, 429, []string{`"limit":"new_people_per_week"`}),
				messaging.CollectionNameThreadMembers, 7), strconv.Itoa(secs))
		}},
		{cfg: budgetOn(2), name: "people already contacted → started", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			return countIs(expect(startAPI(f, "s1", "s2"), 200, []string{`"one more"`}), messaging.CollectionNameThreads, 3)
		}},
		{cfg: budgetOn(2), name: "a raised allowance counts on the next request", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			f.setSettings(map[string]any{"new_people_per_week": "3"})
			return usedIs(expect(startAPI(f, "s3"), 200, []string{`"one more"`}), f, "alice", 3)
		}},
		{cfg: budgetOn(2), name: "0 turns it off", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			f.setSettings(map[string]any{"new_people_per_week": "0"})
			return expect(startAPI(f, "s3"), 200, []string{`"one more"`})
		}},
		{cfg: budgetOn(2), name: "an account 30 days old gets twice the allowance", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			now, _ := budgetClock(f)
			f.setCreated("alice", now.AddDate(0, 0, -30))
			return usedIs(expect(startAPI(f, "s3"), 200, []string{`"one more"`}), f, "alice", 3)
		}},
		{cfg: budgetOn(2), name: "trusted role → unlimited", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			f.setSettings(map[string]any{"trusted_roles": []string{"member"}})
			f.setRoles("alice", "member")
			return usedIs(expect(startAPI(f, "s3"), 200, []string{`"one more"`}), f, "alice", 2)
		}},
		{cfg: budgetOn(2), name: "moderator → unlimited", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			f.setRoles("alice", "moderator")
			return expect(startAPI(f, "s3"), 200, []string{`"one more"`})
		}},
		{cfg: budgetOn(2), name: "a new week starts from 0", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			now, secs := budgetClock(f)
			next := now.Add(time.Duration(secs) * time.Second)
			messaging.SetClockForTest(f.pm, func() time.Time { return next })
			return usedIs(expect(startAPI(f, "s3"), 200, []string{`"one more"`}), f, "alice", 1)
		}},
	})
}

func TestBudget_LearnsFromRecipients(t *testing.T) {
	t.Parallel()
	// Alice (requests mode) got a request from s1, who has used 1.
	setup := func(f *fixture) string {
		budgetClock(f)
		f.strangers(1)
		f.setReach("alice", messaging.ReachRequests)
		th, _ := f.start("s1", []string{"alice"}, "", "hi alice")
		if f.used("s1") != 1 {
			f.t.Fatalf("s1 used %d after one first contact", f.used("s1"))
		}
		return th.Id
	}
	block := func(f *fixture) tests.ApiScenario {
		return f.as("alice", http.MethodPost, recordsURL(messaging.CollectionNameBlocks, ""),
			map[string]any{"user": f.id("alice"), "blocked": f.id("s1")})
	}
	outcomeIs := func(s tests.ApiScenario, f *fixture, want string) tests.ApiScenario {
		prev := s.AfterTestFunc
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
			prev(t, app, res)
			if got := f.outcome("s1", "alice"); got != want {
				t.Errorf("outcome %q, want %q", got, want)
			}
		}
		return s
	}
	runCases(t, []apiCase{
		{cfg: budgetOn(20), name: "declined: costs 2", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			s := expect(f.as("alice", http.MethodPost, threadURL(th, "/decline"), nil), 204, nil)
			return outcomeIs(usedIs(s, f, "s1", 3), f, "declined")
		}},
		{cfg: budgetOn(20), name: "accepted: gives 1 back", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			s := expect(f.as("alice", http.MethodPost, threadURL(th, "/accept"), nil), 204, nil)
			return outcomeIs(usedIs(s, f, "s1", 0), f, "accepted")
		}},
		{cfg: budgetOn(20), name: "accepted the next week: never below 0", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			now, secs := budgetClock(f)
			next := now.Add(time.Duration(secs) * time.Second)
			messaging.SetClockForTest(f.pm, func() time.Time { return next })
			bob, _ := f.start("s1", []string{"bob"}, "", "hi bob") // 1 in the new week
			f.must(f.pm.AcceptRequest(f.id("alice"), th))          // 0
			s := expect(f.as("bob", http.MethodPost, threadURL(bob.Id, "/messages"), map[string]any{"body": "hi s1"}), 200, []string{`"hi s1"`})
			return outcomeIs(usedIs(s, f, "s1", 0), f, "accepted")
		}},
		{cfg: budgetOn(20), name: "a reply gives 1 back", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			s := expect(f.as("alice", http.MethodPost, threadURL(th, "/messages"), map[string]any{"body": "hello s1"}), 200, []string{`"hello s1"`})
			return outcomeIs(usedIs(s, f, "s1", 0), f, "replied")
		}},
		{cfg: budgetOn(20), name: "a reply through the records API gives 1 back", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			s := f.as("alice", http.MethodPost, recordsURL(messaging.CollectionNameMessages, ""),
				map[string]any{"thread": th, "body": "hello s1", "author": f.id("alice")})
			return outcomeIs(usedIs(expect(s, 200, []string{`"hello s1"`}), f, "s1", 0), f, "replied")
		}},
		{cfg: budgetOn(20), name: "a second reply gives nothing more", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			f.start("s1", []string{"bob"}, "", "hi bob") // used 2
			f.send("alice", th, "first reply")           // 1
			s := expect(f.as("alice", http.MethodPost, threadURL(th, "/messages"), map[string]any{"body": "again"}), 200, []string{`"again"`})
			return usedIs(s, f, "s1", 1)
		}},
		{cfg: budgetOn(20), name: "the sender writing again gives nothing back", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			f.must(f.pm.AcceptRequest(f.id("alice"), th)) // 0
			f.start("s1", []string{"bob"}, "", "hi bob")  // 1
			s := expect(f.as("s1", http.MethodPost, threadURL(th, "/messages"), map[string]any{"body": "more"}), 200, []string{`"more"`})
			return usedIs(s, f, "s1", 1)
		}},
		{cfg: budgetOn(20), name: "blocked within a day: costs 2", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			return outcomeIs(usedIs(expect(block(f), 200, []string{`"blocked":"` + f.id("s1") + `"`}), f, "s1", 3), f, "blocked")
		}},
		{cfg: budgetOn(20), name: "blocked within a day after a reply: costs 2 all the same", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			f.send("alice", th, "who are you?") // 0
			return outcomeIs(usedIs(expect(block(f), 200, []string{`"blocked"`}), f, "s1", 2), f, "blocked")
		}},
		{cfg: budgetOn(20), name: "blocked after a day: costs nothing", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			now, _ := budgetClock(f)
			later := now.Add(25 * time.Hour)
			messaging.SetClockForTest(f.pm, func() time.Time { return later })
			return outcomeIs(usedIs(expect(block(f), 200, []string{`"blocked"`}), f, "s1", 1), f, "")
		}},
		{cfg: budgetOn(20), name: "blocked through the batch API: costs 2", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			f.enableBatch()
			s := f.as("alice", http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{{
				"method": "POST", "url": recordsURL(messaging.CollectionNameBlocks, ""),
				"body": map[string]any{"user": f.id("alice"), "blocked": f.id("s1")}}}})
			return usedIs(expect(s, 200, []string{`"status":200`}), f, "s1", 3)
		}},
		{cfg: budgetOn(20), name: "declined, then blocked: costs 2 once", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			f.must(f.pm.DeclineRequest(f.id("alice"), th)) // 3
			return outcomeIs(usedIs(expect(block(f), 200, []string{`"blocked"`}), f, "s1", 3), f, "declined")
		}},
		{cfg: budgetOn(20), name: "the budget off: a decline changes nothing", build: func(f *fixture) tests.ApiScenario {
			th := setup(f)
			f.setSettings(map[string]any{"new_people_per_week": "0"})
			s := expect(f.as("alice", http.MethodPost, threadURL(th, "/decline"), nil), 204, nil)
			return outcomeIs(usedIs(s, f, "s1", 1), f, "")
		}},
	})
}

// TestBudget_DeclinesAddUp is the story: a sender whose requests
// are declined runs out sooner; accepted ones give back, up to the
// allowance and no further.
func TestBudget_DeclinesAddUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, budgetOn(6))
	budgetClock(f)
	s := f.strangers(6)
	for _, n := range s {
		f.setReach(n, messaging.ReachRequests)
	}
	threads := map[string]string{}
	for _, n := range s[:2] {
		th, _ := f.start("dave", []string{n}, "", "buy my stuff")
		threads[n] = th.Id
	}
	f.must(f.pm.DeclineRequest(f.id("s1"), threads["s1"]))
	f.must(f.pm.DeclineRequest(f.id("s2"), threads["s2"]))
	if got := f.used("dave"); got != 6 {
		t.Fatalf("two first contacts declined: used %d, want 6", got)
	}
	if err := f.startErr("dave", "s3"); !errors.Is(err, messaging.ErrRateLimited) {
		t.Fatalf("after two declines: %v, want ErrRateLimited", err)
	}

	// Carol is liked: every request is accepted, and she never goes below 0.
	for _, n := range s[2:5] {
		th, _ := f.start("carol", []string{n}, "", "hello neighbour")
		f.must(f.pm.AcceptRequest(f.id(n), th.Id))
	}
	if got := f.used("carol"); got != 0 {
		t.Errorf("three accepted: used %d, want 0", got)
	}
}

func TestBudget_ConcurrentStarts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, budgetOn(5))
	budgetClock(f)
	s := f.strangers(12)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for _, n := range s {
		wg.Go(func() {
			err := f.startErr("alice", n)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, messaging.ErrRateLimited):
				refused++
			default:
				t.Errorf("start %s: %v", n, err)
			}
		})
	}
	wg.Wait()
	if ok != 5 || refused != 7 || f.used("alice") != 5 {
		t.Errorf("12 concurrent first contacts on 5: %d started, %d refused, used %d", ok, refused, f.used("alice"))
	}
	var rows int
	f.must(f.app.DB().NewQuery("SELECT COUNT(*) FROM " + messaging.CollectionNameFirstContacts).Row(&rows))
	if rows != 5 {
		t.Errorf("%d first contacts recorded, want 5", rows)
	}
}

// The figures are the site owner's: no member reads them, their own
// included, through the records API, a back-relation filter or realtime.
func TestBudget_SuperusersOnly(t *testing.T) {
	t.Parallel()
	setup := func(f *fixture) {
		budgetClock(f)
		f.strangers(1)
		f.must(f.startErr("alice", "s1"))
	}
	var cases []apiCase
	for _, col := range []string{messaging.CollectionNameContactBudgets, messaging.CollectionNameFirstContacts} {
		for _, who := range []string{"", "alice", "s1"} {
			cases = append(cases,
				apiCase{cfg: budgetOn(20), name: col + " list as " + fmt.Sprintf("%q", who) + " → 403", build: func(f *fixture) tests.ApiScenario {
					setup(f)
					return expect(f.as(who, http.MethodGet, recordsURL(col, ""), nil), 403, []string{onlySuperusers})
				}},
				apiCase{cfg: budgetOn(20), name: col + " create as " + fmt.Sprintf("%q", who) + " → 403", build: func(f *fixture) tests.ApiScenario {
					setup(f)
					s := f.as(who, http.MethodPost, recordsURL(col, ""), map[string]any{"user": f.id("alice"), "week": "2026-01-05", "used": 0})
					return countIs(expect(s, 403, []string{onlySuperusers}), col, 1)
				}},
			)
		}
		cases = append(cases, apiCase{cfg: budgetOn(20), name: col + " list as superuser → 200", build: func(f *fixture) tests.ApiScenario {
			setup(f)
			return expect(f.as("superuser", http.MethodGet, recordsURL(col, ""), nil), 200, []string{`"totalItems":1`, f.id("alice")})
		}})
	}
	cases = append(cases, apiCase{cfg: budgetOn(20), name: "users filtered through a back-relation → 400", build: func(f *fixture) tests.ApiScenario {
		setup(f)
		return expect(f.as("s1", http.MethodGet, recordsURL("users", "?filter="+
			"messaging_first_contacts_via_sender.recipient%3D%27"+f.id("s1")+"%27"), nil), 400, []string{`"status":400`})
	}})
	runCases(t, cases)
}

func TestBudget_DeletedUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, budgetOn(20))
	budgetClock(f)
	f.strangers(1)
	f.must(f.startErr("alice", "s1"))
	f.must(f.startErr("bob", "alice"))
	f.must(f.app.Delete(f.users["alice"]))
	for _, q := range []string{
		"SELECT COUNT(*) FROM " + messaging.CollectionNameContactBudgets + " WHERE user = {:u}",
		"SELECT COUNT(*) FROM " + messaging.CollectionNameFirstContacts + " WHERE sender = {:u} OR recipient = {:u}",
	} {
		var n int
		f.must(f.app.DB().NewQuery(q).Bind(dbx.Params{"u": f.id("alice")}).Row(&n))
		if n != 0 {
			t.Errorf("%s: %d rows about the deleted user", q, n)
		}
	}
}

package messaging_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"
)

// spamOn is the default config with the anti-spam defaults on (the
// fixture turns anti-spam off for a zero AntiSpam).
var spamOn = messaging.Config{AntiSpam: messaging.AntiSpamConfig{TrustedRoles: []string{}}}

// spamClock fixes the anti-spam clock 20 seconds into a minute, so that a
// per-minute refusal always says 40 seconds, and returns it.
func spamClock(f *fixture) time.Time {
	now := time.Now().UTC().Truncate(time.Minute).Add(20 * time.Second)
	messaging.SetClockForTest(f.pm, func() time.Time { return now })
	return now
}

// setCreated sets a user's account creation time directly in the database.
func (f *fixture) setCreated(name string, at time.Time) {
	f.t.Helper()
	dt, err := types.ParseDateTime(at)
	f.must(err)
	_, err = f.app.DB().NewQuery("UPDATE users SET created = {:c} WHERE id = {:id}").
		Bind(dbx.Params{"c": dt.String(), "id": f.id(name)}).Execute()
	f.must(err)
}

// setRoles gives the named user roles, as server code may.
func (f *fixture) setRoles(name string, roles ...string) {
	f.t.Helper()
	u := f.users[name]
	u.Set("roles", roles)
	f.must(f.app.Save(u))
}

// caller makes alice the given kind of caller: "new" (a day old), "old"
// (30 days), "trusted" (trusted_roles ["member"]), "moderator" or
// "superuser" (who then sends for her through the records API).
func (f *fixture) caller(kind string, now time.Time) (who string) {
	f.t.Helper()
	f.setCreated("alice", now.Add(-24*time.Hour))
	switch kind {
	case "old":
		f.setCreated("alice", now.AddDate(0, 0, -30))
	case "trusted":
		f.setSettings(map[string]any{"trusted_roles": []string{"member"}})
		f.setRoles("alice", "member")
	case "moderator":
		f.setRoles("alice", "moderator")
	case "superuser":
		return "superuser"
	}
	return "alice"
}

// Requests that send one message into thread through each write path.
func sendByAPI(f *fixture, who, thread string) tests.ApiScenario {
	return f.as(who, http.MethodPost, threadURL(thread, "/messages"), map[string]any{"body": "one more"})
}

func sendByRecords(f *fixture, who, thread string) tests.ApiScenario {
	return f.as(who, http.MethodPost, recordsURL(messaging.CollectionNameMessages, ""),
		map[string]any{"thread": thread, "body": "one more", "author": f.id("alice")})
}

func sendByBatch(f *fixture, who, thread string) tests.ApiScenario {
	f.enableBatch()
	return f.as(who, http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{{
		"method": "POST", "url": recordsURL(messaging.CollectionNameMessages, ""),
		"body": map[string]any{"thread": thread, "body": "one more", "author": f.id("alice")}}}})
}

// limited expects the 429 of limit with its Retry-After, and that nothing
// was written (want messages in all).
func limited(s tests.ApiScenario, limit string, retry int, text string, messages int) tests.ApiScenario {
	s = countIs(expect(s, http.StatusTooManyRequests, []string{`"status":429`, `"code":"messaging_rate_limited"`,
		`"limit":"` + limit + `"`, `"retryAfter":` + strconv.Itoa(retry), "try again in " + text + "."}), messaging.CollectionNameMessages, messages)
	return retryAfterIs(s, strconv.Itoa(retry))
}

// batchLimited expects the batch API's 400 carrying the same refusal.
func batchLimited(s tests.ApiScenario, limit string, retry int, messages int) tests.ApiScenario {
	return countIs(expect(s, http.StatusBadRequest, []string{`"code":"batch_request_failed"`, `"status":429`,
		`"code":"messaging_rate_limited"`, `"limit":"` + limit + `"`, `"retryAfter":` + strconv.Itoa(retry)}),
		messaging.CollectionNameMessages, messages)
}

// retryAfterIs adds a check of the Retry-After header.
func retryAfterIs(s tests.ApiScenario, want string) tests.ApiScenario {
	after := s.AfterTestFunc
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
		if got := res.Header.Get("Retry-After"); got != want {
			t.Errorf("Retry-After %q, want %q", got, want)
		}
		if after != nil {
			after(t, app, res)
		}
	}
	return s
}

// sent expects a successful send: want messages in all.
func sent(s tests.ApiScenario, messages int) tests.ApiScenario {
	return countIs(expect(s, http.StatusOK, []string{`"one more"`}), messaging.CollectionNameMessages, messages)
}

func TestAntiSpamMessagesPerMinute(t *testing.T) {
	// Alice and bob's direct thread holds two messages from alice, the
	// limit; each case sends the third.
	setup := func(f *fixture, kind string) (who, thread string) {
		now := spamClock(f)
		who = f.caller(kind, now)
		th, _ := f.start("alice", []string{"bob"}, "", "first")
		f.send("alice", th.Id, "second")
		f.setSettings(map[string]any{"messages_per_minute": "2"})
		return who, th.Id
	}
	var cases []apiCase
	for _, kind := range []string{"new", "old"} {
		cases = append(cases,
			apiCase{cfg: spamOn, name: kind + " account, messaging API → 429", build: func(f *fixture) tests.ApiScenario {
				who, th := setup(f, kind)
				return limited(sendByAPI(f, who, th), "messages_per_minute", 40, "40 seconds", 2)
			}},
			apiCase{cfg: spamOn, name: kind + " account, records API → 429", build: func(f *fixture) tests.ApiScenario {
				who, th := setup(f, kind)
				return limited(sendByRecords(f, who, th), "messages_per_minute", 40, "40 seconds", 2)
			}},
			apiCase{cfg: spamOn, name: kind + " account, batch API → 400 carrying the 429", build: func(f *fixture) tests.ApiScenario {
				who, th := setup(f, kind)
				return batchLimited(sendByBatch(f, who, th), "messages_per_minute", 40, 2)
			}},
		)
	}
	for _, kind := range []string{"trusted", "moderator", "superuser"} {
		cases = append(cases,
			apiCase{cfg: spamOn, name: kind + ", records API → sent", build: func(f *fixture) tests.ApiScenario {
				who, th := setup(f, kind)
				return sent(sendByRecords(f, who, th), 3)
			}},
			apiCase{cfg: spamOn, name: kind + ", batch API → sent", build: func(f *fixture) tests.ApiScenario {
				who, th := setup(f, kind)
				return countIs(expect(sendByBatch(f, who, th), 200, []string{`"one more"`}), messaging.CollectionNameMessages, 3)
			}},
		)
		if kind != "superuser" {
			cases = append(cases, apiCase{cfg: spamOn, name: kind + ", messaging API → sent", build: func(f *fixture) tests.ApiScenario {
				who, th := setup(f, kind)
				return sent(sendByAPI(f, who, th), 3)
			}})
		}
	}
	cases = append(cases,
		apiCase{name: "0 turns it off", cfg: messaging.Config{AntiSpam: messaging.AntiSpamConfig{MessagesPerMinute: 2}},
			build: func(f *fixture) tests.ApiScenario {
				_, th := setup(f, "new")
				f.setSettings(map[string]any{"messages_per_minute": "0"})
				return sent(sendByAPI(f, "alice", th), 3)
			}},
		apiCase{cfg: spamOn, name: "a raised limit counts on the next request", build: func(f *fixture) tests.ApiScenario {
			_, th := setup(f, "new")
			f.setSettings(map[string]any{"messages_per_minute": "3"})
			return sent(sendByAPI(f, "alice", th), 3)
		}},
		apiCase{cfg: spamOn, name: "a lowered limit counts on the next request", build: func(f *fixture) tests.ApiScenario {
			now := spamClock(f)
			th, _ := f.start("alice", []string{"bob"}, "", "first")
			f.send("alice", th.Id, "second")
			_ = now
			f.setSettings(map[string]any{"messages_per_minute": "2"})
			return limited(sendByAPI(f, "alice", th.Id), "messages_per_minute", 40, "40 seconds", 2)
		}},
		apiCase{cfg: spamOn, name: "the default (30) leaves a third message alone", build: func(f *fixture) tests.ApiScenario {
			spamClock(f)
			th, _ := f.start("alice", []string{"bob"}, "", "first")
			f.send("alice", th.Id, "second")
			return sent(sendByAPI(f, "alice", th.Id), 3)
		}},
	)
	runCases(t, cases)
}

func TestAntiSpamAccountAge(t *testing.T) {
	// Bob started a conversation with alice; alice signed up 10 minutes
	// ago and the site wants an hour.
	setup := func(f *fixture, kind string) (who, thread string) {
		now := spamClock(f)
		who = f.caller(kind, now)
		if kind == "new" {
			f.setCreated("alice", now.Add(-10*time.Minute))
		}
		th, _ := f.start("bob", []string{"alice"}, "", "hello")
		f.setSettings(map[string]any{"min_account_age_hours": "1"})
		return who, th.Id
	}
	startByAPI := func(f *fixture, who string) tests.ApiScenario {
		return f.as(who, http.MethodPost, "/api/messaging/threads",
			map[string]any{"recipients": []string{f.id("carol")}, "body": "one more"})
	}
	var cases []apiCase
	cases = append(cases,
		apiCase{cfg: spamOn, name: "new account, messaging API → 429", build: func(f *fixture) tests.ApiScenario {
			who, th := setup(f, "new")
			return limited(sendByAPI(f, who, th), "min_account_age_hours", 3000, "50 minutes", 1)
		}},
		apiCase{cfg: spamOn, name: "new account, start → 429", build: func(f *fixture) tests.ApiScenario {
			who, _ := setup(f, "new")
			return limited(startByAPI(f, who), "min_account_age_hours", 3000, "50 minutes", 1)
		}},
		apiCase{cfg: spamOn, name: "new account, records API → 429", build: func(f *fixture) tests.ApiScenario {
			who, th := setup(f, "new")
			return limited(sendByRecords(f, who, th), "min_account_age_hours", 3000, "50 minutes", 1)
		}},
		apiCase{cfg: spamOn, name: "new account, batch API → 400 carrying the 429", build: func(f *fixture) tests.ApiScenario {
			who, th := setup(f, "new")
			return batchLimited(sendByBatch(f, who, th), "min_account_age_hours", 3000, 1)
		}},
		apiCase{cfg: spamOn, name: "0 turns it off", build: func(f *fixture) tests.ApiScenario {
			_, th := setup(f, "new")
			f.setSettings(map[string]any{"min_account_age_hours": "0"})
			return sent(sendByAPI(f, "alice", th), 2)
		}},
	)
	for _, kind := range []string{"old", "trusted", "moderator"} {
		cases = append(cases, apiCase{cfg: spamOn, name: kind + ", messaging API → sent", build: func(f *fixture) tests.ApiScenario {
			who, th := setup(f, kind)
			f.setCreated("alice", time.Now().Add(-10*time.Minute))
			if kind == "old" {
				f.setCreated("alice", time.Now().Add(-2*time.Hour))
			}
			return sent(sendByAPI(f, who, th), 2)
		}})
	}
	cases = append(cases, apiCase{cfg: spamOn, name: "superuser, records API → sent", build: func(f *fixture) tests.ApiScenario {
		who, th := setup(f, "superuser")
		f.setCreated("alice", time.Now().Add(-10*time.Minute))
		return sent(sendByRecords(f, who, th), 2)
	}})
	runCases(t, cases)
}

// nextUTCDay is how many seconds from now to the next UTC midnight.
func nextUTCDay(now time.Time) int {
	y, m, d := now.UTC().Date()
	return int(time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Sub(now) / time.Second)
}

func TestAntiSpamNewAccountConversations(t *testing.T) {
	// Alice has started two conversations today, the limit.
	type setupResult struct {
		who string
		now time.Time
	}
	setup := func(f *fixture, kind string) setupResult {
		now := spamClock(f)
		who := f.caller(kind, now)
		f.start("alice", []string{"bob"}, "", "first")
		f.start("alice", []string{"carol"}, "", "second")
		f.setSettings(map[string]any{"new_account_conversations_per_day": "2"})
		return setupResult{who, now}
	}
	start := func(f *fixture, who string, to ...string) tests.ApiScenario {
		ids := make([]string, len(to))
		for i, n := range to {
			ids[i] = f.id(n)
		}
		return f.as(who, http.MethodPost, "/api/messaging/threads", map[string]any{"recipients": ids, "body": "one more"})
	}
	cases := []apiCase{
		{cfg: spamOn, name: "new account → 429 until the next UTC day", build: func(f *fixture) tests.ApiScenario {
			r := setup(f, "new")
			secs := nextUTCDay(r.now)
			s := countIs(expect(start(f, r.who, "dave"), 429, []string{`"status":429`, `"code":"messaging_rate_limited"`,
				`"limit":"new_account_conversations_per_day"`, `"retryAfter":` + strconv.Itoa(secs), "try again in "}),
				messaging.CollectionNameThreads, 2)
			return retryAfterIs(s, strconv.Itoa(secs))
		}},
		{cfg: spamOn, name: "new account, a direct thread they share is not a new conversation", build: func(f *fixture) tests.ApiScenario {
			r := setup(f, "new")
			return countIs(expect(start(f, r.who, "bob"), 200, []string{`"one more"`}), messaging.CollectionNameThreads, 2)
		}},
		{cfg: spamOn, name: "0 turns it off", build: func(f *fixture) tests.ApiScenario {
			r := setup(f, "new")
			f.setSettings(map[string]any{"new_account_conversations_per_day": "0"})
			return countIs(expect(start(f, r.who, "dave"), 200, []string{`"one more"`}), messaging.CollectionNameThreads, 3)
		}},
		{cfg: spamOn, name: "new_account_days 0: no account is new", build: func(f *fixture) tests.ApiScenario {
			r := setup(f, "new")
			f.setSettings(map[string]any{"new_account_days": "0"})
			return countIs(expect(start(f, r.who, "dave"), 200, []string{`"one more"`}), messaging.CollectionNameThreads, 3)
		}},
		{cfg: spamOn, name: "superuser creates a thread for her through the records API", build: func(f *fixture) tests.ApiScenario {
			setup(f, "new")
			s := f.as("superuser", http.MethodPost, recordsURL(messaging.CollectionNameThreads, ""),
				map[string]any{"kind": "group", "created_by": f.id("alice"), "subject": "by root"})
			return countIs(expect(s, 200, []string{`"by root"`}), messaging.CollectionNameThreads, 3)
		}},
	}
	for _, kind := range []string{"old", "trusted", "moderator"} {
		cases = append(cases, apiCase{cfg: spamOn, name: kind + " → started", build: func(f *fixture) tests.ApiScenario {
			r := setup(f, kind)
			return countIs(expect(start(f, r.who, "dave"), 200, []string{`"one more"`}), messaging.CollectionNameThreads, 3)
		}})
	}
	runCases(t, cases)
}

func TestAntiSpamNewAccountRecipients(t *testing.T) {
	// At most 2 others; alice's account is a day old (6 days to go).
	setup := func(f *fixture, kind string) string {
		now := spamClock(f)
		who := f.caller(kind, now)
		f.setSettings(map[string]any{"new_account_max_recipients": "2"})
		return who
	}
	start := func(f *fixture, who string, to ...string) tests.ApiScenario {
		ids := make([]string, len(to))
		for i, n := range to {
			ids[i] = f.id(n)
		}
		return f.as(who, http.MethodPost, "/api/messaging/threads", map[string]any{"recipients": ids, "body": "one more"})
	}
	const sixDays = 6 * 24 * 3600
	cases := []apiCase{
		{cfg: spamOn, name: "new account, three others → 429", build: func(f *fixture) tests.ApiScenario {
			who := setup(f, "new")
			return countIs(limited(start(f, who, "bob", "carol", "dave"), "new_account_max_recipients", sixDays, "6 days", 0),
				messaging.CollectionNameThreads, 0)
		}},
		{cfg: spamOn, name: "new account, two others → started", build: func(f *fixture) tests.ApiScenario {
			who := setup(f, "new")
			return sent(start(f, who, "bob", "carol"), 1)
		}},
		{cfg: spamOn, name: "new account, growing a group beyond two → 429", build: func(f *fixture) tests.ApiScenario {
			who := setup(f, "new")
			th, _ := f.start("alice", []string{"bob", "carol"}, "", "first")
			s := f.as(who, http.MethodPost, threadURL(th.Id, "/members"), map[string]any{"users": []string{f.id("dave")}})
			return limited(s, "new_account_max_recipients", sixDays, "6 days", 1)
		}},
		{cfg: spamOn, name: "0 turns it off", build: func(f *fixture) tests.ApiScenario {
			who := setup(f, "new")
			f.setSettings(map[string]any{"new_account_max_recipients": "0"})
			return sent(start(f, who, "bob", "carol", "dave"), 1)
		}},
	}
	for _, kind := range []string{"old", "trusted", "moderator"} {
		cases = append(cases, apiCase{cfg: spamOn, name: kind + ", three others → started", build: func(f *fixture) tests.ApiScenario {
			who := setup(f, kind)
			return sent(start(f, who, "bob", "carol", "dave"), 1)
		}})
	}
	runCases(t, cases)
}

func TestAntiSpamGoAPI(t *testing.T) {
	f := newFixture(t, messaging.Config{AntiSpam: messaging.AntiSpamConfig{MessagesPerMinute: 1, NewAccountConversationsPerDay: 1}})
	spamClock(f)
	th, _ := f.start("alice", []string{"bob"}, "", "first")

	_, err := f.pm.Send(f.id("alice"), th.Id, "second")
	if !errors.Is(err, messaging.ErrRateLimited) {
		t.Fatalf("Send over the limit: %v, want ErrRateLimited", err)
	}
	if !strings.Contains(err.Error(), "You can send 1 message a minute.") {
		t.Errorf("refusal %q does not name the limit in the singular", err)
	}
	if secs, ok := messaging.RetryAfter(err); !ok || secs != 40 {
		t.Errorf("RetryAfter = %d, %v; want 40, true", secs, ok)
	}
	if _, err := f.pm.SendWith(f.id("alice"), th.Id, "second", messaging.SendOptions{SkipAntiSpam: true}); err != nil {
		t.Errorf("SendWith SkipAntiSpam: %v", err)
	}
	if _, _, err := f.pm.StartWith(f.id("alice"), []string{f.id("carol")}, "", "hi", messaging.SendOptions{SkipAntiSpam: true}); err != nil {
		t.Errorf("StartWith SkipAntiSpam: %v", err)
	}
	if _, _, err := f.pm.Start(f.id("bob"), []string{f.id("dave")}, "", "hi"); err != nil {
		t.Errorf("bob's first start: %v", err)
	}

	// Go code saving a thread as if alice started it meets the same limit.
	col, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreads)
	f.must(err)
	r := core.NewRecord(col)
	r.Set("kind", messaging.KindGroup)
	r.Set("created_by", f.id("bob"))
	if err := f.app.Save(r); !errors.Is(err, messaging.ErrRateLimited) {
		t.Errorf("Go save of a second thread by bob: %v, want ErrRateLimited", err)
	}
	if _, ok := messaging.RetryAfter(errors.New("other")); ok {
		t.Error("RetryAfter of another error is ok")
	}
}

func TestAntiSpamConcurrentSends(t *testing.T) {
	f := newFixture(t, messaging.Config{AntiSpam: messaging.AntiSpamConfig{MessagesPerMinute: 5}})
	spamClock(f)
	th, _ := f.start("alice", []string{"bob"}, "", "first") // 1 of 5
	const tries = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for range tries {
		wg.Go(func() {
			_, err := f.pm.Send(f.id("alice"), th.Id, "again")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, messaging.ErrRateLimited):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 4 || refused != tries-4 {
		t.Errorf("%d sent, %d refused; want 4 and %d", ok, refused, tries-4)
	}
	var count int
	f.must(f.app.DB().NewQuery("SELECT count FROM " + messaging.RateTableForTest + " WHERE user = {:u} AND kind = 'm'").
		Bind(dbx.Params{"u": f.id("alice")}).Row(&count))
	if count != 5 {
		t.Errorf("counter %d, want 5 (refused sends roll back)", count)
	}
}

func TestAntiSpamCounterCleanup(t *testing.T) {
	f := newFixture(t, spamOn)
	// Noon, not now: a minute later must still be the same UTC day (the
	// test failed when run in the day's last minute).
	now := time.Now().UTC().Truncate(24 * time.Hour).Add(12*time.Hour + 20*time.Second)
	messaging.SetClockForTest(f.pm, func() time.Time { return now })
	f.start("alice", []string{"bob"}, "", "first")
	f.start("carol", []string{"dave"}, "", "first")
	rows := func() int {
		var n int
		f.must(f.app.DB().NewQuery("SELECT COUNT(*) FROM " + messaging.RateTableForTest).Row(&n))
		return n
	}
	if n := rows(); n != 4 { // each: a minute of messages, a day of conversations
		t.Fatalf("%d counters, want 4", n)
	}
	messaging.SetClockForTest(f.pm, func() time.Time { return now.Add(time.Minute) })
	if n, err := messaging.DeleteExpiredCountersForTest(f.pm, 1); err != nil || n != 2 {
		t.Errorf("deleted %d (%v), want the 2 minute counters", n, err)
	}
	messaging.SetClockForTest(f.pm, func() time.Time { return now.Add(25 * time.Hour) })
	if n, err := messaging.DeleteExpiredCountersForTest(f.pm, 1); err != nil || n != 2 {
		t.Errorf("deleted %d (%v), want the 2 day counters", n, err)
	}
	if n := rows(); n != 0 {
		t.Errorf("%d counters left", n)
	}
}

func TestAntiSpamSettings(t *testing.T) {
	url := recordsURL(messaging.CollectionNameSettings, "/messagingconfig")
	runCases(t, []apiCase{
		{cfg: spamOn, name: "not a number → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, url, map[string]any{"messages_per_minute": "lots"}), 400,
				[]string{`"messages_per_minute":{"code":"validation_messaging_setting_range"`, "0 (off)"})
		}},
		{cfg: spamOn, name: "unknown trusted role → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, url, map[string]any{"trusted_roles": []string{"vip"}}), 400,
				[]string{`"trusted_roles":{"code":"validation_messaging_unknown_role"`})
		}},
		{cfg: spamOn, name: "in force: defaults, and 0 is off", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, url, map[string]any{"new_account_days": "0"}), 200,
				[]string{`"trusted_roles":[]`, `"min_account_age_hours":0`, `"new_account_days":0`,
					`"new_account_conversations_per_day":10`, `"new_account_max_recipients":5`, `"messages_per_minute":30`})
		}},
	})
}

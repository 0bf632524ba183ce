package messaging_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// requestFrom has alice in requests mode receive a request from the
// stranger dave, and returns its thread.
func (f *fixture) requestFrom(stranger string) string {
	f.t.Helper()
	f.setReach("alice", messaging.ReachRequests)
	thread, _ := f.start(stranger, []string{"alice"}, "", "first-contact-from-"+stranger)
	return thread.Id
}

// countsAre checks after the request that user's badges are want.
func countsAre(s tests.ApiScenario, f *fixture, user string, want messaging.UnreadCounts) tests.ApiScenario {
	prev := s.AfterTestFunc
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
		if prev != nil {
			prev(t, app, res)
		}
		if got, err := f.pm.Unread(f.id(user)); err != nil || got != want {
			t.Errorf("%s's counts %+v (%v), want %+v", user, got, err, want)
		}
	}
	return s
}

func TestRequests_Boxes(t *testing.T) {
	t.Parallel()
	box := func(f *fixture, who, b string) tests.ApiScenario {
		return f.as(who, http.MethodGet, "/api/messaging/threads?box="+b, nil)
	}
	runCases(t, []apiCase{
		{name: "the request is in Requests", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			return expect(box(f, "alice", "requests"), 200, []string{`"id":"` + id + `"`, "first-contact-from-dave", `"request":true`})
		}},
		{name: "the recipient's thread view says it is a request", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			return expect(f.as("alice", http.MethodGet, "/api/messaging/threads/"+id, nil), 200, []string{`"id":"` + id + `"`, `"request":true`})
		}},
		{name: "the sender's thread view doesn't", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			return expect(f.as("dave", http.MethodGet, "/api/messaging/threads/"+id, nil), 200, []string{`"id":"` + id + `"`}, "request")
		}},
		{name: "and not in the inbox", build: func(f *fixture) tests.ApiScenario {
			f.requestFrom("dave")
			f.start("bob", []string{"alice"}, "", "contact-body") // bob is a stranger too: a second request
			return expect(box(f, "alice", "inbox"), 200, []string{`"items":[]`})
		}},
		{name: "the sender sees an ordinary conversation", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			return expect(box(f, "dave", "inbox"), 200, []string{`"id":"` + id + `"`}, "request", "pending")
		}},
		{name: "unread: requests count in their own badge", build: func(f *fixture) tests.ApiScenario {
			f.requestFrom("dave")
			f.requestFrom("bob")
			return expect(f.as("alice", http.MethodGet, "/api/messaging/unread", nil), 200,
				[]string{`{"threads":0,"messages":0,"requests":2}`})
		}},
		{name: "an unknown box → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(box(f, "alice", "spam"), 400, []string{fieldError("box", "bad_box")})
		}},
	})
}

func TestRequests_AcceptAndDecline(t *testing.T) {
	t.Parallel()
	answer := func(f *fixture, who, id, verb string) tests.ApiScenario {
		return f.as(who, http.MethodPost, threadURL(id, "/"+verb), nil)
	}
	runCases(t, []apiCase{
		{name: "accept: into the inbox, counted there", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			s := countsAre(expect(answer(f, "alice", id, "accept"), 204, nil), f, "alice",
				messaging.UnreadCounts{Threads: 1, Messages: 1})
			s.AfterTestFunc = chain(s.AfterTestFunc, func(t testing.TB) {
				if got := inboxFirst(f, "alice"); got != id {
					t.Errorf("inbox starts with %s, want the accepted %s", got, id)
				}
				f.send("dave", id, "now we talk") // the sender can write again
				if got, _ := f.pm.Unread(f.id("alice")); got.Messages != 2 {
					t.Errorf("alice's counts after the reply %+v, want 2 messages", got)
				}
			})
			return s
		}},
		{name: "decline: gone for her, not counted", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			s := countsAre(expect(answer(f, "alice", id, "decline"), 204, nil), f, "alice", messaging.UnreadCounts{})
			s.AfterTestFunc = chain(s.AfterTestFunc, func(t testing.TB) {
				for _, q := range []messaging.InboxQuery{{}, {Requests: true}, {Archived: true}} {
					if page, err := f.pm.Inbox(f.id("alice"), q); err != nil || len(page.Items) != 0 {
						t.Errorf("box %+v after decline: %d items (%v)", q, len(page.Items), err)
					}
				}
				if _, err := f.pm.Thread(f.id("alice"), id); err == nil {
					t.Error("the declined thread still opens for her")
				}
				if page, err := f.pm.Messages(f.id("alice"), id, "", 10); err == nil && len(page.Items) > 0 {
					t.Errorf("the declined thread's messages still list for her: %d", len(page.Items))
				}
				if page, err := f.pm.Search(f.id("alice"), "contact", messaging.SearchOptions{}); err != nil || len(page.Items) != 0 {
					t.Errorf("search still finds the declined request: %d hits (%v)", len(page.Items), err)
				}
			})
			return s
		}},
		{name: "the sender can't accept for her", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			return countsAre(expect(answer(f, "dave", id, "accept"), 404, []string{notFoundBody}), f, "alice",
				messaging.UnreadCounts{Requests: 1})
		}},
		{name: "accepting what is no request → 404", build: func(f *fixture) tests.ApiScenario {
			thread, _ := f.start("bob", []string{"alice"}, "", "hello")
			return expect(answer(f, "alice", thread.Id, "accept"), 404, []string{notFoundBody})
		}},
		{name: "declining twice → 404", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			f.must(f.pm.DeclineRequest(f.id("alice"), id))
			return expect(answer(f, "alice", id, "decline"), 404, []string{notFoundBody})
		}},
		{name: "accepting after declining → 404", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			f.must(f.pm.DeclineRequest(f.id("alice"), id))
			return expect(answer(f, "alice", id, "accept"), 404, []string{notFoundBody})
		}},
		{name: "writing back accepts, even to a contacts-only sender", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			f.setReach("dave", messaging.ReachContacts)
			s := expect(f.as("alice", http.MethodPost, threadURL(id, "/messages"), map[string]any{"body": "hi dave"}), 200,
				[]string{`"body":"hi dave"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if got := f.requestOf("alice", id); got != "" {
					t.Errorf("alice's membership after replying: %q", got)
				}
				f.send("dave", id, "thanks")
			}
			return s
		}},
	})
}

// chain runs next after prev (either may be nil).
func chain(prev func(testing.TB, *tests.TestApp, *http.Response), next func(testing.TB)) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, res *http.Response) {
		if prev != nil {
			prev(t, app, res)
		}
		next(t)
	}
}

// The sender is told nothing: every answer they can get, and their whole
// view of the conversation, is the same before and after a decline.
func TestRequests_DeclineIsInvisibleToTheSender(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	id := f.requestFrom("dave")
	probes := []struct {
		method, url string
		body        map[string]any
	}{
		{http.MethodGet, "/api/messaging/threads/" + id, nil},
		{http.MethodGet, "/api/messaging/threads/" + id + "/messages", nil},
		{http.MethodGet, "/api/messaging/threads", nil},
		{http.MethodPost, "/api/messaging/threads/" + id + "/messages", map[string]any{"body": "again"}},
		{http.MethodPost, "/api/messaging/threads", map[string]any{"recipients": []string{f.id("alice")}, "body": "again"}},
		{http.MethodGet, "/api/collections/threads/records/" + id, nil},
		{http.MethodGet, "/api/collections/thread_members/records?filter=" + "thread%3D%27" + id + "%27", nil},
		{http.MethodGet, "/api/collections/threads/records?filter=thread_members_via_thread.request%3D%27declined%27", nil},
		{http.MethodGet, "/api/messaging/recipients?q=ali", nil},
	}
	srv := f.serve()
	see := func() []string {
		var out []string
		for _, p := range probes {
			var body any
			if p.body != nil {
				body = p.body
			}
			status, text := f.request(srv, "dave", p.method, p.url, body)
			out = append(out, strconv.Itoa(status)+" "+text)
		}
		return out
	}
	before := see()
	f.must(f.pm.DeclineRequest(f.id("alice"), id))
	after := see()
	for i := range probes {
		if before[i] != after[i] {
			t.Errorf("%s %s changed with the decline:\nbefore %s\nafter  %s", probes[i].method, probes[i].url, before[i], after[i])
		}
	}
	if !strings.Contains(before[3], "hasn't been accepted yet") {
		t.Errorf("a second message before any answer: %s", before[3])
	}
}

// Records-API rules: the sender can't read or flip the recipient's request
// state, and the recipient can't flip it either (accept is the API).
func TestRequests_RecordsAPI(t *testing.T) {
	t.Parallel()
	memberURL := func(f *fixture, id string) string {
		return recordsURL(messaging.CollectionNameThreadMembers, "/"+f.member("alice", id).Id)
	}
	runCases(t, []apiCase{
		{name: "the sender can't read her membership", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			return expect(f.as("dave", http.MethodGet, memberURL(f, id), nil), 404, []string{recordNotFound}, "pending")
		}},
		{name: "the sender can't clear her request", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			s := expect(f.as("dave", http.MethodPatch, memberURL(f, id), map[string]any{"request": ""}), 404, []string{recordNotFound})
			return countsAre(s, f, "alice", messaging.UnreadCounts{Requests: 1})
		}},
		{name: "she can't clear it through the records API either", build: func(f *fixture) tests.ApiScenario {
			id := f.requestFrom("dave")
			s := expect(f.as("alice", http.MethodPatch, memberURL(f, id), map[string]any{"request": ""}), 404, []string{recordNotFound})
			return countsAre(s, f, "alice", messaging.UnreadCounts{Requests: 1})
		}},
		{name: "the sender can't probe it with a filter", build: func(f *fixture) tests.ApiScenario {
			f.requestFrom("dave")
			return expect(f.as("dave", http.MethodGet,
				recordsURL(messaging.CollectionNameThreads, "?filter=thread_members_via_thread.request%3D%27pending%27"), nil),
				400, []string{`"status":400`})
		}},
	})
}

// A request sends no email (nor any other notification); once accepted,
// the next message does.
func TestRequests_NoEmail(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	id := nf.requestFrom("dave")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	nf.wantMails("alice", 0)
	nf.must(nf.pm.AcceptRequest(nf.id("alice"), id))
	nf.must(nf.pm.MarkRead(nf.id("alice"), id))
	nf.send("dave", id, "after accepting")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	nf.wantMails("alice", 1)
}

// OnRequestAccepted and OnRequestDeclined fire once each, after commit,
// with the sender.
func TestRequests_Events(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	var got []string
	f.pm.OnRequestAccepted().BindFunc(func(e *messaging.RequestEvent) error {
		got = append(got, "accepted:"+strings.Join(e.Senders, ","))
		return e.Next()
	})
	f.pm.OnRequestDeclined().BindFunc(func(e *messaging.RequestEvent) error {
		got = append(got, "declined:"+strings.Join(e.Senders, ","))
		return e.Next()
	})
	a := f.requestFrom("dave")
	b := f.requestFrom("bob")
	f.must(f.pm.AcceptRequest(f.id("alice"), a))
	f.must(f.pm.DeclineRequest(f.id("alice"), b))
	want := "accepted:" + f.id("dave") + " declined:" + f.id("bob")
	if strings.Join(got, " ") != want {
		t.Errorf("events %v, want %s", got, want)
	}
}

// Live: a request arrives with the Requests badge in its totals; accepting
// it (from another tab) tells every tab, with the badges moved; a declined
// request sends its recipient nothing more.
func TestRequests_Live(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.setReach("alice", messaging.ReachRequests)
	srv := f.serve()
	tab := f.connect(srv, "alice", messaging.RealtimeTopic)
	first, _ := f.start("dave", []string{"alice"}, "", "first-contact-from-dave")
	ev := tab.next(t, 5*time.Second)
	if !matches(ev.Data, map[string]any{"type": "message", "unread": 1,
		"totals": map[string]any{"threads": 0, "messages": 0, "requests": 1}}) {
		t.Fatalf("request arrives as %v", ev.Data)
	}
	f.mustRequest(srv, http.StatusNoContent, "alice", http.MethodPost, threadURL(first.Id, "/accept"), nil)
	ev = tab.next(t, 5*time.Second)
	if !matches(ev.Data, map[string]any{"type": "request", "thread": first.Id, "state": "accepted",
		"totals": map[string]any{"threads": 1, "messages": 1, "requests": 0}}) {
		t.Fatalf("accept tells %v", ev.Data)
	}

	second, _ := f.start("bob", []string{"alice"}, "", "first-contact-from-bob")
	_ = tab.next(t, 5*time.Second) // the request
	f.must(f.pm.DeclineRequest(f.id("alice"), second.Id))
	ev = tab.next(t, 5*time.Second)
	if !matches(ev.Data, map[string]any{"type": "request", "state": "declined",
		"totals": map[string]any{"threads": 1, "messages": 1, "requests": 0}}) {
		t.Fatalf("decline tells %v", ev.Data)
	}
	// bob's group message into a group alice declined reaches her no more.
	group, _ := f.start("carol", []string{"alice", "bob"}, "G", "group-first")
	_ = tab.next(t, 5*time.Second)
	f.must(f.pm.DeclineRequest(f.id("alice"), group.Id))
	_ = tab.next(t, 5*time.Second)
	f.send("bob", group.Id, "after-decline")
	for _, ev := range tab.drain(300 * time.Millisecond) {
		t.Errorf("after declining she still got %v", ev.Data)
	}
}

// Previewing a request sends the stranger no read receipt.
func TestRequests_PreviewWithoutReceipt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	id := f.requestFrom("dave")
	f.must(f.pm.MarkRead(f.id("alice"), id))
	view, err := f.pm.Thread(f.id("dave"), id)
	f.must(err)
	if view.PeerLastReadSeq != 0 {
		t.Errorf("dave sees alice read up to %d while the request waits", view.PeerLastReadSeq)
	}
	f.must(f.pm.AcceptRequest(f.id("alice"), id))
	view, err = f.pm.Thread(f.id("dave"), id)
	f.must(err)
	if view.PeerLastReadSeq != 1 {
		t.Errorf("after accepting, dave sees %d, want 1", view.PeerLastReadSeq)
	}
}

// The migration's down removes what its up added, and up again works.
func TestRequests_MigrationDownUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	check := func(want bool) {
		t.Helper()
		members, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreadMembers)
		f.must(err)
		prefs, err := f.app.FindCollectionByNameOrId(messaging.CollectionNamePreferences)
		f.must(err)
		settings, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameSettings)
		f.must(err)
		got := []bool{members.Fields.GetByName("request") != nil, prefs.Fields.GetByName("who_can_message") != nil,
			settings.Fields.GetByName("who_can_message") != nil, members.GetIndex("idx_messaging_members_requests") != "",
			strings.Contains(*members.UpdateRule, "@request.body.request:isset"), strings.Contains(members.GetIndex("idx_messaging_members_inbox"), "request")}
		for i, g := range got {
			if g != want {
				t.Errorf("part %d present=%v, want %v", i, g, want)
			}
		}
	}
	check(true)
	f.must(messaging.MigrateReachDownForTest(f.app))
	check(false)
	f.must(messaging.MigrateReachUpForTest(f.app))
	check(true)
}

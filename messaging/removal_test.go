package messaging_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// removeURL is the route that takes user out of thread.
func removeURL(f *fixture, thread, user string) string {
	return threadURL(thread, "/members/"+f.id(user))
}

// removedFrom checks after the request that user is out of thread, as
// after leaving, with the removed mark as want says, and that the newest
// message is the system note.
func removedFrom(s tests.ApiScenario, f *fixture, thread, user string, removed bool, note string) tests.ApiScenario {
	s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
		if _, err := f.pm.Thread(f.id(user), thread); !errors.Is(err, messaging.ErrNotFound) {
			t.Errorf("%s still sees the thread: %v", user, err)
		}
		if _, err := f.pm.Messages(f.id(user), thread, "", 0); !errors.Is(err, messaging.ErrNotFound) {
			t.Errorf("%s still reads the messages: %v", user, err)
		}
		if _, err := f.pm.Send(f.id(user), thread, "still here?"); !errors.Is(err, messaging.ErrNotFound) {
			t.Errorf("%s can still post: %v", user, err)
		}
		m := f.member(user, thread)
		if !m.GetBool("left") || m.GetBool("removed") != removed || m.GetInt("unread") != 0 {
			t.Errorf("%s's membership: left=%v removed=%v unread=%d", user, m.GetBool("left"), m.GetBool("removed"), m.GetInt("unread"))
		}
		th, err := f.app.FindRecordById(messaging.CollectionNameThreads, thread)
		if err != nil {
			t.Fatal(err)
		}
		last, err := f.app.FindRecordById(messaging.CollectionNameMessages, th.GetString("last_message"))
		if err != nil || last.GetString("body") != note || last.GetString("author") != "" {
			t.Errorf("last message %q (%v), want the note %q", last.GetString("body"), err, note)
		}
		for _, u := range th.GetStringSlice("members") {
			if u == f.id(user) {
				t.Errorf("%s is still in threads.members", user)
			}
		}
	}
	return s
}

// stillMember checks after the request that user is still a current member.
func stillMember(s tests.ApiScenario, f *fixture, thread, user string) tests.ApiScenario {
	s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
		if _, err := f.pm.Thread(f.id(user), thread); err != nil {
			t.Errorf("%s lost the thread: %v", user, err)
		}
		if m := f.member(user, thread); m.GetBool("removed") {
			t.Errorf("%s marked removed", user)
		}
	}
	return s
}

// Removing a member, per kind of caller. In the world's group alice is
// the starter, bob a member and carol has left; admin holds the admin
// role (a moderator by default) and is in no thread.
func TestRoutes_RemoveMember(t *testing.T) {
	t.Parallel()
	del := func(f *fixture, who, thread, user string) tests.ApiScenario {
		return f.as(who, http.MethodDelete, removeURL(f, thread, user), nil)
	}
	forbidden := `"message":"Only the person who started this group can remove people from it."`
	runCases(t, []apiCase{
		worldCase("anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return stillMember(expect(del(f, "", w.group, "bob"), 401, []string{`"status":401`}, allBodies...), f, w.group, "bob")
		}),
		worldCase("starter removes a member: a note names both, the removed person is out", func(f *fixture, w world) tests.ApiScenario {
			s := removedFrom(expect(del(f, "alice", w.group, "bob"), 204, nil), f, w.group, "bob", true, "Alice removed Bob.")
			after := s.AfterTestFunc
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
				after(t, app, res)
				if n := f.unread("alice", w.group); n != 2 {
					t.Errorf("the note moved alice's unread to %d", n)
				}
			}
			return s
		}),
		worldCase("other member → 403", func(f *fixture, w world) tests.ApiScenario {
			return stillMember(expect(del(f, "bob", w.group, "alice"), 403, []string{forbidden}), f, w.group, "alice")
		}),
		worldCase("non-member → 404", func(f *fixture, w world) tests.ApiScenario {
			return stillMember(expect(del(f, "dave", w.group, "bob"), 404, []string{notFoundBody}, allBodies...), f, w.group, "bob")
		}),
		worldCase("member who left → 404", func(f *fixture, w world) tests.ApiScenario {
			return stillMember(expect(del(f, "carol", w.group, "bob"), 404, []string{notFoundBody}), f, w.group, "bob")
		}),
		worldCase("removed member → 404", func(f *fixture, w world) tests.ApiScenario {
			th, _ := f.start("bob", []string{"alice", "dave"}, "", "bob's group")
			f.must(f.pm.RemoveMember(f.id("bob"), th.Id, f.id("alice")))
			return stillMember(expect(del(f, "alice", th.Id, "bob"), 404, []string{notFoundBody}, "bob's group"), f, th.Id, "bob")
		}),
		worldCase("blocked: the starter removes someone who blocked them", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.Block(f.id("bob"), f.id("alice")))
			return removedFrom(expect(del(f, "alice", w.group, "bob"), 204, nil), f, w.group, "bob", true, "Alice removed Bob.")
		}),
		worldCase("blocked: a member the starter blocked can't remove the starter → 403", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.Block(f.id("alice"), f.id("bob")))
			return stillMember(expect(del(f, "bob", w.group, "alice"), 403, []string{forbidden}), f, w.group, "alice")
		}),
		worldCase("moderator removes from a group they are not in", func(f *fixture, w world) tests.ApiScenario {
			return removedFrom(expect(del(f, "admin", w.group, "alice"), 204, nil), f, w.group, "alice", true, "Admin removed Alice.")
		}),
		{name: "moderator roles set to none: the admin is an outsider → 404", cfg: messaging.Config{ModeratorRoles: []string{}},
			build: func(f *fixture) tests.ApiScenario {
				w := f.world()
				return stillMember(expect(del(f, "admin", w.group, "bob"), 404, []string{notFoundBody}, allBodies...), f, w.group, "bob")
			}},
		worldCase("moderator roles from the settings record", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"moderator_roles": []string{"member"}})
			return stillMember(expect(del(f, "admin", w.group, "bob"), 404, []string{notFoundBody}), f, w.group, "bob")
		}),
		worldCase("superuser removes: the note names no one for them", func(f *fixture, w world) tests.ApiScenario {
			return removedFrom(expect(del(f, "superuser", w.group, "bob"), 204, nil), f, w.group, "bob", true, "Bob was removed.")
		}),
		worldCase("removing yourself is leaving", func(f *fixture, w world) tests.ApiScenario {
			return removedFrom(expect(del(f, "bob", w.group, "bob"), 204, nil), f, w.group, "bob", false, "Bob left the conversation.")
		}),
		worldCase("direct thread → 400", func(f *fixture, w world) tests.ApiScenario {
			return stillMember(expect(del(f, "alice", w.direct, "bob"), 400, []string{fieldError("id", "direct_thread")}), f, w.direct, "bob")
		}),
		worldCase("direct thread, as a superuser → 400", func(f *fixture, w world) tests.ApiScenario {
			return stillMember(expect(del(f, "superuser", w.direct, "bob"), 400, []string{fieldError("id", "direct_thread")}), f, w.direct, "bob")
		}),
		worldCase("someone who is not a member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(del(f, "alice", w.group, "dave"), 404, []string{notFoundBody})
		}),
		worldCase("someone who already left → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(del(f, "alice", w.group, "carol"), 404, []string{notFoundBody})
		}),
		worldCase("unknown thread → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(del(f, "alice", "nosuchthread123", "bob"), 404, []string{notFoundBody})
		}),
		worldCase("added back: the removed mark is gone", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.RemoveMember(f.id("alice"), w.group, f.id("bob")))
			s := f.as("alice", http.MethodPost, threadURL(w.group, "/members"), map[string]any{"users": []string{f.id("bob")}})
			return stillMember(expect(s, 200, []string{`"body":"Alice added Bob."`}), f, w.group, "bob")
		}),
	})
}

// The records API can't remove anyone or fake the mark: members may not
// write left or removed, not even on their own row.
func TestRemoveMember_RecordsAPI(t *testing.T) {
	t.Parallel()
	patch := func(f *fixture, who, member string, body string) tests.ApiScenario {
		return f.as(who, http.MethodPatch, recordsURL(messaging.CollectionNameThreadMembers, "/"+member), body)
	}
	runCases(t, []apiCase{
		worldCase("the starter can't set another member's left", func(f *fixture, w world) tests.ApiScenario {
			return stillMember(expect(patch(f, "alice", f.member("bob", w.group).Id, `{"left":true}`), 404, []string{recordNotFound}), f, w.group, "bob")
		}),
		worldCase("a member can't set their own removed", func(f *fixture, w world) tests.ApiScenario {
			return stillMember(expect(patch(f, "bob", f.member("bob", w.group).Id, `{"removed":true}`), 404, []string{recordNotFound}), f, w.group, "bob")
		}),
		worldCase("a removed member can't clear the mark or come back", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.RemoveMember(f.id("alice"), w.group, f.id("bob")))
			s := expect(patch(f, "bob", f.member("bob", w.group).Id, `{"removed":false,"left":false}`), 404, []string{recordNotFound})
			return removedFrom(s, f, w.group, "bob", true, "Alice removed Bob.")
		}),
		worldCase("a removed member reads their own mark", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.RemoveMember(f.id("alice"), w.group, f.id("bob")))
			return expect(f.as("bob", http.MethodGet, recordsURL(messaging.CollectionNameThreadMembers, "/"+f.member("bob", w.group).Id), nil),
				200, []string{`"removed":true`, `"left":true`})
		}),
	})
}

// Live: the others get "members" and the note, the removed person
// "removed", and nobody else anything.
func TestRemoveMember_LiveEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th, _ := f.start("alice", []string{"bob", "carol"}, "", "hello")
	var leftEvents []string
	var mu sync.Mutex
	f.pm.OnMemberLeft().BindFunc(func(e *messaging.MemberEvent) error {
		mu.Lock()
		leftEvents = append(leftEvents, e.User)
		mu.Unlock()
		return e.Next()
	})
	f.token("alice")
	srv := f.serve()
	clients := map[string]*liveClient{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		clients[u] = f.connect(srv, u, messaging.RealtimeTopic)
	}
	f.mustRequest(srv, http.StatusNoContent, "alice", http.MethodDelete, removeURL(f, th.Id, "carol"), nil)
	want := map[string][]map[string]any{"carol": {{"type": "removed", "thread": th.Id}}}
	for _, u := range []string{"alice", "bob"} {
		want[u] = []map[string]any{{"type": "members", "thread": th.Id},
			{"type": "message", "thread": th.Id, "message": map[string]any{"system": true, "body": "Alice removed Carol."}}}
	}
	eventsAre(t, clients, want)
	mu.Lock()
	defer mu.Unlock()
	if len(leftEvents) != 1 || leftEvents[0] != f.id("carol") {
		t.Errorf("OnMemberLeft for %v, want carol once", leftEvents)
	}
}

// Removing someone while they send: each message either lands before the
// removal (and counts for the others) or is refused; the counts stay
// exact.
func TestRemoveMember_WhileSending(t *testing.T) {
	t.Parallel()
	for round := range 3 {
		f := newFixture(t, messaging.Config{})
		th, _ := f.start("alice", []string{"bob", "carol"}, "", "hello")
		var wg sync.WaitGroup
		var sendErrs []error
		var mu sync.Mutex
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			for range 10 {
				_, err := f.pm.Send(f.id("bob"), th.Id, "racing")
				mu.Lock()
				sendErrs = append(sendErrs, err)
				mu.Unlock()
			}
		}()
		var removeErr error
		go func() {
			defer wg.Done()
			<-start
			time.Sleep(time.Duration(round*3) * time.Millisecond)
			removeErr = f.pm.RemoveMember(f.id("alice"), th.Id, f.id("bob"))
		}()
		close(start)
		wg.Wait()
		if removeErr != nil {
			t.Fatalf("round %d: remove: %v", round, removeErr)
		}
		landed, refusedSeen := 0, false
		for _, err := range sendErrs {
			switch {
			case err == nil && refusedSeen:
				t.Errorf("round %d: a send landed after one was refused", round)
			case err == nil:
				landed++
			case errors.Is(err, messaging.ErrNotFound):
				refusedSeen = true
			default:
				t.Errorf("round %d: send: %v", round, err)
			}
		}
		n, err := f.app.CountRecords(messaging.CollectionNameMessages)
		if err != nil || int(n) != 1+landed+1 { // hello, the landed ones, the note
			t.Errorf("round %d: %d messages (%v), want %d", round, n, err, landed+2)
		}
		if got := f.unread("carol", th.Id); got != 1+landed {
			t.Errorf("round %d: carol's unread %d, want %d", round, got, 1+landed)
		}
		t.Logf("round %d: %d of %d sends landed before the removal", round, landed, len(sendErrs))
		// Every landed message is older than the note, and nothing lands after it.
		th2, err := f.app.FindRecordById(messaging.CollectionNameThreads, th.Id)
		f.must(err)
		if last := th2.GetInt("last_seq"); last != 2+landed {
			t.Errorf("round %d: last seq %d, want %d (the note after the landed sends)", round, last, 2+landed)
		}
		if _, err := f.pm.Send(f.id("bob"), th.Id, "late"); !errors.Is(err, messaging.ErrNotFound) {
			t.Errorf("round %d: a send after the removal: %v", round, err)
		}
		if fixes, err := f.pm.Recount(); err != nil || len(fixes) != 0 {
			t.Errorf("round %d: Recount fixed %v (%v)", round, fixes, err)
		}
		f.app.Cleanup()
	}
}

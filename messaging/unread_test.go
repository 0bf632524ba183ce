package messaging_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// Concurrent senders must never lose an unread increment, and read/unread
// racing with sends must leave counts that recount agrees with.
func TestConcurrency_UnreadCountsAreExact(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()

	thread, _ := f.start("alice", []string{"bob", "carol", "dave"}, "Busy", "go")
	const perSender = 25
	senders := []string{"alice", "bob", "carol"}

	var wg sync.WaitGroup
	errs := make(chan error, len(senders)*perSender+perSender)
	for _, s := range senders {
		wg.Go(func() {
			for range perSender {
				if _, err := f.pm.Send(f.id(s), thread.Id, "msg from "+s); err != nil {
					errs <- err
				}
			}
		})
	}
	// Carol keeps reading while everyone writes.
	wg.Go(func() {
		for range perSender {
			if err := f.pm.MarkRead(f.id("carol"), thread.Id); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Dave never wrote or read: he has every message but his own (none),
	// including the opening one.
	if got, want := f.unread("dave", thread.Id), 1+len(senders)*perSender; got != want {
		t.Errorf("dave unread = %d, want %d", got, want)
	}
	fixes, err := f.pm.Recount()
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 0 {
		t.Errorf("recount had to fix %d counts: %+v", len(fixes), fixes)
	}
	totals, err := f.pm.Unread(f.id("dave"))
	if err != nil {
		t.Fatal(err)
	}
	if totals.Threads != 1 || totals.Messages != 1+len(senders)*perSender {
		t.Errorf("dave totals = %+v", totals)
	}
}

// Recount finds and repairs counters that drifted (here, broken on
// purpose with raw SQL) and finds nothing on a second run.
func TestRecount_FixesDrift(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()

	thread, _ := f.start("alice", []string{"bob", "carol"}, "", "one")
	f.send("alice", thread.Id, "two")
	f.send("bob", thread.Id, "three")
	if _, err := f.app.DB().NewQuery("UPDATE thread_members SET unread = 42").Execute(); err != nil {
		t.Fatal(err)
	}
	fixes, err := f.pm.Recount()
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 3 {
		t.Fatalf("fixed %d counts, want 3: %+v", len(fixes), fixes)
	}
	for name, want := range map[string]int{"alice": 1, "bob": 0, "carol": 3} {
		if got := f.unread(name, thread.Id); got != want {
			t.Errorf("%s unread = %d, want %d", name, got, want)
		}
	}
	if again, err := f.pm.Recount(); err != nil || len(again) != 0 {
		t.Fatalf("second recount: %v %+v", err, again)
	}
}

func TestRoutes_Unread(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/unread"
	counts := func(name, who string, threads, messages string, setup func(f *fixture, w world)) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			if setup != nil {
				setup(f, w)
			}
			return expect(f.as(who, http.MethodGet, url, nil), 200,
				[]string{`{"threads":` + threads + `,"messages":` + messages + `,"requests":0}`})
		})
	}
	runCases(t, []apiCase{
		// alice: group 2 (bob, carol), direct 1 (bob), blocked 1 (erin).
		counts("every message counts for everyone but its author", "alice", "3", "4", nil),
		// bob: group 1 (carol; he had read alice's by replying), direct 0.
		counts("system notes never count", "bob", "1", "1", nil),
		counts("a member who left counts nothing there", "carol", "0", "0", nil),
		counts("the recipient of another thread", "dave", "1", "1", nil),
		counts("read sets the thread to 0", "alice", "2", "2", func(f *fixture, w world) {
			f.must(f.pm.MarkRead(f.id("alice"), w.group))
		}),
		counts("mark unread gives 1", "alice", "1", "1", func(f *fixture, w world) {
			for _, th := range []string{w.group, w.direct, w.blocked} {
				f.must(f.pm.MarkRead(f.id("alice"), th))
			}
			f.must(f.pm.MarkUnread(f.id("alice"), w.group))
		}),
		counts("a deleted message stops counting", "alice", "2", "3", func(f *fixture, w world) {
			f.must(f.pm.DeleteMessage(f.id("bob"), w.directBob.Id))
		}),
		counts("a new message adds one", "alice", "3", "5", func(f *fixture, w world) {
			f.send("bob", w.direct, "one more")
		}),
		counts("the blocked user still receives the blocker's messages", "erin", "1", "1", func(f *fixture, w world) {
			f.send("alice", w.blocked, "from the blocker")
		}),
	})
}

func TestRoutes_Read(t *testing.T) {
	t.Parallel()
	cases := []apiCase{
		worldCase("member reads: unread 0 for them only", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("alice", http.MethodPost, threadURL(w.group, "/read"), nil), 200,
				[]string{`"id":"` + w.group + `"`, `"unread":0,"lastReadSeq":4`}, `"unread":2`)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if a, b := f.unread("alice", w.group), f.unread("bob", w.group); a != 0 || b != 1 {
					t.Errorf("unread alice=%d bob=%d, want 0 1", a, b)
				}
			}
			return s
		}),
		worldCase("blocked user may mark the thread unread", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.MarkRead(f.id("erin"), w.blocked))
			return expect(f.as("erin", http.MethodPost, threadURL(w.blocked, "/unread"), nil), 200,
				[]string{`"id":"` + w.blocked + `"`, `"unread":1`})
		}),
		worldCase("blocked user may mark the thread read", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodPost, threadURL(w.blocked, "/read"), nil), 200,
				[]string{`"id":"` + w.blocked + `"`, `"unread":0`})
		}),
	}
	runCases(t, append(cases, memberActionCases("read", http.MethodPost, "/read", nil)...))
}

func TestRoutes_MarkUnread(t *testing.T) {
	t.Parallel()
	cases := []apiCase{
		worldCase("mark unread gives exactly 1", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.MarkRead(f.id("alice"), w.group))
			s := expect(f.as("alice", http.MethodPost, threadURL(w.group, "/unread"), nil), 200,
				[]string{`"id":"` + w.group + `"`, `"unread":1,"lastReadSeq":2`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if n := f.unread("alice", w.group); n != 1 {
					t.Errorf("unread %d, want 1", n)
				}
			}
			return s
		}),
		worldCase("mark unread with unread messages still gives 1", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPost, threadURL(w.group, "/unread"), nil), 200,
				[]string{`"unread":1,`}, `"unread":2`)
		}),
		{name: "mark unread with only own messages stays read", build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"dave"}, "", "only-mine")
			return expect(f.as("alice", http.MethodPost, threadURL(th.Id, "/unread"), nil), 200,
				[]string{`"id":"` + th.Id + `"`, `"unread":0`})
		}},
	}
	runCases(t, append(cases, memberActionCases("mark unread", http.MethodPost, "/unread", nil)...))
}

package messaging_test

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// recounted checks after the request that alice's count is want and that
// Recount finds nothing to fix.
func recounted(f *fixture, s tests.ApiScenario, thread string, want int) tests.ApiScenario {
	s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
		if got := f.unread("alice", thread); got != want {
			t.Errorf("alice unread %d, want %d", got, want)
		}
		fixes, err := f.pm.Recount()
		if err != nil || len(fixes) != 0 {
			t.Errorf("recount: %+v (%v)", fixes, err)
		}
	}
	return s
}

func TestRoutes_ReadUpTo(t *testing.T) {
	t.Parallel()
	read := func(f *fixture, who, thread string, upTo any) tests.ApiScenario {
		return f.as(who, http.MethodPost, threadURL(thread, "/read"), map[string]any{"upTo": upTo})
	}
	// In the long group alice has read seq 1 (her own); 2, 3 and 5-10 are
	// unread (4 is a system note): 8.
	cases := []apiCase{
		worldCase("up to a message id: later ones stay unread", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			return recounted(f, expect(read(f, "alice", w.group, w.groupCarol.Id), 200,
				[]string{`"id":"` + w.group + `"`, `"unread":6,"lastReadSeq":3`}), w.group, 6)
		}),
		worldCase("up to a seq", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			return recounted(f, expect(read(f, "alice", w.group, 8), 200, []string{`"unread":2,"lastReadSeq":8`}), w.group, 2)
		}),
		worldCase("up to a seq as a string", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			return recounted(f, expect(read(f, "alice", w.group, "8"), 200, []string{`"unread":2,"lastReadSeq":8`}), w.group, 2)
		}),
		worldCase("deleted messages after the position don't count", func(f *fixture, w world) tests.ApiScenario {
			bySeq := f.longGroup(w)
			f.must(f.pm.DeleteMessage(f.id("bob"), bySeq[9].Id))
			return recounted(f, expect(read(f, "alice", w.group, 5), 200, []string{`"unread":4,"lastReadSeq":5`}), w.group, 4)
		}),
		worldCase("never backwards: behind the read position changes nothing", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			f.must(f.pm.MarkReadUpTo(f.id("alice"), w.group, "8"))
			return recounted(f, expect(read(f, "alice", w.group, w.groupBob.Id), 200, []string{`"unread":2,"lastReadSeq":8`}), w.group, 2)
		}),
		worldCase("past the end: read to the newest, a later message is unread", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			s := expect(read(f, "alice", w.group, 99), 200, []string{`"unread":0,"lastReadSeq":10`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				f.send("bob", w.group, "arrived-later")
				if n := f.unread("alice", w.group); n != 1 {
					t.Errorf("alice unread %d after a new message, want 1", n)
				}
			}
			return s
		}),
		worldCase("no upTo: everything, as before", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			return recounted(f, expect(f.as("alice", http.MethodPost, threadURL(w.group, "/read"), map[string]any{}), 200,
				[]string{`"unread":0,"lastReadSeq":10`}), w.group, 0)
		}),
		worldCase("blocked user reads up to a message", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "erin", w.blocked, w.blockedErin.Id), 200, []string{`"unread":0,"lastReadSeq":2`})
		}),
		worldCase("a message of another thread → 400, nothing of it", func(f *fixture, w world) tests.ApiScenario {
			return recounted(f, expect(read(f, "alice", w.group, w.directBob.Id), 400,
				[]string{fieldError("upTo", "unknown_message")}, allBodies...), w.group, 2)
		}),
		worldCase("a message of a thread the caller isn't in → the same 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "alice", w.group, w.othersMsg.Id), 400, []string{fieldError("upTo", "unknown_message")}, allBodies...)
		}),
		worldCase("no such message → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "alice", w.group, "nosuchmessage12"), 400, []string{fieldError("upTo", "unknown_message")})
		}),
		worldCase("upTo of the wrong type → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "alice", w.group, true), 400, []string{fieldError("upTo", "unknown_message")})
		}),
		worldCase("upTo 0 → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "alice", w.group, 0), 400, []string{fieldError("upTo", "unknown_message")})
		}),
		worldCase("non-member with a message of the thread → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "dave", w.group, w.groupBob.Id), 404, []string{notFoundBody}, allBodies...)
		}),
		worldCase("non-member with no such message → the same 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "dave", w.group, "nosuchmessage12"), 404, []string{notFoundBody}, allBodies...)
		}),
		worldCase("left member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "carol", w.group, w.groupBob.Id), 404, []string{notFoundBody}, allBodies...)
		}),
		worldCase("anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "", w.group, w.groupBob.Id), 401, []string{`"status":401`})
		}),
	}
	runCases(t, cases)
}

// Reading up to random positions while everyone writes keeps every count
// equal to its definition.
func TestConcurrency_ReadUpToWithSends(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob", "carol"}, "Busy", "go")
	const perSender = 20
	var wg sync.WaitGroup
	for _, s := range []string{"alice", "bob"} {
		wg.Go(func() {
			for range perSender {
				if _, err := f.pm.Send(f.id(s), thread.Id, "from "+s); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 2 * perSender {
			if err := f.pm.MarkReadUpTo(f.id("carol"), thread.Id, strconv.Itoa(1+rand.IntN(2*perSender))); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	fixes, err := f.pm.Recount()
	f.must(err)
	if len(fixes) != 0 {
		t.Errorf("recount fixed %+v", fixes)
	}
}

package messaging_test

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// longGroup adds six messages from bob to the world's group, which then
// holds seqs 1 to 10 (4 is the note that carol left), and returns them by
// seq.
func (f *fixture) longGroup(w world) map[int]*core.Record {
	f.t.Helper()
	bySeq := map[int]*core.Record{1: w.groupAlice, 2: w.groupBob, 3: w.groupCarol}
	for i := 5; i <= 10; i++ {
		bySeq[i] = f.send("bob", w.group, "more-"+strconv.Itoa(i))
	}
	return bySeq
}

// seqs is what a page of messages must hold, in order.
func seqs(s tests.ApiScenario, want ...int) tests.ApiScenario {
	s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		var p struct {
			Items []struct {
				Seq int `json:"seq"`
			} `json:"items"`
		}
		decode(t, res, &p)
		got := make([]int, len(p.Items))
		for i, it := range p.Items {
			got[i] = it.Seq
		}
		if !slices.Equal(got, want) {
			t.Errorf("seqs %v, want %v", got, want)
		}
	}
	return s
}

func TestRoutes_MessageCursors(t *testing.T) {
	t.Parallel()
	get := func(f *fixture, who, thread, query string) tests.ApiScenario {
		return f.as(who, http.MethodGet, threadURL(thread, "/messages"+query), nil)
	}
	outsider := func(name, who, query string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			q := query
			if q == "id" {
				q = "?around=" + w.groupBob.Id
			}
			return expect(get(f, who, w.group, q), 404, []string{notFoundBody}, allBodies...)
		})
	}
	runCases(t, []apiCase{
		worldCase("newest page: nothing newer, the after= cursor to catch up from", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			return seqs(expect(get(f, "alice", w.group, "?limit=3"), 200,
				[]string{`"nextCursor":"8","hasOlder":true,"hasNewer":false,"olderCursor":"8","newerCursor":"10"`}), 10, 9, 8)
		}),
		worldCase("after= a seq: newer ones, oldest first, paged", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			return seqs(expect(get(f, "alice", w.group, "?after=2&limit=2"), 200,
				[]string{`"nextCursor":"4","hasOlder":true,"hasNewer":true,"olderCursor":"3","newerCursor":"4"`}), 3, 4)
		}),
		worldCase("after= a message id", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			return seqs(expect(get(f, "alice", w.group, "?limit=2&after="+w.groupBob.Id), 200,
				[]string{`"hasNewer":true`}), 3, 4)
		}),
		worldCase("after=0 reads from the start", func(f *fixture, w world) tests.ApiScenario {
			return seqs(expect(get(f, "alice", w.group, "?after=0"), 200,
				[]string{`"nextCursor":"","hasOlder":false,"hasNewer":false,"olderCursor":"","newerCursor":"4"`}), 1, 2, 3, 4)
		}),
		worldCase("after= the newest: caught up, the cursor stays", func(f *fixture, w world) tests.ApiScenario {
			return seqs(expect(get(f, "alice", w.group, "?after=4"), 200,
				[]string{`"items":[]`, `"hasOlder":true,"hasNewer":false,"olderCursor":"5","newerCursor":"4"`}))
		}),
		worldCase("after= past the end: the cursor comes back to the newest", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?after=99"), 200, []string{`"items":[]`, `"newerCursor":"4"`})
		}),
		worldCase("before= a message id", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			return seqs(expect(get(f, "alice", w.group, "?limit=2&before="+w.groupCarol.Id), 200,
				[]string{`"nextCursor":"","hasOlder":false,"hasNewer":true,"olderCursor":"","newerCursor":"2"`}), 2, 1)
		}),
		worldCase("around= a message id: some before, the rest from it, oldest first", func(f *fixture, w world) tests.ApiScenario {
			bySeq := f.longGroup(w)
			return seqs(expect(get(f, "alice", w.group, "?limit=4&around="+bySeq[5].Id), 200,
				[]string{`"nextCursor":"","hasOlder":true,"hasNewer":true,"olderCursor":"3","newerCursor":"6"`}), 3, 4, 5, 6)
		}),
		worldCase("around=first_unread opens at the first unread message", func(f *fixture, w world) tests.ApiScenario {
			bySeq := f.longGroup(w)
			f.must(f.pm.MarkReadUpTo(f.id("alice"), w.group, bySeq[5].Id))
			return seqs(expect(get(f, "alice", w.group, "?limit=4&around=first_unread"), 200,
				[]string{`"hasOlder":true,"hasNewer":true`}), 4, 5, 6, 7)
		}),
		worldCase("around=first_unread with everything read: the newest, nothing newer", func(f *fixture, w world) tests.ApiScenario {
			f.longGroup(w)
			f.must(f.pm.MarkRead(f.id("alice"), w.group))
			return seqs(expect(get(f, "alice", w.group, "?limit=4&around=first_unread"), 200,
				[]string{`"hasOlder":true,"hasNewer":false`, `"newerCursor":"10"`}), 9, 10)
		}),
		worldCase("blocked user pages the thread with the blocker", func(f *fixture, w world) tests.ApiScenario {
			return seqs(expect(get(f, "erin", w.blocked, "?after=1"), 200, []string{`"body":"` + bodyBlockedErin + `"`}), 2)
		}),
		worldCase("a message of another thread as cursor → 400, nothing of it", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?around="+w.directBob.Id), 400,
				[]string{fieldError("around", "bad_cursor")}, allBodies...)
		}),
		worldCase("a message of a thread the caller isn't in → the same 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?after="+w.othersMsg.Id), 400,
				[]string{fieldError("after", "bad_cursor")}, allBodies...)
		}),
		worldCase("after=-1 → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?after=-1"), 400, []string{fieldError("after", "bad_cursor")}, allBodies...)
		}),
		worldCase("around=0 → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?around=0"), 400, []string{fieldError("around", "bad_cursor")}, allBodies...)
		}),
		worldCase("two cursors → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?after=1&before=3"), 400, []string{fieldError("cursor", "cursor_conflict")}, allBodies...)
		}),
		outsider("non-member around= a message id → 404", "dave", "id"),
		outsider("non-member around=first_unread → 404", "dave", "?around=first_unread"),
		outsider("non-member after= a seq → 404", "dave", "?after=1"),
		outsider("non-member with a bad cursor → 404, not 400", "dave", "?after=zzz"),
		outsider("left member after= → 404", "carol", "?after=1"),
		outsider("left member around= a message id → 404", "carol", "id"),
		worldCase("anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "", w.group, "?around=first_unread"), 401, []string{`"status":401`}, allBodies...)
		}),
		worldCase("unknown thread around= a message id → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", "nosuchthread123", "?around="+w.groupBob.Id), 404, []string{notFoundBody}, allBodies...)
		}),
	})
}

// A reader catching up with after= and another paging back with before=,
// both while messages keep arriving, each see every message exactly once
// and in order.
func TestConcurrency_CursorPagingCoversEveryMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob", "carol"}, "Busy", "go")
	const perSender = 20
	var wg sync.WaitGroup
	var done atomic.Bool
	var senders sync.WaitGroup
	for _, s := range []string{"alice", "bob", "carol"} {
		senders.Go(func() {
			for range perSender {
				if _, err := f.pm.Send(f.id(s), thread.Id, "from "+s); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		senders.Wait()
		done.Store(true)
	})

	var forward []int
	wg.Go(func() {
		cursor := "0"
		for {
			finished := done.Load() // read before the page: a page after it is complete
			p, err := f.pm.MessagesPage(f.id("carol"), thread.Id, messaging.MessageQuery{After: cursor, Limit: 7})
			if err != nil {
				t.Error(err)
				return
			}
			for _, it := range p.Items {
				forward = append(forward, it.Seq)
			}
			cursor = p.NewerCursor
			if finished && !p.HasNewer {
				return
			}
		}
	})
	var backward []int
	var top int
	wg.Go(func() {
		for range perSender { // let some messages arrive first
			tick()
		}
		p, err := f.pm.MessagesPage(f.id("bob"), thread.Id, messaging.MessageQuery{Limit: 5})
		for ; err == nil; p, err = f.pm.MessagesPage(f.id("bob"), thread.Id, messaging.MessageQuery{Before: p.OlderCursor, Limit: 5}) {
			if top == 0 && len(p.Items) > 0 {
				top = p.Items[0].Seq
			}
			for _, it := range p.Items {
				backward = append(backward, it.Seq)
			}
			if !p.HasOlder {
				return
			}
		}
		t.Error(err)
	})
	wg.Wait()

	total := 1 + 3*perSender
	if want := seqRange(1, total); !slices.Equal(forward, want) {
		t.Errorf("forward walk saw %v, want 1..%d once each", forward, total)
	}
	want := seqRange(1, top)
	slices.Reverse(want)
	if top == 0 || !slices.Equal(backward, want) {
		t.Errorf("backward walk from %d saw %v", top, backward)
	}
}

func seqRange(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

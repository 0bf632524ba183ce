package messaging_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// 100 distinct threads is the limit, not above it.
func TestBulk_HundredThreads(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	var ids []string
	for range messaging.MaxBulkThreads {
		th, _ := f.start("bob", []string{"alice", "carol"}, "", "hello")
		ids = append(ids, th.Id, th.Id) // duplicates count once
	}
	res, err := f.pm.BulkAction(f.id("alice"), messaging.BulkRead, ids, messaging.BulkOptions{})
	if err != nil || len(res.Threads) != messaging.MaxBulkThreads || res.Totals != (messaging.UnreadCounts{}) {
		t.Fatalf("%+v, %v", res, err)
	}
	if c, _ := f.pm.Unread(f.id("carol")); c.Threads != messaging.MaxBulkThreads {
		t.Errorf("carol's counts %+v", c)
	}
	noDrift(t, f)
}

// Delete for me hides the history from the member on every read path until
// someone writes; then only what came after shows.
func TestBulk_DeleteForMe(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	alice := f.id("alice")
	if _, err := f.pm.BulkAction(alice, messaging.BulkDelete, []string{w.direct}, messaging.BulkOptions{}); err != nil {
		t.Fatal(err)
	}
	page, err := f.pm.Messages(alice, w.direct, "", 0)
	if err != nil || len(page.Items) != 0 {
		t.Errorf("messages after delete: %+v, %v", page.Items, err)
	}
	view, err := f.pm.Thread(alice, w.direct)
	if err != nil || view.LastMessage != nil {
		t.Errorf("thread view after delete: %+v, %v", view, err)
	}
	if hits, err := f.pm.Search(alice, "direct", messaging.SearchOptions{}); err != nil || len(hits.Items) != 0 {
		t.Errorf("search after delete: %+v, %v", hits.Items, err)
	}
	if hits, err := f.pm.Search(f.id("bob"), "direct", messaging.SearchOptions{}); err != nil || len(hits.Items) != 2 {
		t.Errorf("bob's search: %+v, %v", hits.Items, err)
	}
	// MarkUnread has nothing visible to mark.
	f.must(f.pm.MarkUnread(alice, w.direct))
	if n := f.unread("alice", w.direct); n != 0 {
		t.Errorf("mark unread of hidden messages: unread %d", n)
	}
	// Bob still has everything.
	if page, _ := f.pm.Messages(f.id("bob"), w.direct, "", 0); len(page.Items) != 2 {
		t.Errorf("bob's messages: %d", len(page.Items))
	}

	tick()
	f.send("bob", w.direct, "after-the-delete")
	if inbox := f.box("alice", "inbox"); len(inbox) == 0 || inbox[0] != w.direct {
		t.Errorf("alice's inbox %v, want %s first", inbox, w.direct)
	}
	page, err = f.pm.Messages(alice, w.direct, "", 0)
	if err != nil || len(page.Items) != 1 || page.Items[0].Body != "after-the-delete" {
		t.Errorf("messages after a new one: %+v, %v", page.Items, err)
	}
	mp, err := f.pm.MessagesPage(alice, w.direct, messaging.MessageQuery{After: "0"})
	if err != nil || mp.HasOlder || len(mp.Items) != 1 {
		t.Errorf("after=0 page: %+v, %v", mp, err)
	}
	if n := f.unread("alice", w.direct); n != 1 {
		t.Errorf("unread %d, want 1", n)
	}
	f.must(f.pm.MarkRead(alice, w.direct))
	f.must(f.pm.MarkUnread(alice, w.direct))
	noDrift(t, f)
}

func TestBulk_ReadAll(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		worldCase("member → every inbox and archived count 0, requests stay", func(f *fixture, w world) tests.ApiScenario {
			f.requestFrom("dave")
			f.must(f.pm.SetArchived(f.id("alice"), w.blocked, true))
			s := expect(f.as("alice", http.MethodPost, "/api/messaging/threads/read-all", nil), 200,
				[]string{`"action":"read-all"`, w.group, w.direct, w.blocked, `"totals":{"threads":0,"messages":0,"requests":1}`},
				append([]string{w.others}, allBodies...)...)
			s = countsAre(s, f, "alice", messaging.UnreadCounts{Requests: 1})
			return after(s, func(t testing.TB) {
				if f.unread("bob", w.group) == 0 {
					t.Error("bob's count changed")
				}
				noDrift(t, f)
			})
		}),
		worldCase("nothing unread → empty list", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("admin", http.MethodPost, "/api/messaging/threads/read-all", nil), 200,
				[]string{`"threads":[]`, `"totals":{"threads":0,"messages":0,"requests":0}`}, allBodies...)
		}),
	})
}

// Bulk read, unread, delete for me and read-all while others write into
// the same threads: every count stays exact.
func TestConcurrency_BulkWithSends(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	var threads []string
	for range 3 {
		th, _ := f.start("bob", []string{"alice", "carol"}, "", "go")
		threads = append(threads, th.Id)
	}
	const rounds = 15
	var wg sync.WaitGroup
	errs := make(chan error, 4*rounds*len(threads))
	for _, s := range []string{"bob", "carol"} {
		wg.Go(func() {
			for i := range rounds {
				if _, err := f.pm.Send(f.id(s), threads[i%len(threads)], "busy"); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		actions := []string{messaging.BulkRead, messaging.BulkUnread, messaging.BulkDelete}
		for i := range rounds {
			var err error
			if i%4 == 3 {
				_, err = f.pm.MarkAllRead(f.id("alice"))
			} else {
				_, err = f.pm.BulkAction(f.id("alice"), actions[i%len(actions)], threads, messaging.BulkOptions{})
			}
			if err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	noDrift(t, f)
}

package messaging_test

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// Concurrent sends with one key, through the Go API, the messaging API
// and the records API at once, make exactly one message: every caller
// gets its id, one unread for the others, one OnMessageSent, and Recount
// agrees.
func TestConcurrency_RetriesWithOneKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob", "carol"}, "Busy", "go")
	var sent atomic.Int64
	f.pm.OnMessageSent().BindFunc(func(e *messaging.MessageEvent) error {
		sent.Add(1)
		return e.Next()
	})
	srv := f.serve()

	const perWay = 8
	ids := make(chan string, 3*perWay)
	errs := make(chan error, 3*perWay)
	var wg sync.WaitGroup
	for range perWay {
		wg.Go(func() {
			msg, err := f.pm.SendWithKey(f.id("bob"), thread.Id, "once", "same-key")
			if err != nil {
				errs <- err
				return
			}
			ids <- msg.Id
		})
		wg.Go(func() {
			status, body := f.request(srv, "bob", http.MethodPost, "/api/messaging/threads/"+thread.Id+"/messages",
				map[string]any{"body": "once", "clientKey": "same-key"})
			if status != 200 {
				errs <- errors.New(body)
				return
			}
			ids <- idFromJSON(t, body)
		})
		wg.Go(func() {
			status, body := f.request(srv, "bob", http.MethodPost, "/api/collections/messages/records",
				map[string]any{"thread": thread.Id, "body": "once", "clientKey": "same-key"})
			if status != 200 {
				errs <- errors.New(body)
				return
			}
			ids <- idFromJSON(t, body)
		})
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var first string
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first {
			t.Fatalf("two messages for one key: %s and %s", first, id)
		}
	}
	if n, err := f.app.CountRecords(messaging.CollectionNameMessages); err != nil || n != 2 {
		t.Errorf("%d messages (%v), want 2", n, err)
	}
	if a, c := f.unread("alice", thread.Id), f.unread("carol", thread.Id); a != 1 || c != 2 {
		t.Errorf("unread alice=%d carol=%d, want 1 2", a, c)
	}
	fixes, err := f.pm.Recount()
	f.must(err)
	if len(fixes) != 0 {
		t.Errorf("recount fixed %+v", fixes)
	}
	if calls := sent.Load(); calls != 1 {
		t.Errorf("OnMessageSent fired %d times, want 1", calls)
	}
}

// Concurrent retries of a group start make one group.
func TestConcurrency_StartRetriesWithOneKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	var wg sync.WaitGroup
	threads := make(chan string, 10)
	for range 10 {
		wg.Go(func() {
			th, _, err := f.pm.StartWithKey(f.id("alice"), []string{f.id("bob"), f.id("carol")}, "", "hello all", "g-1")
			if err != nil {
				t.Error(err)
				return
			}
			threads <- th.Id
		})
	}
	wg.Wait()
	close(threads)
	seen := map[string]bool{}
	for id := range threads {
		seen[id] = true
	}
	if n, _ := f.app.CountRecords(messaging.CollectionNameThreads); n != 1 || len(seen) != 1 {
		t.Errorf("%d threads, %d distinct answers; want 1 and 1", n, len(seen))
	}
	if n := f.unread("bob", inboxFirst(f, "bob")); n != 1 {
		t.Errorf("bob unread %d, want 1", n)
	}
}

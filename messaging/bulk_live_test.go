package messaging_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// A bulk action is one "bulk" event to the actor's clients whatever the
// number of threads (no per-thread "membership" or "read"), with the
// totals after it; the other members hear only what reading tells them
// anyway (the direct thread's "seen" receipt), and a refused request
// sends nothing to anyone.
func TestBulk_LiveOneEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	group, _ := f.start("bob", []string{"alice", "carol"}, "Plans", "g1")
	direct, _ := f.start("bob", []string{"alice"}, "", "d1")
	others, _ := f.start("carol", []string{"dave"}, "", "secret")
	f.token("superuser")
	srv := f.serve()
	clients := map[string]*liveClient{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		clients[u] = f.connect(srv, u, messaging.RealtimeTopic)
	}
	both := []string{group.Id, direct.Id}

	f.mustRequest(srv, http.StatusOK, "alice", http.MethodPost, bulkURL, bulk(messaging.BulkArchive, both...))
	f.mustRequest(srv, http.StatusOK, "alice", http.MethodPost, bulkURL, bulk(messaging.BulkRead, both...))
	f.mustRequest(srv, http.StatusNotFound, "alice", http.MethodPost, bulkURL, bulk(messaging.BulkMute, group.Id, others.Id))
	f.mustRequest(srv, http.StatusOK, "alice", http.MethodPost, bulkURL, bulk(messaging.BulkUnread, both...))
	f.mustRequest(srv, http.StatusOK, "alice", http.MethodPost, "/api/messaging/threads/read-all", nil)

	threads := []any{group.Id, direct.Id}
	want := map[string][]map[string]any{
		"alice": {
			{"type": "bulk", "action": "archive", "threads": threads, "totals": counts(2, 2)},
			{"type": "bulk", "action": "read", "threads": threads, "totals": counts(0, 0)},
			{"type": "bulk", "action": "unread", "threads": threads, "totals": counts(2, 2)},
			{"type": "bulk", "action": "read-all", "totals": counts(0, 0)},
		},
		// The direct thread's receipt: read (seq 1), unread (0), read (1).
		"bob": {
			{"type": "seen", "thread": direct.Id, "seq": 1},
			{"type": "seen", "thread": direct.Id, "seq": 0},
			{"type": "seen", "thread": direct.Id, "seq": 1},
		},
	}
	eventsAre(t, clients, want)
}

// After "delete for me", edits and deletions of the hidden messages are
// not told to the member who hid them; a new message is.
func TestBulk_LiveHiddenMessages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	direct, _ := f.start("alice", []string{"bob"}, "", "d1")
	old1 := f.send("bob", direct.Id, "old-one")
	old2 := f.send("bob", direct.Id, "old-two")
	_, err := f.pm.BulkAction(f.id("alice"), messaging.BulkDelete, []string{direct.Id}, messaging.BulkOptions{})
	f.must(err)
	srv := f.serve()
	clients := map[string]*liveClient{"alice": f.connect(srv, "alice", messaging.RealtimeTopic)}

	_, err = f.pm.Edit(f.id("bob"), old1.Id, "old-one-edited")
	f.must(err)
	f.must(f.pm.DeleteMessage(f.id("bob"), old2.Id))
	f.send("bob", direct.Id, "new-one")

	ev := clients["alice"].next(t, 5*time.Second)
	if !matches(ev.Data, map[string]any{"type": "message", "message": map[string]any{"body": "new-one"}, "unread": 1}) {
		t.Errorf("alice's first event %v, want the new message", ev.Data)
	}
	for _, extra := range clients["alice"].drain(300 * time.Millisecond) {
		t.Errorf("alice got an extra event %v", extra.Data)
	}
}

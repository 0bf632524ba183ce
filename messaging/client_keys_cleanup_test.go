package messaging_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
)

// The cleanup job frees keys older than a day, in bounded batches, and
// leaves fresh ones binding.
func TestClientKeys_Cleanup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")
	var old []*core.Record
	for i := range 5 {
		msg := f.sendKeyed("bob", thread.Id, "old", "old-"+string(rune('a'+i)))
		f.age(msg.Id, 25*time.Hour)
		old = append(old, msg)
	}
	fresh := f.sendKeyed("bob", thread.Id, "fresh", "fresh-1")

	n, err := messaging.ClearOldClientKeysForTest(f.pm, 2)
	f.must(err)
	if n != 5 {
		t.Errorf("cleared %d keys, want 5", n)
	}
	for _, m := range old {
		r, err := f.app.FindRecordById(messaging.CollectionNameMessages, m.Id)
		f.must(err)
		if k := (&messaging.Message{Record: r}).ClientKey(); k != "" {
			t.Errorf("old key %q kept", k)
		}
	}
	if again := f.sendKeyed("bob", thread.Id, "fresh", "fresh-1"); again.Id != fresh.Id {
		t.Error("a fresh key stopped binding after the cleanup")
	}
	if n, err := messaging.ClearOldClientKeysForTest(f.pm, 2); err != nil || n != 0 {
		t.Errorf("second run cleared %d (%v), want 0", n, err)
	}
	// Freed keys are free: the same key sends a new message.
	if again := f.sendKeyed("bob", thread.Id, "old", "old-a"); again.Id == old[0].Id {
		t.Error("a freed key returned the old message")
	}
}

// Deleting users empties the author of their messages (deletion.go): two
// deleted users who used the same key must not collide in the index.
func TestClientKeys_DeletedUsersKeepNoClash(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob", "carol"}, "", "hi")
	f.sendKeyed("bob", thread.Id, "from bob", "same-key")
	f.sendKeyed("carol", thread.Id, "from carol", "same-key")
	f.must(f.app.Delete(f.users["bob"]))
	f.must(f.app.Delete(f.users["carol"]))
	if n, _ := f.app.CountRecords(messaging.CollectionNameMessages); n != 3 {
		t.Errorf("%d messages, want 3", n)
	}
}

// The key lookup and the cleanup read only the partial indexes.
func TestClientKeys_QueryPlans(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	var plan []struct {
		Detail string `db:"detail"`
	}
	f.must(f.app.DB().NewQuery(`EXPLAIN QUERY PLAN SELECT id FROM messages
		WHERE author = 'a' AND client_key = 'k' AND client_key != '' AND author != ''`).All(&plan))
	if len(plan) != 1 || !strings.Contains(plan[0].Detail, "idx_messaging_messages_client_key (author=? AND client_key=?)") {
		t.Errorf("lookup plan: %+v", plan)
	}
}

// The migration goes down (field and indexes gone, messages kept) and up
// again.
func TestClientKeysMigration_DownAndUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")
	f.sendKeyed("bob", thread.Id, "keyed", "k-1")
	f.must(messaging.MigrateClientKeysDownForTest(f.app))
	col, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
	f.must(err)
	if col.Fields.GetByName("client_key") != nil || col.GetIndex("idx_messaging_messages_client_key") != "" {
		t.Error("client_key or its index survived the down migration")
	}
	if n, _ := f.app.CountRecords(messaging.CollectionNameMessages); n != 2 {
		t.Errorf("%d messages after down, want 2", n)
	}
	f.must(messaging.MigrateClientKeysUpForTest(f.app))
	first := f.sendKeyed("bob", thread.Id, "again", "k-2")
	if again := f.sendKeyed("bob", thread.Id, "again", "k-2"); again.Id != first.Id {
		t.Error("keys don't bind after the migration ran again")
	}
}

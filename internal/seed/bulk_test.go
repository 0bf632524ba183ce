package seed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/internal/seed"
	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// Bulk writes every derived value as the plugin's hooks would: Recount
// finds nothing to fix, threads.members is what Recount derives, each
// thread's last_seq/last_message/last_message_at point at its last
// message, a member's inbox position is the thread's last activity, a
// seeded direct pair has exactly the thread Start finds, a seeded user
// signs in with the password, and the plugin carries on from the seeded
// state.
func TestBulk_Consistent(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	pm := messaging.MustRegister(app, messaging.Config{})

	opts := seed.Options{Users: 30, Threads: 60, Messages: 400, MinMembers: 2, MaxMembers: 5,
		Password: "bulk-pass-1", Seed: 7}
	stats, err := seed.Bulk(context.Background(), app, pm, opts)
	if err != nil {
		t.Fatal(err)
	}
	members, _ := app.CountRecords(messaging.CollectionNameThreadMembers)
	if stats.Users != 30 || stats.Threads != 60 || stats.Messages != 400 || int64(stats.Members) != members {
		t.Fatalf("stats %+v, %d memberships written", stats, members)
	}

	threadMembers := func() map[string]string {
		var rows []struct {
			ID      string `db:"id"`
			Members string `db:"members"`
		}
		if err := app.DB().NewQuery("SELECT id, members FROM threads").All(&rows); err != nil {
			t.Fatal(err)
		}
		byID := map[string]string{}
		for _, r := range rows {
			byID[r.ID] = r.Members
		}
		return byID
	}
	seeded := threadMembers()
	if fixes, err := pm.Recount(); err != nil || len(fixes) != 0 {
		t.Fatalf("recount fixed %d unread counts (%v): %+v", len(fixes), err, fixes)
	}
	for id, derived := range threadMembers() {
		if seeded[id] != derived {
			t.Fatalf("thread %s: seeded members %s, derived %s", id, seeded[id], derived)
		}
	}

	// Each check counts the rows that break it.
	for name, query := range map[string]string{
		"seq is not 1..last_seq": `SELECT COUNT(*) FROM threads t WHERE t.last_seq != (SELECT COUNT(*) FROM messages m WHERE m.thread = t.id)
			OR t.last_seq != (SELECT COALESCE(MAX(seq), 0) FROM messages m WHERE m.thread = t.id)`,
		"last_message is not the last message": `SELECT COUNT(*) FROM threads t WHERE t.last_seq > 0 AND NOT EXISTS (
			SELECT 1 FROM messages m WHERE m.id = t.last_message AND m.thread = t.id AND m.seq = t.last_seq AND m.created = t.last_message_at)`,
		"first message not by the creator": `SELECT COUNT(*) FROM messages m JOIN threads t ON t.id = m.thread
			WHERE m.seq = 1 AND m.author != t.created_by`,
		"author is not a member": `SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (
			SELECT 1 FROM thread_members tm WHERE tm.thread = m.thread AND tm.user = m.author)`,
		"inbox position is not the last activity": `SELECT COUNT(*) FROM thread_members tm JOIN threads t ON t.id = tm.thread
			WHERE tm.last_activity != CASE WHEN t.last_seq > 0 THEN t.last_message_at ELSE t.created END`,
		"member has not read their own messages": `SELECT COUNT(*) FROM thread_members tm WHERE tm.last_read_seq <
			(SELECT COALESCE(MAX(seq), 0) FROM messages m WHERE m.thread = tm.thread AND m.author = tm.user)`,
		"direct thread without its pair's key": `SELECT COUNT(*) FROM threads t WHERE t.kind = 'direct'
			AND (json_array_length(t.members) != 2 OR t.direct_key = '')`,
	} {
		var bad int
		if err := app.DB().NewQuery(query).Row(&bad); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bad != 0 {
			t.Errorf("%s: %d rows", name, bad)
		}
	}

	// The plugin finds each seeded direct thread by its pair's key, the
	// pair given either way round, and carries on with a seeded thread's
	// sequence and counters.
	var directs []struct {
		ID      string `db:"id"`
		Members string `db:"members"`
		LastSeq int    `db:"last_seq"`
	}
	if err := app.DB().NewQuery("SELECT id, members, last_seq FROM threads WHERE kind = 'direct'").All(&directs); err != nil || len(directs) == 0 {
		t.Fatalf("no direct thread seeded: %v", err)
	}
	for _, d := range directs {
		pair := strings.Split(strings.Trim(d.Members, `[]"`), `","`)
		for _, key := range []string{messaging.DirectKey(pair[0], pair[1]), messaging.DirectKey(pair[1], pair[0])} {
			if found, err := app.FindFirstRecordByData(messaging.CollectionNameThreads, "direct_key", key); err != nil || found.Id != d.ID {
				t.Fatalf("direct thread %s not found by its pair's key %s: %v", d.ID, key, err)
			}
		}
	}
	direct := directs[0]
	pair := strings.Split(strings.Trim(direct.Members, `[]"`), `","`)
	thread, msg, err := pm.Start(pair[1], []string{pair[0]}, "", "Hello again")
	if err != nil {
		t.Fatal(err)
	}
	if thread.Id != direct.ID || msg.GetInt("seq") != direct.LastSeq+1 {
		t.Fatalf("Start between a seeded pair: thread %s seq %d, want thread %s seq %d",
			thread.Id, msg.GetInt("seq"), direct.ID, direct.LastSeq+1)
	}
	if fixes, err := pm.Recount(); err != nil || len(fixes) != 0 {
		t.Fatalf("after a reply, recount fixed %d unread counts (%v)", len(fixes), err)
	}

	user, err := app.FindAuthRecordByEmail(messaging.CollectionNameUsers, "user30@example.com")
	if err != nil || !user.ValidatePassword("bulk-pass-1") {
		t.Fatalf("user30 can't sign in with the seed password: %v", err)
	}

	// Bulk seeds only an empty site.
	if _, err := seed.Bulk(context.Background(), app, pm, opts); err == nil || !strings.Contains(err.Error(), "already has") {
		t.Fatalf("second bulk seed: %v", err)
	}
}

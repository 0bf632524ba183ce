package messaging_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// assertIndexExact checks the search index against messages: one entry
// per message that is neither deleted nor a system note, holding its
// current body and thread, and FTS5's own integrity check passes.
func (f *fixture) assertIndexExact() {
	f.t.Helper()
	var counts struct {
		Indexable int `db:"indexable"`
		Keys      int `db:"keys"`
		Rows      int `db:"rows"`
		Same      int `db:"same"`
	}
	err := f.app.DB().NewQuery(`SELECT
		(SELECT count(*) FROM messages WHERE NOT deleted AND (author != '' OR author_deleted)) AS indexable,
		(SELECT count(*) FROM _messaging_search_keys) AS keys,
		(SELECT count(*) FROM _messaging_search) AS rows,
		(SELECT count(*) FROM _messaging_search_keys k JOIN _messaging_search s ON s.rowid = k.key
			JOIN messages m ON m.id = k.message
			WHERE s.body = m.body AND s.thread = lower(hex(m.thread)) AND NOT m.deleted AND (m.author != '' OR m.author_deleted)) AS same`).
		One(&counts)
	if err != nil {
		f.t.Fatal(err)
	}
	if counts.Indexable != counts.Keys || counts.Keys != counts.Rows || counts.Rows != counts.Same {
		f.t.Fatalf("index out of sync: %+v", counts)
	}
	if _, err := f.app.DB().NewQuery(`INSERT INTO _messaging_search (_messaging_search, rank) VALUES ('integrity-check', 1)`).Execute(); err != nil {
		f.t.Fatalf("FTS5 integrity check: %v", err)
	}
}

func (f *fixture) expectFound(user, q string, want ...string) {
	f.t.Helper()
	if got := f.search(user, q, messaging.SearchOptions{}); !slices.Equal(got, want) {
		f.t.Fatalf("%s searching %q: got %q, want %q", user, q, got, want)
	}
}

// Every way a message changes reaches the index in the same transaction:
// Go sends, record saves, raw SQL updates, soft and hard deletes, a user's
// deletion (set-based SQL) and a thread's cascade.
func TestSearch_IndexFollowsWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, first := f.start("alice", []string{"bob"}, "", "kiwi one")
	second := f.send("bob", thread.Id, "kiwi two")
	f.expectFound("alice", "kiwi", "kiwi two", "kiwi one")
	f.assertIndexExact()

	// A body changed in place (as editing will) is found by its new words
	// only, and keeps its place in the order.
	if _, err := f.app.DB().NewQuery(`UPDATE messages SET body = 'mango kiwi' WHERE id = {:id}`).
		Bind(dbx.Params{"id": first.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	f.expectFound("alice", "one")
	f.expectFound("alice", "mango", "mango kiwi")
	f.expectFound("alice", "kiwi", "kiwi two", "mango kiwi")
	rec, err := f.app.FindRecordById(messaging.CollectionNameMessages, second.Id)
	f.must(err)
	rec.Set("body", "papaya")
	f.must(f.app.Save(rec))
	f.expectFound("bob", "kiwi", "mango kiwi")
	f.expectFound("bob", "papaya", "papaya")
	f.assertIndexExact()

	// Soft delete: the body is gone from the index.
	f.must(f.pm.DeleteMessage(f.id("bob"), second.Id))
	f.expectFound("alice", "papaya")
	f.assertIndexExact()

	// A deleted user's messages stay readable, and findable.
	group, _ := f.start("carol", []string{"alice", "dave"}, "G", "guava from carol")
	f.send("dave", group.Id, "guava from dave")
	f.deleteUser("carol")
	f.expectFound("alice", "guava", "guava from dave", "guava from carol")
	f.assertIndexExact()

	// Hard delete of a message, and of a whole thread (cascade).
	rec, err = f.app.FindRecordById(messaging.CollectionNameMessages, first.Id)
	f.must(err)
	f.must(f.app.Delete(rec))
	f.expectFound("alice", "mango")
	g, err := f.app.FindRecordById(messaging.CollectionNameThreads, group.Id)
	f.must(err)
	f.must(f.app.Delete(g))
	f.expectFound("alice", "guava")
	f.assertIndexExact()
}

// PocketBase changes the messages table with ALTER TABLE when a site owner
// edits the collection (core/collection_record_table_sync.go); the
// triggers must survive every such change and keep working.
func TestSearch_IndexSurvivesCollectionChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, _ := f.start("alice", []string{"bob"}, "", "fig before")
	edit := func(change func(c *core.Collection)) {
		t.Helper()
		c, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
		f.must(err)
		change(c)
		f.must(f.app.Save(c))
	}
	steps := []struct {
		name   string
		change func(c *core.Collection)
	}{
		{"add a field", func(c *core.Collection) { c.Fields.Add(&core.TextField{Name: "mood"}) }},
		{"add an index", func(c *core.Collection) { c.AddIndex("idx_site_mood", false, "mood", "") }},
		{"rename the field", func(c *core.Collection) {
			c.RemoveIndex("idx_site_mood")
			c.Fields.GetByName("mood").SetName("feeling")
		}},
		{"make a field multiple", func(c *core.Collection) {
			c.Fields.Add(&core.SelectField{Name: "flags", Values: []string{"a", "b"}, MaxSelect: 1})
		}},
		{"then multiple", func(c *core.Collection) { c.Fields.GetByName("flags").(*core.SelectField).MaxSelect = 2 }},
		{"remove the fields", func(c *core.Collection) {
			c.Fields.RemoveByName("feeling")
			c.Fields.RemoveByName("flags")
		}},
	}
	for i, s := range steps {
		edit(s.change)
		word := fmt.Sprintf("step%dword", i)
		msg := f.send("bob", thread.Id, word+" sent")
		f.expectFound("alice", word, word+" sent")
		rec, err := f.app.FindRecordById(messaging.CollectionNameMessages, msg.Id)
		f.must(err)
		edited := fmt.Sprintf("changed%d", i)
		rec.Set("body", edited)
		f.must(f.app.Save(rec))
		f.expectFound("alice", word)
		f.expectFound("alice", edited, edited)
		f.assertIndexExact()
		var triggers int
		f.must(f.app.DB().NewQuery(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'messages'
			AND name LIKE '\_messaging\_search\_%' ESCAPE '\'`).Row(&triggers))
		if triggers != 3 {
			t.Fatalf("after %q: %d search triggers on messages, want 3", s.name, triggers)
		}
	}
	f.expectFound("alice", "fig", "fig before")

	// The plugin needs body: removing it fails (the triggers use it), and
	// nothing changes.
	c, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
	f.must(err)
	c.Fields.RemoveByName("body")
	if err := f.app.Save(c); err == nil {
		t.Fatal("removing messages.body succeeded")
	}
	f.expectFound("alice", "fig", "fig before")
	f.assertIndexExact()
}

// The index is keyed by its own INTEGER PRIMARY KEY, not messages.rowid
// (which VACUUM may renumber, messages having a TEXT primary key).
func TestSearch_IndexSurvivesVacuum(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, _ := f.start("alice", []string{"bob"}, "", "plum 0")
	for i := 1; i < 30; i++ {
		msg := f.send("bob", thread.Id, fmt.Sprintf("plum %d", i))
		if i%3 == 0 {
			f.must(f.app.Delete(msg))
		}
	}
	before := f.search("alice", "plum", messaging.SearchOptions{Limit: 100})
	f.must(f.app.Vacuum())
	f.assertIndexExact()
	if after := f.search("alice", "plum", messaging.SearchOptions{Limit: 100}); !slices.Equal(before, after) {
		t.Fatalf("after VACUUM: %q, before %q", after, before)
	}
}

// The migration indexes the messages already there, oldest first, and its
// down removes everything it made.
func TestSearch_MigrationBackfillAndDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, _ := f.start("alice", []string{"bob"}, "", "cherry 1")
	f.must(messaging.MigrateSearchDownForTest(f.app))
	var left int
	f.must(f.app.DB().NewQuery(`SELECT count(*) FROM sqlite_master WHERE name LIKE '\_messaging\_search%' ESCAPE '\'`).Row(&left))
	if left != 0 {
		t.Fatalf("down left %d tables/triggers", left)
	}
	// Written while there is no index: the backfill must pick them up.
	var last *core.Record
	for i := 2; i <= 5; i++ {
		tick()
		last = f.send("bob", thread.Id, fmt.Sprintf("cherry %d", i))
	}
	f.bulkMessages(thread.Id, "alice", 3)
	f.must(f.pm.DeleteMessage(f.id("bob"), last.Id))
	f.must(messaging.MigrateSearchUpForTest(f.app))
	f.assertIndexExact()
	f.expectFound("alice", "cherry", "cherry 4", "cherry 3", "cherry 2", "cherry 1")
	f.expectFound("bob", "bulk", "bulk 3", "bulk 2", "bulk 1")
}

// Pages follow one another without gaps or repeats, newest first, even
// while new messages arrive; a member of more conversations than fit in
// the FTS query gets the same results by the per-match membership check.
func TestSearch_Paging(t *testing.T) {
	t.Parallel()
	for _, many := range []bool{false, true} {
		t.Run(fmt.Sprintf("many threads %v", many), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, messaging.Config{})
			if many {
				f.bulkThreads(messaging.SearchThreadsInQueryForTest + 1)
				_, err := f.app.DB().NewQuery(`INSERT INTO thread_members (id, thread, user, "left", last_activity, created, updated)
					SELECT 'm' || substr(id, 2), id, {:u}, FALSE, '', '', '' FROM threads`).Bind(dbx.Params{"u": f.id("alice")}).Execute()
				f.must(err)
			}
			a, _ := f.start("alice", []string{"bob"}, "", "lime 0")
			b, _ := f.start("alice", []string{"bob", "carol"}, "Trio", "lime 1")
			c, _ := f.start("carol", []string{"dave"}, "", "lime of others")
			l, _ := f.start("carol", []string{"alice", "bob"}, "Left", "lime before leaving")
			f.must(f.pm.Leave(f.id("alice"), l.Id))
			var want []string
			for i := 2; i < 23; i++ {
				tid := []string{a.Id, b.Id}[i%2]
				f.send("bob", tid, fmt.Sprintf("lime %d", i))
				f.send("carol", c.Id, "lime others again")
			}
			for i := 22; i >= 0; i-- {
				want = append(want, fmt.Sprintf("lime %d", i))
			}
			var got []string
			opts := messaging.SearchOptions{Limit: 4}
			for page := 0; ; page++ {
				res, err := f.pm.Search(f.id("alice"), "lime", opts)
				f.must(err)
				for _, h := range res.Items {
					got = append(got, h.Body)
				}
				if page == 1 {
					f.send("bob", a.Id, "lime newer") // must not shift the pages after
				}
				if res.NextCursor == "" {
					break
				}
				opts.Before = res.NextCursor
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages gave %q,\nwant %q", got, want)
			}
			got = f.search("alice", "lime", messaging.SearchOptions{Thread: b.Id, Limit: 100})
			if len(got) != 11 || got[0] != "lime 21" || strings.Contains(strings.Join(got, ","), "lime 20") {
				t.Fatalf("in one thread: %q", got)
			}
		})
	}
}

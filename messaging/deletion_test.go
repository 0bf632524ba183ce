package messaging_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"
)

// deletionCast is the world plus everything a user can own: bob (in the
// group and the direct thread with alice) also started a group with alice
// and dave, tagged his threads, blocked dave and was blocked by erin.
type deletionCast struct {
	world
	bobsGroup string
	// bobWrote is every message bob authored; alicesUnread her counts per
	// thread before the deletion.
	bobWrote     []string
	alicesUnread map[string]int
}

func (f *fixture) deletionCast() deletionCast {
	f.t.Helper()
	c := deletionCast{world: f.world()}
	thread, first := f.start("bob", []string{"alice", "dave"}, "Bob's group", "bobs-group-opening")
	c.bobsGroup = thread.Id
	c.bobWrote = []string{c.groupBob.Id, c.directBob.Id, first.Id, f.send("bob", c.direct, "direct-late-from-bob").Id}
	f.must(f.pm.SetTags(f.id("bob"), c.direct, []string{f.tag("bob", "friends").Id}))
	f.must(f.pm.SetMuted(f.id("bob"), c.group, true))
	f.must(f.pm.Block(f.id("bob"), f.id("dave")))
	f.must(f.pm.Block(f.id("erin"), f.id("bob")))
	c.alicesUnread = map[string]int{}
	for _, t := range []string{c.group, c.direct, c.bobsGroup} {
		c.alicesUnread[t] = f.unread("alice", t)
	}
	if c.alicesUnread[c.direct] != 2 {
		f.t.Fatalf("alice's direct unread = %d before the deletion, want 2", c.alicesUnread[c.direct])
	}
	return c
}

// deleteUser deletes the named user through the Go API.
func (f *fixture) deleteUser(name string) {
	f.t.Helper()
	u, err := f.app.FindRecordById(messaging.CollectionNameUsers, f.id(name))
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.app.Delete(u); err != nil {
		f.t.Fatalf("delete %s: %v", name, err)
	}
}

// assertGone checks everything a deletion of bob must leave behind: no
// row of a plugin collection refers to him, his messages are kept as a
// deleted user's, alice's counts are unchanged and exact.
func (c deletionCast) assertGone(t testing.TB, f *fixture) {
	t.Helper()
	bob := f.id("bob")
	if _, err := f.app.FindRecordById(messaging.CollectionNameUsers, bob); err == nil {
		t.Fatal("bob still exists")
	}
	for _, q := range []struct{ table, where string }{
		{"thread_members", "user = {:u}"},
		{"blocks", "user = {:u} OR blocked = {:u}"},
		{"tags", "user = {:u}"},
		{"messages", "author = {:u}"},
		{"threads", "created_by = {:u} OR EXISTS (SELECT 1 FROM json_each(members) WHERE value = {:u})"},
	} {
		var n int
		err := f.app.DB().NewQuery("SELECT COUNT(*) FROM " + q.table + " WHERE " + q.where).
			Bind(dbx.Params{"u": bob}).Row(&n)
		if err != nil || n != 0 {
			t.Errorf("%s: %d rows still refer to bob (%v)", q.table, n, err)
		}
	}
	for _, id := range c.bobWrote {
		msg, err := f.app.FindRecordById(messaging.CollectionNameMessages, id)
		if err != nil {
			t.Fatalf("bob's message %s is gone: %v", id, err)
		}
		if msg.GetString("author") != "" || !msg.GetBool("author_deleted") || msg.GetString("body") == "" {
			t.Errorf("bob's message %s: author %q, author_deleted %v, body %q", id,
				msg.GetString("author"), msg.GetBool("author_deleted"), msg.GetString("body"))
		}
	}
	th, err := f.app.FindRecordById(messaging.CollectionNameThreads, c.bobsGroup)
	if err != nil {
		t.Fatal(err)
	}
	members, want := slices.Sorted(slices.Values(th.GetStringSlice("members"))), []string{f.id("alice"), f.id("dave")}
	if slices.Sort(want); th.GetString("created_by") != "" || !slices.Equal(members, want) {
		t.Errorf("bob's group: created_by %q, members %v, want %v", th.GetString("created_by"), members, want)
	}
	for thread, want := range c.alicesUnread {
		if got := f.unread("alice", thread); got != want {
			t.Errorf("alice's unread in %s = %d, want %d as before", thread, got, want)
		}
	}
	if fixes, err := f.pm.Recount(); err != nil || len(fixes) != 0 {
		t.Errorf("recount: %v, fixed %+v", err, fixes)
	}
	// The other member still reads the direct thread; bob's messages are
	// a deleted user's, not system notes.
	page, err := f.pm.Messages(f.id("alice"), c.direct, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 {
		t.Fatalf("alice reads %d messages in the direct thread, want 3", len(page.Items))
	}
	for _, v := range page.Items {
		fromBob := slices.Contains(c.bobWrote, v.ID)
		if v.AuthorDeleted != fromBob || v.System || (fromBob && v.Author != "") || v.Body == "" {
			t.Errorf("message %+v (from bob: %v)", v, fromBob)
		}
	}
	view, err := f.pm.Thread(f.id("alice"), c.direct)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Members) != 1 || view.LastMessage == nil || !view.LastMessage.AuthorDeleted || view.LastMessage.System {
		t.Errorf("alice's direct thread: members %+v, last message %+v", view.Members, view.LastMessage)
	}
}

// messageJSON is the messaging API's JSON of a message as stored.
func (f *fixture) messageJSON(id string) string {
	f.t.Helper()
	r, err := f.app.FindRecordById(messaging.CollectionNameMessages, id)
	if err != nil {
		f.t.Fatal(err)
	}
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false) // as PocketBase writes it
	err = enc.Encode(messaging.MessageView{
		ID: r.Id, Thread: r.GetString("thread"), Author: r.GetString("author"), Body: r.GetString("body"),
		Deleted: r.GetBool("deleted"), System: r.GetString("author") == "" && !r.GetBool("author_deleted"),
		Seq: r.GetInt("seq"), Created: r.GetString("created"), AuthorDeleted: r.GetBool("author_deleted"),
		HTML: r.GetString("html"), Edited: r.GetString("edited"), Files: []messaging.FileView{},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.TrimSpace(raw.String())
}

// recordEvents counts record events by kind and collection, from the
// moment it is made: a deletion must not save or delete a record per row.
type recordEvents struct {
	creates, updates, deletes atomic.Int64
	deletedUsers              atomic.Int64
}

func countRecordEvents(app core.App) *recordEvents {
	c := &recordEvents{}
	app.OnRecordCreate().BindFunc(func(e *core.RecordEvent) error { c.creates.Add(1); return e.Next() })
	app.OnRecordUpdate().BindFunc(func(e *core.RecordEvent) error { c.updates.Add(1); return e.Next() })
	app.OnRecordDelete().BindFunc(func(e *core.RecordEvent) error {
		c.deletes.Add(1)
		if e.Record.Collection().Name == messaging.CollectionNameUsers {
			c.deletedUsers.Add(1)
		}
		return e.Next()
	})
	return c
}

func (c *recordEvents) assertOnlyUserDeleted(t testing.TB) {
	t.Helper()
	if c.creates.Load() != 0 || c.updates.Load() != 0 || c.deletes.Load() != 1 || c.deletedUsers.Load() != 1 {
		t.Errorf("record events: %d creates, %d updates, %d deletes (%d users); want the user's delete alone",
			c.creates.Load(), c.updates.Load(), c.deletes.Load(), c.deletedUsers.Load())
	}
}

// userDeleteEvents are the events of deleting one user through the records
// API and nothing else: no record of a plugin collection is saved or
// deleted one by one.
var userDeleteEvents = map[string]int{
	"*":                          0,
	"OnRecordDeleteRequest":      1,
	"OnModelDelete":              1,
	"OnRecordDelete":             1,
	"OnModelDeleteExecute":       1,
	"OnRecordDeleteExecute":      1,
	"OnModelAfterDeleteSuccess":  1,
	"OnRecordAfterDeleteSuccess": 1,
}

// Deleting a user who wrote messages works from the dashboard (superuser),
// by the user themself and from Go, and leaves the others a readable
// history, exact counts and a direct thread that takes no new messages.
func TestDeleteUser(t *testing.T) {
	t.Parallel()
	castCase := func(name string, build func(f *fixture, c deletionCast) tests.ApiScenario) apiCase {
		return apiCase{name: name, build: func(f *fixture) tests.ApiScenario { return build(f, f.deletionCast()) }}
	}
	deleteVia := func(who string) func(f *fixture, c deletionCast) tests.ApiScenario {
		return func(f *fixture, c deletionCast) tests.ApiScenario {
			s := expect(f.as(who, http.MethodDelete, recordsURL(messaging.CollectionNameUsers, "/"+f.id("bob")), nil), 204, nil)
			s.ExpectedEvents = userDeleteEvents
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) { c.assertGone(t, f) }
			return s
		}
	}
	runCases(t, []apiCase{
		castCase("superuser deletes a user who wrote messages → 204", deleteVia("superuser")),
		castCase("user deletes their own account → 204", deleteVia("bob")),
		castCase("deleted from Go; the other member reads the history as a deleted user's", func(f *fixture, c deletionCast) tests.ApiScenario {
			events := countRecordEvents(f.app)
			f.deleteUser("bob")
			events.assertOnlyUserDeleted(f.t)
			c.assertGone(f.t, f)
			url := "/api/messaging/threads/" + c.direct + "/messages"
			return expect(f.as("alice", http.MethodGet, url, nil), 200, []string{
				f.messageJSON(c.bobWrote[3]), f.messageJSON(c.directBob.Id), f.messageJSON(c.directAlice.Id),
				`"author":"","body":"direct-late-from-bob","deleted":false,"system":false,`,
			})
		}),
		castCase("inbox shows the deleted user's last message, not a system note", func(f *fixture, c deletionCast) tests.ApiScenario {
			f.deleteUser("bob")
			return expect(f.as("alice", http.MethodGet, "/api/messaging/threads/"+c.direct, nil), 200, []string{
				`"members":[{"id":"` + f.id("alice") + `"`,
				`"lastMessage":` + f.messageJSON(c.bobWrote[3]),
			}, f.id("bob"))
		}),
		castCase("system notes stay system notes", func(f *fixture, c deletionCast) tests.ApiScenario {
			f.deleteUser("bob")
			return expect(f.as("alice", http.MethodGet, "/api/messaging/threads/"+c.group+"/messages", nil), 200, []string{
				`"author":"","body":"Carol left the conversation.","deleted":false,"system":true,`,
				f.messageJSON(c.groupBob.Id),
			})
		}),
		castCase("the direct thread takes no new message → 403", func(f *fixture, c deletionCast) tests.ApiScenario {
			f.deleteUser("bob")
			s := expect(f.as("alice", http.MethodPost, "/api/messaging/threads/"+c.direct+"/messages", map[string]any{"body": "hello?"}), 403,
				[]string{refusedBody})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(messaging.CollectionNameMessages, dbx.HashExp{"body": "hello?"}); n != 0 {
					t.Error("the refused message was stored")
				}
			}
			return s
		}),
		castCase("nor through the records API → 403", func(f *fixture, c deletionCast) tests.ApiScenario {
			f.deleteUser("bob")
			return expect(f.as("alice", http.MethodPost, recordsURL(messaging.CollectionNameMessages, ""),
				map[string]any{"thread": c.direct, "body": "hello?"}), 403, []string{refusedBody})
		}),
		castCase("the group goes on without them", func(f *fixture, c deletionCast) tests.ApiScenario {
			f.deleteUser("bob")
			return expect(f.as("alice", http.MethodPost, "/api/messaging/threads/"+c.bobsGroup+"/messages", map[string]any{"body": "still here"}), 200,
				[]string{`"body":"still here"`})
		}),
		castCase("members read the deleted user's messages through the records API", func(f *fixture, c deletionCast) tests.ApiScenario {
			f.deleteUser("bob")
			return expect(f.as("alice", http.MethodGet, recordsURL(messaging.CollectionNameMessages, "/"+c.directBob.Id), nil), 200,
				[]string{`"author":"","author_deleted":true`, bodyDirectBob})
		}),
		castCase("a deleted user's message can't be given an author → 400", func(f *fixture, c deletionCast) tests.ApiScenario {
			f.deleteUser("bob")
			return expect(f.as("superuser", http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+c.directBob.Id),
				map[string]any{"author_deleted": false}), 400, []string{`"author_deleted":{"code":"validation_messaging_immutable"`})
		}),
	})
}

// A superuser removing a deleted user's unread message takes it out of the
// others' counts, as for any author's: such messages count as unread.
func TestDeleteUser_MessagesKeepCounting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	c := f.deletionCast()
	f.deleteUser("bob")

	late, err := f.app.FindRecordById(messaging.CollectionNameMessages, c.bobWrote[3])
	if err != nil {
		t.Fatal(err)
	}
	if err := f.app.Delete(late); err != nil {
		t.Fatal(err)
	}
	if got, want := f.unread("alice", c.direct), c.alicesUnread[c.direct]-1; got != want {
		t.Errorf("alice's direct unread = %d, want %d", got, want)
	}
	// Marking unread finds the deleted user's newest message.
	f.must(f.pm.MarkRead(f.id("alice"), c.direct))
	f.must(f.pm.MarkUnread(f.id("alice"), c.direct))
	if got := f.unread("alice", c.direct); got != 1 {
		t.Errorf("after mark unread alice has %d unread, want 1", got)
	}
	if fixes, err := f.pm.Recount(); err != nil || len(fixes) != 0 {
		t.Errorf("recount: %v, fixed %+v", err, fixes)
	}
}

// bulkMessages writes n messages by author into thread with plain SQL and
// moves the counters as insertMessage would: a fast way to a big history.
func (f *fixture) bulkMessages(thread, author string, n int) {
	f.t.Helper()
	now := types.NowDateTime().String()
	p := dbx.Params{"t": thread, "a": f.id(author), "n": n, "now": now}
	for _, q := range []string{
		`INSERT INTO messages (id, thread, author, body, deleted, author_deleted, seq, created, updated)
		WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < {:n})
		SELECT substr(lower(hex(randomblob(8))), 1, 15), {:t}, {:a}, 'bulk ' || k, FALSE, FALSE,
			(SELECT last_seq FROM threads WHERE id = {:t}) + k, {:now}, {:now} FROM i`,
		`UPDATE threads SET last_seq = last_seq + {:n}, last_message_at = {:now},
			last_message = (SELECT id FROM messages WHERE thread = {:t} ORDER BY seq DESC LIMIT 1) WHERE id = {:t}`,
		`UPDATE thread_members SET
			unread = CASE WHEN user = {:a} THEN 0 ELSE unread + {:n} END,
			last_read_seq = CASE WHEN user = {:a} THEN (SELECT last_seq FROM threads WHERE id = {:t}) ELSE last_read_seq END,
			last_activity = {:now}
		WHERE thread = {:t} AND "left" = FALSE`,
	} {
		if _, err := f.app.DB().NewQuery(q).Bind(p).Execute(); err != nil {
			f.t.Fatal(err)
		}
	}
}

// A user with 10,000 messages is deleted with one record event (the user's
// own delete) instead of one save per message, the others' counts stay
// exact, and the direct thread refuses new messages.
func TestDeleteUser_TenThousandMessages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	direct, _ := f.start("alice", []string{"bob"}, "", "hi bob")
	group, _ := f.start("bob", []string{"alice", "carol"}, "Big", "hi all")
	f.bulkMessages(direct.Id, "bob", 6000)
	f.bulkMessages(group.Id, "bob", 3999)
	f.send("carol", group.Id, "carol's last word")
	f.must(f.pm.MarkRead(f.id("alice"), group.Id))
	f.bulkMessages(group.Id, "bob", 1)
	if fixes, err := f.pm.Recount(); err != nil || len(fixes) != 0 {
		t.Fatalf("bulk seed left wrong counts: %v %+v", err, fixes)
	}
	var bobs int
	if err := f.app.DB().NewQuery("SELECT COUNT(*) FROM messages WHERE author = {:u}").
		Bind(dbx.Params{"u": f.id("bob")}).Row(&bobs); err != nil || bobs != 10001 {
		t.Fatalf("bob wrote %d messages (%v), want 10001", bobs, err)
	}
	before := map[string]int{"alice direct": f.unread("alice", direct.Id), "alice group": f.unread("alice", group.Id),
		"carol group": f.unread("carol", group.Id)}

	events := countRecordEvents(f.app)
	f.deleteUser("bob")
	events.assertOnlyUserDeleted(t)

	after := map[string]int{"alice direct": f.unread("alice", direct.Id), "alice group": f.unread("alice", group.Id),
		"carol group": f.unread("carol", group.Id)}
	if !maps.Equal(before, after) || before["alice direct"] != 6000 || before["alice group"] != 1 {
		t.Errorf("unread before %v, after %v", before, after)
	}
	if fixes, err := f.pm.Recount(); err != nil || len(fixes) != 0 {
		t.Errorf("recount after the deletion: %v, fixed %d: %+v", err, len(fixes), fixes)
	}
	var kept int
	if err := f.app.DB().NewQuery("SELECT COUNT(*) FROM messages WHERE author = '' AND author_deleted").Row(&kept); err != nil || kept != 10001 {
		t.Errorf("%d messages kept as a deleted user's (%v), want 10001", kept, err)
	}
	page, err := f.pm.Messages(f.id("alice"), direct.Id, "", 5)
	if err != nil || len(page.Items) != 5 {
		t.Fatalf("alice reads %d messages (%v)", len(page.Items), err)
	}
	for _, v := range page.Items {
		if !v.AuthorDeleted || v.System || v.Author != "" {
			t.Errorf("alice reads %+v, want a deleted user's message", v)
		}
	}
	_, err = f.pm.Send(f.id("alice"), direct.Id, "anyone?")
	var apiErr *router.ApiError
	if !errors.Is(err, messaging.ErrRefused) || !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden ||
		apiErr.Message != "Unable to send message." {
		t.Errorf("send into the direct thread: %v, want the 403 refusal", err)
	}
}

// Every collection with a relation to users (in an app with only the
// plugin) is one the deletion clears with SQL: a new plugin collection
// that points at users must be added to pluginCollections, or deleting a
// user goes back to one save per row there.
func TestDeleteUser_PluginCollectionsCovered(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	users, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameUsers)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := f.app.FindCollectionReferences(users)
	if err != nil {
		t.Fatal(err)
	}
	for c := range refs {
		if !slices.Contains(messaging.PluginCollectionsForTest(), c.Name) {
			t.Errorf("collection %q refers to users but is not in pluginCollections", c.Name)
		}
	}
	if len(refs) < 5 {
		t.Errorf("only %d collections refer to users", len(refs))
	}
}

// BenchmarkDeleteUser_TenThousandMessages times deleting a user who wrote
// 10,000 messages in two threads (the write transaction's whole length),
// alone and among 100,000 other threads: PocketBase's own reference walk
// still scans threads.members (a JSON relation no index covers) once.
//
//	GOTOOLCHAIN=auto go test ./messaging -run '^$' -bench DeleteUser -benchtime 5x
func BenchmarkDeleteUser_TenThousandMessages(b *testing.B) {
	for _, others := range []int{0, 100000} {
		b.Run(fmt.Sprintf("other threads=%d", others), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f := newFixture(b, messaging.Config{})
				direct, _ := f.start("alice", []string{"bob"}, "", "hi bob")
				group, _ := f.start("bob", []string{"alice", "carol"}, "Big", "hi all")
				f.bulkMessages(direct.Id, "bob", 6000)
				f.bulkMessages(group.Id, "bob", 4000)
				f.bulkThreads(others)
				bob, err := f.app.FindRecordById(messaging.CollectionNameUsers, f.id("bob"))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := f.app.Delete(bob); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				f.app.Cleanup()
				b.StartTimer()
			}
		})
	}
}

// bulkThreads adds n group threads of three strangers each, with plain SQL.
func (f *fixture) bulkThreads(n int) {
	f.t.Helper()
	if n == 0 {
		return
	}
	_, err := f.app.DB().NewQuery(`INSERT INTO threads (id, subject, kind, created_by, members, direct_key, last_seq, created, updated)
		WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < {:n})
		SELECT printf('t%014d', k), 'bulk', 'group', printf('u%014d', k),
			json_array(printf('u%014d', k), printf('v%014d', k), printf('w%014d', k)), '', 0, '', '' FROM i`).
		Bind(dbx.Params{"n": n}).Execute()
	if err != nil {
		f.t.Fatal(err)
	}
}

// The others in a deleted user's threads are told live that the member
// list changed, as for any other change of who is in a thread.
func TestDeleteUser_TellsTheOthersLive(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	group, _ := f.start("alice", []string{"bob", "carol"}, "Trio", "hi both")
	srv := f.serve()
	c := f.connect(srv, "carol", "messaging")
	f.must(f.app.Delete(f.users["bob"]))
	ev := c.next(t, 5*time.Second)
	if ev.Data["type"] != "members" || ev.Data["thread"] != group.Id {
		t.Fatalf("carol got %v, want a members event for the group", ev.Data)
	}
	if extra := c.drain(300 * time.Millisecond); len(extra) > 0 {
		t.Errorf("then %d more events: %v", len(extra), extra)
	}
}

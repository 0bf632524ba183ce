package messaging_test

import (
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
)

// liveWorld is the state every live-event case starts from: alice started
// a group with bob and carol ("hello": bob and carol have one unread
// message each); dave is in no thread; bob owns a tag.
type liveWorld struct {
	group string
	hello *core.Record
	tag   string
}

// liveCase is one way of causing a change, and the live events each user
// must receive for it, in order and nothing else (each event is matched
// on the fields given), plus how many times the Go events fire.
type liveCase struct {
	name string
	act  func(f *fixture, srv *httptest.Server, w liveWorld)
	want func(f *fixture, w liveWorld) map[string][]map[string]any
	// sent, created, left: expected OnMessageSent, OnThreadCreate and
	// OnMemberLeft calls.
	sent, created, left int32
}

// Every live event type, through every path that causes it: the
// messaging HTTP API, the records API, the batch API, the Go API, and a
// record saved by server code as a JS hook would (app.Save). Each event
// goes once to the users concerned and to nobody else, with the state
// after the change; the Go events fire once per change.
func TestLiveEvents_EveryPath(t *testing.T) {
	t.Parallel()

	// Expected events.
	message := func(f *fixture, w liveWorld) map[string][]map[string]any {
		body := map[string]any{"author": f.id("bob"), "body": "reply", "deleted": false}
		return map[string][]map[string]any{
			"alice": {{"type": "message", "thread": w.group, "message": body, "unread": 1, "totals": counts(1, 1)}},
			"bob":   {{"type": "message", "thread": w.group, "message": body, "unread": 0, "totals": counts(0, 0)}},
			"carol": {{"type": "message", "thread": w.group, "message": body, "unread": 2, "totals": counts(1, 2)}},
		}
	}
	deleted := func(f *fixture, w liveWorld) map[string][]map[string]any {
		ev := func() []map[string]any {
			return []map[string]any{{"type": "deleted", "thread": w.group, "unread": 0, "totals": counts(0, 0),
				"message": map[string]any{"id": w.hello.Id, "deleted": true, "body": ""}}}
		}
		return map[string][]map[string]any{"alice": ev(), "bob": ev(), "carol": ev()}
	}
	read := func(unread, lastReadSeq int) func(*fixture, liveWorld) map[string][]map[string]any {
		return func(f *fixture, w liveWorld) map[string][]map[string]any {
			return map[string][]map[string]any{"bob": {{"type": "read", "thread": w.group, "unread": unread,
				"lastReadSeq": lastReadSeq, "totals": counts(min(unread, 1), unread)}}}
		}
	}
	membership := func(muted, archived, tagged bool) func(*fixture, liveWorld) map[string][]map[string]any {
		return func(f *fixture, w liveWorld) map[string][]map[string]any {
			tags := []string{}
			if tagged {
				tags = []string{w.tag}
			}
			return map[string][]map[string]any{"bob": {{"type": "membership", "thread": w.group,
				"muted": muted, "archived": archived, "tags": tags}}}
		}
	}
	// joined: dave joins; with a system note when the messaging API adds him.
	joined := func(note bool) func(*fixture, liveWorld) map[string][]map[string]any {
		return func(f *fixture, w liveWorld) map[string][]map[string]any {
			out := map[string][]map[string]any{}
			for _, u := range []string{"alice", "bob", "carol", "dave"} {
				out[u] = []map[string]any{{"type": "members", "thread": w.group}}
				if note {
					out[u] = append(out[u], map[string]any{"type": "message", "thread": w.group,
						"message": map[string]any{"system": true, "body": "Alice added Dave."}})
				}
			}
			return out
		}
	}
	// left: carol is out; with a system note when she left through the
	// messaging API.
	left := func(note bool) func(*fixture, liveWorld) map[string][]map[string]any {
		return func(f *fixture, w liveWorld) map[string][]map[string]any {
			out := map[string][]map[string]any{"carol": {{"type": "removed", "thread": w.group}}}
			for _, u := range []string{"alice", "bob"} {
				out[u] = []map[string]any{{"type": "members", "thread": w.group}}
				if note {
					out[u] = append(out[u], map[string]any{"type": "message", "thread": w.group,
						"message": map[string]any{"system": true, "body": "Carol left the conversation."}})
				}
			}
			return out
		}
	}

	// Ways in.
	record := func(f *fixture, collection, id string) *core.Record {
		r, err := f.app.FindRecordById(collection, id)
		if err != nil {
			f.t.Fatal(err)
		}
		return r
	}
	save := func(f *fixture, r *core.Record, fields map[string]any) {
		for k, v := range fields {
			r.Set(k, v)
		}
		if err := f.app.Save(r); err != nil {
			f.t.Fatal(err)
		}
	}
	membersURL := func(id string) string { return "/api/collections/thread_members/records/" + id }
	messagesURL := "/api/collections/messages/records"

	cases := []liveCase{
		// message
		{name: "message/messaging API", want: message, sent: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "POST", "/api/messaging/threads/"+w.group+"/messages", map[string]any{"body": "reply"})
		}},
		{name: "message/records API", want: message, sent: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "POST", messagesURL, map[string]any{"thread": w.group, "body": "reply"})
		}},
		{name: "message/batch API", want: message, sent: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.batch(srv, "bob", map[string]any{"method": "POST", "url": messagesURL,
				"body": map[string]any{"thread": w.group, "body": "reply"}})
		}},
		{name: "message/Go API", want: message, sent: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.send("bob", w.group, "reply")
		}},
		{name: "message/app.Save", want: message, sent: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			col, _ := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
			save(f, core.NewRecord(col), map[string]any{"thread": w.group, "author": f.id("bob"), "body": "reply"})
		}},

		// deleted
		{name: "deleted/messaging API", want: deleted, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 204, "alice", "DELETE", "/api/messaging/messages/"+w.hello.Id, nil)
		}},
		{name: "deleted/records API soft", want: deleted, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "superuser", "PATCH", messagesURL+"/"+w.hello.Id, map[string]any{"deleted": true})
		}},
		{name: "deleted/records API hard", want: deleted, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 204, "superuser", "DELETE", messagesURL+"/"+w.hello.Id, nil)
		}},
		{name: "deleted/batch API", want: deleted, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.batch(srv, "superuser", map[string]any{"method": "PATCH", "url": messagesURL + "/" + w.hello.Id,
				"body": map[string]any{"deleted": true}})
		}},
		{name: "deleted/Go API", want: deleted, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.must(f.pm.DeleteMessage(f.id("alice"), w.hello.Id))
		}},
		{name: "deleted/app.Save", want: deleted, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			save(f, record(f, messaging.CollectionNameMessages, w.hello.Id), map[string]any{"deleted": true})
		}},

		// read
		{name: "read/messaging API read", want: read(0, 1), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "POST", "/api/messaging/threads/"+w.group+"/read", nil)
		}},
		{name: "read/messaging API unread", want: read(1, 0), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "POST", "/api/messaging/threads/"+w.group+"/unread", nil)
		}},
		{name: "read/records API", want: read(0, 1), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "superuser", "PATCH", membersURL(f.member("bob", w.group).Id),
				map[string]any{"unread": 0, "last_read_seq": 1})
		}},
		{name: "read/batch API", want: read(0, 1), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.batch(srv, "superuser", map[string]any{"method": "PATCH", "url": membersURL(f.member("bob", w.group).Id),
				"body": map[string]any{"unread": 0, "last_read_seq": 1}})
		}},
		{name: "read/Go API read", want: read(0, 1), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.must(f.pm.MarkRead(f.id("bob"), w.group))
		}},
		{name: "read/Go API unread", want: read(1, 0), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.must(f.pm.MarkUnread(f.id("bob"), w.group))
		}},
		{name: "read/app.Save", want: read(0, 1), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			save(f, f.member("bob", w.group), map[string]any{"unread": 0, "last_read_seq": 1})
		}},

		// membership
		{name: "membership/messaging API mute", want: membership(true, false, false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "POST", "/api/messaging/threads/"+w.group+"/mute", map[string]any{"muted": true})
		}},
		{name: "membership/messaging API archive", want: membership(false, true, false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "POST", "/api/messaging/threads/"+w.group+"/archive", map[string]any{"archived": true})
		}},
		{name: "membership/messaging API tags", want: membership(false, false, true), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "PUT", "/api/messaging/threads/"+w.group+"/tags", map[string]any{"tags": []string{w.tag}})
		}},
		{name: "membership/records API mute", want: membership(true, false, false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "PATCH", membersURL(f.member("bob", w.group).Id), map[string]any{"muted": true})
		}},
		{name: "membership/records API tags", want: membership(false, false, true), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "bob", "PATCH", membersURL(f.member("bob", w.group).Id), map[string]any{"tags": []string{w.tag}})
		}},
		{name: "membership/batch API archive", want: membership(false, true, false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.batch(srv, "bob", map[string]any{"method": "PATCH", "url": membersURL(f.member("bob", w.group).Id),
				"body": map[string]any{"archived": true}})
		}},
		{name: "membership/Go API", want: membership(true, false, false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.must(f.pm.SetMuted(f.id("bob"), w.group, true))
		}},
		{name: "membership/app.Save", want: membership(false, false, true), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			save(f, f.member("bob", w.group), map[string]any{"tags": []string{w.tag}})
		}},

		// members (someone joined)
		{name: "members/messaging API add", want: joined(true), sent: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "alice", "POST", "/api/messaging/threads/"+w.group+"/members",
				map[string]any{"users": []string{f.id("dave")}})
		}},
		{name: "members/records API create", want: joined(false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "superuser", "POST", "/api/collections/thread_members/records",
				map[string]any{"thread": w.group, "user": f.id("dave")})
		}},
		{name: "members/batch API create", want: joined(false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.batch(srv, "superuser", map[string]any{"method": "POST", "url": "/api/collections/thread_members/records",
				"body": map[string]any{"thread": w.group, "user": f.id("dave")}})
		}},
		{name: "members/Go API add", want: joined(true), sent: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.must(f.pm.AddMembers(f.id("alice"), w.group, []string{f.id("dave")}))
		}},
		{name: "members/app.Save", want: joined(false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			col, _ := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreadMembers)
			save(f, core.NewRecord(col), map[string]any{"thread": w.group, "user": f.id("dave")})
		}},

		// members and removed (someone left)
		{name: "removed/messaging API leave", want: left(true), sent: 1, left: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 204, "carol", "POST", "/api/messaging/threads/"+w.group+"/leave", nil)
		}},
		{name: "removed/records API left", want: left(false), left: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "superuser", "PATCH", membersURL(f.member("carol", w.group).Id), map[string]any{"left": true})
		}},
		{name: "removed/records API delete", want: left(false), act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 204, "superuser", "DELETE", membersURL(f.member("carol", w.group).Id), nil)
		}},
		{name: "removed/batch API left", want: left(false), left: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.batch(srv, "superuser", map[string]any{"method": "PATCH", "url": membersURL(f.member("carol", w.group).Id),
				"body": map[string]any{"left": true}})
		}},
		{name: "removed/Go API leave", want: left(true), sent: 1, left: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.must(f.pm.Leave(f.id("carol"), w.group))
		}},
		{name: "removed/app.Save", want: left(false), left: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			save(f, f.member("carol", w.group), map[string]any{"left": true})
		}},

		// A new thread: its first message tells its members, not "members".
		{name: "new thread/messaging API", sent: 1, created: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			f.mustRequest(srv, 200, "alice", "POST", "/api/messaging/threads",
				map[string]any{"recipients": []string{f.id("bob"), f.id("dave")}, "body": "new"})
		}, want: func(f *fixture, w liveWorld) map[string][]map[string]any {
			ev := func(unread int) []map[string]any {
				return []map[string]any{{"type": "message", "message": map[string]any{"body": "new"}, "unread": unread}}
			}
			return map[string][]map[string]any{"alice": ev(0), "bob": ev(1), "dave": ev(1)}
		}},
		{name: "new thread/app.Save", created: 1, act: func(f *fixture, srv *httptest.Server, w liveWorld) {
			col, _ := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreads)
			save(f, core.NewRecord(col), map[string]any{"kind": messaging.KindGroup, "subject": "empty"})
		}, want: func(*fixture, liveWorld) map[string][]map[string]any { return nil }},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, messaging.Config{})
			defer f.app.Cleanup()
			f.enableBatch()
			var sent, created, leftCount atomic.Int32
			f.pm.OnMessageSent().BindFunc(func(e *messaging.MessageEvent) error { sent.Add(1); return e.Next() })
			f.pm.OnThreadCreate().BindFunc(func(e *messaging.ThreadEvent) error { created.Add(1); return e.Next() })
			f.pm.OnMemberLeft().BindFunc(func(e *messaging.MemberEvent) error { leftCount.Add(1); return e.Next() })

			thread, hello := f.start("alice", []string{"bob", "carol"}, "Plans", "hello")
			w := liveWorld{group: thread.Id, hello: hello, tag: f.tag("bob", "work").Id}
			sent.Store(0)
			created.Store(0)
			f.token("superuser") // created before anyone connects

			srv := f.serve()
			clients := map[string]*liveClient{}
			for _, u := range []string{"alice", "bob", "carol", "dave"} {
				clients[u] = f.connect(srv, u, messaging.RealtimeTopic)
			}

			tc.act(f, srv, w)

			want := tc.want(f, w)
			for _, u := range []string{"alice", "bob", "carol", "dave"} {
				got := clients[u].collect(t, len(want[u]), 5*time.Second)
				for i, ev := range got {
					if ev.Name != messaging.RealtimeTopic || !matches(ev.Data, want[u][i]) {
						t.Errorf("%s event %d: got %q %v, want %v", u, i, ev.Name, ev.Data, want[u][i])
					}
				}
			}
			// Nothing more, to anyone (each got its events: any duplicate
			// was sent by now).
			for u, extra := range drainAll(300*time.Millisecond, clients) {
				for _, ev := range extra {
					t.Errorf("%s got an extra event %q %v", u, ev.Name, ev.Data)
				}
			}
			if sent.Load() != tc.sent || created.Load() != tc.created || leftCount.Load() != tc.left {
				t.Errorf("Go events: OnMessageSent %d, OnThreadCreate %d, OnMemberLeft %d; want %d, %d, %d",
					sent.Load(), created.Load(), leftCount.Load(), tc.sent, tc.created, tc.left)
			}
		})
	}
}

func counts(threads, messages int) map[string]any {
	return map[string]any{"threads": threads, "messages": messages}
}

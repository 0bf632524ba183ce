package messaging_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// receiptsWorld: alice wrote to bob twice (seq 1 and 2) and bob read both;
// alice has read up to her own message. So each sees the other at seq 2
// when receipts show.
func receiptsWorld(f *fixture, aliceOff, bobOff bool) string {
	f.t.Helper()
	th, _ := f.start("alice", []string{"bob"}, "", "a1")
	f.send("alice", th.Id, "a2")
	f.must(f.pm.MarkRead(f.id("bob"), th.Id))
	f.must(f.pm.SetPreferences(f.id("alice"), messaging.Preferences{ReadReceiptsOff: aliceOff}))
	f.must(f.pm.SetPreferences(f.id("bob"), messaging.Preferences{ReadReceiptsOff: bobOff}))
	return th.Id
}

// The receipts matrix: both members' views, the inbox and the thread, for
// each combination of the two switches. Only "both on" shows anything.
func TestReceipts_ThreadView(t *testing.T) {
	t.Parallel()
	var cases []apiCase
	for _, offs := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		want := `"peerLastReadSeq":0`
		if !offs[0] && !offs[1] {
			want = `"peerLastReadSeq":2`
		}
		for _, who := range []string{"alice", "bob"} {
			name := fmt.Sprintf("alice off=%v, bob off=%v: %s", offs[0], offs[1], who)
			cases = append(cases,
				apiCase{name: name + " views the thread", build: func(f *fixture) tests.ApiScenario {
					th := receiptsWorld(f, offs[0], offs[1])
					return expect(f.as(who, http.MethodGet, threadURL(th, ""), nil), 200, []string{want})
				}},
				apiCase{name: name + " lists the inbox", build: func(f *fixture) tests.ApiScenario {
					receiptsWorld(f, offs[0], offs[1])
					return expect(f.as(who, http.MethodGet, "/api/messaging/threads", nil), 200, []string{want})
				}})
		}
	}
	cases = append(cases,
		apiCase{name: "groups show no receipts", build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"bob", "carol"}, "", "g1")
			f.must(f.pm.MarkRead(f.id("bob"), th.Id))
			f.must(f.pm.MarkRead(f.id("carol"), th.Id))
			return expect(f.as("alice", http.MethodGet, threadURL(th.Id, ""), nil), 200, []string{`"peerLastReadSeq":0`})
		}},
		apiCase{name: "the blocker sees no receipt of the blocked", build: func(f *fixture) tests.ApiScenario {
			th := receiptsWorld(f, false, false)
			f.must(f.pm.Block(f.id("alice"), f.id("bob")))
			return expect(f.as("alice", http.MethodGet, threadURL(th, ""), nil), 200, []string{`"peerLastReadSeq":0`})
		}},
		apiCase{name: "the blocked sees no receipt of the blocker", build: func(f *fixture) tests.ApiScenario {
			th := receiptsWorld(f, false, false)
			f.must(f.pm.Block(f.id("alice"), f.id("bob")))
			return expect(f.as("bob", http.MethodGet, threadURL(th, ""), nil), 200, []string{`"peerLastReadSeq":0`})
		}},
		apiCase{name: "the receipt follows the read position", build: func(f *fixture) tests.ApiScenario {
			th := receiptsWorld(f, false, false)
			f.send("alice", th, "a3")
			f.must(f.pm.MarkRead(f.id("bob"), th))
			f.must(f.pm.MarkUnread(f.id("bob"), th))
			return expect(f.as("alice", http.MethodGet, threadURL(th, ""), nil), 200, []string{`"peerLastReadSeq":2`})
		}},
		apiCase{name: "a member turns receipts off through the preferences route", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("bob", http.MethodPatch, "/api/messaging/preferences", map[string]any{"readReceiptsOff": true}),
				200, []string{`"readReceiptsOff":true`}), f, "bob", messaging.Preferences{ReadReceiptsOff: true})
		}},
	)
	runCases(t, cases)
}

// No way through the records API to the other member's read position:
// thread_members lists the caller's own rows only, and the relation guard
// refuses filters and expands that reach the others'.
func TestReceipts_RecordsAPI(t *testing.T) {
	t.Parallel()
	members := messaging.CollectionNameThreadMembers
	peerRow := func(f *fixture, th string) string { return f.member("bob", th).Id }
	runCases(t, []apiCase{
		{name: "listing the thread's memberships shows only one's own", build: func(f *fixture) tests.ApiScenario {
			th := receiptsWorld(f, false, false)
			return expect(f.as("alice", http.MethodGet, recordsURL(members, "?filter=thread='"+th+"'"), nil), 200,
				[]string{`"totalItems":1`, `"user":"` + f.id("alice") + `"`}, peerRow(f, th), `"user":"`+f.id("bob")+`"`)
		}},
		{name: "viewing the peer's membership → 404", build: func(f *fixture) tests.ApiScenario {
			th := receiptsWorld(f, false, false)
			return expect(f.as("alice", http.MethodGet, recordsURL(members, "/"+peerRow(f, th)), nil), 404, []string{recordNotFound})
		}},
		{name: "filtering threads by the members' read positions → 400", build: func(f *fixture) tests.ApiScenario {
			receiptsWorld(f, false, false)
			return expect(f.as("alice", http.MethodGet,
				recordsURL(messaging.CollectionNameThreads, "?filter=thread_members_via_thread.last_read_seq>1"), nil), 400,
				[]string{fieldError("filter", "private_relation")})
		}},
		{name: "filtering one's membership by the peer's through the thread → 400", build: func(f *fixture) tests.ApiScenario {
			receiptsWorld(f, false, false)
			return expect(f.as("alice", http.MethodGet,
				recordsURL(members, "?filter=thread.thread_members_via_thread.last_read_seq>1"), nil), 400,
				[]string{fieldError("filter", "private_relation")})
		}},
		{name: "expanding the thread's memberships → 400", build: func(f *fixture) tests.ApiScenario {
			th := receiptsWorld(f, false, false)
			return expect(f.as("alice", http.MethodGet,
				recordsURL(messaging.CollectionNameThreads, "/"+th+"?expand=thread_members_via_thread"), nil), 400,
				[]string{fieldError("expand", "private_relation")}, peerRow(f, th))
		}},
		{name: "reading the peer's receipts switch → nothing", build: func(f *fixture) tests.ApiScenario {
			receiptsWorld(f, false, true)
			return expect(f.as("alice", http.MethodGet, recordsURL(messaging.CollectionNamePreferences, ""), nil), 200,
				[]string{`"totalItems":1`}, f.id("bob"))
		}},
	})
}

// Live: when bob reads, alice gets "seen" with the new position if both
// have receipts on; reading again with nothing new tells her nothing;
// nobody else ever gets it.
func TestReceipts_LiveSeen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		aliceOff, bobOff bool
		block            bool
		seen             bool
	}{
		{name: "both on", seen: true},
		{name: "reader off", bobOff: true},
		{name: "watcher off", aliceOff: true},
		{name: "both off", aliceOff: true, bobOff: true},
		{name: "blocked", block: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, messaging.Config{})
			defer f.app.Cleanup()
			th := receiptsWorld(f, tc.aliceOff, tc.bobOff)
			if tc.block { // alice blocked bob: he may read, she may still write
				f.must(f.pm.Block(f.id("alice"), f.id("bob")))
			}
			f.token("bob")
			srv := f.serve()
			clients := map[string]*liveClient{}
			for _, u := range []string{"alice", "bob", "dave"} {
				clients[u] = f.connect(srv, u, messaging.RealtimeTopic)
			}
			f.send("alice", th, "a3")
			f.mustRequest(srv, http.StatusOK, "bob", http.MethodPost, threadURL(th, "/read"), nil)
			f.mustRequest(srv, http.StatusOK, "bob", http.MethodPost, threadURL(th, "/read"), nil) // nothing new
			f.must(f.pm.MarkUnread(f.id("bob"), th))                                               // moves back to 2
			// And the other way: alice's position moves (by a record save:
			// bob, whom she may have blocked, wrote nothing she could read).
			am := f.member("alice", th)
			am.Set("last_read_seq", 1)
			f.must(f.app.Save(am))

			want := map[string][]map[string]any{
				"alice": {{"type": "message", "thread": th}, {"type": "read", "lastReadSeq": 1}},
				"bob": {{"type": "message", "thread": th}, {"type": "read", "lastReadSeq": 3}, {"type": "read", "lastReadSeq": 3},
					{"type": "read", "lastReadSeq": 2}},
			}
			if tc.seen {
				want["alice"] = []map[string]any{{"type": "message", "thread": th}, {"type": "seen", "thread": th, "seq": 3},
					{"type": "seen", "thread": th, "seq": 2}, {"type": "read", "lastReadSeq": 1}}
				want["bob"] = append(want["bob"], map[string]any{"type": "seen", "thread": th, "seq": 1})
			}
			eventsAre(t, clients, want)
		})
	}
}

// A record save that moves the read position (a superuser in the
// dashboard, server code) sends "seen" too.
func TestReceipts_LiveSeenFromRecordSave(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := receiptsWorld(f, false, false)
	srv := f.serve()
	alice := f.connect(srv, "alice", messaging.RealtimeTopic)
	m := f.member("bob", th)
	m.Set("last_read_seq", 1)
	m.Set("unread", 1)
	f.must(f.app.Save(m))
	if ev := alice.next(t, 5*time.Second); !matches(ev.Data, map[string]any{"type": "seen", "thread": th, "seq": 1}) {
		t.Errorf("alice got %v", ev.Data)
	}
}

// Marking read up to a message sends "seen" with that position, and
// nothing when it doesn't move.
func TestReceipts_LiveSeenFromReadUpTo(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := receiptsWorld(f, false, false)
	f.send("alice", th, "a3")
	f.send("alice", th, "a4")
	srv := f.serve()
	alice := f.connect(srv, "alice", messaging.RealtimeTopic)
	f.must(f.pm.MarkReadUpTo(f.id("bob"), th, "3"))
	f.must(f.pm.MarkReadUpTo(f.id("bob"), th, "3"))
	if ev := alice.next(t, 5*time.Second); !matches(ev.Data, map[string]any{"type": "seen", "thread": th, "seq": 3}) {
		t.Errorf("alice got %v", ev.Data)
	}
	for _, ev := range alice.drain(300 * time.Millisecond) {
		t.Errorf("alice got an extra event %v", ev.Data)
	}
}

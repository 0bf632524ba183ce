package messaging_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/logger"
)

// A non-member must never receive anything about a conversation, neither
// on the plugin's live channel nor through record subscriptions, while the
// members get it. Every topic gets a real record event: a message, a
// thread saved by Go code, memberships updated through the records API.
func TestRealtime_NonMemberNeverReceives(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	srv := f.serve()

	thread, _ := f.start("alice", []string{"bob", "carol"}, "Plans", "first")
	topics := []string{messaging.RealtimeTopic, "messages/*", "threads/*", "thread_members/*"}
	bob := f.connect(srv, "bob", topics...)
	dave := f.connect(srv, "dave", topics...)
	anon := f.connect(srv, "", topics...)

	f.send("alice", thread.Id, "secret plans for bob")
	thread.Set("subject", "Secret plans")
	if err := f.app.Save(thread); err != nil {
		t.Fatal(err)
	}
	// Alice's own settings are hers alone; bob's are bob's.
	for _, who := range []string{"alice", "bob"} {
		f.mustRequest(srv, 200, who, "PATCH", "/api/collections/thread_members/records/"+f.member(who, thread.Id).Id,
			map[string]any{"muted": true})
	}

	want := map[string]bool{"live message": true, "live membership": true, "messages/*": true, "threads/*": true, "thread_members/*": true}
	got := map[string]bool{}
	for len(got) < len(want) {
		ev := bob.next(t, 5*time.Second)
		key := ev.Name
		if ev.Name == messaging.RealtimeTopic {
			key = "live " + ev.Data["type"].(string)
		}
		if !want[key] || got[key] {
			t.Fatalf("bob got %q %v (so far %v)", key, ev.Data, got)
		}
		got[key] = true
		if rec, _ := ev.Data["record"].(map[string]any); ev.Name == "thread_members/*" && rec["user"] != f.id("bob") {
			t.Fatalf("bob got someone else's membership: %v", rec)
		}
	}
	for _, ev := range bob.drain(300 * time.Millisecond) {
		t.Errorf("bob got an extra event %q %v", ev.Name, ev.Data)
	}

	// Bob had his events; anything for dave or the guest would have been
	// sent in the same broadcasts.
	for who, evs := range drainAll(300*time.Millisecond, map[string]*liveClient{"dave": dave, "guest": anon}) {
		for _, ev := range evs {
			t.Errorf("%s received %q: %v", who, ev.Name, ev.Data)
		}
	}
}

// Only the topic "messaging" (with or without options) is the live
// channel; other topics that merely start with the word get nothing from
// it.
func TestRealtime_LiveTopicMatchesExactly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	srv := f.serve()
	thread, _ := f.start("alice", []string{"bob", "carol"}, "", "hi")

	withOptions := messaging.RealtimeTopic + `?options={"query":{"x":"1"}}`
	bob := f.connect(srv, "bob", withOptions)
	carol := f.connect(srv, "carol", "messaging_settings/*", "messagingx", "messaging/x")

	f.send("alice", thread.Id, "two")
	if ev := bob.next(t, 5*time.Second); ev.Name != withOptions || ev.Data["type"] != "message" {
		t.Fatalf("bob got %q %v", ev.Name, ev.Data)
	}
	for _, ev := range carol.drain(300 * time.Millisecond) {
		t.Errorf("carol, not subscribed to %q, got %q %v", messaging.RealtimeTopic, ev.Name, ev.Data)
	}
}

// Leaving ends the live feed: the leaver gets "removed" and nothing after.
func TestRealtime_LeftMemberStopsReceiving(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	srv := f.serve()

	thread, _ := f.start("alice", []string{"bob", "carol"}, "", "hi")
	carol := f.connect(srv, "carol", messaging.RealtimeTopic, "messages/*")
	if err := f.pm.Leave(f.id("carol"), thread.Id); err != nil {
		t.Fatal(err)
	}
	if ev := carol.next(t, 5*time.Second); ev.Data["type"] != "removed" {
		t.Fatalf("want removed, got %v", ev)
	}
	f.send("alice", thread.Id, "after carol left")
	for _, ev := range carol.drain(300 * time.Millisecond) {
		if ev.Name == "messages/*" || ev.Data["type"] == "message" {
			t.Errorf("carol received after leaving: %v", ev.Data)
		}
	}
}

// Inbox connections (live topic only) are kept out of PocketBase's broker
// so record saves don't ask them anything; they must still get their
// events, be able to change subscriptions, and follow auth changes.
func TestRealtime_LiveOnlyClientsAreParked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	srv := f.serve()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")

	bob := f.connect(srv, "bob", messaging.RealtimeTopic)
	carol := f.connect(srv, "carol", messaging.RealtimeTopic)
	if n := f.app.SubscriptionsBroker().TotalClients(); n != 0 {
		t.Fatalf("broker holds %d clients, want the live-only ones parked", n)
	}

	f.send("alice", thread.Id, "one")
	if ev := bob.next(t, 5*time.Second); ev.Data["type"] != "message" {
		t.Fatalf("parked client got %v", ev)
	}

	// Subscribing to a record topic as well brings it back into the broker.
	if status := f.subscribe(srv, bob, "bob", messaging.RealtimeTopic, "messages/*"); status != 204 {
		t.Fatalf("resubscribe status %d", status)
	}
	if n := f.app.SubscriptionsBroker().TotalClients(); n != 1 {
		t.Fatalf("broker holds %d clients after resubscribe, want 1", n)
	}
	f.send("alice", thread.Id, "two")
	got := map[string]bool{}
	for len(got) < 2 {
		got[bob.next(t, 5*time.Second).Name] = true
	}
	if !got["messages/*"] || !got[messaging.RealtimeTopic] {
		t.Fatalf("after resubscribe got %v", got)
	}

	// A new tokenKey (password change) signs parked clients out.
	carolThread, _ := f.start("alice", []string{"carol"}, "", "hey carol")
	if ev := carol.next(t, 5*time.Second); ev.Data["type"] != "message" {
		t.Fatalf("carol got %v", ev)
	}
	f.users["carol"].RefreshTokenKey()
	if err := f.app.Save(f.users["carol"]); err != nil {
		t.Fatal(err)
	}
	f.send("alice", carolThread.Id, "after the password change")
	for _, ev := range carol.drain(300 * time.Millisecond) {
		t.Errorf("signed-out client received %v", ev)
	}
}

// Every tab of a user gets every event, all tabs in the same order, and
// the unread totals never go backwards, with several people writing at
// once.
func TestRealtime_TabsGetEveryEventInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	srv := f.serve()
	thread, _ := f.start("alice", []string{"bob", "carol", "dave"}, "", "hello") // bob: 1 unread

	tabs := []*liveClient{
		f.connect(srv, "bob", messaging.RealtimeTopic),
		f.connect(srv, "bob", messaging.RealtimeTopic),
		f.connect(srv, "bob", messaging.RealtimeTopic, "messages/*"), // one tab not parked
	}
	writers, each := []string{"alice", "carol", "dave"}, 12
	var wg sync.WaitGroup
	errs := make(chan error, len(writers)*each)
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := f.pm.Send(f.id(w), thread.Id, fmt.Sprintf("%s %d", w, i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f.must(f.pm.MarkRead(f.id("bob"), thread.Id))

	sent := len(writers) * each
	var first []string
	for i, tab := range tabs {
		var order []string
		prev := 1.0
		for range sent + 1 {
			ev := tab.next(t, 10*time.Second)
			for ev.Name != messaging.RealtimeTopic { // record events ride along on one tab
				ev = tab.next(t, 10*time.Second)
			}
			totals := ev.Data["totals"].(map[string]any)
			order = append(order, fmt.Sprint(ev.Data["type"], ev.Data["message"]))
			if ev.Data["type"] == "read" {
				if len(order) != sent+1 || totals["messages"] != 0.0 {
					t.Fatalf("tab %d: read event at %d with totals %v", i, len(order), totals)
				}
				continue
			}
			n := totals["messages"].(float64)
			if ev.Data["type"] != "message" || n < prev || ev.Data["unread"] != n {
				t.Fatalf("tab %d, event %d: %v after totals %v", i, len(order), ev.Data, prev)
			}
			prev = n
		}
		if prev != float64(sent+1) {
			t.Errorf("tab %d: last message event shows %v unread, want %d", i, prev, sent+1)
		}
		for _, ev := range tab.drain(200 * time.Millisecond) {
			if ev.Name == messaging.RealtimeTopic {
				t.Errorf("tab %d: extra event %v", i, ev.Data)
			}
		}
		if i == 0 {
			first = order
		} else if !slices.Equal(order, first) {
			t.Errorf("tab %d got the events in another order than tab 0", i)
		}
	}
}

// A live event whose state can't be read is not sent (with zeros or
// anything else); the failure is logged, without the message's body.
func TestRealtime_FailedQuerySendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	s := f.app.Settings()
	s.Logs.MaxDays = 1 // the test app doesn't keep logs otherwise
	f.must(f.app.Save(s))
	srv := f.serve()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")
	bob := f.connect(srv, "bob", messaging.RealtimeTopic)

	// The totals query names this index: without it, it fails.
	if _, err := f.app.DB().NewQuery("DROP INDEX idx_messaging_members_unread").Execute(); err != nil {
		t.Fatal(err)
	}
	f.send("alice", thread.Id, "body-that-must-not-be-logged")
	for _, ev := range bob.drain(500 * time.Millisecond) {
		t.Errorf("bob got %q %v", ev.Name, ev.Data)
	}

	h, ok := f.app.Logger().Handler().(*logger.BatchHandler)
	if !ok {
		t.Fatalf("logger handler %T", f.app.Logger().Handler())
	}
	f.must(h.WriteAll(context.WithValue(context.Background(), logger.BlockKey, true)))
	var logs []*core.Log
	f.must(f.app.LogQuery().AndWhere(dbx.HashExp{"message": "messaging: live event not sent"}).All(&logs))
	if len(logs) != 1 || logs[0].Level != int(slog.LevelError) || logs[0].Data["event"] != "message" {
		t.Fatalf("logs %+v, want one error about the message event", logs)
	}
	raw, _ := json.Marshal(logs[0].Data)
	if strings.Contains(string(raw), "body-that-must-not-be-logged") {
		t.Fatalf("the log holds the message body: %s", raw)
	}
}

// No entry of the live index, and no client in PocketBase's broker,
// outlives its connection: several tabs, parked or not.
func TestRealtime_IndexForgetsClosedConnections(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	srv := f.serve()

	conns := []*liveClient{
		f.connect(srv, "bob", messaging.RealtimeTopic),
		f.connect(srv, "bob", messaging.RealtimeTopic),
		f.connect(srv, "bob", messaging.RealtimeTopic, "messages/*"),
		f.connect(srv, "alice", `messaging?options={"query":{}}`),
	}
	if clients, users := messaging.LiveIndexForTest(f.pm); clients != 4 || users != 2 {
		t.Fatalf("index holds %d clients of %d users, want 4 of 2", clients, users)
	}
	for _, c := range conns {
		c.close()
	}
	f.waitEmpty(t)
}

// A connection that ends while its subscription request is being handled
// (between PocketBase's subscribe and the plugin indexing the client, or
// after the client was put back into the broker for the request) leaves
// nothing behind.
func TestRealtime_DisconnectDuringSubscribe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		first  []string // subscribed before the racing request
		racing []string
	}{
		{"new subscription", nil, []string{messaging.RealtimeTopic}},
		{"parked client resubscribes", []string{messaging.RealtimeTopic}, []string{messaging.RealtimeTopic, "messages/*"}},
		{"parked client stays live only", []string{messaging.RealtimeTopic}, []string{messaging.RealtimeTopic}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, messaging.Config{})
			defer f.app.Cleanup()
			srv := f.serve()

			ended := make(chan string, 10)
			f.app.OnRealtimeConnectRequest().Bind(&hook.Handler[*core.RealtimeConnectRequestEvent]{
				Id: "testConnectEnded", Priority: -1, // wraps the plugin's: runs after its cleanup
				Func: func(e *core.RealtimeConnectRequestEvent) error {
					err := e.Next()
					ended <- e.Client.Id()
					return err
				},
			})
			var victim atomic.Pointer[liveClient]
			f.app.OnRealtimeSubscribeRequest().Bind(&hook.Handler[*core.RealtimeSubscribeRequestEvent]{
				Id: "testSubscribeRace", Priority: 1, // inside the plugin's handler, before it indexes
				Func: func(e *core.RealtimeSubscribeRequestEvent) error {
					if c := victim.Load(); c != nil && c.id == e.Client.Id() {
						c.close()
						select {
						case <-ended:
						case <-time.After(5 * time.Second):
							return errors.New("the connection did not end")
						}
					}
					return e.Next()
				},
			})

			c := f.connect(srv, "bob", tc.first...)
			victim.Store(c)
			if status := f.subscribe(srv, c, "bob", tc.racing...); status != 204 {
				t.Fatalf("racing subscribe: status %d", status)
			}
			if clients, _ := messaging.LiveIndexForTest(f.pm); clients != 0 {
				t.Errorf("the index still holds %d clients", clients)
			}
			if n := f.app.SubscriptionsBroker().TotalClients(); n != 0 {
				t.Errorf("the broker still holds %d clients", n)
			}
		})
	}
}

// waitEmpty waits until neither the live index nor the broker holds a
// client (connections end asynchronously on the server).
func (f *fixture) waitEmpty(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		clients, users := messaging.LiveIndexForTest(f.pm)
		broker := f.app.SubscriptionsBroker().TotalClients()
		if clients == 0 && users == 0 && broker == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after disconnect: index %d clients of %d users, broker %d clients", clients, users, broker)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package messaging_test

import (
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
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
	for who, c := range map[string]*liveClient{"dave": dave, "guest": anon} {
		for _, ev := range c.drain(300 * time.Millisecond) {
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

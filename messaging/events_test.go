package messaging_test

import (
	"errors"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
)

// Events fire once per committed change, whichever way it was made; a
// refused send fires nothing.
func TestEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()

	var sent, created, left, blocked, unblocked []string
	f.pm.OnMessageSent().BindFunc(func(e *messaging.MessageEvent) error {
		sent = append(sent, e.Message.GetString("body"))
		return e.Next()
	})
	f.pm.OnThreadCreate().BindFunc(func(e *messaging.ThreadEvent) error {
		created = append(created, e.Thread.Id)
		if len(e.Members) == 0 {
			t.Error("thread event without members")
		}
		return e.Next()
	})
	f.pm.OnMemberLeft().BindFunc(func(e *messaging.MemberEvent) error {
		left = append(left, e.User)
		return e.Next()
	})
	f.pm.OnBlock().BindFunc(func(e *messaging.BlockEvent) error {
		blocked = append(blocked, e.User+">"+e.Blocked)
		return e.Next()
	})
	f.pm.OnUnblock().BindFunc(func(e *messaging.BlockEvent) error {
		unblocked = append(unblocked, e.User+">"+e.Blocked)
		return e.Next()
	})

	group, _ := f.start("alice", []string{"bob", "carol"}, "", "one")
	f.start("alice", []string{"bob"}, "", "two")
	f.start("bob", []string{"alice"}, "", "three") // reuses the direct thread

	// A record saved by Go code directly obeys the same hooks.
	col, _ := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
	rec := core.NewRecord(col)
	rec.Set("thread", group.Id)
	rec.Set("author", f.id("carol"))
	rec.Set("body", "  four  ")
	if err := f.app.Save(rec); err != nil {
		t.Fatal(err)
	}
	if rec.GetString("body") != "four" || rec.GetInt("seq") != 2 {
		t.Errorf("saved record body %q seq %d", rec.GetString("body"), rec.GetInt("seq"))
	}

	if err := f.pm.Leave(f.id("carol"), group.Id); err != nil {
		t.Fatal(err)
	}
	if err := f.pm.Block(f.id("bob"), f.id("alice")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.pm.Start(f.id("alice"), []string{f.id("bob")}, "", "refused"); !errors.Is(err, messaging.ErrRefused) {
		t.Fatalf("send to a blocker: %v, want ErrRefused", err)
	}
	if err := f.pm.Unblock(f.id("bob"), f.id("alice")); err != nil {
		t.Fatal(err)
	}
	f.start("alice", []string{"bob"}, "", "five")

	want := []string{"one", "two", "three", "four", "Carol left the conversation.", "five"}
	if len(sent) != len(want) {
		t.Fatalf("sent events %q, want %q", sent, want)
	}
	for i := range want {
		if sent[i] != want[i] {
			t.Errorf("sent[%d] = %q, want %q", i, sent[i], want[i])
		}
	}
	if len(created) != 2 {
		t.Errorf("thread events %v, want 2", created)
	}
	if len(left) != 1 || left[0] != f.id("carol") {
		t.Errorf("left events %v", left)
	}
	pair := f.id("bob") + ">" + f.id("alice")
	if len(blocked) != 1 || blocked[0] != pair || len(unblocked) != 1 || unblocked[0] != pair {
		t.Errorf("block events %v / %v", blocked, unblocked)
	}
}

package messaging_test

import (
	"strconv"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// BenchmarkSendKeyed compares a send without a key, one with a new key
// each time, and a retry (the original returned, nothing written), in a
// group of three. Run:
// GOTOOLCHAIN=auto go test ./messaging -run - -bench 'SendKeyed|ThreadCursors'
func BenchmarkSendKeyed(b *testing.B) {
	for _, mode := range []string{"no-key", "new-key", "retry"} {
		b.Run(mode, func(b *testing.B) {
			f := newFixture(b, messaging.Config{})
			defer f.app.Cleanup()
			thread, _ := f.start("alice", []string{"bob", "carol"}, "", "hello")
			f.sendKeyed("bob", thread.Id, "same", "retried-key")
			i := 0
			for b.Loop() {
				var err error
				switch mode {
				case "no-key":
					_, err = f.pm.Send(f.id("bob"), thread.Id, "a reply of ordinary length")
				case "new-key":
					i++
					_, err = f.pm.SendWithKey(f.id("bob"), thread.Id, "a reply of ordinary length", "key-"+strconv.Itoa(i))
				case "retry":
					_, err = f.pm.SendWithKey(f.id("bob"), thread.Id, "same", "retried-key")
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkThreadCursors measures one page of the inbox fixture's last
// thread (26 messages) by each cursor, beside BenchmarkThreadPage.
func BenchmarkThreadCursors(b *testing.B) {
	f, thread := inboxFixture(b)
	defer f.app.Cleanup()
	for name, q := range map[string]messaging.MessageQuery{
		"newest": {}, "before": {Before: "20"}, "after": {After: "3"},
		"around": {Around: "13"}, "first_unread": {Around: messaging.FirstUnread},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.pm.MessagesPage(f.id("alice"), thread, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package messaging_test

import (
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// BenchmarkInbox measures one inbox page (20 of 40 threads of 3–5 members,
// each with a last message) and one thread page through the Go API, the
// work behind GET /api/messaging/threads and …/messages. Run:
// GOTOOLCHAIN=auto go test ./messaging -run - -bench 'Inbox|ThreadPage'
func BenchmarkInbox(b *testing.B) {
	f, _ := inboxFixture(b)
	defer f.app.Cleanup()
	for b.Loop() {
		page, err := f.pm.Inbox(f.id("alice"), messaging.InboxQuery{})
		if err != nil || len(page.Items) != 20 {
			b.Fatalf("%d items, %v", len(page.Items), err)
		}
	}
}

func BenchmarkThreadPage(b *testing.B) {
	f, thread := inboxFixture(b)
	defer f.app.Cleanup()
	for b.Loop() {
		if _, err := f.pm.Messages(f.id("alice"), thread, "", 0); err != nil {
			b.Fatal(err)
		}
	}
}

func inboxFixture(b *testing.B) (*fixture, string) {
	f := newFixture(b, messaging.Config{})
	others := []string{"bob", "carol", "dave", "admin"}
	var last string
	for i := range 40 {
		to := others[:2+i%3]
		thread, _ := f.start("alice", to, "Topic", "hello everyone, this is a message of typical length")
		for range 25 {
			f.send(to[0], thread.Id, "a reply of ordinary length, as people write them")
		}
		last = thread.Id
	}
	return f, last
}

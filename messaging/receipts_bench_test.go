package messaging_test

import (
	"fmt"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// BenchmarkInboxDirect is BenchmarkInbox with direct threads only, every
// one of them with a read receipt to show: the inbox page at its most
// expensive for receipts (one peer lookup per row, all in unique indexes).
// Run: GOTOOLCHAIN=auto go test ./messaging -run - -bench 'Inbox'
func BenchmarkInboxDirect(b *testing.B) {
	f := newFixture(b, messaging.Config{})
	defer f.app.Cleanup()
	for i := range 40 {
		name := fmt.Sprintf("user%d", i)
		f.users[name] = f.mustUser(name)
		th, _ := f.start("alice", []string{name}, "", "hello there")
		f.send(name, th.Id, "hi back")
		f.must(f.pm.MarkRead(f.id(name), th.Id))
	}
	for b.Loop() {
		page, err := f.pm.Inbox(f.id("alice"), messaging.InboxQuery{})
		if err != nil || len(page.Items) != 20 || page.Items[0].PeerLastReadSeq != 2 {
			b.Fatalf("%d items, %v", len(page.Items), err)
		}
	}
}

package messaging_test

import (
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// BenchmarkSendWithConnectedClients measures one message save with no
// realtime clients, and with 5,000 clients left in PocketBase's broker that subscribe only to the live topic, as
// inbox tabs do, with PocketBase's plain client and with the plugin's
// wrapper. (Through the real subscribe path such clients are parked out of
// the broker altogether, which costs what "none" costs.) Run: GOTOOLCHAIN=auto go test ./messaging -run - -bench SendWithConnected
func BenchmarkSendWithConnectedClients(b *testing.B) {
	for _, tc := range []struct {
		name    string
		clients int
		wrap    func(*subscriptions.DefaultClient) subscriptions.Client
	}{
		{"none", 0, nil},
		{"plain", 5000, func(c *subscriptions.DefaultClient) subscriptions.Client { return c }},
		{"wrapped", 5000, messaging.WrapRealtimeClientForTest},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b, messaging.Config{})
			defer f.app.Cleanup()
			if _, err := apis.NewRouter(f.app); err != nil { // binds PocketBase's realtime broadcasts
				b.Fatal(err)
			}
			for range tc.clients {
				c := subscriptions.NewDefaultClient()
				c.Subscribe(messaging.RealtimeTopic)
				f.app.SubscriptionsBroker().Register(tc.wrap(c))
			}
			thread, _ := f.start("alice", []string{"bob"}, "", "hi")
			col, _ := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
			b.ResetTimer()
			for b.Loop() {
				msg := core.NewRecord(col)
				msg.Set("thread", thread.Id)
				msg.Set("author", f.id("alice"))
				msg.Set("body", "hello")
				if err := f.app.Save(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

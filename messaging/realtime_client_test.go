package messaging

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

func TestLiveClient_SkipsRecordLookupsOnlyWhenLiveOnly(t *testing.T) {
	for _, tc := range []struct {
		name      string
		subs      []string
		prefix    string
		wantMatch bool
	}{
		{"live only, record topic", []string{"messaging"}, "messages/*?", false},
		{"live with options, record topic", []string{`messaging?options={"query":{}}`}, "messages/abc?", false},
		{"live only, live topic", []string{"messaging"}, "messaging?", true},
		{"mixed, record topic", []string{"messaging", "messages/*"}, "messages/*?", true},
		{"record only", []string{"messages/*"}, "messages/*?", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newLiveClient(subscriptions.NewDefaultClient())
			c.Subscribe(tc.subs...)
			if got := len(c.Subscriptions(tc.prefix)) > 0; got != tc.wantMatch {
				t.Fatalf("Subscriptions(%q) matched = %v, want %v", tc.prefix, got, tc.wantMatch)
			}
			c.Unsubscribe()
			c.Subscribe("messages/*")
			if len(c.Subscriptions("messages/*?")) == 0 {
				t.Fatal("after resubscribing to a record topic the lookup must match")
			}
		})
	}
}

// Every interleaving of a subscription request's work (index the client,
// park it, or put it back into the broker) with the end of its connection
// (PocketBase unregisters it from the broker, then the plugin's
// disconnect) leaves nothing in the index or the broker, and the client's
// channel closed. The steps are those of realtimeConnect and the plugin's
// hooks, in the racy orders.
func TestLiveHub_NothingOutlivesItsConnection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		steps func(h *liveHub, b *subscriptions.Broker, c *liveClient)
	}{
		{"indexed and parked after the end", func(h *liveHub, b *subscriptions.Broker, c *liveClient) {
			b.Unregister(c.Id())
			h.disconnect(c, b)
			h.add("u", c)
			c.park(b)
		}},
		{"indexed between PocketBase's unregister and disconnect", func(h *liveHub, b *subscriptions.Broker, c *liveClient) {
			b.Unregister(c.Id())
			h.add("u", c)
			c.park(b)
			h.disconnect(c, b)
		}},
		{"unparked after the end", func(h *liveHub, b *subscriptions.Broker, c *liveClient) {
			h.add("u", c)
			c.park(b)
			found := h.clients[c.Id()] // the subscription request looks it up...
			b.Unregister(c.Id())       // ...the connection ends...
			h.disconnect(c, b)
			found.unpark(b) // ...and the request goes on
		}},
		{"unparked between PocketBase's unregister and disconnect", func(h *liveHub, b *subscriptions.Broker, c *liveClient) {
			h.add("u", c)
			c.park(b)
			b.Unregister(c.Id()) // a no-op: the client is parked
			c.unpark(b)
			h.disconnect(c, b)
		}},
		{"unparked before the end", func(h *liveHub, b *subscriptions.Broker, c *liveClient) {
			h.add("u", c)
			c.park(b)
			c.unpark(b)
			b.Unregister(c.Id())
			h.disconnect(c, b)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, b := newLiveHub(), subscriptions.NewBroker()
			c := newLiveClient(subscriptions.NewDefaultClient())
			c.Subscribe(RealtimeTopic)
			b.Register(c)
			tc.steps(h, b, c)
			if len(h.clients) != 0 || len(h.byUser) != 0 || len(h.owner) != 0 {
				t.Errorf("index holds %d clients, %d users", len(h.clients), len(h.byUser))
			}
			if n := b.TotalClients(); n != 0 {
				t.Errorf("broker holds %d clients", n)
			}
			if !c.IsDiscarded() {
				t.Error("the client's channel is still open")
			}
		})
	}
}

// The same, with the steps run concurrently in every order the scheduler
// picks (run with -race).
func TestLiveHub_ConcurrentEndsLeaveNothing(t *testing.T) {
	t.Parallel()
	h, b := newLiveHub(), subscriptions.NewBroker()
	var wg sync.WaitGroup
	for i := range 200 {
		c := newLiveClient(subscriptions.NewDefaultClient())
		c.Subscribe(RealtimeTopic)
		b.Register(c)
		user := []string{"a", "b", "c"}[i%3]
		wg.Add(3)
		go func() { // subscription requests
			defer wg.Done()
			for range 3 {
				h.add(user, c)
				c.park(b)
				c.unpark(b)
			}
		}()
		go func() { // events
			defer wg.Done()
			h.ordered([]string{user}, func() {
				h.send(user, map[string]any{"type": "members"})
			})
		}()
		go func() { // the end of the connection
			defer wg.Done()
			b.Unregister(c.Id())
			h.disconnect(c, b)
		}()
	}
	wg.Wait()
	if len(h.clients) != 0 || len(h.byUser) != 0 || b.TotalClients() != 0 {
		t.Fatalf("left behind: index %d clients, %d users; broker %d", len(h.clients), len(h.byUser), b.TotalClients())
	}
}

// A client gets what is delivered to it in order; one that stops reading
// is closed once its queue is full, and delivering never blocks.
func TestLiveClient_Outbox(t *testing.T) {
	t.Parallel()
	t.Run("in order", func(t *testing.T) {
		c := newLiveClient(subscriptions.NewDefaultClient())
		for i := range 100 {
			c.deliver(subscriptions.Message{Name: "messaging", Data: []byte(strconv.Itoa(i))})
		}
		for i := range 100 {
			select {
			case msg := <-c.Channel():
				if string(msg.Data) != strconv.Itoa(i) {
					t.Fatalf("message %d is %s", i, msg.Data)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("message %d never came", i)
			}
		}
	})
	t.Run("a stalled client is closed", func(t *testing.T) {
		c := newLiveClient(subscriptions.NewDefaultClient())
		done := make(chan struct{})
		go func() {
			for range outboxLimit + 2 {
				c.deliver(subscriptions.Message{Name: "messaging"})
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("deliver blocked")
		}
		if !c.IsDiscarded() {
			t.Fatal("a client that reads nothing is still open")
		}
	})
	// The connection ends (PocketBase unregisters the client, or the
	// plugin closes it) while a delivery waits for its SSE loop: the
	// delivery gives up before the channel is closed, never racing the
	// close (run with -race), and nothing is left running.
	for name, end := range map[string]func(c *liveClient, b *subscriptions.Broker){
		"PocketBase unregisters it": func(c *liveClient, b *subscriptions.Broker) { b.Unregister(c.Id()) },
		"the plugin closes it":      func(c *liveClient, b *subscriptions.Broker) { c.close(b) },
		"its queue overflows": func(c *liveClient, b *subscriptions.Broker) {
			for range outboxLimit + 1 {
				c.deliver(subscriptions.Message{Name: "messaging"})
			}
		},
	} {
		t.Run("a delivery waiting when "+name, func(t *testing.T) {
			b := subscriptions.NewBroker()
			c := newLiveClient(subscriptions.NewDefaultClient())
			b.Register(c)
			c.deliver(subscriptions.Message{Name: "messaging"})
			time.Sleep(20 * time.Millisecond) // the drain now waits on the channel
			end(c, b)
			c.mu.Lock()
			draining := c.draining
			c.mu.Unlock()
			if draining || !c.IsDiscarded() {
				t.Fatalf("after the end: draining %v, discarded %v", draining, c.IsDiscarded())
			}
		})
	}
	t.Run("nothing after close", func(t *testing.T) {
		c := newLiveClient(subscriptions.NewDefaultClient())
		c.close(subscriptions.NewBroker())
		c.deliver(subscriptions.Message{Name: "messaging"})
		if _, ok := <-c.Channel(); ok {
			t.Fatal("a closed client got a message")
		}
	})
}

package messaging

import (
	"encoding/json/v2"
	"hash/fnv"
	"slices"

	"github.com/pocketbase/pocketbase/tools/routine"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// Delivery: events are computed and queued in a per-user order, and each
// connection sends its queue in that order, without the writer waiting
// for it.

// ordered runs fn holding the ordering locks of users, taken in one fixed
// order so that two events can't deadlock.
//
// Events are produced after commit by the goroutines of the writers, and
// two writers' after-commit code may run in either order. An event that
// reads the database (unread counts, totals, settings) and queues its
// result inside fn, under the locks of its recipients, therefore queues
// for each user results read in the order it queues them: every read sees
// at least what the previous one saw (each SELECT starts after the last
// one ended, on SQLite's WAL snapshot of all commits so far). With each
// connection sending its queue in order (liveClient.deliver), a client
// never sees a count older than one it has already seen, whichever
// writer's hook ran first.
func (h *liveHub) ordered(users []string, fn func()) {
	stripes := make([]int, 0, len(users))
	for _, u := range users {
		hash := fnv.New32a()
		hash.Write([]byte(u))
		stripes = append(stripes, int(hash.Sum32()%uint32(len(h.order))))
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, s := range stripes {
		h.order[s].Lock()
	}
	defer func() {
		for _, s := range stripes {
			h.order[s].Unlock()
		}
	}()
	fn()
}

// send queues payload for every live client of user; call it inside
// ordered. A client whose auth changed since it subscribed is skipped.
func (h *liveHub) send(user string, payload map[string]any) {
	clients := h.clientsOf(user)
	if len(clients) == 0 {
		return
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return
	}
	for _, c := range clients {
		if auth := clientAuth(c); auth == nil || auth.Id != user {
			continue
		}
		// The SDK listens under the full subscription key, options included.
		for _, name := range c.liveTopics() {
			c.deliver(subscriptions.Message{Name: name, Data: data})
		}
	}
}

// outboxLimit bounds the events waiting for one connection. A connection
// that falls this far behind is closed rather than sent a partial feed:
// the SDK reconnects and refetches on PB_CONNECT, while a dropped event
// would leave its counts wrong with nothing to tell it so.
const outboxLimit = 256

// deliver queues msg for the client without waiting for it. One goroutine
// per client, started on demand, sends the queue in order, so a client
// sees events in the order they were queued (PocketBase's own broadcasts
// start a goroutine per message, in no particular order).
func (c *liveClient) deliver(msg subscriptions.Message) {
	c.mu.Lock()
	if c.closed.Load() || c.hungUp {
		c.mu.Unlock()
		return
	}
	if len(c.outbox) >= outboxLimit {
		c.outbox = nil
		c.mu.Unlock()
		c.hangUp() // ends the SSE loop; the hub forgets the client when it returns
		return
	}
	c.outbox = append(c.outbox, msg)
	start := !c.draining
	if start {
		c.draining = true
		c.drains.Add(1)
	}
	c.mu.Unlock()
	if start {
		routine.FireAndForget(c.drain)
	}
}

// drain sends the queue, each message once the SSE loop takes it, until
// the queue is empty or the client hangs up.
func (c *liveClient) drain() {
	defer c.drains.Done()
	ch := c.channel()
	for {
		c.mu.Lock()
		if len(c.outbox) == 0 || c.closed.Load() || c.hungUp {
			c.outbox = nil
			c.draining = false
			c.mu.Unlock()
			return
		}
		msg := c.outbox[0]
		c.outbox[0] = subscriptions.Message{}
		c.outbox = c.outbox[1:]
		c.mu.Unlock()
		select {
		case ch <- msg:
		case <-c.stop:
			// hangUp is waiting to close ch; the check above ends the loop.
		}
	}
}

// hangUp ends the connection: it stops the drain, waits for it to return,
// and only then closes the client's channel, so that no send is ever
// under way on a channel being closed. It may be called any number of
// times, from any goroutine but the drain's.
func (c *liveClient) hangUp() {
	c.mu.Lock()
	first := !c.hungUp
	c.hungUp = true // no drain starts after this
	c.outbox = nil
	c.mu.Unlock()
	if first {
		close(c.stop)
	}
	c.drains.Wait()
	c.closeChannel()
}

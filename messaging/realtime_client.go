package messaging

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/tools/routine"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// liveClient wraps PocketBase's realtime client so that inbox connections
// cost nothing when other records are saved, and so that each connection
// gets the plugin's events in the order they were produced.
//
// On every record save PocketBase asks every client in its broker, six
// times, whether it subscribes to that record's topics
// (apis/realtime.go, realtimeBroadcastRecord); each answer locks the
// client and allocates. With 5,000 inbox tabs connected that search took
// 5 ms per message. So a signed-in client subscribed only to RealtimeTopic
// is "parked": taken out of the broker (without closing it) after its
// subscription request and reached only through the plugin's index by
// user. Its SSE loop is untouched. A later subscription request puts it
// back first (see liveHub.unparkMiddleware), and auth changes are applied
// to parked clients the way PocketBase applies them to its own.
//
// While a client is still in the broker, onlyLive makes it answer record
// lookups with nil at once, since it can't match them.
//
// Lifecycle: park, unpark and close hold mu, and park and unpark do
// nothing once the client is closed. So a subscription request that races
// with the connection's end can't put a dead client back into the broker,
// and (see liveHub.add) can't put it back into the index either.
type liveClient struct {
	subscriptions.Client

	onlyLive atomic.Bool
	parked   atomic.Bool
	parking  atomic.Bool
	closed   atomic.Bool
	// live holds the client's subscription keys for RealtimeTopic (with
	// their options, which the SDK listens under), kept by refresh.
	live atomic.Pointer[[]string]

	mu       sync.Mutex
	outbox   []subscriptions.Message
	draining bool
}

// outboxLimit bounds the events waiting for one connection. A connection
// that falls this far behind is closed rather than sent a partial feed:
// the SDK reconnects and refetches on PB_CONNECT, while a dropped event
// would leave its counts wrong with nothing to tell it so.
const outboxLimit = 256

func newLiveClient(c subscriptions.Client) *liveClient {
	lc := &liveClient{Client: c}
	lc.refresh()
	return lc
}

// Subscribe implements [subscriptions.Client].
func (c *liveClient) Subscribe(subs ...string) {
	c.Client.Subscribe(subs...)
	c.refresh()
}

// Unsubscribe implements [subscriptions.Client].
func (c *liveClient) Unsubscribe(subs ...string) {
	c.Client.Unsubscribe(subs...)
	c.refresh()
}

// Discard implements [subscriptions.Client]. It does nothing while the
// client is being taken out of the broker, which discards what it removes.
func (c *liveClient) Discard() {
	if c.parking.Load() {
		return
	}
	c.Client.Discard()
}

// Subscriptions implements [subscriptions.Client].
func (c *liveClient) Subscriptions(prefixes ...string) map[string]subscriptions.SubscriptionOptions {
	if len(prefixes) > 0 && c.onlyLive.Load() {
		mayMatch := false
		for _, p := range prefixes {
			if isLiveTopic(p) {
				mayMatch = true
				break
			}
		}
		if !mayMatch {
			return nil
		}
	}
	return c.Client.Subscriptions(prefixes...)
}

func (c *liveClient) refresh() {
	subs := c.Client.Subscriptions()
	only := len(subs) > 0
	var live []string
	for s := range subs {
		if isLiveTopic(s) {
			live = append(live, s)
		} else {
			only = false
		}
	}
	c.live.Store(&live)
	c.onlyLive.Store(only)
}

// liveTopics returns the client's subscription keys for RealtimeTopic.
func (c *liveClient) liveTopics() []string {
	if p := c.live.Load(); p != nil {
		return *p
	}
	return nil
}

// park takes the client out of broker without closing its channel.
func (c *liveClient) park(broker *subscriptions.Broker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() || c.parked.Load() {
		return
	}
	c.parking.Store(true)
	broker.Unregister(c.Id())
	c.parking.Store(false)
	c.parked.Store(true)
}

// unpark puts a parked client back into broker, unless its connection has
// ended.
func (c *liveClient) unpark(broker *subscriptions.Broker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() || !c.parked.Load() {
		return
	}
	c.parked.Store(false)
	broker.Register(c)
}

// close marks the connection as ended, takes the client out of broker in
// case a subscription request put it back after PocketBase let it go, and
// closes its channel, which releases a delivery waiting on it.
func (c *liveClient) close(broker *subscriptions.Broker) {
	c.mu.Lock()
	c.closed.Store(true)
	c.outbox = nil
	c.mu.Unlock()
	broker.Unregister(c.Id())
	c.Client.Discard()
}

// deliver queues msg for the client without waiting for it. One goroutine
// per client, started on demand, sends the queue in order, so a client
// sees events in the order they were queued (PocketBase's own broadcasts
// start a goroutine per message, in no particular order).
func (c *liveClient) deliver(msg subscriptions.Message) {
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return
	}
	if len(c.outbox) >= outboxLimit {
		c.outbox = nil
		c.mu.Unlock()
		c.Client.Discard() // ends the SSE loop; the hub forgets the client when it returns
		return
	}
	c.outbox = append(c.outbox, msg)
	start := !c.draining
	c.draining = true
	c.mu.Unlock()
	if start {
		routine.FireAndForget(c.drain)
	}
}

func (c *liveClient) drain() {
	for {
		c.mu.Lock()
		if len(c.outbox) == 0 || c.closed.Load() {
			c.outbox = nil
			c.draining = false
			c.mu.Unlock()
			return
		}
		msg := c.outbox[0]
		c.outbox[0] = subscriptions.Message{}
		c.outbox = c.outbox[1:]
		c.mu.Unlock()
		// Blocks until the SSE loop takes it; returns at once if the
		// channel is (or gets) closed.
		c.Client.Send(msg)
	}
}

// isLiveTopic reports whether a subscription key (or a lookup prefix, which
// PocketBase ends with "?") is RealtimeTopic, with or without options.
func isLiveTopic(s string) bool {
	return s == RealtimeTopic || strings.HasPrefix(s, RealtimeTopic+"?")
}

var _ subscriptions.Client = (*liveClient)(nil)

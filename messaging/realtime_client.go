package messaging

import (
	"sync"
	"sync/atomic"

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
// back first (see Messaging.unparkMiddleware), and auth changes are applied
// to parked clients the way PocketBase applies them to its own (see
// bindParkedAuth).
//
// While a client is still in the broker, onlyLive makes it answer record
// lookups with nil at once, since it can't match them (see Subscriptions).
//
// What parking assumes about PocketBase's internals is in
// realtime_pocketbase.go, with the methods PocketBase calls on the
// wrapper; the queue each connection sends in order is in
// realtime_delivery.go.
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

	// mu guards the queue. draining says a drain goroutine runs (drains
	// counts it); hungUp, set once by hangUp, says none may start, and
	// stop, closed with it, makes a waiting drain give up.
	mu       sync.Mutex
	outbox   []subscriptions.Message
	draining bool
	hungUp   bool
	stop     chan struct{}
	drains   sync.WaitGroup
}

func newLiveClient(c subscriptions.Client) *liveClient {
	lc := &liveClient{Client: c, stop: make(chan struct{})}
	lc.refresh()
	return lc
}

// refresh recomputes onlyLive and the live topics from the client's
// subscriptions; Subscribe and Unsubscribe call it.
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
	c.takeOutOfBroker(broker)
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
// hangs up, which stops a delivery waiting on it and closes its channel.
func (c *liveClient) close(broker *subscriptions.Broker) {
	c.mu.Lock()
	c.closed.Store(true)
	c.outbox = nil
	c.mu.Unlock()
	broker.Unregister(c.Id())
	c.hangUp()
}

var _ subscriptions.Client = (*liveClient)(nil)

package messaging

import (
	"strings"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// liveClient wraps PocketBase's realtime client so that inbox connections
// cost nothing when other records are saved.
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
type liveClient struct {
	*subscriptions.DefaultClient
	onlyLive atomic.Bool
	parked   atomic.Bool
	parking  atomic.Bool
}

func newLiveClient(c *subscriptions.DefaultClient) *liveClient {
	lc := &liveClient{DefaultClient: c}
	lc.refresh()
	return lc
}

// Subscribe implements [subscriptions.Client].
func (c *liveClient) Subscribe(subs ...string) {
	c.DefaultClient.Subscribe(subs...)
	c.refresh()
}

// Unsubscribe implements [subscriptions.Client].
func (c *liveClient) Unsubscribe(subs ...string) {
	c.DefaultClient.Unsubscribe(subs...)
	c.refresh()
}

// Discard implements [subscriptions.Client]. It does nothing while the
// client is being taken out of the broker, which discards what it removes.
func (c *liveClient) Discard() {
	if c.parking.Load() {
		return
	}
	c.DefaultClient.Discard()
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
	return c.DefaultClient.Subscriptions(prefixes...)
}

func (c *liveClient) refresh() {
	subs := c.DefaultClient.Subscriptions()
	only := len(subs) > 0
	for s := range subs {
		if !isLiveTopic(s) {
			only = false
			break
		}
	}
	c.onlyLive.Store(only)
}

// park takes the client out of broker without closing its channel.
func (c *liveClient) park(broker *subscriptions.Broker) {
	c.parking.Store(true)
	broker.Unregister(c.Id())
	c.parking.Store(false)
	c.parked.Store(true)
}

// unpark puts a parked client back into broker.
func (c *liveClient) unpark(broker *subscriptions.Broker) {
	if c.parked.CompareAndSwap(true, false) {
		broker.Register(c)
	}
}

// isLiveTopic reports whether a subscription key (or a lookup prefix, which
// PocketBase ends with "?") is RealtimeTopic, with or without options.
func isLiveTopic(s string) bool {
	return s == RealtimeTopic || strings.HasPrefix(s, RealtimeTopic+"?")
}

var _ subscriptions.Client = (*liveClient)(nil)

package messaging

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// This file is everything the realtime channel's parking (see liveClient)
// assumes about how PocketBase v0.40.4 runs its realtime connections,
// beyond its documented API. Each assumption is one function or method
// below, with the PocketBase source it comes from; the rest of the
// package goes through them. realtime_pocketbase_test.go checks each one
// against the real PocketBase, so an upgrade that changes one fails there,
// naming it, before it fails anywhere else.
//
// Paths are relative to the pocketbase@v0.40.4 module.

// wrapConnectClient replaces the connection's client in a connect event
// with the plugin's wrapper and returns it.
//
// Assumes (apis/realtime.go:43-166, realtimeConnect): PocketBase creates a
// *subscriptions.DefaultClient, then triggers OnRealtimeConnectRequest and,
// in the chain's last handler, registers e.Client as it is after the hooks
// ran, reads the SSE stream from that client's Channel, and unregisters it
// by id when the connection ends. The whole SSE loop runs inside that last
// handler, so a hook's e.Next() returns only when the connection has ended,
// after PocketBase's Unregister: the connect hook relies on this to forget
// the client then.
func wrapConnectClient(e *core.RealtimeConnectRequestEvent) *liveClient {
	lc, ok := e.Client.(*liveClient)
	if !ok {
		lc = newLiveClient(e.Client)
		e.Client = lc
	}
	return lc
}

// takeOutOfBroker removes the client from broker without closing it.
//
// Assumes (tools/subscriptions/broker.go:58, Broker.Unregister): Unregister
// calls the client's Discard, which closes its channel and so ends its SSE
// loop, before removing it. Discard below does nothing while parking is
// set. Unregister of an id the broker doesn't hold does nothing: when a
// parked connection ends, PocketBase's own Unregister is a no-op, and
// liveClient.close discards the client itself.
func (c *liveClient) takeOutOfBroker(broker *subscriptions.Broker) {
	c.parking.Store(true)
	broker.Unregister(c.Id())
	c.parking.Store(false)
}

// Discard implements [subscriptions.Client]: it hangs up (see hangUp), except
// while the client is being taken out of the broker (see takeOutOfBroker).
//
// Assumes (tools/subscriptions/broker.go:58, Broker.Unregister;
// apis/realtime.go:80, realtimeConnect): the only way PocketBase closes a client's channel is the
// registered client's Discard, which is this wrapper's, so the drain is
// always stopped before the channel closes.
func (c *liveClient) Discard() {
	if c.parking.Load() {
		return
	}
	c.hangUp()
}

// channel returns the channel the connection's SSE loop reads.
//
// Assumes (apis/realtime.go:124, realtimeConnect; tools/subscriptions/client.go:110
// and :274, DefaultClient.Channel and Send): the SSE loop reads the registered client's Channel, which
// is one channel for the client's life, and a message sent on it is what
// Send would have sent. The drain sends on it directly, in a select that
// also watches for hangUp: a Send waiting for the loop can only be
// released by closing the channel under it, which DefaultClient.Send
// survives by recovering from the panic but which is a data race.
func (c *liveClient) channel() chan subscriptions.Message {
	return c.Client.Channel()
}

// closeChannel ends the connection; only hangUp calls it.
//
// Assumes (tools/subscriptions/client.go:252, DefaultClient.Discard;
// apis/realtime.go:124-132, realtimeConnect): Discard closes the client's channel,
// may be called any number of times, and the SSE loop returns, ending the
// connection, when it finds the channel closed.
func (c *liveClient) closeChannel() {
	c.Client.Discard()
}

// Subscribe implements [subscriptions.Client].
//
// Assumes (apis/realtime.go:233-237, realtimeSetSubscriptions): a subscription
// request replaces the subscriptions by calling Unsubscribe() and then
// Subscribe(…) on the client it found in the broker, which is the wrapper
// the connect hook registered, so refresh sees every change.
func (c *liveClient) Subscribe(subs ...string) {
	c.Client.Subscribe(subs...)
	c.refresh()
}

// Unsubscribe implements [subscriptions.Client]; see Subscribe.
func (c *liveClient) Unsubscribe(subs ...string) {
	c.Client.Unsubscribe(subs...)
	c.refresh()
}

// Subscriptions implements [subscriptions.Client]. A client subscribed only
// to RealtimeTopic answers a lookup for other topics with nil at once.
//
// Assumes (apis/realtime.go:594-773, realtimeBroadcastRecord): every record save
// asks every client in the broker Subscriptions(prefix), one prefix a call,
// for the six prefixes of the record's topics ("<collection name or
// id>/<record id>?", "<name or id>/*?", "<name or id>?"). None of them is a
// live topic (isLiveTopic) unless a collection is named like it, and then
// the lookup below still runs; so answering nil never hides a match, and
// costs no lock and no allocation, which is what makes thousands of live
// tabs cheap while they are still in the broker.
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

// isLiveTopic reports whether a subscription key (or a lookup prefix, which
// PocketBase ends with "?") is RealtimeTopic, with or without options.
//
// Assumes (tools/subscriptions/client.go:154 and :121, DefaultClient.Subscribe
// and Subscriptions): a key is stored as sent, options included as
// "?options={json}", and a lookup prefix p matches key k when k+"?" starts
// with p; so PocketBase's own lookup for RealtimeTopic+"?" matches exactly
// the keys this does. PocketBase names the messages it sends with the full
// key (apis/realtime.go:747, realtimeBroadcastRecord), which the SDK listens
// under, and so does liveHub.send.
func isLiveTopic(s string) bool {
	return s == RealtimeTopic || strings.HasPrefix(s, RealtimeTopic+"?")
}

// realtimePath is where PocketBase serves its realtime API
// (apis/realtime.go:36, bindRealtimeApi).
const realtimePath = "/api/realtime"

// subscribeRequestClientID returns the client id of a subscription request
// (POST /api/realtime), or "" for any other request, without consuming
// its body.
//
// Assumes (apis/realtime.go:168-198, realtimeSubscribeForm and
// realtimeSetSubscriptions): the body is {clientId, subscriptions} in JSON
// or form encoding, bound with e.BindBody, whose body PocketBase's router
// lets be read again (tools/router/router.go:136, RereadableReadCloser), and
// the handler finds the client with SubscriptionsBroker().ClientById,
// answering 404 for one not in the broker: a parked client must be put
// back by a router middleware, which runs before the handler.
func subscribeRequestClientID(e *core.RequestEvent) string {
	if e.Request.Method != http.MethodPost || e.Request.URL.Path != realtimePath {
		return ""
	}
	var form struct {
		ClientId string `json:"clientId" form:"clientId"`
	}
	if e.BindBody(&form) != nil {
		return ""
	}
	return form.ClientId
}

// clientAuth returns the user a realtime client is signed in as, or nil.
//
// Assumes (apis/realtime.go:29 and :231, RealtimeClientAuthKey and
// realtimeSetSubscriptions): the client's store holds its auth as a
// *core.Record under apis.RealtimeClientAuthKey, set from the subscription
// request's auth in the last handler of OnRealtimeSubscribeRequest, so a
// hook reads the request's auth there after its e.Next().
func clientAuth(c subscriptions.Client) *core.Record {
	auth, _ := c.Get(apis.RealtimeClientAuthKey).(*core.Record)
	return auth
}

// bindParkedAuth applies auth changes to parked clients the way PocketBase
// applies them to the clients in its broker, which are the only ones it
// reaches.
//
// Mirrors (apis/realtime.go:330-417, bindRealtimeEvents): after a users record
// update, realtimeUpdateClientsAuth (:257) signs out the clients of that user
// whose tokenKey changed (password change, "log out everywhere") and gives
// the others the new record; after its delete,
// realtimeUnsetClientsAuthByRecordModelOrProxy (:285) signs them out; when
// the collection's token secret changes, realtimeUnsetClientsAuthByCollection
// (:309) signs out every client of the collection.
func (m *Messaging) bindParkedAuth() {
	m.app.OnRecordAfterUpdateSuccess(CollectionNameUsers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingRealtimeAuthUpdate__",
		Func: func(e *core.RecordEvent) error {
			m.live.updateAuth(e.Record, false)
			return e.Next()
		},
	})
	m.app.OnRecordAfterDeleteSuccess(CollectionNameUsers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingRealtimeAuthDelete__",
		Func: func(e *core.RecordEvent) error {
			m.live.updateAuth(e.Record, true)
			return e.Next()
		},
	})
	m.app.OnCollectionUpdate(CollectionNameUsers).Bind(&hook.Handler[*core.CollectionEvent]{
		Id: "__messagingRealtimeSecret__",
		Func: func(e *core.CollectionEvent) error {
			old, _ := e.App.FindCachedCollectionByNameOrId(e.Collection.Id)
			if err := e.Next(); err != nil {
				return err
			}
			if old != nil && old.AuthToken.Secret != e.Collection.AuthToken.Secret {
				m.live.signOutAll()
			}
			return nil
		},
	})
}

// updateAuth is realtimeUpdateClientsAuth (deleted false) and
// realtimeUnsetClientsAuthByRecordModelOrProxy (deleted true) for the
// parked clients of user. PocketBase also compares the auth's collection;
// every indexed client is signed in as a users record.
func (h *liveHub) updateAuth(user *core.Record, deleted bool) {
	for _, c := range h.clientsOf(user.Id) {
		if !c.parked.Load() {
			continue // PocketBase updates the clients in its broker
		}
		auth := clientAuth(c)
		switch {
		case auth == nil || auth.Id != user.Id:
		case deleted || auth.TokenKey() != user.TokenKey():
			c.Unset(apis.RealtimeClientAuthKey)
		default:
			c.Set(apis.RealtimeClientAuthKey, user)
		}
	}
}

// signOutAll is realtimeUnsetClientsAuthByCollection for the parked
// clients, all of which are signed in as users.
func (h *liveHub) signOutAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range h.clients {
		if c.parked.Load() {
			c.Unset(apis.RealtimeClientAuthKey)
		}
	}
}

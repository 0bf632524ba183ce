package messaging

import (
	"sync"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// RealtimeTopic is the realtime topic a signed-in user subscribes to for
// live updates about their own conversations:
//
//	pb.realtime.subscribe("messaging", (event) => { ... })
//
// Events are delivered only to the connections of the users concerned,
// looked up in an index by user id, so the cost of an event grows with the
// number of its recipients, not with the number of connected clients.
// Every event is a JSON object with a "type":
//
//	message   {thread, message, unread, totals}   a new message in one of your threads
//	deleted   {thread, message, unread, totals}   a message was deleted
//	read      {thread, unread, lastReadSeq, totals}  your read state changed (any device)
//	membership {thread, muted, archived, tags}    your per-thread settings changed
//	members   {thread}                            people joined or left a thread you are in
//	removed   {thread}                            you are no longer in the thread
//
//	request   {thread, state, totals}            you accepted or declined a request (any device)
//	bulk      {action, threads, totals}          a bulk action or read-all of yours changed threads (bulk.go)
//	report    {report, reason, created}           a new report (moderators online; reports_notify.go)
//	report    {report, state, outcome, summary}   a moderator acted on your report
//
// totals is {threads, messages, requests}, the same as GET /api/messaging/unread.
//
// Every writer produces the events (see bindLiveHooks), each user's in
// commit-consistent order (see liveHub.ordered), and only the topic
// "messaging" itself, with or without options, receives them.
const RealtimeTopic = "messaging"

// liveHub indexes the realtime clients subscribed to RealtimeTopic by the
// id of their signed-in user (realtime_index.go), and puts each user's
// events in order (realtime_delivery.go). The events themselves are built
// in realtime_events.go from the record hooks of live_hooks.go.
type liveHub struct {
	mu      sync.RWMutex
	byUser  map[string]map[string]*liveClient
	clients map[string]*liveClient // by client id
	owner   map[string]string      // client id -> user id

	// order serialises, per user, computing an event from the database and
	// queueing it (see ordered). Users share the locks by hash.
	order [64]sync.Mutex
}

func newLiveHub() *liveHub {
	return &liveHub{
		byUser:  map[string]map[string]*liveClient{},
		clients: map[string]*liveClient{},
		owner:   map[string]string{},
	}
}

// bindRealtime wraps every realtime connection's client (see liveClient),
// indexes the clients subscribed to RealtimeTopic by user after each
// subscription request, parks those subscribed to nothing else, and
// forgets each when its connection ends.
func (m *Messaging) bindRealtime() {
	m.app.OnRealtimeConnectRequest().Bind(&hook.Handler[*core.RealtimeConnectRequestEvent]{
		Id: "__messagingRealtimeConnect__",
		Func: func(e *core.RealtimeConnectRequestEvent) error {
			lc := wrapConnectClient(e)
			defer m.live.disconnect(lc, e.App.SubscriptionsBroker())
			return e.Next() // returns when the connection has ended
		},
	})
	m.app.OnRealtimeSubscribeRequest().Bind(&hook.Handler[*core.RealtimeSubscribeRequestEvent]{
		Id: "__messagingRealtimeSubscribe__",
		Func: func(e *core.RealtimeSubscribeRequestEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			lc, _ := e.Client.(*liveClient)
			auth := clientAuth(e.Client)
			if lc == nil || auth == nil || auth.Collection().Name != CollectionNameUsers || len(lc.liveTopics()) == 0 {
				m.live.remove(e.Client.Id())
				return nil
			}
			m.live.add(auth.Id, lc)
			if lc.onlyLive.Load() {
				lc.park(e.App.SubscriptionsBroker())
			}
			return nil
		},
	})
	m.bindParkedAuth()
}

// unparkMiddleware puts a parked client back into PocketBase's broker
// before a subscription request for it, which PocketBase looks up there.
func (m *Messaging) unparkMiddleware(e *core.RequestEvent) error {
	if id := subscribeRequestClientID(e); id != "" {
		if lc := m.live.client(id); lc != nil {
			lc.unpark(e.App.SubscriptionsBroker()) // a no-op once the connection has ended
		}
	}
	return e.Next()
}

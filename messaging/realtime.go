package messaging

import (
	"encoding/json/v2"
	"hash/fnv"
	"net/http"
	"slices"
	"sync"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
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
// totals is {threads, messages}, the same as GET /api/messaging/unread.
//
// Every writer produces the events (see bindLiveHooks), each user's in
// commit-consistent order (see liveHub.ordered), and only the topic
// "messaging" itself, with or without options, receives them.
const RealtimeTopic = "messaging"

// liveHub indexes the realtime clients subscribed to RealtimeTopic by the
// id of their signed-in user, and puts each user's events in order.
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

func (m *Messaging) bindRealtime() {
	m.app.OnRealtimeConnectRequest().Bind(&hook.Handler[*core.RealtimeConnectRequestEvent]{
		Id: "__messagingRealtimeConnect__",
		Func: func(e *core.RealtimeConnectRequestEvent) error {
			lc, ok := e.Client.(*liveClient)
			if !ok {
				lc = newLiveClient(e.Client)
				e.Client = lc
			}
			defer m.live.disconnect(lc, e.App.SubscriptionsBroker())
			return e.Next()
		},
	})
	m.app.OnRealtimeSubscribeRequest().Bind(&hook.Handler[*core.RealtimeSubscribeRequestEvent]{
		Id: "__messagingRealtimeSubscribe__",
		Func: func(e *core.RealtimeSubscribeRequestEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			lc, _ := e.Client.(*liveClient)
			auth, _ := e.Client.Get(apis.RealtimeClientAuthKey).(*core.Record)
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
	// Apply auth changes to parked clients as PocketBase does to its own
	// (apis/realtime.go realtimeUpdateClientsAuth): a new tokenKey
	// (password change, "log out everywhere") signs them out.
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

// unparkMiddleware puts a parked client back into PocketBase's broker
// before a subscription request for it, which PocketBase looks up there.
func (m *Messaging) unparkMiddleware(e *core.RequestEvent) error {
	if e.Request.Method == http.MethodPost && e.Request.URL.Path == "/api/realtime" {
		var form struct {
			ClientId string `json:"clientId" form:"clientId"`
		}
		if e.BindBody(&form) == nil && form.ClientId != "" {
			m.live.mu.RLock()
			lc := m.live.clients[form.ClientId]
			m.live.mu.RUnlock()
			if lc != nil {
				lc.unpark(e.App.SubscriptionsBroker()) // a no-op once the connection has ended
			}
		}
	}
	return e.Next()
}

// add indexes c under user. A client whose connection has already ended
// is not added: close marks it before disconnect takes the lock to remove
// it, and the check and the insert below share that lock, so either the
// removal comes after the insert or the insert sees the mark.
func (h *liveHub) add(user string, c *liveClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.closed.Load() {
		return
	}
	if old, ok := h.owner[c.Id()]; ok && old != user {
		h.removeLocked(c.Id())
	}
	if h.byUser[user] == nil {
		h.byUser[user] = map[string]*liveClient{}
	}
	h.byUser[user][c.Id()] = c
	h.clients[c.Id()] = c
	h.owner[c.Id()] = user
}

func (h *liveHub) remove(clientID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(clientID)
}

func (h *liveHub) removeLocked(clientID string) {
	user, ok := h.owner[clientID]
	if !ok {
		return
	}
	delete(h.owner, clientID)
	delete(h.clients, clientID)
	delete(h.byUser[user], clientID)
	if len(h.byUser[user]) == 0 {
		delete(h.byUser, user)
	}
}

// disconnect forgets a closed connection: it is marked closed first (so no
// racing subscription request can index or unpark it again), then taken
// out of the index and of broker, and its channel is closed, which
// releases any delivery waiting on it.
func (h *liveHub) disconnect(c *liveClient, broker *subscriptions.Broker) {
	c.close(broker)
	h.remove(c.Id())
}

func (h *liveHub) updateAuth(user *core.Record, deleted bool) {
	for _, c := range h.clientsOf(user.Id) {
		if !c.parked.Load() {
			continue // PocketBase updates the clients in its broker
		}
		auth, _ := c.Get(apis.RealtimeClientAuthKey).(*core.Record)
		switch {
		case auth == nil || auth.Id != user.Id:
		case deleted || auth.TokenKey() != user.TokenKey():
			c.Unset(apis.RealtimeClientAuthKey)
		default:
			c.Set(apis.RealtimeClientAuthKey, user)
		}
	}
}

func (h *liveHub) signOutAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range h.clients {
		if c.parked.Load() {
			c.Unset(apis.RealtimeClientAuthKey)
		}
	}
}

func (h *liveHub) clientsOf(user string) []*liveClient {
	h.mu.RLock()
	defer h.mu.RUnlock()
	clients := make([]*liveClient, 0, len(h.byUser[user]))
	for _, c := range h.byUser[user] {
		clients = append(clients, c)
	}
	return clients
}

// anyone reports whether any user has a live client, so that events for
// nobody skip their queries.
func (h *liveHub) anyone() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.byUser) > 0
}

// online returns the subset of users with at least one live client.
func (h *liveHub) online(users []string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for _, u := range users {
		if len(h.byUser[u]) > 0 {
			out = append(out, u)
		}
	}
	return out
}

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
		if auth, _ := c.Get(apis.RealtimeClientAuthKey).(*core.Record); auth == nil || auth.Id != user {
			continue
		}
		// The SDK listens under the full subscription key, options included.
		for _, name := range c.liveTopics() {
			c.deliver(subscriptions.Message{Name: name, Data: data})
		}
	}
}

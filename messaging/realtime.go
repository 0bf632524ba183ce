package messaging

import (
	"encoding/json/v2"
	"net/http"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/routine"
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
const RealtimeTopic = "messaging"

// liveHub indexes the realtime clients subscribed to RealtimeTopic by the
// id of their signed-in user.
type liveHub struct {
	mu      sync.RWMutex
	byUser  map[string]map[string]subscriptions.Client
	clients map[string]subscriptions.Client // by client id
	owner   map[string]string               // client id -> user id
}

func newLiveHub() *liveHub {
	return &liveHub{
		byUser:  map[string]map[string]subscriptions.Client{},
		clients: map[string]subscriptions.Client{},
		owner:   map[string]string{},
	}
}

func (m *Messaging) bindRealtime() {
	m.app.OnRealtimeConnectRequest().Bind(&hook.Handler[*core.RealtimeConnectRequestEvent]{
		Id: "__messagingRealtimeConnect__",
		Func: func(e *core.RealtimeConnectRequestEvent) error {
			if dc, ok := e.Client.(*subscriptions.DefaultClient); ok {
				e.Client = newLiveClient(dc)
			}
			defer m.live.disconnect(e.Client)
			return e.Next()
		},
	})
	m.app.OnRealtimeSubscribeRequest().Bind(&hook.Handler[*core.RealtimeSubscribeRequestEvent]{
		Id: "__messagingRealtimeSubscribe__",
		Func: func(e *core.RealtimeSubscribeRequestEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			auth, _ := e.Client.Get(apis.RealtimeClientAuthKey).(*core.Record)
			if auth == nil || auth.Collection().Name != CollectionNameUsers || len(e.Client.Subscriptions(RealtimeTopic)) == 0 {
				m.live.remove(e.Client.Id())
				return nil
			}
			m.live.add(auth.Id, e.Client)
			if lc, ok := e.Client.(*liveClient); ok && lc.onlyLive.Load() {
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
			c := m.live.clients[form.ClientId]
			m.live.mu.RUnlock()
			if lc, ok := c.(*liveClient); ok {
				lc.unpark(e.App.SubscriptionsBroker())
			}
		}
	}
	return e.Next()
}

func (h *liveHub) add(user string, c subscriptions.Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.owner[c.Id()]; ok && old != user {
		delete(h.byUser[old], c.Id())
	}
	if h.byUser[user] == nil {
		h.byUser[user] = map[string]subscriptions.Client{}
	}
	h.byUser[user][c.Id()] = c
	h.clients[c.Id()] = c
	h.owner[c.Id()] = user
}

func (h *liveHub) remove(clientID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
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

// disconnect forgets a closed connection. A parked client is not in the
// broker, so nothing else closes its channel; closing it releases any
// send still waiting on it.
func (h *liveHub) disconnect(c subscriptions.Client) {
	h.remove(c.Id())
	if lc, ok := c.(*liveClient); ok {
		lc.DefaultClient.Discard()
	}
}

func (h *liveHub) updateAuth(user *core.Record, deleted bool) {
	h.mu.RLock()
	clients := make([]subscriptions.Client, 0, len(h.byUser[user.Id]))
	for _, c := range h.byUser[user.Id] {
		clients = append(clients, c)
	}
	h.mu.RUnlock()
	for _, c := range clients {
		if lc, ok := c.(*liveClient); !ok || !lc.parked.Load() {
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
		if lc, ok := c.(*liveClient); ok && lc.parked.Load() {
			c.Unset(apis.RealtimeClientAuthKey)
		}
	}
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

// send delivers payload to every live client of user. The client channel
// is unbuffered, so each send gets its own goroutine, as PocketBase's own
// broadcasts do. A client whose auth changed since it subscribed is
// skipped.
func (h *liveHub) send(user string, payload map[string]any) {
	h.mu.RLock()
	clients := make([]subscriptions.Client, 0, len(h.byUser[user]))
	for _, c := range h.byUser[user] {
		clients = append(clients, c)
	}
	h.mu.RUnlock()
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
		for name := range c.Subscriptions(RealtimeTopic) {
			msg := subscriptions.Message{Name: name, Data: data}
			routine.FireAndForget(func() { c.Send(msg) })
		}
	}
}

type memberState struct {
	User        string `db:"user"`
	Unread      int    `db:"unread"`
	LastReadSeq int    `db:"last_read_seq"`
}

// states returns the unread state of the online users in thread and their
// totals, in two indexed queries.
func states(app core.App, threadID string, users []string) (map[string]memberState, map[string]UnreadCounts) {
	byUser := map[string]memberState{}
	totals := map[string]UnreadCounts{}
	var rows []memberState
	_ = app.DB().Select("user", "unread", "last_read_seq").From(CollectionNameThreadMembers).
		Where(dbx.HashExp{"thread": threadID}).AndWhere(inList("user", "users", users)).All(&rows)
	for _, r := range rows {
		byUser[r.User] = r
	}
	var sums []struct {
		User     string `db:"user"`
		Threads  int    `db:"threads"`
		Messages int    `db:"messages"`
	}
	_ = app.DB().NewQuery(`SELECT user, COUNT(*) AS threads, SUM(unread) AS messages
		FROM thread_members INDEXED BY idx_messaging_members_unread
		WHERE user IN (SELECT value FROM json_each({:users})) AND unread > 0 AND "left" = 0
		GROUP BY user`).
		Bind(dbx.Params{"users": inParam(users)}).All(&sums)
	for _, u := range users {
		totals[u] = UnreadCounts{}
	}
	for _, s := range sums {
		totals[s.User] = UnreadCounts{Threads: s.Threads, Messages: s.Messages}
	}
	return byUser, totals
}

func (h *liveHub) messageEvent(app core.App, kind string, threadID string, members []string, msg *core.Record) {
	users := h.online(members)
	if len(users) == 0 {
		return
	}
	byUser, totals := states(app, threadID, users)
	view := messageView(msg)
	for _, u := range users {
		h.send(u, map[string]any{
			"type": kind, "thread": threadID, "message": view,
			"unread": byUser[u].Unread, "totals": totals[u],
		})
	}
}

func (h *liveHub) messageSent(app core.App, threadID string, members []string, msg *core.Record) {
	h.messageEvent(app, "message", threadID, members, msg)
}

func (h *liveHub) messageDeleted(app core.App, msg *core.Record) {
	thread, err := app.FindRecordById(CollectionNameThreads, msg.GetString("thread"))
	if err != nil {
		return
	}
	h.messageEvent(app, "deleted", thread.Id, thread.GetStringSlice("members"), msg)
}

func (h *liveHub) readStateChanged(app core.App, user, threadID string) {
	if len(h.online([]string{user})) == 0 {
		return
	}
	byUser, totals := states(app, threadID, []string{user})
	h.send(user, map[string]any{
		"type": "read", "thread": threadID, "unread": byUser[user].Unread,
		"lastReadSeq": byUser[user].LastReadSeq, "totals": totals[user],
	})
}

func (h *liveHub) membershipChanged(app core.App, member *core.Record) {
	h.send(member.GetString("user"), map[string]any{
		"type": "membership", "thread": member.GetString("thread"),
		"muted": member.GetBool("muted"), "archived": member.GetBool("archived"),
		"tags": member.GetStringSlice("tags"),
	})
}

// membersChanged tells the current members that the member list changed,
// and the removed users that the thread is gone from their inbox.
func (h *liveHub) membersChanged(app core.App, threadID string, removed []string) {
	thread, err := app.FindRecordById(CollectionNameThreads, threadID)
	if err != nil {
		return
	}
	for _, u := range h.online(thread.GetStringSlice("members")) {
		h.send(u, map[string]any{"type": "members", "thread": threadID})
	}
	for _, u := range removed {
		h.send(u, map[string]any{"type": "removed", "thread": threadID})
	}
}

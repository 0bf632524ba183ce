package messaging

import "github.com/pocketbase/pocketbase/tools/subscriptions"

// The index of live clients by user: who is connected, and which of their
// connections get an event.

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

// remove forgets the client with the given id, if indexed.
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

// client returns the indexed client with the given id, or nil.
func (h *liveHub) client(id string) *liveClient {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.clients[id]
}

// clientsOf returns user's indexed clients.
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

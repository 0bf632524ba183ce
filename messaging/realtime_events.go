package messaging

import (
	"database/sql"
	"errors"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The builders below make the events of RealtimeTopic. They run after
// commit (see live_hooks.go), read what they report inside liveHub.ordered,
// and send nothing they could not read: a failed query is logged, never
// replaced by zeros. The log entries name the event and the thread, never
// a message body.

// liveState is one recipient's state for an event.
type liveState struct {
	User        string `db:"user"`
	Unread      int    `db:"unread"`
	LastReadSeq int    `db:"last_read_seq"`
	Threads     int    `db:"threads"`
	Messages    int    `db:"messages"`
	Requests    int    `db:"requests"`
	MsgDeleted  bool   `db:"msg_deleted"`
	// HiddenBefore is the member's "delete for me" mark (bulk.go): a
	// message below it is no longer theirs to be told about.
	HiddenBefore int `db:"hidden_before_seq"`
}

func (s liveState) totals() UnreadCounts {
	return UnreadCounts{Threads: s.Threads, Messages: s.Messages, Requests: s.Requests}
}

// liveStatesSQL reads, in one statement and so from one snapshot, the
// unread state in a thread of those of the given users who are current
// members of it, their totals (as GET /api/messaging/unread counts them),
// and whether a message is deleted by now (true when it is gone). Users who
// have left get no row: they are told "removed", and nothing after it; nor
// do those who declined the thread as a request (reach.go).
var liveStatesSQL = `SELECT m.user AS user, m.unread AS unread, m.last_read_seq AS last_read_seq, m.hidden_before_seq,
	COALESCE(t.threads, 0) AS threads, COALESCE(t.messages, 0) AS messages,
	(` + requestsCountSQL("m.user") + `) AS requests,
	COALESCE((SELECT deleted FROM messages WHERE id = {:msg}), TRUE) AS msg_deleted
FROM thread_members m
LEFT JOIN (` + unreadTotalsSQL("user IN (SELECT value FROM json_each({:users}))") + `) t ON t.user = m.user
WHERE m.thread = {:thread} AND m."left" = 0 AND m.` + memberNotDeclined + ` AND m.user IN (SELECT value FROM json_each({:users}))`

func liveStates(app core.App, threadID string, users []string, msgID string) (map[string]liveState, error) {
	var rows []liveState
	err := app.DB().NewQuery(liveStatesSQL).
		Bind(dbx.Params{"thread": threadID, "users": inParam(users), "msg": msgID}).All(&rows)
	if err != nil {
		return nil, err
	}
	byUser := make(map[string]liveState, len(rows))
	for _, r := range rows {
		byUser[r.User] = r
	}
	return byUser, nil
}

func logLiveError(app core.App, event, threadID string, err error) {
	app.Logger().Error("messaging: live event not sent", "event", event, "thread", threadID, "error", err)
}

// threadMembers returns the current members of a thread; none when the
// thread no longer exists (deleted: there is nobody to tell).
func threadMembers(app core.App, threadID string) ([]string, error) {
	return currentMemberIDs(app, threadID)
}

// messageEvent sends a "message" or "deleted" event about msg to the
// online members.
func (h *liveHub) messageEvent(app core.App, kind string, threadID string, members []string, msg *core.Record) {
	users := h.online(members)
	if len(users) == 0 {
		return
	}
	h.ordered(users, func() {
		rows, err := liveStates(app, threadID, users, msg.Id)
		if err != nil {
			logLiveError(app, kind, threadID, err)
			return
		}
		view := messageView(msg)
		for _, r := range rows {
			// Deleted since (the "deleted" event may have gone out
			// first), or a hard delete: never show its body again.
			if r.MsgDeleted {
				view.Deleted, view.Body, view.Files = true, "", []FileView{}
			}
			break
		}
		for _, u := range users {
			r, ok := rows[u]
			if !ok {
				continue // left in the meantime
			}
			if view.Seq < r.HiddenBefore {
				continue // an edit or deletion of a message they deleted for themselves
			}
			h.send(u, map[string]any{
				"type": kind, "thread": threadID, "message": view,
				"unread": r.Unread, "totals": r.totals(),
			})
		}
	})
}

// messageSent tells the online members of a new message; members are the
// thread's members when it was written.
func (h *liveHub) messageSent(app core.App, threadID string, members []string, msg *core.Record) {
	h.messageEvent(app, "message", threadID, members, msg)
}

// messageDeleted tells the online members of the message's thread that it
// was deleted.
func (h *liveHub) messageDeleted(app core.App, msg *core.Record) {
	if !h.anyone() {
		return
	}
	threadID := msg.GetString("thread")
	members, err := threadMembers(app, threadID)
	if err != nil {
		logLiveError(app, "deleted", threadID, err)
		return
	}
	h.messageEvent(app, "deleted", threadID, members, msg)
}

// readStateChanged tells user's clients their unread state in thread.
func (h *liveHub) readStateChanged(app core.App, user, threadID string) {
	if len(h.online([]string{user})) == 0 {
		return
	}
	h.ordered([]string{user}, func() {
		rows, err := liveStates(app, threadID, []string{user}, "")
		if err != nil {
			logLiveError(app, "read", threadID, err)
			return
		}
		r, ok := rows[user]
		if !ok {
			return // no longer a member
		}
		h.send(user, map[string]any{
			"type": "read", "thread": threadID, "unread": r.Unread,
			"lastReadSeq": r.LastReadSeq, "totals": r.totals(),
		})
	})
}

// membershipChanged tells user's clients their settings for a thread, as
// they are now: of two quick changes, the last one read is the newest.
func (h *liveHub) membershipChanged(app core.App, memberID, user string) {
	if len(h.online([]string{user})) == 0 {
		return
	}
	h.ordered([]string{user}, func() {
		var row struct {
			Thread   string                  `db:"thread"`
			User     string                  `db:"user"`
			Muted    bool                    `db:"muted"`
			Archived bool                    `db:"archived"`
			Left     bool                    `db:"left"`
			Tags     types.JSONArray[string] `db:"tags"`
		}
		err := app.DB().Select("thread", "user", "muted", "archived", "left", "tags").
			From(CollectionNameThreadMembers).Where(dbx.HashExp{"id": memberID}).Limit(1).One(&row)
		if errors.Is(err, sql.ErrNoRows) {
			return // deleted since: "removed" tells the rest
		}
		if err != nil {
			logLiveError(app, "membership", "", err)
			return
		}
		if row.Left || row.User != user {
			return
		}
		tags := []string(row.Tags)
		if tags == nil {
			tags = []string{}
		}
		h.send(user, map[string]any{
			"type": "membership", "thread": row.Thread,
			"muted": row.Muted, "archived": row.Archived, "tags": tags,
		})
	})
}

// membersChanged tells the online members of thread that its member list
// changed, and the removed users that the thread is gone from their inbox.
// The members are read again under the ordering locks, so that a member
// who leaves meanwhile gets "removed" last.
func (h *liveHub) membersChanged(app core.App, threadID string, removed []string) {
	if !h.anyone() {
		return
	}
	before, err := threadMembers(app, threadID)
	if err != nil {
		logLiveError(app, "members", threadID, err)
		return
	}
	candidates := append(slices.Clone(before), removed...)
	slices.Sort(candidates)
	users := h.online(slices.Compact(candidates))
	if len(users) == 0 {
		return
	}
	h.ordered(users, func() {
		now, err := threadMembers(app, threadID)
		if err != nil {
			logLiveError(app, "members", threadID, err)
			return
		}
		for _, u := range users {
			switch {
			case slices.Contains(now, u) && slices.Contains(before, u):
				h.send(u, map[string]any{"type": "members", "thread": threadID})
			case !slices.Contains(now, u) && slices.Contains(removed, u):
				h.send(u, map[string]any{"type": "removed", "thread": threadID})
			}
		}
	})
}

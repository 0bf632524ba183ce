package messaging

import (
	"encoding/base64"
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// The member list of a conversation, a page at a time. Thread and inbox
// views carry memberCount and at most viewMembersMax members (the first in
// join order, from the threads.members preview), so a 10,000-member thread
// costs a view what a small one does; clients that show everyone page
// through GET /api/messaging/threads/{id}/members.

// viewMembersMax is how many members a ThreadView lists at most; the SQL
// in threadRowsSQL spells the same number.
const viewMembersMax = 50

// MembersQuery selects a page of a thread's members: Limit (the app's page
// size when 0, capped at its maximum) and the NextCursor of the page before.
type MembersQuery struct {
	Limit  int
	Cursor string
}

// ThreadMembers returns a page of thread's current members, ordered by
// user id, for user, who must be a current member (ErrNotFound
// otherwise, as for a thread that doesn't exist). Each page is one range
// of the (thread, user) unique index, whatever the thread's size.
func (m *Messaging) ThreadMembers(user, threadID string, q MembersQuery) (Page[Member], error) {
	page := Page[Member]{Items: []Member{}}
	if _, err := activeMember(m.app, user, threadID); err != nil {
		return page, err
	}
	after := ""
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(raw) == 0 {
			return page, errInvalid("cursor", "bad_cursor", "Invalid cursor.")
		}
		after = string(raw)
	}
	col, err := m.app.FindCachedCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return page, err
	}
	limit := m.limit(q.Limit)
	rows, err := m.query(`SELECT u.id, u.name, u.username, u.avatar
		FROM thread_members tm JOIN users u ON u.id = tm.user
		WHERE tm.thread = ? AND tm.user > ? AND tm.`+memberIsCurrent+`
		ORDER BY tm.user LIMIT ?`, threadID, after, limit+1)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, username, avatar string
		if err := rows.Scan(&id, &name, &username, &avatar); err != nil {
			return page, err
		}
		page.Items = append(page.Items, memberFromFields(col.Id, id, name, username, avatar))
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Items[limit-1].ID))
	}
	return page, nil
}

// handleThreadMembers serves GET /api/messaging/threads/{id}/members.
func (m *Messaging) handleThreadMembers(e *core.RequestEvent) error {
	limit, err := queryInt(e, "limit")
	if err != nil {
		return err
	}
	page, err := m.ThreadMembers(e.Auth.Id, e.Request.PathValue("id"),
		MembersQuery{Limit: limit, Cursor: e.Request.URL.Query().Get("cursor")})
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, page)
}

// viewMembersSQL is the view's members: the first viewMembersMax ids of
// the thread's members preview, as a JSON array.
const viewMembersSQL = `(SELECT json_group_array(value) FROM (SELECT value FROM json_each(t.members) LIMIT 50))`

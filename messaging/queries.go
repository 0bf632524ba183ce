package messaging

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// InboxQuery selects a page of a user's conversations.
type InboxQuery struct {
	Archived bool   // the archived box instead of the inbox
	Unread   bool   // only threads with unread messages
	Tag      string // only threads the user tagged with this tag id
	Search   string // subject or another member's name/username contains it
	Cursor   string // nextCursor of the previous page
	Limit    int    // 0 means Config.PageSize
}

// Page is one page of a list; NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// Inbox returns a page of user's conversations, newest activity first.
// It walks the (user, left, archived, last_activity) index, so a page
// costs the same whatever the number of threads or messages.
func (m *Messaging) Inbox(user string, q InboxQuery) (Page[ThreadView], error) {
	limit := m.limit(q.Limit)
	where := []string{"tm.user = {:me}", `tm."left" = FALSE`, "tm.archived = {:archived}"}
	params := dbx.Params{"me": user, "archived": q.Archived, "limit": limit + 1}
	if q.Unread {
		where = append(where, "tm.unread > 0")
	}
	if q.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(tm.tags) WHERE value = {:tag})")
		params["tag"] = q.Tag
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		where = append(where, `(t.subject LIKE {:like} ESCAPE '\' OR EXISTS (
			SELECT 1 FROM json_each(t.members) j JOIN users u ON u.id = j.value
			WHERE u.id != {:me} AND (u.name LIKE {:like} ESCAPE '\' OR u.username LIKE {:like} ESCAPE '\')))`)
		params["like"] = "%" + escapeLike(s) + "%"
	}
	if q.Cursor != "" {
		at, id, ok := decodeCursor(q.Cursor)
		if !ok {
			return Page[ThreadView]{}, errInvalid("cursor", "bad_cursor", "Invalid cursor.")
		}
		where = append(where, "(tm.last_activity < {:at} OR (tm.last_activity = {:at} AND tm.id < {:cid}))")
		params["at"], params["cid"] = at, id
	}
	var rows []threadRow
	err := m.app.DB().NewQuery(threadRowsSQL + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY tm.last_activity DESC, tm.id DESC LIMIT {:limit}").Bind(params).All(&rows)
	if err != nil {
		return Page[ThreadView]{}, err
	}
	page := Page[ThreadView]{}
	if len(rows) > limit {
		last := rows[limit-1]
		page.NextCursor = encodeCursor(last.LastActivity, last.MemberID)
		rows = rows[:limit]
	}
	page.Items, err = threadViews(m.app, rows)
	return page, err
}

// Thread returns thread as user sees it. Errors: ErrNotFound.
func (m *Messaging) Thread(user, threadID string) (*ThreadView, error) {
	var rows []threadRow
	err := m.app.DB().NewQuery(threadRowsSQL + ` WHERE tm.thread = {:thread} AND tm.user = {:me} AND tm."left" = FALSE`).
		Bind(dbx.Params{"thread": threadID, "me": user}).All(&rows)
	if err != nil {
		return nil, err
	}
	views, err := threadViews(m.app, rows)
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, errNotFound()
	}
	return &views[0], nil
}

// Messages returns a page of thread's messages, newest first; before is
// the previous page's nextCursor. Errors: ErrNotFound, ErrInvalid.
func (m *Messaging) Messages(user, threadID, before string, limit int) (Page[MessageView], error) {
	var isMember bool
	err := m.app.DB().NewQuery(`SELECT EXISTS (SELECT 1 FROM thread_members
			WHERE thread = {:thread} AND user = {:me} AND "left" = FALSE)`).
		Bind(dbx.Params{"thread": threadID, "me": user}).Row(&isMember)
	if err != nil {
		return Page[MessageView]{}, err
	}
	if !isMember {
		return Page[MessageView]{}, errNotFound()
	}
	limit = m.limit(limit)
	where := "thread = {:thread}"
	params := dbx.Params{"thread": threadID, "limit": limit + 1}
	if before != "" {
		seq, err := strconv.Atoi(before)
		if err != nil || seq < 1 {
			return Page[MessageView]{}, errInvalid("before", "bad_cursor", "Invalid cursor.")
		}
		where += " AND seq < {:seq}"
		params["seq"] = seq
	}
	var rows []MessageView
	err = m.app.DB().NewQuery(`SELECT id, thread, author, deleted, seq, created,
			CASE WHEN deleted THEN '' ELSE body END AS body, author = '' AS system
		FROM messages WHERE ` + where + ` ORDER BY seq DESC LIMIT {:limit}`).Bind(params).All(&rows)
	if err != nil {
		return Page[MessageView]{}, err
	}
	page := Page[MessageView]{Items: rows}
	if len(rows) > limit {
		page.Items = rows[:limit]
		page.NextCursor = strconv.Itoa(rows[limit-1].Seq)
	}
	if page.Items == nil {
		page.Items = []MessageView{}
	}
	return page, nil
}

// UnreadCounts is a user's unread total: threads with unread messages and
// unread messages across them.
type UnreadCounts struct {
	Threads  int `json:"threads"`
	Messages int `json:"messages"`
}

// Unread returns user's unread totals from a partial index of the
// memberships that have unread messages.
func (m *Messaging) Unread(user string) (UnreadCounts, error) {
	var c UnreadCounts
	err := m.app.DB().NewQuery(`SELECT COUNT(*) AS threads, COALESCE(SUM([[unread]]), 0) AS messages
		FROM {{thread_members}} INDEXED BY idx_messaging_members_unread
		WHERE [[user]] = {:user} AND [[unread]] > 0 AND [[left]] = 0`).
		Bind(dbx.Params{"user": user}).One(&c)
	return c, err
}

// Recipients returns up to limit users whose name or username starts with
// q (case-insensitive) and who could receive a message from user: not
// user, messaging on, not blocking user.
func (m *Messaging) Recipients(user, q string, limit int) ([]Member, error) {
	q = strings.TrimSpace(q)
	out := []Member{}
	if q == "" {
		return out, nil
	}
	limit = m.limit(limit)
	lo, hi := q, q+"\U0010FFFF"
	var rows []*core.Record
	err := m.app.RecordQuery(CollectionNameUsers).
		AndWhere(dbx.NewExp(`(([[name]] >= {:lo} COLLATE NOCASE AND [[name]] < {:hi} COLLATE NOCASE)
			OR ([[username]] >= {:lo} COLLATE NOCASE AND [[username]] < {:hi} COLLATE NOCASE))`,
			dbx.Params{"lo": lo, "hi": hi})).
		AndWhere(dbx.Not(dbx.HashExp{"id": user})).
		AndWhere(dbx.NewExp("[[messaging_off]] = FALSE")).
		AndWhere(dbx.NewExp("[[id]] NOT IN (SELECT [[user]] FROM {{blocks}} WHERE [[blocked]] = {:me})", dbx.Params{"me": user})).
		OrderBy("name").
		Limit(int64(limit)).
		All(&rows)
	for _, r := range rows {
		out = append(out, memberView(r))
	}
	return out, err
}

func (m *Messaging) limit(n int) int {
	switch {
	case n <= 0:
		return m.config.PageSize
	case n > m.config.MaxPageSize:
		return m.config.MaxPageSize
	}
	return n
}

func encodeCursor(at, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at + "|" + id))
}

func decodeCursor(c string) (at, id string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", false
	}
	at, id, ok = strings.Cut(string(raw), "|")
	return at, id, ok && id != ""
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

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
	query := membershipQuery(m.app, user).
		AndWhere(dbx.HashExp{"archived": q.Archived}).
		OrderBy("last_activity DESC", "id DESC").
		Limit(int64(limit + 1))
	if q.Unread {
		query.AndWhere(dbx.NewExp("[[unread]] > 0"))
	}
	if q.Tag != "" {
		query.AndWhere(dbx.NewExp("EXISTS (SELECT 1 FROM json_each([[tags]]) WHERE [[value]] = {:tag})", dbx.Params{"tag": q.Tag}))
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		like := "%" + escapeLike(s) + "%"
		query.AndWhere(dbx.NewExp(`EXISTS (SELECT 1 FROM {{threads}} t WHERE t.[[id]] = {{thread_members}}.[[thread]] AND (
				t.[[subject]] LIKE {:like} ESCAPE '\' OR EXISTS (
					SELECT 1 FROM json_each(t.[[members]]) j JOIN {{users}} u ON u.[[id]] = j.[[value]]
					WHERE u.[[id]] != {:me} AND (u.[[name]] LIKE {:like} ESCAPE '\' OR u.[[username]] LIKE {:like} ESCAPE '\'))))`,
			dbx.Params{"like": like, "me": user}))
	}
	if q.Cursor != "" {
		at, id, ok := decodeCursor(q.Cursor)
		if !ok {
			return Page[ThreadView]{}, errInvalid("cursor", "bad_cursor", "Invalid cursor.")
		}
		query.AndWhere(dbx.NewExp("([[last_activity]] < {:at} OR ([[last_activity]] = {:at} AND [[id]] < {:id}))",
			dbx.Params{"at": at, "id": id}))
	}
	var rows []*core.Record
	if err := query.All(&rows); err != nil {
		return Page[ThreadView]{}, err
	}
	page := Page[ThreadView]{}
	if len(rows) > limit {
		last := rows[limit-1]
		page.NextCursor = encodeCursor(last.GetString("last_activity"), last.Id)
		rows = rows[:limit]
	}
	views, err := threadViews(m.app, rows)
	page.Items = views
	return page, err
}

// Thread returns thread as user sees it. Errors: ErrNotFound.
func (m *Messaging) Thread(user, threadID string) (*ThreadView, error) {
	member, err := activeMember(m.app, user, threadID)
	if err != nil {
		return nil, err
	}
	views, err := threadViews(m.app, []*core.Record{member})
	if err != nil || len(views) == 0 {
		return nil, errNotFound()
	}
	return &views[0], nil
}

// Messages returns a page of thread's messages, newest first; before is
// the previous page's nextCursor. Errors: ErrNotFound, ErrInvalid.
func (m *Messaging) Messages(user, threadID, before string, limit int) (Page[MessageView], error) {
	if _, err := activeMember(m.app, user, threadID); err != nil {
		return Page[MessageView]{}, err
	}
	limit = m.limit(limit)
	query := m.app.RecordQuery(CollectionNameMessages).
		AndWhere(dbx.HashExp{"thread": threadID}).
		OrderBy("seq DESC").
		Limit(int64(limit + 1))
	if before != "" {
		seq, err := strconv.Atoi(before)
		if err != nil || seq < 1 {
			return Page[MessageView]{}, errInvalid("before", "bad_cursor", "Invalid cursor.")
		}
		query.AndWhere(dbx.NewExp("[[seq]] < {:seq}", dbx.Params{"seq": seq}))
	}
	var rows []*core.Record
	if err := query.All(&rows); err != nil {
		return Page[MessageView]{}, err
	}
	page := Page[MessageView]{Items: make([]MessageView, 0, len(rows))}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = strconv.Itoa(rows[limit-1].GetInt("seq"))
	}
	for _, r := range rows {
		page.Items = append(page.Items, *messageView(r))
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

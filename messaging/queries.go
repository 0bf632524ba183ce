package messaging

import (
	"encoding/base64"
	"math"
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
	if err := checkSearch(q.Search); err != nil {
		return Page[ThreadView]{}, err
	}
	limit := m.limit(q.Limit)
	// The flag and the limit are written into the SQL: bound, SQLite
	// treats them as possibly plan-changing and re-prepares the cached
	// statement on every run.
	where := []string{"tm.user = ?", `tm."left" = FALSE`, "tm.archived = " + strings.ToUpper(strconv.FormatBool(q.Archived))}
	args := []any{user}
	if q.Unread {
		where = append(where, "tm.unread > 0")
	}
	if q.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(tm.tags) WHERE value = ?)")
		args = append(args, q.Tag)
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		where = append(where, `(t.subject LIKE ?1x ESCAPE '\' OR EXISTS (
			SELECT 1 FROM json_each(t.members) j JOIN users u ON u.id = j.value
			WHERE u.id != ?2x AND (u.name LIKE ?1x ESCAPE '\' OR u.username LIKE ?1x ESCAPE '\')))`)
		args = append(args, "%"+escapeLike(s)+"%", user)
	}
	if q.Cursor != "" {
		at, id, ok := decodeCursor(q.Cursor)
		if !ok {
			return Page[ThreadView]{}, errInvalid("cursor", "bad_cursor", "Invalid cursor.")
		}
		where = append(where, "(tm.last_activity < ?3x OR (tm.last_activity = ?3x AND tm.id < ?))")
		args = append(args, at, id)
	}
	rows, err := m.query(numberArgs(threadRowsSQL+" WHERE "+strings.Join(where, " AND ")+
		" ORDER BY tm.last_activity DESC, tm.id DESC LIMIT "+strconv.Itoa(limit+1)), args...)
	if err != nil {
		return Page[ThreadView]{}, err
	}
	found, err := scanThreadRows(rows)
	if err != nil {
		return Page[ThreadView]{}, err
	}
	page := Page[ThreadView]{}
	if len(found) > limit {
		last := found[limit-1]
		page.NextCursor = encodeCursor(last.LastActivity, last.MemberID)
		found = found[:limit]
	}
	page.Items, err = m.threadViews(found)
	return page, err
}

// numberArgs turns the query's placeholders into numbered ones, in order:
// "?" is the next argument, and "?1x", "?2x", "?3x" name an argument used
// more than once (the first use takes the next number, later uses repeat
// it), so a cached statement can bind one argument in several places.
func numberArgs(text string) string {
	var b strings.Builder
	next, named := 1, map[string]int{}
	for i := 0; i < len(text); i++ {
		if text[i] != '?' {
			b.WriteByte(text[i])
			continue
		}
		if i+2 < len(text) && text[i+2] == 'x' && text[i+1] >= '0' && text[i+1] <= '9' {
			key := text[i+1 : i+2]
			n, ok := named[key]
			if !ok {
				n = next
				named[key] = n
				next++
			}
			b.WriteString("?" + strconv.Itoa(n))
			i += 2
			continue
		}
		b.WriteString("?" + strconv.Itoa(next))
		next++
	}
	return b.String()
}

// Thread returns thread as user sees it. Errors: ErrNotFound.
func (m *Messaging) Thread(user, threadID string) (*ThreadView, error) {
	rows, err := m.query(threadRowsSQL+` WHERE tm.thread = ? AND tm.user = ? AND tm."left" = FALSE`, threadID, user)
	if err != nil {
		return nil, err
	}
	found, err := scanThreadRows(rows)
	if err != nil {
		return nil, err
	}
	views, err := m.threadViews(found)
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
	limit = m.limit(limit)
	seq := math.MaxInt64
	if before != "" {
		n, err := strconv.Atoi(before)
		if err != nil || n < 1 {
			return Page[MessageView]{}, errInvalid("before", "bad_cursor", "Invalid cursor.")
		}
		seq = n
	}
	// The membership check is in the same statement: a non-member gets no
	// rows, like a member of an empty thread, so it is told apart below.
	rows, err := m.query(`SELECT id, thread, author, author_deleted, deleted, seq, created,
			CASE WHEN deleted THEN '' ELSE body END, author = '' AND NOT author_deleted
		FROM messages
		WHERE thread = ?1 AND seq < ?2 AND EXISTS (SELECT 1 FROM thread_members
			WHERE thread = ?1 AND user = ?3 AND "left" = FALSE)
		ORDER BY seq DESC LIMIT ?4`, threadID, seq, user, limit+1)
	if err != nil {
		return Page[MessageView]{}, err
	}
	defer rows.Close()
	page := Page[MessageView]{Items: make([]MessageView, 0, limit+1)}
	for rows.Next() {
		var v MessageView
		if err := rows.Scan(&v.ID, &v.Thread, &v.Author, &v.AuthorDeleted, &v.Deleted, &v.Seq, &v.Created, &v.Body, &v.System); err != nil {
			return Page[MessageView]{}, err
		}
		page.Items = append(page.Items, v)
	}
	if err := rows.Err(); err != nil {
		return Page[MessageView]{}, err
	}
	if len(page.Items) == 0 {
		if _, err := activeMember(m.app, user, threadID); err != nil {
			return Page[MessageView]{}, err
		}
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = strconv.Itoa(page.Items[limit-1].Seq)
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
	rows, err := m.query(`SELECT COUNT(*), COALESCE(SUM(unread), 0)
		FROM thread_members INDEXED BY idx_messaging_members_unread
		WHERE user = ? AND unread > 0 AND "left" = 0`, user)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	if rows.Next() {
		err = rows.Scan(&c.Threads, &c.Messages)
	}
	if err == nil {
		err = rows.Err()
	}
	return c, err
}

// Recipients returns up to limit users whose name or username starts with
// q (case-insensitive) and who could receive a message from user: not
// user, and reachable (see permissions.go).
func (m *Messaging) Recipients(user, q string, limit int) ([]Member, error) {
	if err := checkSearch(q); err != nil {
		return nil, err
	}
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
		AndWhere(dbx.NewExp("NOT "+unreachableSQL(CollectionNameUsers), dbx.Params{"sender": user})).
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

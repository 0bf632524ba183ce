package messaging

import (
	"database/sql"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/tools/types"
)

// The inbox: a page of a member's conversations, newest activity first,
// each with its last message and the member's own state, and one thread
// as the member sees it. A page walks the (user, left, archived,
// last_activity) index and costs the same whatever the number of threads
// or messages.

// InboxQuery selects a page of a user's conversations.
type InboxQuery struct {
	Archived bool   // the archived box instead of the inbox
	Requests bool   // the Requests box (reach.go) instead of the inbox
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
	where := []string{"tm.user = ?", "tm." + memberIsCurrent, "tm.archived = " + strings.ToUpper(strconv.FormatBool(q.Archived)),
		"tm.request = ''"}
	if q.Requests {
		// Its own partial index: pending requests, newest first.
		where = []string{"tm.user = ?", "tm.request = '" + requestPending + "'", `tm."left" = 0`}
	}
	// "Delete for me" (bulk.go) keeps a thread out of every box until a
	// message it doesn't hide: a check on the thread row joined anyway.
	where = append(where, notHiddenSQL)
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

// Thread returns thread as user sees it. Errors: ErrNotFound.
func (m *Messaging) Thread(user, threadID string) (*ThreadView, error) {
	views, err := m.queryThreadViews(threadRowsSQL+` WHERE tm.thread = ? AND tm.user = ? AND tm.`+memberIsCurrent+
		` AND tm.`+memberNotDeclined, threadID, user)
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, errNotFound()
	}
	return &views[0], nil
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

// threadRow is one membership joined with its thread and the thread's
// last message: everything an inbox entry needs but the member names.
type threadRow struct {
	Thread       string
	Unread       int
	LastReadSeq  int
	Muted        bool
	Archived     bool
	Tags         types.JSONArray[string]
	LastActivity string
	MemberID     string
	Subject      string
	Kind         string
	Members      types.JSONArray[string]
	MemberCount  int
	Created      string
	MsgID        sql.NullString
	MsgAuthor    sql.NullString
	MsgAuthorDel sql.NullBool
	MsgBody      sql.NullString
	MsgDeleted   sql.NullBool
	MsgSeq       sql.NullInt64
	MsgCreated   sql.NullString
	MsgHTML      sql.NullString
	MsgEdited    sql.NullString
	MsgFiles     types.JSONArray[string]
	PeerReadSeq  int
	Request      string
	HiddenBefore int
	Announcement bool
	Creator      string
	Expanding    bool
}

// scanThreadRows reads rows of threadRowsSQL.
func scanThreadRows(rows *sql.Rows) ([]threadRow, error) {
	defer rows.Close()
	var out []threadRow
	for rows.Next() {
		var r threadRow
		err := rows.Scan(&r.Thread, &r.Unread, &r.LastReadSeq, &r.Muted, &r.Archived, &r.Tags,
			&r.LastActivity, &r.MemberID, &r.Subject, &r.Kind, &r.Members, &r.MemberCount, &r.Created,
			&r.MsgID, &r.MsgAuthor, &r.MsgAuthorDel, &r.MsgBody, &r.MsgDeleted, &r.MsgSeq, &r.MsgCreated, &r.MsgHTML, &r.MsgEdited, &r.MsgFiles,
			&r.PeerReadSeq, &r.Request, &r.HiddenBefore, &r.Announcement, &r.Creator, &r.Expanding)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// queryThreadViews runs text, a threadRowsSQL query, and makes views of
// its rows: the one path from SQL to ThreadView for callers that show
// every row they select (Thread, searchResultThreads). Inbox scans and
// makes views in two steps, as it drops its extra look-ahead row between.
func (m *Messaging) queryThreadViews(text string, args ...any) ([]ThreadView, error) {
	rows, err := m.query(text, args...)
	if err != nil {
		return nil, err
	}
	found, err := scanThreadRows(rows)
	if err != nil {
		return nil, err
	}
	return m.threadViews(found)
}

// threadRowsSQL selects threadRows; callers append WHERE/ORDER/LIMIT on
// the thread_members alias tm, so the membership index drives the query
// and the thread and last message are primary-key lookups. Hot SQL is
// written without dbx's {{ }} and [[ ]] quoting, which costs a regex
// rewrite per query.
const threadRowsSQL = `SELECT tm.thread, tm.unread, tm.last_read_seq, tm.muted, tm.archived,
		tm.tags, tm.last_activity, tm.id AS member_id,
		t.subject, t.kind, ` + viewMembersSQL + ` AS members, t.member_count, t.created,
		lm.id AS msg_id, lm.author AS msg_author, lm.author_deleted AS msg_author_deleted, lm.body AS msg_body,
		lm.deleted AS msg_deleted, lm.seq AS msg_seq, lm.created AS msg_created,
		lm.html AS msg_html, lm.edited AS msg_edited,
		COALESCE(lm.files, '[]') AS msg_files,
		` + peerReadSeqSQL + ` AS peer_read_seq, tm.request, tm.hidden_before_seq,
		t.announcement, t.created_by, ` + expandingSQL + ` AS expanding
	FROM thread_members tm
	JOIN threads t ON t.id = tm.thread
	LEFT JOIN messages lm ON lm.id = t.last_message`

// threadViews turns rows into views with at most two more queries (the
// member users, and the tags if any), whatever the page size.
func (m *Messaging) threadViews(rows []threadRow) ([]ThreadView, error) {
	out := make([]ThreadView, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	var userIDs, tagIDs []string
	for _, r := range rows {
		userIDs = append(userIDs, r.Members...)
		tagIDs = append(tagIDs, r.Tags...)
	}
	users, err := m.membersByID(userIDs)
	if err != nil {
		return nil, err
	}
	tags, err := m.tagsByID(tagIDs)
	if err != nil {
		return nil, err
	}
	messages, err := m.app.FindCachedCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil, err
	}
	messagesID := messages.Id
	for _, r := range rows {
		v := ThreadView{
			ID:           r.Thread,
			Subject:      r.Subject,
			Kind:         r.Kind,
			Members:      make([]Member, 0, len(r.Members)),
			MemberCount:  r.MemberCount,
			LastActivity: r.LastActivity,
			Unread:       r.Unread,
			LastReadSeq:  r.LastReadSeq,
			Muted:        r.Muted,
			Archived:     r.Archived,
			Tags:         []Tag{},
			Created:      r.Created,
		}
		v.PeerLastReadSeq = r.PeerReadSeq
		v.Request = r.Request == requestPending
		v.Announcement, v.Creator, v.Expanding = r.Announcement, r.Creator, r.Expanding
		for _, u := range r.Members {
			if mv, ok := users[u]; ok {
				v.Members = append(v.Members, mv)
			}
		}
		// A last message hidden by "delete for me" is not shown (the
		// thread itself is out of the boxes until a newer one).
		if r.MsgID.Valid && int(r.MsgSeq.Int64) >= r.HiddenBefore {
			v.LastMessage = &MessageView{
				ID:            r.MsgID.String,
				Thread:        r.Thread,
				Author:        r.MsgAuthor.String,
				AuthorDeleted: r.MsgAuthorDel.Bool,
				Deleted:       r.MsgDeleted.Bool,
				System:        r.MsgAuthor.String == "" && !r.MsgAuthorDel.Bool,
				Seq:           int(r.MsgSeq.Int64),
				Created:       r.MsgCreated.String,
				Edited:        r.MsgEdited.String,
			}
			v.LastMessage.Files = fileViews(messagesID, r.MsgID.String, r.MsgFiles, r.MsgDeleted.Bool)
			if !v.LastMessage.Deleted {
				v.LastMessage.Body, v.LastMessage.HTML = r.MsgBody.String, r.MsgHTML.String
			}
		}
		for _, id := range r.Tags {
			if t, ok := tags[id]; ok {
				v.Tags = append(v.Tags, t)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

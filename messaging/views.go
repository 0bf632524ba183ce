package messaging

import (
	"database/sql"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Member is a thread member as the API shows them to other members.
// Username is the public handle ("" when the user has none): names need
// not be unique, so it is what tells two people called Bob apart.
type Member struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	Avatar   string `json:"avatar"`
}

// MessageView is a message as the API returns it. A deleted message keeps
// its place with an empty body; a system note has no author; a message
// whose author's account was deleted has no author either, but
// AuthorDeleted set (show it as from "Deleted user").
type MessageView struct {
	ID            string `json:"id" db:"id"`
	Thread        string `json:"thread" db:"thread"`
	Author        string `json:"author" db:"author"`
	Body          string `json:"body" db:"body"`
	Deleted       bool   `json:"deleted" db:"deleted"`
	System        bool   `json:"system" db:"system"`
	Seq           int    `json:"seq" db:"seq"`
	Created       string `json:"created" db:"created"`
	AuthorDeleted bool   `json:"authorDeleted" db:"author_deleted"`
}

// Tag is one of a user's own labels.
type Tag struct {
	ID    string `json:"id" db:"id"`
	Name  string `json:"name" db:"name"`
	Color string `json:"color" db:"color"`
}

// ThreadView is a thread as one member sees it: shared data plus their
// own unread count and settings.
type ThreadView struct {
	ID           string       `json:"id"`
	Subject      string       `json:"subject"`
	Kind         string       `json:"kind"`
	Members      []Member     `json:"members"`
	LastMessage  *MessageView `json:"lastMessage"`
	LastActivity string       `json:"lastActivity"`
	Unread       int          `json:"unread"`
	LastReadSeq  int          `json:"lastReadSeq"`
	Muted        bool         `json:"muted"`
	Archived     bool         `json:"archived"`
	Tags         []Tag        `json:"tags"`
	Created      string       `json:"created"`
}

func messageView(r *core.Record) *MessageView {
	v := &MessageView{
		ID:            r.Id,
		Thread:        r.GetString("thread"),
		Author:        r.GetString("author"),
		AuthorDeleted: r.GetBool("author_deleted"),
		Deleted:       r.GetBool("deleted"),
		Seq:           r.GetInt("seq"),
		Created:       r.GetString("created"),
	}
	v.System = v.Author == "" && !v.AuthorDeleted
	if !v.Deleted {
		v.Body = r.GetString("body")
	}
	return v
}

func memberView(u *core.Record) Member {
	return memberFromFields(u.Collection().Id, u.Id, u.GetString("name"), u.GetString("username"), u.GetString("avatar"))
}

// memberFromFields is what others see of a user: name, else username, else
// a neutral word (never the email), the username, and the avatar's file URL.
func memberFromFields(collectionID, id, name, username, avatar string) Member {
	v := Member{ID: id, Name: strings.TrimSpace(name), Username: strings.TrimSpace(username)}
	if v.Name == "" {
		v.Name = v.Username
	}
	if v.Name == "" {
		v.Name = "Member"
	}
	if avatar != "" {
		v.Avatar = "/api/files/" + collectionID + "/" + id + "/" + avatar
	}
	return v
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
	Created      string
	MsgID        sql.NullString
	MsgAuthor    sql.NullString
	MsgAuthorDel sql.NullBool
	MsgBody      sql.NullString
	MsgDeleted   sql.NullBool
	MsgSeq       sql.NullInt64
	MsgCreated   sql.NullString
}

// scanThreadRows reads rows of threadRowsSQL.
func scanThreadRows(rows *sql.Rows) ([]threadRow, error) {
	defer rows.Close()
	var out []threadRow
	for rows.Next() {
		var r threadRow
		err := rows.Scan(&r.Thread, &r.Unread, &r.LastReadSeq, &r.Muted, &r.Archived, &r.Tags,
			&r.LastActivity, &r.MemberID, &r.Subject, &r.Kind, &r.Members, &r.Created,
			&r.MsgID, &r.MsgAuthor, &r.MsgAuthorDel, &r.MsgBody, &r.MsgDeleted, &r.MsgSeq, &r.MsgCreated)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// threadRowsSQL selects threadRows; callers append WHERE/ORDER/LIMIT on
// the thread_members alias tm, so the membership index drives the query
// and the thread and last message are primary-key lookups. Hot SQL is
// written without dbx's {{ }} and [[ ]] quoting, which costs a regex
// rewrite per query.
const threadRowsSQL = `SELECT tm.thread, tm.unread, tm.last_read_seq, tm.muted, tm.archived,
		tm.tags, tm.last_activity, tm.id AS member_id,
		t.subject, t.kind, t.members, t.created,
		lm.id AS msg_id, lm.author AS msg_author, lm.author_deleted AS msg_author_deleted, lm.body AS msg_body,
		lm.deleted AS msg_deleted, lm.seq AS msg_seq, lm.created AS msg_created
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
	for _, r := range rows {
		v := ThreadView{
			ID:           r.Thread,
			Subject:      r.Subject,
			Kind:         r.Kind,
			Members:      make([]Member, 0, len(r.Members)),
			LastActivity: r.LastActivity,
			Unread:       r.Unread,
			LastReadSeq:  r.LastReadSeq,
			Muted:        r.Muted,
			Archived:     r.Archived,
			Tags:         []Tag{},
			Created:      r.Created,
		}
		for _, u := range r.Members {
			if mv, ok := users[u]; ok {
				v.Members = append(v.Members, mv)
			}
		}
		if r.MsgID.Valid {
			v.LastMessage = &MessageView{
				ID:            r.MsgID.String,
				Thread:        r.Thread,
				Author:        r.MsgAuthor.String,
				AuthorDeleted: r.MsgAuthorDel.Bool,
				Deleted:       r.MsgDeleted.Bool,
				System:        r.MsgAuthor.String == "" && !r.MsgAuthorDel.Bool,
				Seq:           int(r.MsgSeq.Int64),
				Created:       r.MsgCreated.String,
			}
			if !v.LastMessage.Deleted {
				v.LastMessage.Body = r.MsgBody.String
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

// membersByID loads only what others may see of users.
func (m *Messaging) membersByID(ids []string) (map[string]Member, error) {
	out := map[string]Member{}
	if len(ids) == 0 {
		return out, nil
	}
	col, err := m.app.FindCachedCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return nil, err
	}
	rows, err := m.query(`SELECT id, name, username, avatar FROM users
		WHERE id IN (SELECT value FROM json_each(?))`, inParam(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, username, avatar string
		if err := rows.Scan(&id, &name, &username, &avatar); err != nil {
			return nil, err
		}
		out[id] = memberFromFields(col.Id, id, name, username, avatar)
	}
	return out, rows.Err()
}

func (m *Messaging) tagsByID(ids []string) (map[string]Tag, error) {
	out := map[string]Tag{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := m.query(`SELECT id, name, color FROM tags WHERE id IN (SELECT value FROM json_each(?))`, inParam(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.ID, &t.Name, &t.Color); err != nil {
			return nil, err
		}
		out[t.ID] = t
	}
	return out, rows.Err()
}

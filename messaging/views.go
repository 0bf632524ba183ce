package messaging

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
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
	// HTML is Body rendered in the site's text format when it was
	// written (sanitized; "" when deleted); Edited is when the author
	// last edited it ("" if never).
	HTML   string `json:"html" db:"html"`
	Edited string `json:"edited" db:"edited"`

	// Files are the attachments (none when deleted); left out of an
	// inbox's lastMessage.
	Files []FileView `json:"files,omitzero" db:"-"`

	// ClientKey is set only in the response to the author's own send
	// (client_keys.go); lists and events never carry it.
	ClientKey string `json:"clientKey,omitempty" db:"-"`
	// Redirected is set only in the response to a reply that went to
	// the announcement's sender instead (announcements.go).
	Redirected bool `json:"redirected,omitzero" db:"-"`
}

// Tag is one of a user's own labels.
type Tag struct {
	ID    string `json:"id" db:"id"`
	Name  string `json:"name" db:"name"`
	Color string `json:"color" db:"color"`
}

// ThreadView is a thread as one member sees it: shared data plus their
// own unread count and settings. Members lists at most the first 50
// members in join order; MemberCount counts all current members, and
// ThreadMembers (GET /api/messaging/threads/{id}/members) pages them all.
type ThreadView struct {
	ID           string       `json:"id"`
	Subject      string       `json:"subject"`
	Kind         string       `json:"kind"`
	Members      []Member     `json:"members"` // the first viewMembersMax (50), in join order
	MemberCount  int          `json:"memberCount"`
	LastMessage  *MessageView `json:"lastMessage"`
	LastActivity string       `json:"lastActivity"`
	Unread       int          `json:"unread"`
	LastReadSeq  int          `json:"lastReadSeq"`
	Muted        bool         `json:"muted"`
	Archived     bool         `json:"archived"`
	Tags         []Tag        `json:"tags"`
	Created      string       `json:"created"`

	// PeerLastReadSeq is the read receipt of a direct thread: the seq of
	// the last message the other member has read, so "seen" goes under
	// the caller's newest message with a seq at or below it. 0 (nothing
	// to show) in groups, and unless both members have receipts on and
	// neither blocked the other (receipts.go).
	PeerLastReadSeq int `json:"peerLastReadSeq"`

	// Request is true while the thread is a message request waiting for
	// the caller's answer (reach.go): it belongs in their Requests box.
	// Absent otherwise, the sender's view included.
	Request bool `json:"request,omitzero"`

	// Announcement is true when only the creator and moderators post
	// (announcements.go); Creator is the user who started the thread
	// ("" for a deleted account); Expanding is true while a role or
	// recipient type is still being added in the background (expansion.go).
	Announcement bool   `json:"announcement"`
	Creator      string `json:"creator"`
	Expanding    bool   `json:"expanding"`
}

func messageView(r *core.Record) *MessageView {
	msg := &Message{r}
	v := &MessageView{
		ID:            r.Id,
		Thread:        msg.Thread(),
		Author:        msg.Author(),
		AuthorDeleted: msg.AuthorDeleted(),
		Deleted:       msg.Deleted(),
		Seq:           msg.Seq(),
		Created:       msg.Created(),
		Edited:        msg.Edited(),
	}
	v.System = v.Author == "" && !v.AuthorDeleted
	if !v.Deleted {
		v.Body, v.HTML = msg.Body(), msg.HTML()
	}
	v.Files = fileViews(r.Collection().Id, r.Id, msg.Files(), v.Deleted)
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

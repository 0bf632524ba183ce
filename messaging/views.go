package messaging

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Member is a thread member as the API shows them to other members.
type Member struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
}

// MessageView is a message as the API returns it. A deleted message keeps
// its place with an empty body; a system note has no author.
type MessageView struct {
	ID      string `json:"id"`
	Thread  string `json:"thread"`
	Author  string `json:"author"`
	Body    string `json:"body"`
	Deleted bool   `json:"deleted"`
	System  bool   `json:"system"`
	Seq     int    `json:"seq"`
	Created string `json:"created"`
}

// Tag is one of a user's own labels.
type Tag struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
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
		ID:      r.Id,
		Thread:  r.GetString("thread"),
		Author:  r.GetString("author"),
		Deleted: r.GetBool("deleted"),
		Seq:     r.GetInt("seq"),
		Created: r.GetString("created"),
	}
	v.System = v.Author == ""
	if !v.Deleted {
		v.Body = r.GetString("body")
	}
	return v
}

func memberView(u *core.Record) Member {
	v := Member{ID: u.Id, Name: userName(u)}
	if a := u.GetString("avatar"); a != "" {
		v.Avatar = "/api/files/" + u.Collection().Id + "/" + u.Id + "/" + a
	}
	return v
}

// threadViews builds the views of memberships (all of one user) with a
// fixed number of queries, whatever the page size: threads, last messages,
// member users and tags are each fetched in one go.
func threadViews(app core.App, memberships []*core.Record) ([]ThreadView, error) {
	out := make([]ThreadView, 0, len(memberships))
	if len(memberships) == 0 {
		return out, nil
	}
	threadIDs := make([]string, len(memberships))
	var tagIDs []string
	for i, mb := range memberships {
		threadIDs[i] = mb.GetString("thread")
		tagIDs = append(tagIDs, mb.GetStringSlice("tags")...)
	}
	threads, err := recordsByID(app, CollectionNameThreads, threadIDs)
	if err != nil {
		return nil, err
	}
	var msgIDs, userIDs []string
	for _, t := range threads {
		if id := t.GetString("last_message"); id != "" {
			msgIDs = append(msgIDs, id)
		}
		userIDs = append(userIDs, t.GetStringSlice("members")...)
	}
	msgs, err := recordsByID(app, CollectionNameMessages, msgIDs)
	if err != nil {
		return nil, err
	}
	users, err := recordsByID(app, CollectionNameUsers, userIDs)
	if err != nil {
		return nil, err
	}
	tags, err := recordsByID(app, CollectionNameTags, tagIDs)
	if err != nil {
		return nil, err
	}

	for _, mb := range memberships {
		t := threads[mb.GetString("thread")]
		if t == nil {
			continue
		}
		v := ThreadView{
			ID:           t.Id,
			Subject:      t.GetString("subject"),
			Kind:         t.GetString("kind"),
			Members:      []Member{},
			LastActivity: mb.GetString("last_activity"),
			Unread:       mb.GetInt("unread"),
			LastReadSeq:  mb.GetInt("last_read_seq"),
			Muted:        mb.GetBool("muted"),
			Archived:     mb.GetBool("archived"),
			Tags:         []Tag{},
			Created:      t.GetString("created"),
		}
		for _, u := range t.GetStringSlice("members") {
			if ur := users[u]; ur != nil {
				v.Members = append(v.Members, memberView(ur))
			}
		}
		if lm := msgs[t.GetString("last_message")]; lm != nil {
			v.LastMessage = messageView(lm)
		}
		for _, id := range mb.GetStringSlice("tags") {
			if tr := tags[id]; tr != nil {
				v.Tags = append(v.Tags, Tag{ID: tr.Id, Name: tr.GetString("name"), Color: tr.GetString("color")})
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func recordsByID(app core.App, collection string, ids []string) (map[string]*core.Record, error) {
	out := make(map[string]*core.Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	records, err := app.FindRecordsByIds(collection, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range records {
		out[r.Id] = r
	}
	return out, nil
}

// membership is used by views that already know the member row exists.
func membershipQuery(app core.App, user string) *dbx.SelectQuery {
	return app.RecordQuery(CollectionNameThreadMembers).
		AndWhere(dbx.HashExp{"user": user}).
		AndWhere(dbx.NewExp("[[left]] = FALSE"))
}

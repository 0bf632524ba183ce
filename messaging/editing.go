package messaging

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Editing a message. An author changes the body of their own message
// within the edit window (edit_window_minutes, from created), as long as
// they could still post it (permissions.go, checkCanPost). Whoever
// writes — the messaging API, the records or batch API (the update rule
// lets an author send a body and nothing else), Go code, JS hooks — the
// record hooks here decide: a deleted message and a system note can't be
// edited, nor any message once the window has passed. An edit keeps the
// message's thread, author, seq and place; it sets edited, re-renders the
// html (format.go) and, in the same transaction, keeps the replaced body
// in message_versions, which only moderators and superusers read. Unread
// counts don't move. After the commit the members get an "edited" event.
//
// A soft delete erases the versions too: deleting promises the words are
// gone everywhere.

// CollectionNameMessageVersions holds the earlier bodies of edited
// messages; superusers only through the records API.
const CollectionNameMessageVersions = "message_versions"

// MessageVersion is one earlier body of an edited message, as moderators
// see it. Created is when this version was replaced; Editor is who made
// that edit ("" for a superuser or server code).
type MessageVersion struct {
	ID      string `json:"id" db:"id"`
	Message string `json:"message" db:"message"`
	Body    string `json:"body" db:"body"`
	HTML    string `json:"html" db:"html"`
	Editor  string `json:"editor" db:"editor"`
	Created string `json:"created" db:"created"`
}

// editWindowSetting is edit_window_minutes: empty or 0 means Config, -1
// means editing is off, otherwise minutes (at most a year).
var editWindowSetting = setting{name: "edit_window_minutes", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
	f, ok := raw.(float64)
	if !ok || f == 0 {
		return true, nil
	}
	if f != float64(int(f)) || f < -1 || f > 525600 {
		return false, validation.NewError("validation_messaging_setting_range",
			"Minutes from 1 to 525600, -1 to turn editing off, or 0 for the default.")
	}
	l.EditWindowMinutes = int(f)
	return false, nil
}}

// bindEditingHooks binds the editing rules at the record-event level.
func (m *Messaging) bindEditingHooks() {
	app := m.app
	// Before validateMessageUpdate (priority 0), which would erase the
	// body of a deleted message and so hide the attempt.
	app.OnRecordUpdate(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageEdit__", Priority: -10, Func: m.checkEdit,
	})
	app.OnRecordUpdateExecute(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageVersion__", Func: m.keepVersion,
	})
	app.OnRecordUpdateRequest(CollectionNameMessages).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingMessageEditor__",
		Func: func(e *core.RecordRequestEvent) error {
			if e.Auth != nil && e.Auth.Collection().Name == CollectionNameUsers {
				m.editors.Store(e.Record, e.Auth.Id)
			}
			defer m.editors.Delete(e.Record)
			return e.Next()
		},
	})
	app.OnRecordAfterUpdateSuccess(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingLiveEdited__",
		Func: func(e *core.RecordEvent) error {
			if isEdit(e.Record) {
				m.live.messageEdited(e.App, e.Record)
			}
			return e.Next()
		},
	})
}

// isEdit reports whether saving r changes a message's body, other than
// by the soft delete that erases it. A new body for a message deleted
// before is an edit (and refused).
func isEdit(r *core.Record) bool {
	msg, old := &Message{r}, &Message{r.Original()}
	softDelete := msg.Deleted() && !old.Deleted()
	return !softDelete && strings.TrimSpace(msg.Body()) != old.Body()
}

// checkEdit refuses edits the rules don't allow, and keeps edited in the
// plugin's hands: set on each edit, never from the client.
func (m *Messaging) checkEdit(e *core.RecordEvent) error {
	msg, old := &Message{e.Record}, &Message{e.Record.Original()}
	if !isEdit(e.Record) || (old.Deleted() && !msg.Deleted()) {
		// Restoring a deleted message is refused as such by
		// validateMessageUpdate (message_deletion.go).
		msg.SetEdited(old.Edited())
		return e.Next()
	}
	if err := m.editAllowed(old, time.Now()); err != nil {
		return err
	}
	msg.SetEdited(types.NowDateTime())
	return e.Next()
}

// editAllowed checks that old, the stored message, may still be edited at
// now.
func (m *Messaging) editAllowed(old *Message, now time.Time) error {
	switch {
	case old.Deleted():
		return errInvalid("body", "deleted_message", "A deleted message can't be edited.")
	case old.Author() == "" && !old.AuthorDeleted():
		return errInvalid("body", "system_note", "System notes can't be edited.")
	}
	window := m.Limits().EditWindowMinutes
	if window < 0 {
		return errInvalid("body", "editing_off", "Messages can't be edited on this site.")
	}
	created := old.GetDateTime("created").Time()
	if now.Sub(created) > time.Duration(window)*time.Minute {
		return errInvalid("body", "edit_window_passed",
			"Messages can only be edited within "+strconv.Itoa(window)+" minutes of sending.")
	}
	return nil
}

// keepVersion stores the body being replaced, read from the row inside
// the transaction: of two concurrent edits, the second keeps the first's
// body, so every edit leaves exactly one version. A message deleted since
// it was loaded is refused here (the stale record would undelete it).
func (m *Messaging) keepVersion(e *core.RecordEvent) error {
	msg := &Message{e.Record}
	if msg.Deleted() && !(&Message{e.Record.Original()}).Deleted() {
		// A soft delete: the earlier versions go with the body.
		return inRecordTransaction(e, func(tx core.App) error {
			_, err := tx.DB().NewQuery(`DELETE FROM message_versions WHERE message = {:msg}`).
				Bind(dbx.Params{"msg": e.Record.Id}).Execute()
			if err != nil {
				return err
			}
			return e.Next()
		})
	}
	if !isEdit(e.Record) {
		return e.Next()
	}
	editor, _ := m.editors.Load(e.Record)
	editorID, _ := editor.(string)
	return inRecordTransaction(e, func(tx core.App) error {
		if author := msg.Author(); author != "" {
			// An edit reaches the members as a message does: an author
			// who may no longer post there (blocked by the other person
			// of a direct thread, messaging off, role gone, left) gets
			// the same refusal as a send, which tells nothing more.
			var thread struct {
				Kind    string                  `db:"kind"`
				Members types.JSONArray[string] `db:"members"`
			}
			err := tx.DB().NewQuery(`SELECT kind, members FROM threads WHERE id = {:id}`).
				Bind(dbx.Params{"id": msg.Thread()}).One(&thread)
			if err != nil {
				return err
			}
			if err := m.checkCanPost(tx, msg.Thread(), thread.Kind, thread.Members, author); err != nil {
				return err
			}
		}
		res, err := tx.DB().NewQuery(`INSERT INTO message_versions (id, message, body, html, editor, created)
			SELECT {:id}, id, body, html, {:editor}, {:at} FROM messages WHERE id = {:msg} AND deleted = FALSE`).
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "editor": editorID,
				"at": msg.Edited(), "msg": e.Record.Id}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errInvalid("body", "deleted_message", "A deleted message can't be edited.")
		}
		return e.Next()
	})
}

// messageEdited tells the online members of the message's thread its new
// body. Unread counts are unchanged; they ride along as in every message
// event.
func (h *liveHub) messageEdited(app core.App, msg *core.Record) {
	if !h.anyone() {
		return
	}
	threadID := msg.GetString("thread")
	members, err := threadMembers(app, threadID)
	if err != nil {
		logLiveError(app, "edited", threadID, err)
		return
	}
	h.messageEvent(app, "edited", threadID, members, msg)
}

// Edit changes the body of author's own message, within the edit window.
// Errors: ErrNotFound (no such message, or author is not a current member
// of its thread), ErrForbidden (someone else's message), ErrRefused (the
// author may no longer post there, as for Send), ErrInvalid (body; deleted
// message; system note; window passed).
func (m *Messaging) Edit(author, messageID, body string) (*core.Record, error) {
	r, err := m.app.FindRecordById(CollectionNameMessages, messageID)
	if err != nil {
		return nil, errNotFound()
	}
	msg := &Message{r}
	if _, err := activeMember(m.app, author, msg.Thread()); err != nil {
		return nil, err
	}
	if msg.Author() != author {
		return nil, errForbidden("You can only edit your own messages.")
	}
	msg.SetBody(body)
	m.editors.Store(r, author)
	defer m.editors.Delete(r)
	if err := m.app.Save(r); err != nil {
		return nil, err
	}
	return r, nil
}

// isModerator reports whether viewer (a superuser, or a users record
// holding one of the moderator roles) moderates: reads the earlier
// versions of messages, removes members from any group.
func (m *Messaging) isModerator(viewer *core.Record) bool {
	if viewer == nil {
		return false
	}
	if viewer.IsSuperuser() {
		return true
	}
	if viewer.Collection().Name != CollectionNameUsers {
		return false
	}
	roles := viewer.GetStringSlice("roles")
	return slices.ContainsFunc(m.Limits().ModeratorRoles, func(r string) bool { return slices.Contains(roles, r) })
}

// Versions returns the earlier bodies of a message, oldest first, to a
// superuser, or to a moderator (a holder of one of the moderator roles)
// who is a current member of its conversation: a moderator's role opens
// no conversation they are not in (reports carry the versions of what was
// reported). Errors: ErrNotFound for everyone else, and for an unknown
// message.
func (m *Messaging) Versions(viewer *core.Record, messageID string) ([]MessageVersion, error) {
	if !m.isModerator(viewer) {
		return nil, errNotFound()
	}
	msg, err := m.app.FindRecordById(CollectionNameMessages, messageID)
	if err != nil {
		return nil, errNotFound()
	}
	if !viewer.IsSuperuser() {
		if ok, err := isCurrentMember(m.app, msg.GetString("thread"), viewer.Id); err != nil || !ok {
			return nil, errNotFound()
		}
	}
	out := []MessageVersion{}
	err = m.app.DB().NewQuery(`SELECT id, message, body, html, editor, created FROM message_versions
		WHERE message = {:msg} ORDER BY created, rowid`).Bind(dbx.Params{"msg": messageID}).All(&out)
	if err != nil {
		return nil, err
	}
	return out, nil
}

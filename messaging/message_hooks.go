package messaging

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
)

// bindMessageHooks binds the rules for messages at the record-event level,
// so the HTTP API, the records and batch APIs, JS hooks and Go code all
// obey them.
func (m *Messaging) bindMessageHooks() {
	app := m.app
	app.OnRecordCreateRequest(CollectionNameMessages).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingMessageAuthor__", Func: m.forceMessageAuthor,
	})
	app.OnRecordCreate(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageValidate__", Func: m.validateNewMessage,
	})
	app.OnRecordCreateExecute(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageInsert__", Func: m.insertMessage,
	})
	app.OnRecordAfterCreateSuccess(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageSent__", Func: m.afterMessageSent,
	})
	app.OnRecordAfterCreateError(CollectionNameMessages).Bind(&hook.Handler[*core.RecordErrorEvent]{
		Id: "__messagingMessageFailed__", Func: m.forgetFailedMessage,
	})
	app.OnRecordUpdate(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageUpdate__", Func: m.validateMessageUpdate,
	})
	app.OnRecordUpdateExecute(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageSoftDelete__", Func: m.applySoftDelete,
	})
	app.OnRecordDeleteExecute(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageHardDelete__", Func: m.applyHardDelete,
	})
	app.OnRecordEnrich(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEnrichEvent]{
		Id: "__messagingMessageEnrich__", Func: hideDeletedBody,
	})
}

// forceMessageAuthor makes the caller the author of a message created
// through the records API; the body's author is ignored. Superusers may
// set any author, or none for a system note.
func (m *Messaging) forceMessageAuthor(e *core.RecordRequestEvent) error {
	if !e.HasSuperuserAuth() {
		if e.Auth == nil {
			return e.UnauthorizedError("Sign in to send messages.", nil)
		}
		e.Record.Set("author", e.Auth.Id)
	}
	return e.Next()
}

func (m *Messaging) validateNewMessage(e *core.RecordEvent) error {
	e.Record.Set("deleted", false)
	// Only deleting a user marks messages as theirs (deletion.go).
	e.Record.Set("author_deleted", false)
	body, err := m.normalizeBody(e.Record.GetString("body"))
	if err != nil {
		return err
	}
	e.Record.Set("body", body)
	return e.Next()
}

// insertMessage checks the author's right to post and writes the message
// with its effects in one transaction and four statements, whatever the
// group size: the thread's sequence and last message (returning its kind
// and members), the sender's and direct peer's state, the INSERT, and every
// member's unread count and inbox position. A refusal rolls it all back.
// Counts are therefore exact under concurrency and nothing is
// half-written. The statements are plain SQL, kept short because parsing
// them is most of their cost, and fire no record events.
func (m *Messaging) insertMessage(e *core.RecordEvent) error {
	original := e.App
	defer func() { e.App = original }()

	return e.App.RunInTransaction(func(tx core.App) error {
		e.App = tx
		threadID, author := e.Record.GetString("thread"), e.Record.GetString("author")
		if e.Record.Id == "" {
			e.Record.Id = core.GenerateDefaultRandomId()
		}
		at := types.NowDateTime().String()

		var thread struct {
			Seq     int                     `db:"last_seq"`
			Kind    string                  `db:"kind"`
			Members types.JSONArray[string] `db:"members"`
		}
		err := tx.DB().NewQuery(`UPDATE threads SET last_seq = last_seq + 1, last_message = {:msg},
			last_message_at = {:at}, updated = {:at} WHERE id = {:id} RETURNING last_seq, kind, members`).
			Bind(dbx.Params{"msg": e.Record.Id, "at": at, "id": threadID}).One(&thread)
		if errors.Is(err, sql.ErrNoRows) {
			return errInvalid("thread", "unknown_thread", "Unknown thread.")
		}
		if err != nil {
			return err
		}
		if author != "" {
			if err := m.checkCanPost(tx, thread.Kind, thread.Members, author); err != nil {
				return err
			}
		}
		e.Record.Set("seq", thread.Seq)

		if err := e.Next(); err != nil {
			return err
		}
		m.sent.Store(e.Record, []string(thread.Members))
		if author == "" {
			// System notes move no counter and don't resurface the thread.
			return nil
		}

		// Every other current member gains one unread; the author has
		// read up to their own message; the thread comes back to
		// everyone's inbox.
		_, err = tx.DB().NewQuery(`UPDATE thread_members SET
				unread = CASE WHEN user = {:author} THEN 0 ELSE unread + 1 END,
				last_read_seq = CASE WHEN user = {:author} THEN {:seq} ELSE last_read_seq END,
				last_activity = {:at}, archived = FALSE
			WHERE thread = {:thread} AND "left" = FALSE`).
			Bind(dbx.Params{"author": author, "seq": thread.Seq, "at": at, "thread": threadID}).Execute()
		return err
	})
}

// afterMessageSent delivers the committed message live and fires
// OnMessageSent; the thread record is only loaded when a handler is bound.
func (m *Messaging) afterMessageSent(e *core.RecordEvent) error {
	v, _ := m.sent.LoadAndDelete(e.Record)
	members, _ := v.([]string)
	m.live.messageSent(e.App, e.Record.GetString("thread"), members, e.Record)
	if m.onMessageSent.Length() > 0 {
		thread, err := e.App.FindRecordById(CollectionNameThreads, e.Record.GetString("thread"))
		if err == nil {
			err = m.onMessageSent.Trigger(&MessageEvent{App: e.App, Message: e.Record, Thread: thread})
		}
		if err != nil {
			e.App.Logger().Error("messaging: OnMessageSent handler failed", "error", err)
		}
	}
	return e.Next()
}

// forgetFailedMessage drops the recipients kept for a message whose
// transaction did not commit.
func (m *Messaging) forgetFailedMessage(e *core.RecordErrorEvent) error {
	m.sent.Delete(e.Record)
	return e.Next()
}

// validateMessageUpdate keeps a message's identity fixed and makes soft
// deletion final: a deleted message's body is erased, and stays so.
func (m *Messaging) validateMessageUpdate(e *core.RecordEvent) error {
	old := e.Record.Original()
	for _, f := range []string{"thread", "author", "seq", "author_deleted"} {
		if e.Record.GetString(f) != old.GetString(f) {
			return errInvalid(f, "immutable", "This field can't be changed.")
		}
	}
	if old.GetBool("deleted") && !e.Record.GetBool("deleted") {
		return errInvalid("deleted", "undelete", "A deleted message can't be restored.")
	}
	if e.Record.GetBool("deleted") {
		e.Record.Set("body", "")
	} else {
		body, err := m.normalizeBody(e.Record.GetString("body"))
		if err != nil {
			return err
		}
		e.Record.Set("body", body)
	}
	return e.Next()
}

func (m *Messaging) applySoftDelete(e *core.RecordEvent) error {
	if !e.Record.GetBool("deleted") || e.Record.Original().GetBool("deleted") {
		return e.Next()
	}
	return m.withUncount(e)
}

func (m *Messaging) applyHardDelete(e *core.RecordEvent) error {
	if e.Record.GetBool("deleted") {
		return e.Next()
	}
	return m.withUncount(e)
}

// withUncount runs the write in e.Next() and, in the same transaction,
// takes the message out of the unread count of every member who had not
// read it yet.
func (m *Messaging) withUncount(e *core.RecordEvent) error {
	original := e.App
	defer func() { e.App = original }()

	return e.App.RunInTransaction(func(tx core.App) error {
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		author := e.Record.GetString("author")
		if author == "" && !e.Record.GetBool("author_deleted") {
			return nil // a system note counted for no one
		}
		_, err := tx.DB().NewQuery(`UPDATE {{thread_members}} SET [[unread]] = [[unread]] - 1
			WHERE [[thread]] = {:thread} AND [[left]] = FALSE AND [[user]] != {:author}
				AND [[last_read_seq]] < {:seq} AND [[unread]] > 0`).
			Bind(dbx.Params{"thread": e.Record.GetString("thread"), "author": author, "seq": e.Record.GetInt("seq")}).
			Execute()
		return err
	})
}

func hideDeletedBody(e *core.RecordEnrichEvent) error {
	if e.Record.GetBool("deleted") {
		e.Record.Set("body", "")
	}
	return e.Next()
}

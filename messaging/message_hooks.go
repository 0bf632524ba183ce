package messaging

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
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
	body, err := m.normalizeBody(e.Record.GetString("body"))
	if err != nil {
		return err
	}
	e.Record.Set("body", body)
	return e.Next()
}

// insertMessage assigns the message its place in the thread and updates
// the thread and every member's unread count and inbox position in the
// same transaction as the insert, so counts are exact under concurrency
// and nothing is half-written. The counters are plain SQL (no record
// events): one statement per table, whatever the group size.
func (m *Messaging) insertMessage(e *core.RecordEvent) error {
	original := e.App
	defer func() { e.App = original }()

	return e.App.RunInTransaction(func(tx core.App) error {
		e.App = tx
		thread, err := tx.FindRecordById(CollectionNameThreads, e.Record.GetString("thread"))
		if err != nil {
			return errInvalid("thread", "unknown_thread", "Unknown thread.")
		}
		author := e.Record.GetString("author")
		if author != "" {
			if err := m.checkCanPost(tx, thread, author); err != nil {
				return err
			}
		}

		var seq int
		err = tx.DB().NewQuery("UPDATE {{threads}} SET [[last_seq]] = [[last_seq]] + 1 WHERE [[id]] = {:id} RETURNING [[last_seq]]").
			Bind(dbx.Params{"id": thread.Id}).Row(&seq)
		if err != nil {
			return err
		}
		e.Record.Set("seq", seq)

		if err := e.Next(); err != nil {
			return err
		}

		at := e.Record.GetString("created")
		_, err = tx.DB().NewQuery("UPDATE {{threads}} SET [[last_message]] = {:msg}, [[last_message_at]] = {:at}, [[updated]] = {:at} WHERE [[id]] = {:id}").
			Bind(dbx.Params{"msg": e.Record.Id, "at": at, "id": thread.Id}).Execute()
		if err != nil || author == "" {
			// System notes move no counter and don't resurface the thread.
			return err
		}

		// Every other current member gains one unread; the author has
		// read up to their own message; the thread comes back to
		// everyone's inbox.
		_, err = tx.DB().NewQuery(`UPDATE {{thread_members}} SET
				[[unread]] = CASE WHEN [[user]] = {:author} THEN 0 ELSE [[unread]] + 1 END,
				[[last_read_seq]] = CASE WHEN [[user]] = {:author} THEN {:seq} ELSE [[last_read_seq]] END,
				[[last_activity]] = {:at}, [[archived]] = FALSE
			WHERE [[thread]] = {:thread} AND [[left]] = FALSE`).
			Bind(dbx.Params{"author": author, "seq": seq, "at": at, "thread": thread.Id}).Execute()
		return err
	})
}

func (m *Messaging) afterMessageSent(e *core.RecordEvent) error {
	thread, err := e.App.FindRecordById(CollectionNameThreads, e.Record.GetString("thread"))
	if err != nil {
		return e.Next()
	}
	m.live.messageSent(e.App, thread, e.Record)
	if err := m.onMessageSent.Trigger(&MessageEvent{App: e.App, Message: e.Record, Thread: thread}); err != nil {
		e.App.Logger().Error("messaging: OnMessageSent handler failed", "error", err)
	}
	return e.Next()
}

// validateMessageUpdate keeps a message's identity fixed and makes soft
// deletion final: a deleted message's body is erased, and stays so.
func (m *Messaging) validateMessageUpdate(e *core.RecordEvent) error {
	old := e.Record.Original()
	for _, f := range []string{"thread", "author", "seq"} {
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
		if author == "" {
			return nil
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

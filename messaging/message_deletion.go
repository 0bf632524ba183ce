package messaging

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Deleting messages. A message keeps its thread, author and place for
// good. Its author soft-deletes it (the body is erased everywhere and
// can't come back); a superuser may also delete the row. Either way the
// message leaves the unread counts of those who had not read it.

// bindMessageDeletionHooks keeps a message's identity fixed and makes
// deletion final, whoever writes: a soft delete erases the body, and both
// soft and hard deletes take the message out of the unread counts.
func (m *Messaging) bindMessageDeletionHooks() {
	app := m.app
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

// validateMessageUpdate keeps a message's identity fixed and makes soft
// deletion final: a deleted message's body is erased, and stays so.
func (m *Messaging) validateMessageUpdate(e *core.RecordEvent) error {
	old := e.Record.Original()
	for _, f := range []string{"thread", "author", "seq", "author_deleted"} {
		if e.Record.GetString(f) != old.GetString(f) {
			return errInvalid(f, "immutable", "This field can't be changed.")
		}
	}
	msg := &Message{e.Record}
	if (&Message{old}).Deleted() && !msg.Deleted() {
		return errInvalid("deleted", "undelete", "A deleted message can't be restored.")
	}
	if msg.Deleted() {
		msg.SetBody("")
	} else {
		body, err := m.messageBody(msg.Body(), fileCount(e.Record))
		if err != nil {
			return err
		}
		msg.SetBody(body)
	}
	return e.Next()
}

// applySoftDelete keeps the erased body when the site keeps deleted
// bodies (retention.go) and takes the message out of the unread counts,
// both in the deleting transaction.
func (m *Messaging) applySoftDelete(e *core.RecordEvent) error {
	msg, old := &Message{e.Record}, &Message{e.Record.Original()}
	if !msg.Deleted() || old.Deleted() {
		return e.Next()
	}
	return inRecordTransaction(e, func(tx core.App) error {
		if err := m.keepDeletedBody(tx, msg, old, m.clock()); err != nil {
			return err
		}
		return m.withUncount(e)
	})
}

// applyHardDelete takes the message out of the unread counts, and its
// kept body (if any) goes with the row.
func (m *Messaging) applyHardDelete(e *core.RecordEvent) error {
	return inRecordTransaction(e, func(tx core.App) error {
		if err := dropKeptBodies(tx, "message", e.Record.Id); err != nil {
			return err
		}
		if (&Message{e.Record}).Deleted() {
			return e.Next()
		}
		return m.withUncount(e)
	})
}

func hideDeletedBody(e *core.RecordEnrichEvent) error {
	if msg := (&Message{e.Record}); msg.Deleted() {
		msg.SetBody("")
	}
	return e.Next()
}

// DeleteMessage soft-deletes user's own message: the body is erased and
// the others see a placeholder. Errors: ErrNotFound (no such message or
// not a member), ErrForbidden (someone else's message).
func (m *Messaging) DeleteMessage(user, messageID string) error {
	r, err := m.app.FindRecordById(CollectionNameMessages, messageID)
	if err != nil {
		return errNotFound()
	}
	msg := &Message{r}
	if _, err := activeMember(m.app, user, msg.Thread()); err != nil {
		return err
	}
	if msg.Author() != user {
		return errForbidden("You can only delete your own messages.")
	}
	if msg.Deleted() {
		return nil
	}
	msg.SetDeleted(true)
	return m.app.Save(msg) // the "deleted" event goes out from the record hook
}

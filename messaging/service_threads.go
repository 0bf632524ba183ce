package messaging

import (
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Start starts a conversation from sender to recipients with a first
// message, or, for a single recipient, reuses the direct thread the two
// already share (also under concurrent calls: there is never a second one).
// The subject applies to new threads only.
//
// Errors: ErrInvalid (empty or long body, no/unknown recipients, only
// yourself, group too large); ErrRefused (sender may not send, or a
// recipient blocked the sender or has messaging off).
func (m *Messaging) Start(sender string, recipients []string, subject, body string) (thread, message *core.Record, err error) {
	body, err = m.normalizeBody(body)
	if err != nil {
		return nil, nil, err
	}
	subject = strings.TrimSpace(subject)
	if len([]rune(subject)) > 200 {
		return nil, nil, errInvalid("subject", "subject_too_long", "The subject can't be longer than 200 characters.")
	}

	max := m.Limits().MaxGroupSize
	// The sender may be among the recipients: up to max ids can be valid.
	others, ok := cleanIDs(recipients, max)
	if !ok {
		return nil, nil, errGroupTooLarge("recipients", max)
	}
	if i := slices.Index(others, sender); i >= 0 {
		others = slices.Delete(others, i, i+1)
		if len(others) == 0 {
			return nil, nil, errInvalid("recipients", "only_self", "You can't message only yourself.")
		}
	}
	if len(others) == 0 {
		return nil, nil, errInvalid("recipients", "no_recipients", "Choose at least one recipient.")
	}
	if len(others)+1 > max {
		return nil, nil, errGroupTooLarge("recipients", max)
	}

	err = m.app.RunInTransaction(func(tx core.App) error {
		from, err := tx.FindRecordById(CollectionNameUsers, sender)
		if err != nil {
			return errNotFound()
		}
		if err := m.checkRecipients(tx, from, others, "recipients"); err != nil {
			return err
		}

		if len(others) == 1 {
			key := DirectKey(sender, others[0])
			existing, err := tx.FindFirstRecordByData(CollectionNameThreads, "direct_key", key)
			if err == nil {
				thread = existing
				message, err = m.newMessage(tx, thread.Id, sender, body)
				return err
			}
			thread, err = m.createThread(tx, KindDirect, "", key, sender, others)
		} else {
			thread, err = m.createThread(tx, KindGroup, subject, "", sender, others)
		}
		if err != nil {
			return err
		}
		message, err = m.newMessage(tx, thread.Id, sender, body)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	// Re-read: the message hooks updated the thread with plain SQL.
	thread, err = m.app.FindRecordById(CollectionNameThreads, thread.Id)
	return thread, message, err
}

// checkRecipients returns ErrInvalid (on field, the input that named the
// users) for unknown users and ErrRefused when from may not write to every
// one of them.
func (m *Messaging) checkRecipients(app core.App, from *core.Record, ids []string, field string) error {
	return m.checkReach(app, from.Id, ids, errInvalid(field, "unknown_recipient", "Unknown recipient."))
}

// DirectKey is threads.direct_key of the direct thread between users a and
// b, the same whichever way round they are given; its unique index is what
// keeps a pair to one direct thread. Exported for bulk seeding.
func DirectKey(a, b string) string {
	pair := []string{a, b}
	sort.Strings(pair)
	return pair[0] + ":" + pair[1]
}

func (m *Messaging) createThread(tx core.App, kind, subject, key, creator string, others []string) (*core.Record, error) {
	col, err := tx.FindCachedCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return nil, err
	}
	thread := core.NewRecord(col)
	thread.Set("kind", kind)
	thread.Set("subject", subject)
	thread.Set("direct_key", key)
	thread.Set("created_by", creator)
	if err := tx.Save(thread); err != nil {
		return nil, err
	}
	now := types.NowDateTime()
	for _, u := range append([]string{creator}, others...) {
		if err := addMember(tx, thread.Id, u, 0, now); err != nil {
			return nil, err
		}
	}
	return thread, nil // OnThreadCreate fires from afterThreadCreate
}

// addMember adds user to thread, or brings back a member who had left;
// either way they start with the history read.
func addMember(tx core.App, threadID, user string, lastSeq int, at types.DateTime) error {
	member, err := tx.FindFirstRecordByFilter(CollectionNameThreadMembers, "thread = {:t} && user = {:u}",
		dbx.Params{"t": threadID, "u": user})
	if err != nil {
		col, err := tx.FindCachedCollectionByNameOrId(CollectionNameThreadMembers)
		if err != nil {
			return err
		}
		member = core.NewRecord(col)
		member.Set("thread", threadID)
		member.Set("user", user)
	}
	member.Set("left", false)
	member.Set("unread", 0)
	member.Set("last_read_seq", lastSeq)
	member.Set("last_activity", at)
	return tx.Save(member)
}

// newMessage saves an authored (or, with author "", system) message; the
// record hooks enforce every rule and move the counters.
func (m *Messaging) newMessage(app core.App, threadID, author, body string) (*core.Record, error) {
	col, err := app.FindCachedCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil, err
	}
	msg := core.NewRecord(col)
	msg.Set("thread", threadID)
	msg.Set("author", author)
	msg.Set("body", body)
	if err := app.Save(msg); err != nil {
		// The thread relation fails validation when the thread doesn't
		// exist: the same 404 as for a thread one is not in.
		var verrs validation.Errors
		if errors.As(err, &verrs) && verrs["thread"] != nil {
			return nil, errNotFound()
		}
		var apiErr *router.ApiError
		if errors.As(err, &apiErr) && errors.Is(apiErr, ErrInvalid) && apiErr.Data["thread"] != nil {
			return nil, errNotFound()
		}
		return nil, err
	}
	return msg, nil
}

// Send posts body into thread as author, with the same rules as every
// other way in. Errors: ErrNotFound (no such thread or not a current
// member), ErrInvalid (body), ErrRefused (see Start).
func (m *Messaging) Send(author, threadID, body string) (*core.Record, error) {
	if author == "" {
		return nil, errInvalid("author", "no_author", "A message needs an author; use SendSystem for notes.")
	}
	return m.newMessage(m.app, threadID, author, body)
}

// SendSystem posts a note without an author ("Dave left the conversation.").
// System notes don't count as unread.
func (m *Messaging) SendSystem(threadID, body string) (*core.Record, error) {
	if _, err := m.app.FindRecordById(CollectionNameThreads, threadID); err != nil {
		return nil, errNotFound()
	}
	return m.newMessage(m.app, threadID, "", body)
}

// afterCommit runs fn once tx has committed (at once when app is not in a
// transaction); it is dropped on rollback.
func (m *Messaging) afterCommit(app core.App, fn func()) {
	if info := app.TxInfo(); info != nil {
		info.OnComplete(func(txErr error) error {
			if txErr == nil {
				fn()
			}
			return nil
		})
		return
	}
	fn()
}

package messaging

// Starting a conversation: one recipient means the pair's direct thread
// (direct.go), several a new group (groups.go). Who may write to whom is
// permissions.go; the first message goes through the same record hooks as
// every other (sending.go), in the same transaction.

import (
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
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
	return m.StartWith(sender, recipients, subject, body, SendOptions{})
}

// StartFiles is Start with attachments on the first message (see
// SendFiles): the body may be empty when there is at least one file.
func (m *Messaging) StartFiles(sender string, recipients []string, subject, body string, files []*filesystem.File) (thread, message *core.Record, err error) {
	return m.StartWith(sender, recipients, subject, body, SendOptions{Files: files})
}

// StartWithKey is Start with a client key for the first message, as in
// SendWithKey: a retry returns the original thread and message and
// creates nothing (no second group). The same key with another body or a
// recipient who is not in the original thread is ErrKeyConflict.
func (m *Messaging) StartWithKey(sender string, recipients []string, subject, body, key string) (thread, message *core.Record, err error) {
	return m.StartWith(sender, recipients, subject, body, SendOptions{ClientKey: key})
}

// StartWith is Start with options for the first message: a client key,
// files, or both; and for the thread: roles, recipients of registered
// types and announcements (roles_start.go), which Go callers may always
// use and which always make a new group.
func (m *Messaging) StartWith(sender string, recipients []string, subject, body string, opts SendOptions) (thread, message *core.Record, err error) {
	key := opts.ClientKey
	body, err = m.messageBody(body, len(opts.Files))
	if err != nil {
		return nil, nil, err
	}
	if err := checkClientKey(key); err != nil {
		return nil, nil, err
	}
	subject = strings.TrimSpace(subject)
	if len([]rune(subject)) > 200 {
		return nil, nil, errInvalid("subject", "subject_too_long", "The subject can't be longer than 200 characters.")
	}
	if opts.hasGroupTargets() {
		return m.startToTargets(sender, recipients, subject, body, opts) // roles_start.go
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
		if opts.SkipAntiSpam {
			m.exemptTx(tx)
		}
		var err error
		if message, err = startRetry(tx, sender, others, body, key); err != nil || message != nil {
			return err
		}
		requests, err := m.checkRecipients(tx, sender, others, "recipients")
		if err != nil {
			return err
		}
		if len(others) == 1 {
			thread, err = m.directThread(tx, sender, others[0])
		} else {
			thread, err = m.createThread(tx, KindGroup, subject, "", sender, others)
		}
		if err != nil {
			return err
		}
		message, err = m.newMessageWith(tx, thread.Id, sender, body, opts)
		if err == nil && (&Message{message}).Seq() == 1 {
			// A new thread: after its first message, the strangers'
			// memberships become requests (reach.go).
			err = markRequests(tx, thread.Id, requests)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	// Re-read: the message hooks updated the thread with plain SQL.
	thread, err = m.app.FindRecordById(CollectionNameThreads, (&Message{message}).Thread())
	return thread, message, err
}

// createThread saves a new thread with creator and others as its members,
// all starting with nothing unread.
func (m *Messaging) createThread(tx core.App, kind, subject, key, creator string, others []string) (*core.Record, error) {
	col, err := tx.FindCachedCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return nil, err
	}
	thread := core.NewRecord(col)
	t := &Thread{thread}
	t.SetKind(kind)
	t.SetSubject(subject)
	t.SetDirectKey(key)
	t.SetCreatedBy(creator)
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

package messaging

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Sending a message. Whoever writes it (the HTTP or Go API, the records or
// batch API, a JS hook), a new message passes through these record hooks:
// the author is forced to the caller (records API), the body is trimmed and
// checked, and insertMessage, in one transaction, takes the thread's next
// seq, checks the author may post (permissions.go), inserts the row and
// counts it unread for the other members (unread.go). After the commit
// afterMessageSent sends the live event and fires OnMessageSent.

// bindSendingHooks binds the rules for new messages at the record-event
// level, so the HTTP API, the records and batch APIs, JS hooks and Go code
// all obey them.
func (m *Messaging) bindSendingHooks() {
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
	m.bindClientKeyHooks()
}

// forceMessageAuthor makes the caller the author of a message created
// through the records API; the body's author is ignored. Superusers may
// set any author, or none for a system note.
func (m *Messaging) forceMessageAuthor(e *core.RecordRequestEvent) error {
	if !e.HasSuperuserAuth() {
		if e.Auth == nil {
			return e.UnauthorizedError("Sign in to send messages.", nil)
		}
		(&Message{e.Record}).SetAuthor(e.Auth.Id)
	}
	return e.Next()
}

func (m *Messaging) validateNewMessage(e *core.RecordEvent) error {
	msg := &Message{e.Record}
	msg.SetDeleted(false)
	// Only deleting a user marks messages as theirs (deletion.go).
	msg.SetAuthorDeleted(false)
	body, err := m.messageBody(msg.Body(), fileCount(e.Record))
	if err != nil {
		return err
	}
	msg.SetBody(body)
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
	return inRecordTransaction(e, func(tx core.App) error {
		msg := &Message{e.Record}
		threadID, author := msg.Thread(), msg.Author()
		if e.Record.Id == "" {
			e.Record.Id = core.GenerateDefaultRandomId()
		}
		at := types.NowDateTime().String()
		if err := claimClientKey(tx, msg); err != nil {
			return err
		}
		var thread struct {
			Seq     int                     `db:"last_seq"`
			Kind    string                  `db:"kind"`
			Members types.JSONArray[string] `db:"members"`
			Open    int                     `db:"first_contacts_open"`
			Count   int                     `db:"member_count"`
			// An announcement takes posts from its creator and moderators.
			Announce bool   `db:"announcement"`
			Creator  string `db:"created_by"`
		}
		err := tx.DB().NewQuery(`UPDATE threads SET last_seq = last_seq + 1, last_message = {:msg},
			last_message_at = {:at}, updated = {:at} WHERE id = {:id} RETURNING last_seq, kind, members, first_contacts_open, member_count, announcement, created_by`).
			Bind(dbx.Params{"msg": e.Record.Id, "at": at, "id": threadID}).One(&thread)
		if errors.Is(err, sql.ErrNoRows) {
			return errInvalid("thread", "unknown_thread", "Unknown thread.")
		}
		if err != nil {
			return err
		}
		if author != "" {
			who, err := m.checkCanPostAs(tx, threadID, thread.Kind, thread.Members, author)
			if err != nil {
				return err
			}
			if err := m.checkAnnouncement(thread.Announce, thread.Creator, author, who.roles); err != nil {
				return err // announcements.go
			}
			spam, err := m.checkSendLimits(tx, e.Record, author, who) // antispam.go
			if err != nil {
				return err
			}
			if err := spam.checkStartRecipients(thread.Seq, thread.Count); err != nil {
				return err
			}
			if err := m.firstContactsOf(tx, spam, threadID, author, thread.Seq, thread.Open, thread.Members); err != nil {
				return err
			}
		}
		msg.SetSeq(thread.Seq)

		if err := e.Next(); err != nil {
			return err
		}
		if len(thread.Members) >= thread.Count {
			m.sent.Store(e.Record, []string(thread.Members))
		} // else the list is a preview: afterMessageSent reads the members
		if author == "" {
			// System notes move no counter and don't resurface the thread.
			return nil
		}

		return m.countIn(tx, e.Record.Id, threadID, author, thread.Seq, thread.Count, at)
	})
}

// countIn counts an authored message in: in the sending transaction for a
// thread of up to FanOutThreshold members with no fan-out pending, else
// through a background fan-out (fanout.go) that the commit wakes.
func (m *Messaging) countIn(tx core.App, msgID, threadID, author string, seq, members int, at string) error {
	big := m.config.FanOutThreshold >= 0 && members > m.config.FanOutThreshold
	if !big {
		pending, err := fanOutPending(tx, threadID)
		if err != nil {
			return err
		}
		big = pending
	}
	if !big {
		return countNewMessage(tx, threadID, author, seq, at)
	}
	if err := countNewMessageLater(tx, msgID, threadID, author, seq, at); err != nil {
		return err
	}
	m.afterCommit(tx, m.fanOut.poke)
	return nil
}

// afterMessageSent delivers the committed message live and fires
// OnMessageSent; the thread record is only loaded when a handler is bound.
func (m *Messaging) afterMessageSent(e *core.RecordEvent) error {
	v, _ := m.sent.LoadAndDelete(e.Record)
	members, _ := v.([]string)
	msg := &Message{e.Record}
	if members == nil {
		// A thread bigger than its members preview: read the online ones
		// after the commit rather than carry thousands of ids through
		// the send (fanout.go).
		var err error
		if members, err = m.onlineMemberIDs(e.App, msg.Thread()); err != nil {
			logLiveError(e.App, "message", msg.Thread(), err)
		}
	}
	m.live.messageSent(e.App, msg.Thread(), members, e.Record)
	if m.onMessageSent.Length() > 0 {
		thread, err := e.App.FindRecordById(CollectionNameThreads, msg.Thread())
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

// normalizeBody trims the body and checks it against the size limit.
func (m *Messaging) normalizeBody(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return "", errInvalid("body", "empty_body", "The message can't be empty.")
	}
	if n := utf8.RuneCountInString(body); n > m.Limits().MaxBodyLength {
		return "", errInvalid("body", "body_too_long",
			"The message is too long: "+strconv.Itoa(n)+" characters, the limit is "+strconv.Itoa(m.Limits().MaxBodyLength)+".")
	}
	return body, nil
}

// newMessage saves an authored (or, with author "", system) message; the
// record hooks enforce every rule and move the counters.
func (m *Messaging) newMessage(app core.App, threadID, author, body string) (*core.Record, error) {
	return m.newMessageWith(app, threadID, author, body, SendOptions{})
}

// newMessageWith is newMessage with the author's client key
// (client_keys.go) and files (attachments.go).
func (m *Messaging) newMessageWith(app core.App, threadID, author, body string, opts SendOptions) (*core.Record, error) {
	col, err := app.FindCachedCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil, err
	}
	msg := core.NewRecord(col)
	mv := &Message{msg}
	mv.SetThread(threadID)
	mv.SetAuthor(author)
	mv.SetBody(body)
	if len(opts.Files) > 0 {
		mv.SetFiles(opts.Files)
	}
	mv.SetClientKey(opts.ClientKey)
	if opts.SkipAntiSpam {
		m.unlimited.Store(msg, struct{}{})
		defer m.unlimited.Delete(msg)
	}
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
	msg, err := m.newMessage(m.app, threadID, author, body)
	if to, ok, _ := m.announcementRedirect(threadID, err); ok {
		return m.redirectReply(author, to, body, SendOptions{}) // announcements.go
	}
	return msg, err
}

// SendFiles is Send with attachments: the body may be empty when there is
// at least one file. The files must obey the limits in force
// (messaging_settings); a bad one is ErrInvalid on field "files" and
// nothing is stored.
func (m *Messaging) SendFiles(author, threadID, body string, files []*filesystem.File) (*core.Record, error) {
	return m.SendWith(author, threadID, body, SendOptions{Files: files})
}

// SendSystem posts a note without an author ("Dave left the conversation.").
// System notes don't count as unread.
func (m *Messaging) SendSystem(threadID, body string) (*core.Record, error) {
	if _, err := m.app.FindRecordById(CollectionNameThreads, threadID); err != nil {
		return nil, errNotFound()
	}
	return m.newMessage(m.app, threadID, "", body)
}

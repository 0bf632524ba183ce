package messaging

import (
	"slices"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Email notifications: the queue. Sending a message writes one outbox row
// in its own transaction (queueMessage), whatever the number of members.
// The worker (notify_worker.go) fans each row out, a batch of members per
// transaction, into per-recipient notification rows: the first unread
// message of a member in a conversation opens a window that closes at the
// message's time + the delay (later messages join it and don't move it).
// Reading the conversation closes the window unsent (cancelReadWindows);
// at the due time the worker renders and sends one email for the window
// (notify_email.go). Digest-mode members get one email a day instead
// (notify_digest.go). Both collections are the queue: a restart loses
// nothing.

// Collections of the notification queue, superusers only.
const (
	CollectionNameOutbox        = "messaging_outbox"
	CollectionNameNotifications = "messaging_notifications"
)

// Email modes, the values of Preferences.EmailNotifications and of the
// site's default.
const (
	// EmailDefault is a member's "whatever the site's default is".
	EmailDefault = "default"
	// EmailConversation: one email per conversation with new messages,
	// once the notification delay has passed.
	EmailConversation = "conversation"
	// EmailDigest: one email a day listing the conversations with unread
	// messages.
	EmailDigest = "digest"
	// EmailNone: no email about messages.
	EmailNone = "none"
)

// emailModes are the stored modes (a member's "" is the site default).
func emailModes() []string { return []string{EmailConversation, EmailDigest, EmailNone} }

// Outbox kinds and states.
const (
	outboxMessage = "message"
	outboxDigest  = "digest"
	outboxPending = "pending"
	outboxDone    = "done"
	outboxGaveUp  = "failed"
)

// Notification kinds and states.
const (
	notifyConversation = "conversation"
	notifyDigest       = "digest"

	stateWaiting = "waiting"
	stateSending = "sending"
	stateRetry   = "retry"
	stateSent    = "sent"
	stateRead    = "read"
	stateSkipped = "skipped"
	stateFailed  = "failed"
)

func notificationStates() []string {
	return []string{stateWaiting, stateSending, stateRetry, stateSent, stateRead, stateSkipped, stateFailed}
}

// storedEmailMode turns a mode from the API into its stored value ("" for
// the default), or a 400 naming the allowed values.
func storedEmailMode(mode string) (string, error) {
	switch {
	case mode == "" || mode == EmailDefault:
		return "", nil
	case slices.Contains(emailModes(), mode):
		return mode, nil
	}
	return "", errInvalid("emailNotifications", "email_mode",
		`Must be "default", "conversation", "digest" or "none".`)
}

// Settings of the notification pipeline (entries of the settings table).

// emailModeSetting is the site's default email mode.
var emailModeSetting = choiceSetting("email_notifications", emailModes(),
	func(l *Limits) *string { return &l.EmailNotifications })

// notifyDelaySetting is the window in seconds: 0 or empty the default, -1
// no delay, at most a day.
var notifyDelaySetting = setting{name: "notify_delay_seconds", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
	f, _ := raw.(float64)
	switch {
	case f == 0:
		return true, nil
	case f == -1:
		l.NotifyDelaySeconds = 0
		return false, nil
	case f != float64(int(f)) || f < 1 || f > 86400:
		return false, validation.NewError("validation_messaging_setting_range",
			"Must be a whole number of seconds from 1 to 86400, 0 for the default, or -1 for no delay.")
	}
	l.NotifyDelaySeconds = int(f)
	return false, nil
}}

// digestHourSetting is the UTC hour of the daily digest, "0" … "23".
var digestHourSetting = setting{name: "digest_hour", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
	s, _ := raw.(string)
	if s == "" {
		return true, nil
	}
	h, err := strconv.Atoi(s)
	if err != nil || h < 0 || h > 23 {
		return false, validation.NewError("validation_messaging_setting_range", "An hour from 0 to 23 (UTC), or empty for the default.")
	}
	l.DigestHour = h
	return false, nil
}}

// notifyDefaults fills in the notification defaults of config.
func notifyDefaults(config *Config) {
	switch {
	case config.NotifyDelaySeconds == 0:
		config.NotifyDelaySeconds = 300
	case config.NotifyDelaySeconds < 0:
		config.NotifyDelaySeconds = -1
	}
	switch config.DigestHour {
	case 0:
		config.DigestHour = 8
	case 24:
		config.DigestHour = 0
	}
	if config.EmailNotifications == "" {
		config.EmailNotifications = EmailConversation
	}
}

// bindNotifyHooks queues every authored message and closes the windows of
// members who read. Nothing is bound when notifications are off.
func (m *Messaging) bindNotifyHooks() {
	if m.config.NotificationsOff {
		return
	}
	m.notify = newNotifier(m)
	// Runs inside insertMessage's e.Next(), so inside its transaction.
	m.app.OnRecordCreateExecute(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingNotifyQueue__", Func: m.queueMessage,
	})
	m.app.OnRecordUpdateExecute(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingNotifyRead__", Func: m.cancelOnRecordRead,
	})
	m.app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id: "__messagingNotifyStart__", Func: func(e *core.ServeEvent) error {
			m.notify.start()
			return e.Next()
		},
	})
	m.app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Id: "__messagingNotifyStop__", Func: func(e *core.TerminateEvent) error {
			m.notify.stop()
			return e.Next()
		},
	})
}

// queueMessage writes the message's one outbox row, in the sending
// transaction, and wakes the worker after the commit. System notes notify
// no one.
func (m *Messaging) queueMessage(e *core.RecordEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	msg := &Message{e.Record}
	if msg.Author() == "" {
		return nil
	}
	now := time.Now().UTC()
	at, _ := types.ParseDateTime(now)
	due, _ := types.ParseDateTime(now.Add(time.Duration(max(m.Limits().NotifyDelaySeconds, 0)) * time.Second))
	_, err := e.App.DB().NewQuery(`INSERT INTO messaging_outbox
		(id, kind, state, message, thread, author, seq, day, due, cursor, attempts, last_error, next_attempt, created, updated)
		VALUES ({:id}, 'message', 'pending', {:msg}, {:thread}, {:author}, {:seq}, '', {:due}, '', 0, '', {:at}, {:at}, {:at})`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "msg": e.Record.Id, "thread": msg.Thread(),
			"author": msg.Author(), "seq": msg.Seq(), "due": due.String(), "at": at.String()}).Execute()
	if err != nil {
		return err
	}
	m.afterCommit(e.App, m.notify.poke)
	return nil
}

// cancelReadWindows closes user's open windows in thread unsent once they
// have nothing unread there: one indexed UPDATE, in the reading
// transaction. (The worker checks again what is unread when it sends, so
// this is what makes a read visible in the dashboard, not what makes it
// safe.)
func (m *Messaging) cancelReadWindows(tx core.App, user, threadID string) error {
	return m.cancelReadWindowsIn(tx, user, []string{threadID})
}

// cancelReadWindowsIn is cancelReadWindows for many threads in one
// statement (bulk.go).
func (m *Messaging) cancelReadWindowsIn(tx core.App, user string, threads []string) error {
	if m.notify == nil || len(threads) == 0 {
		return nil
	}
	_, err := tx.DB().NewQuery(`UPDATE messaging_notifications SET state = 'read', updated = {:now}, next_attempt = {:purge}
		WHERE user = {:user} AND thread IN (SELECT value FROM json_each({:threads})) AND state IN ('waiting', 'retry')
			AND NOT EXISTS (SELECT 1 FROM thread_members tm WHERE tm.thread = messaging_notifications.thread
				AND tm.user = {:user} AND tm.unread > 0)`).
		Bind(dbx.Params{"user": user, "threads": inParam(threads), "now": types.NowDateTime().String(),
			"purge": purgeTime(time.Now().UTC())}).Execute()
	return err
}

// cancelOnRecordRead closes the windows of a member whose read position a
// record save moved forward (the records API as a superuser, Go, a JS hook).
func (m *Messaging) cancelOnRecordRead(e *core.RecordEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	if e.Record.GetInt("last_read_seq") > e.Record.Original().GetInt("last_read_seq") {
		return m.cancelReadWindows(e.App, e.Record.GetString("user"), e.Record.GetString("thread"))
	}
	return nil
}

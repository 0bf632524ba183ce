package messaging

import (
	"fmt"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
)

// Migrations of issue 11 (notifications): the member's email mode, the
// site's notification settings, and the outbox and notifications
// collections (notify*.go).

const (
	emailModeMigrationName      = "1795000070_messaging_email_mode.go"
	notifySettingsMigrationName = "1795000071_messaging_notify_settings.go"
	notificationsMigrationName  = "1795000072_messaging_notifications.go"
)

func init() {
	core.AppMigrations.Register(migrateEmailModeUp, migrateEmailModeDown, emailModeMigrationName)
	core.AppMigrations.Register(migrateNotifySettingsUp, migrateNotifySettingsDown, notifySettingsMigrationName)
	core.AppMigrations.Register(migrateNotificationsUp, migrateNotificationsDown, notificationsMigrationName)
}

// migrateEmailModeUp turns the member's "no emails" switch into a mode:
// email_notifications, empty for the site default; a member who had
// emails off gets "none".
func migrateEmailModeUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNamePreferences)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(&core.SelectField{Name: "email_notifications", Values: emailModes(), MaxSelect: 1,
		Help: "Email about new messages: conversation (one email per conversation with new messages, after the delay), " +
			"digest (one a day), none. Empty: the site's default (messaging_settings.email_notifications)."})
	if err := app.Save(c); err != nil {
		return err
	}
	if c.Fields.GetByName("message_emails_off") != nil {
		if _, err := app.DB().NewQuery(`UPDATE messaging_preferences SET email_notifications = 'none'
			WHERE message_emails_off`).Execute(); err != nil {
			return err
		}
		c.Fields.RemoveByName("message_emails_off")
	}
	return app.Save(c)
}

func migrateEmailModeDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNamePreferences)
	if err != nil {
		return nil
	}
	c.Fields.Add(&core.BoolField{Name: "message_emails_off", Help: "No email notifications about new messages."})
	if err := app.Save(c); err != nil {
		return err
	}
	if _, err := app.DB().NewQuery(`UPDATE messaging_preferences SET message_emails_off = TRUE
		WHERE email_notifications = 'none'`).Execute(); err != nil {
		return err
	}
	c.Fields.RemoveByName("email_notifications")
	return app.Save(c)
}

// digestHours are the values of digest_hour: "0" … "23" (UTC).
func digestHours() []string {
	h := make([]string, 24)
	for i := range h {
		h[i] = strconv.Itoa(i)
	}
	return h
}

// templateFields are the settings that replace the built-in email
// templates (notify_templates.go), each with its help text.
var templateFields = []struct{ name, help string }{
	{"email_subject_template", "Subject of the per-conversation email (Go text/template). Empty: the built-in one."},
	{"email_text_template", "Plain-text part of the per-conversation email (Go text/template). Empty: the built-in one."},
	{"email_html_template", "HTML part of the per-conversation email (Go html/template). Empty: the built-in one."},
	{"digest_subject_template", "Subject of the daily digest (Go text/template). Empty: the built-in one."},
	{"digest_text_template", "Plain-text part of the daily digest (Go text/template). Empty: the built-in one."},
	{"digest_html_template", "HTML part of the daily digest (Go html/template). Empty: the built-in one."},
}

// migrateNotifySettingsUp adds the notification settings to
// messaging_settings, every one empty (the Config default applies).
func migrateNotifySettingsUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(
		&core.SelectField{Name: "email_notifications", Values: emailModes(), MaxSelect: 1,
			Help: "Default email mode for members who chose none: conversation, digest or none. Empty: the default, conversation."},
		&core.NumberField{Name: "notify_delay_seconds", OnlyInt: true,
			Help: "Seconds between a member's first unread message in a conversation and its email (a fixed window). " +
				"Empty or 0: the default, 300. -1: no delay."},
		&core.SelectField{Name: "digest_hour", Values: digestHours(), MaxSelect: 1,
			Help: "Hour of the day (UTC) the daily digest goes out. Empty: the default, 8."},
	)
	for _, t := range templateFields {
		c.Fields.Add(&core.TextField{Name: t.name, Max: 20000, Help: t.help})
	}
	return app.Save(c)
}

func migrateNotifySettingsDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	for _, name := range []string{"email_notifications", "notify_delay_seconds", "digest_hour"} {
		c.Fields.RemoveByName(name)
	}
	for _, t := range templateFields {
		c.Fields.RemoveByName(t.name)
	}
	return app.Save(c)
}

// migrateNotificationsUp creates the outbox and notifications collections,
// superusers only: the queue is visible (and repairable) in the dashboard.
// Ids are plain text, not relations, so that inserting a row validates
// nothing and deleting a user or thread never walks the queue.
func migrateNotificationsUp(app core.App) error {
	next := func() *core.DateField {
		return &core.DateField{Name: "next_attempt",
			Help: "When the worker next looks at the row: fans it out or sends it (pending, waiting, retry), " +
				"takes it back after a crash (sending), or deletes it (finished rows are kept a week)."}
	}
	outbox := core.NewBaseCollection(CollectionNameOutbox)
	outbox.Fields.Add(
		&core.SelectField{Name: "kind", Values: []string{outboxMessage, outboxDigest}, MaxSelect: 1, Required: true},
		&core.SelectField{Name: "state", Values: []string{outboxPending, outboxDone, outboxGaveUp}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "message", Max: 15, Help: "The new message (kind message)."},
		&core.TextField{Name: "thread", Max: 15},
		&core.TextField{Name: "author", Max: 15},
		&core.NumberField{Name: "seq", OnlyInt: true, Help: "The message's position in its thread."},
		&core.TextField{Name: "day", Max: 10, Help: "The digest's day, YYYY-MM-DD (kind digest)."},
		&core.DateField{Name: "due", Help: "End of the notification window the message opens: message time + delay."},
		&core.TextField{Name: "cursor", Max: 15, Help: "Fan-out progress: the last user id handled."},
		&core.NumberField{Name: "attempts", OnlyInt: true},
		&core.TextField{Name: "last_error", Max: 2000},
		next(),
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	outbox.AddIndex("idx_messaging_outbox_next", false, "state, next_attempt", "")
	outbox.AddIndex("idx_messaging_outbox_day", true, "day", "day != ''")
	if err := app.Save(outbox); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameOutbox, err)
	}

	n := core.NewBaseCollection(CollectionNameNotifications)
	n.Fields.Add(
		&core.SelectField{Name: "kind", Values: []string{notifyConversation, notifyDigest}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "user", Max: 15, Required: true, Help: "The recipient."},
		&core.TextField{Name: "thread", Max: 15, Help: "The conversation (kind conversation)."},
		&core.TextField{Name: "day", Max: 10, Help: "The digest's day (kind digest)."},
		&core.SelectField{Name: "state", Values: notificationStates(), MaxSelect: 1, Required: true,
			Help: "waiting (window open) → sending → sent; retry after a failure, failed after the last attempt; " +
				"read (read before it went out), skipped (nothing left to say)."},
		&core.NumberField{Name: "first_seq", OnlyInt: true, Help: "The first message of the window."},
		&core.NumberField{Name: "last_seq", OnlyInt: true, Help: "The last message the email covers (set before sending)."},
		&core.NumberField{Name: "count", OnlyInt: true, Help: "Messages (or conversations, for a digest) in the email."},
		&core.DateField{Name: "due", Help: "When the window closes and the email goes out."},
		&core.NumberField{Name: "attempts", OnlyInt: true},
		&core.TextField{Name: "last_error", Max: 2000},
		&core.DateField{Name: "sent_at"},
		next(),
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	// One open window per member and conversation: the fan-out's INSERT OR
	// IGNORE relies on it.
	n.AddIndex("idx_messaging_notifications_open", true, "user, thread, day", "state = 'waiting'")
	n.AddIndex("idx_messaging_notifications_user", false, "user, thread", "")
	n.AddIndex("idx_messaging_notifications_next", false, "state, next_attempt", "")
	n.AddIndex("idx_messaging_notifications_digest", true, "user, day", "day != ''")
	if err := app.Save(n); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameNotifications, err)
	}
	return nil
}

func migrateNotificationsDown(app core.App) error {
	for _, name := range []string{CollectionNameNotifications, CollectionNameOutbox} {
		if c, err := app.FindCollectionByNameOrId(name); err == nil {
			if err := app.Delete(c); err != nil {
				return err
			}
		}
	}
	return nil
}

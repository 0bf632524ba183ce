package messaging

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/spf13/cobra"
)

// Retention of deleted messages (issue 14), privatemsg's "view deleted
// messages" done privately.
//
// A soft delete always erases the body from the message row at once, as
// before: every read path (records, batch, realtime, expand, the messaging
// API, search, email) reads that row, so none of them can show a deleted
// body, whatever its rules. When the site keeps deleted bodies for N days,
// the body moves in the same transaction to its own superuser-only table,
// deletedBodiesTable, which no rule, filter or expand can name (it is not
// a collection). Moderators who are members of the conversation may read
// it there through one route while the site allows it; a job erases each
// kept body when its days are up. Nothing depends on a kept body (counts,
// previews and search read the message row), so erasing one fixes nothing
// else.

// deletedBodiesTable holds the bodies of deleted messages until their
// purge time. Created by the retention migration.
const deletedBodiesTable = "_messaging_deleted_bodies"

// Deleted-user message modes (PrivacyConfig.DeletedUserMessages).
const (
	// DeletedUserKeep keeps a deleted user's messages, shown as from a
	// "Deleted user".
	DeletedUserKeep = "keep"
	// DeletedUserRemove erases them as if their author had deleted each.
	DeletedUserRemove = "remove"
)

func deletedUserModes() []string { return []string{DeletedUserKeep, DeletedUserRemove} }

// PrivacyConfig are the defaults of the retention and oversight settings.
type PrivacyConfig struct {
	// DeletedRetentionDays keeps a soft-deleted message's body, hidden, for
	// this many days before it is erased for good. 0 (the default): erased
	// at once.
	DeletedRetentionDays int
	// ModeratorsReadDeleted lets moderators read the kept bodies of deleted
	// messages in conversations they are members of. Default false.
	ModeratorsReadDeleted bool
	// DeletedUserMessages: what deleting a user does to their messages,
	// DeletedUserKeep (the default) or DeletedUserRemove.
	DeletedUserMessages string
	// StaffNoticeDelayDays delays the "Staff viewed this conversation"
	// notice (oversight.go). 0 (the default): at once.
	StaffNoticeDelayDays int
}

// PrivacyLimits are the retention settings in force.
type PrivacyLimits struct {
	DeletedRetentionDays  int    `json:"deleted_retention_days"`
	ModeratorsReadDeleted bool   `json:"moderators_read_deleted"`
	DeletedUserMessages   string `json:"deleted_user_messages"`
	StaffNoticeDelayDays  int    `json:"staff_view_notice_delay_days"`
}

// maxRetentionDays is the longest a deleted body may be kept: ten years.
const maxRetentionDays = 3650

func (c PrivacyConfig) limits() PrivacyLimits {
	mode := c.DeletedUserMessages
	if mode == "" {
		mode = DeletedUserKeep
	}
	return PrivacyLimits{
		DeletedRetentionDays:  max(c.DeletedRetentionDays, 0),
		ModeratorsReadDeleted: c.ModeratorsReadDeleted,
		DeletedUserMessages:   mode,
		StaffNoticeDelayDays:  max(c.StaffNoticeDelayDays, 0),
	}
}

func (c PrivacyConfig) check() error {
	if c.DeletedRetentionDays > maxRetentionDays {
		return validation.NewError("validation_messaging_retention", "DeletedRetentionDays is at most 3650")
	}
	if c.StaffNoticeDelayDays > maxNoticeDelayDays {
		return validation.NewError("validation_messaging_retention", "StaffNoticeDelayDays is at most 365")
	}
	if c.DeletedUserMessages != "" && c.DeletedUserMessages != DeletedUserKeep && c.DeletedUserMessages != DeletedUserRemove {
		return validation.NewError("validation_messaging_retention", `DeletedUserMessages must be "keep" or "remove"`)
	}
	return nil
}

// The dashboard's retention fields.
var (
	retentionDaysSetting = limitSetting("deleted_retention_days", maxRetentionDays,
		func(l *Limits) *int { return &l.DeletedRetentionDays })
	moderatorsReadDeletedSetting = setting{name: "moderators_read_deleted", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		if on, _ := raw.(bool); on {
			l.ModeratorsReadDeleted = true
			return false, nil
		}
		return true, nil
	}}
	deletedUserMessagesSetting = choiceSetting("deleted_user_messages", deletedUserModes(),
		func(l *Limits) *string { return &l.DeletedUserMessages })
	staffNoticeDelaySetting = limitSetting("staff_view_notice_delay_days", maxNoticeDelayDays,
		func(l *Limits) *int { return &l.StaffNoticeDelayDays })
)

// keepDeletedBody stores the body a soft delete is erasing, inside the
// deleting transaction, when the site keeps deleted bodies. A message
// deleted while nothing is kept is gone for good.
func (m *Messaging) keepDeletedBody(tx core.App, msg, old *Message, at time.Time) error {
	days := m.Limits().DeletedRetentionDays
	if days <= 0 || old.Body() == "" {
		return nil
	}
	_, err := tx.DB().NewQuery(`INSERT OR REPLACE INTO ` + deletedBodiesTable + `
			(message, thread, author, body, deleted, purge_after)
			VALUES ({:msg}, {:thread}, {:author}, {:body}, {:deleted}, {:purge})`).
		Bind(dbx.Params{
			"msg": msg.Id, "thread": msg.Thread(), "author": msg.Author(), "body": old.Body(),
			"deleted": at.UTC().Format(types.DefaultDateLayout),
			"purge":   at.Add(time.Duration(days) * 24 * time.Hour).UTC().Format(types.DefaultDateLayout),
		}).Execute()
	return err
}

// dropKeptBodies erases the kept bodies whose column (message, thread)
// is id: a message or thread deleted for good takes them along.
func dropKeptBodies(tx core.App, column, id string) error {
	_, err := tx.DB().NewQuery(`DELETE FROM ` + deletedBodiesTable + ` WHERE ` + column + ` = {:id}`).
		Bind(dbx.Params{"id": id}).Execute()
	return err
}

// DeletedBody is a deleted message's kept body, as a moderator reads it.
type DeletedBody struct {
	Message    string `db:"message" json:"message"`
	Thread     string `db:"thread" json:"thread"`
	Author     string `db:"author" json:"author"`
	Body       string `db:"body" json:"body"`
	Deleted    string `db:"deleted" json:"deleted"`
	PurgeAfter string `db:"purge_after" json:"purgeAfter"`
}

// ReadDeleted returns the kept body of a deleted message to a superuser,
// or to a moderator who is a current member of its conversation while the
// site lets moderators read deleted messages. Errors: ErrNotFound for
// everyone else, and when nothing is kept (never deleted, erased, or
// deleted while nothing was kept): the answer is the same either way.
func (m *Messaging) ReadDeleted(viewer *core.Record, messageID string) (*DeletedBody, error) {
	if !m.isModerator(viewer) || (!viewer.IsSuperuser() && !m.Limits().ModeratorsReadDeleted) {
		return nil, errNotFound()
	}
	out := &DeletedBody{}
	err := m.app.DB().NewQuery(`SELECT message, thread, author, body, deleted, purge_after FROM ` + deletedBodiesTable + `
			WHERE message = {:msg}`).Bind(dbx.Params{"msg": messageID}).One(out)
	if err != nil {
		return nil, errNotFound()
	}
	if !viewer.IsSuperuser() {
		if ok, err := isCurrentMember(m.app, out.Thread, viewer.Id); err != nil || !ok {
			return nil, errNotFound()
		}
	}
	return out, nil
}

func (m *Messaging) handleReadDeleted(e *core.RequestEvent) error {
	body, err := m.ReadDeleted(e.Auth, e.Request.PathValue("id"))
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, body)
}

// Purging kept bodies whose days are up: short batches, each its own
// statement, capped per run like the other clean-up jobs, with a pause
// between two batches so that senders get the write lock in between. The
// batch is small because a sender waits for at most one of them: 500 rows
// a statement doubled the senders' p99 during a purge (BENCHMARKS.md).
const (
	purgeBatch      = 100
	purgeMaxBatches = 1000
	purgeYield      = 10 * time.Millisecond
)

// bindRetentionPurge schedules the purge every 10 minutes.
func (m *Messaging) bindRetentionPurge() {
	m.app.Cron().MustAdd("__messagingRetentionPurge__", "*/10 * * * *", func() {
		if _, err := m.PurgeDeletedBodies(); err != nil {
			m.app.Logger().Error("messaging: purging deleted messages failed", "error", err)
		}
	})
}

// PurgeDeletedBodies erases the kept bodies whose retention has ended, in
// batches, and returns how many it erased. The cron job calls it every 10
// minutes; it is safe to call at any time.
func (m *Messaging) PurgeDeletedBodies() (int64, error) {
	q := m.app.DB().NewQuery(`DELETE FROM ` + deletedBodiesTable + ` WHERE message IN (
			SELECT message FROM ` + deletedBodiesTable + ` WHERE purge_after <= {:now} LIMIT {:n})`).
		Bind(dbx.Params{"now": m.clock().UTC().Format(types.DefaultDateLayout), "n": purgeBatch})
	return inBatches(q, purgeBatch, purgeMaxBatches, purgeYield)
}

// purgeDeletedCommand is "messaging purge-deleted": the purge job, now and
// until nothing due is left, for a site owner who lowered the retention
// days (and for the benchmark).
func (m *Messaging) purgeDeletedCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "purge-deleted",
		Short: "Erase now the kept bodies of deleted messages whose retention days are up (the server does it every 10 minutes)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.app.RunAllMigrations(); err != nil {
				return err
			}
			began := time.Now()
			var total int64
			for {
				n, err := m.PurgeDeletedBodies()
				total += n
				if err != nil {
					return err
				}
				if n < purgeBatch*purgeMaxBatches {
					break
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "erased %d deleted message bodies in %.2fs\n", total, time.Since(began).Seconds())
			return nil
		},
	}
}

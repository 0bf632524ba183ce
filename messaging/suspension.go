package messaging

import (
	"errors"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Suspending a member's messaging: a staff-only mark, a row of
// messaging_suspensions (superuser-only), separate from the member's own
// messaging_off preference, which the member can't see or undo. A
// suspended member still reads, marks read, leaves, blocks, deletes their
// own messages and reports; they can't send, start a conversation, add
// people or edit a message. The check is part of the reach query every
// one of those paths runs in its transaction (permissions.go, reachAs), so
// the messaging, records and batch APIs, JS hooks and Go code all refuse
// with the same 403 (ErrSuspended). Moderators suspend through a report
// (moderation.go); Suspend and Unsuspend are the Go API (and superusers
// may also edit the collection in the dashboard, without an audit row).

// ErrSuspended: a moderator suspended the member's messaging.
var ErrSuspended = errors.New("messaging: suspended")

// suspendedMessage is the refusal's public text: the member is told, since
// it is about them and they can't change it.
const suspendedMessage = "Your messaging has been suspended by the moderators."

func errSuspended() *router.ApiError {
	return router.NewForbiddenError(suspendedMessage, ErrSuspended)
}

// suspendedSQL is a condition on the users row aliased alias: suspended.
func suspendedSQL(alias string) string {
	return `EXISTS (SELECT 1 FROM ` + CollectionNameSuspensions + ` s WHERE s.user = ` + alias + `.id)`
}

// suspend records that user's messaging is suspended, in tx (keeping an
// existing suspension as it was).
func (m *Messaging) suspend(tx core.App, actor *core.Record, user, report, reason string) error {
	_, err := tx.DB().NewQuery(`INSERT INTO ` + CollectionNameSuspensions + ` (id, user, by, report, reason, created)
		VALUES ({:id}, {:user}, {:by}, {:report}, {:reason}, {:at}) ON CONFLICT (user) DO NOTHING`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "user": user, "by": actorID(actor), "report": report,
			"reason": reason, "at": dateTime(m.clock())}).Execute()
	return err
}

// Suspend suspends user's messaging, with an audit row. actor is the
// moderator or superuser (nil: server code). Errors: ErrForbidden (actor
// is no moderator, or is user), ErrNotFound (unknown user), ErrInvalid
// (reason).
func (m *Messaging) Suspend(actor *core.Record, user, reason string) error {
	return m.changeSuspension(actor, user, reason, true)
}

// Unsuspend lifts user's suspension, with an audit row; lifting none is
// not an error. Errors as for Suspend.
func (m *Messaging) Unsuspend(actor *core.Record, user, reason string) error {
	return m.changeSuspension(actor, user, reason, false)
}

func (m *Messaging) changeSuspension(actor *core.Record, user, reason string, on bool) error {
	if actor != nil && (!m.isModerator(actor) || (!actor.IsSuperuser() && actor.Id == user)) {
		return errNotModerator()
	}
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	return m.app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.FindRecordById(CollectionNameUsers, user); err != nil {
			return errNotFound()
		}
		action := AuditSuspend
		if on {
			if err := m.suspend(tx, actor, user, "", reason); err != nil {
				return err
			}
		} else {
			action = AuditUnsuspend
			if _, err := tx.DB().NewQuery(`DELETE FROM ` + CollectionNameSuspensions + ` WHERE user = {:u}`).
				Bind(dbx.Params{"u": user}).Execute(); err != nil {
				return err
			}
		}
		return writeAudit(tx, actor, action, CollectionNameUsers, user, "", reason, map[string]any{})
	})
}

// IsSuspended reports whether user's messaging is suspended.
func (m *Messaging) IsSuspended(user string) (bool, error) {
	var on bool
	err := m.app.DB().NewQuery(`SELECT EXISTS (SELECT 1 FROM ` + CollectionNameSuspensions + ` WHERE user = {:u})`).
		Bind(dbx.Params{"u": user}).Row(&on)
	return on, err
}

package messaging

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Moderation: what holders of moderator_roles (and superusers) do with
// reports. Each action is one transaction that changes the report, does
// the action and writes its messaging_audit row (who, what, when, why;
// ids and states only, never message content):
//
//   - dismiss: the report is resolved, nothing else changes;
//   - delete: the reported message is soft-deleted as its author would
//     (the body is erased for the members, the sealed evidence stays);
//   - suspend: the reported member's messaging is suspended
//     (messaging_suspensions, suspension.go) until Unsuspend;
//   - escalate: the report stays unresolved and is left to superusers;
//     moderators can still read it but no longer act on it.
//
// A moderator never acts on a report about themselves. A moderator reads
// a report's evidence, never the author's other conversations: the routes
// here read nothing but the report, and for moderators the records API
// stays as members-only as for anyone.

// Moderator actions on a report.
const (
	ActionDismiss  = "dismiss"
	ActionDelete   = "delete"
	ActionSuspend  = "suspend"
	ActionEscalate = "escalate"
)

// Audit actions besides the report actions ("report.<action>").
const (
	AuditSuspend   = "user.suspend"
	AuditUnsuspend = "user.unsuspend"
)

// errNotModerator is the answer to anyone but a moderator or superuser.
func errNotModerator() *router.ApiError {
	return errForbidden("Only moderators can do this.")
}

// checkReason trims and checks the reason every moderator action gives.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", errInvalid("reason", "reason_required", "Say why.")
	case utf8.RuneCountInString(reason) > maxAuditReason:
		return "", errInvalid("reason", "too_long", "At most 1000 characters.")
	}
	return reason, nil
}

// HandleReport applies a moderator's action to a report. actor is the
// moderator (a users record holding a moderator role) or a superuser; nil
// means server code. Errors: ErrForbidden (not a moderator; an escalated
// report for a moderator; a report about the actor), ErrNotFound (unknown
// report), ErrInvalid (action, reason, a resolved report, delete without
// a message, suspend without an author).
func (m *Messaging) HandleReport(actor *core.Record, reportID, action, reason string) (*ModeratorReport, error) {
	if actor != nil && !m.isModerator(actor) {
		return nil, errNotModerator()
	}
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	outcome, state := "", ""
	switch action {
	case ActionDismiss:
		outcome, state = OutcomeDismissed, ReportDismissed
	case ActionDelete:
		outcome, state = OutcomeMessageDeleted, ReportActioned
	case ActionSuspend:
		outcome, state = OutcomeSuspended, ReportActioned
	case ActionEscalate:
		outcome, state = OutcomeEscalated, ReportEscalated
	default:
		return nil, errInvalid("action", "report_action", "Choose dismiss, delete, suspend or escalate.")
	}
	var report *core.Record
	err = m.app.RunInTransaction(func(tx core.App) error {
		var err error
		report, err = tx.FindRecordById(CollectionNameReports, reportID)
		if err != nil {
			return errNotFound()
		}
		if err := m.mayHandle(actor, report, action); err != nil {
			return err
		}
		m.moderate(tx)
		rep := &Report{report}
		switch action {
		case ActionDelete:
			if err := moderatorDelete(tx, rep.Message()); err != nil {
				return err
			}
		case ActionSuspend:
			if err := m.suspend(tx, actor, rep.Author(), report.Id, reason); err != nil {
				return err
			}
		}
		rep.SetHandled(state, outcome, actorID(actor), dateTime(m.clock()))
		if err := tx.Save(report); err != nil {
			return err
		}
		return writeAudit(tx, actor, "report."+action, CollectionNameReports, report.Id, rep.Thread(), reason,
			map[string]any{"state": state, "outcome": outcome, "message": rep.Message(), "author": rep.Author()})
	})
	if err != nil {
		return nil, err
	}
	m.reportHandled(report, actor, action)
	v := moderatorReport(report, false)
	return &v, nil
}

// mayHandle checks that actor may apply action to report now.
func (m *Messaging) mayHandle(actor, record *core.Record, action string) error {
	report := &Report{record}
	state := report.State()
	switch {
	case state == ReportDismissed || state == ReportActioned:
		return errInvalid("action", "report_closed", "This report was already handled.")
	case actor != nil && !actor.IsSuperuser() && state == ReportEscalated:
		return errForbidden("This report was escalated to the site's administrators.")
	case state == ReportEscalated && action == ActionEscalate:
		return errInvalid("action", "report_escalated", "This report is already escalated.")
	case actor != nil && !actor.IsSuperuser() && (report.Author() == actor.Id || report.Reporter() == actor.Id):
		return errForbidden("Another moderator must handle a report you are part of.")
	case action == ActionDelete && report.Message() == "":
		return errInvalid("action", "no_message", "A conversation report has no single message to delete.")
	case action == ActionSuspend && report.Author() == "":
		return errInvalid("action", "no_author", "This report names no member to suspend.")
	}
	return nil
}

// moderate marks tx as a moderator's action: the held messages of
// unresolved reports may change in it (checkHeld).
func (m *Messaging) moderate(tx core.App) {
	info := tx.TxInfo()
	m.moderating.Store(info, struct{}{})
	info.OnComplete(func(error) error {
		m.moderating.Delete(info)
		return nil
	})
}

// moderatorDelete soft-deletes a message through the record hooks (so
// the counts and the members' "deleted" events follow); already deleted
// or gone is fine.
func moderatorDelete(tx core.App, messageID string) error {
	r, err := tx.FindRecordById(CollectionNameMessages, messageID)
	if err != nil || (&Message{r}).Deleted() {
		return nil
	}
	(&Message{r}).SetDeleted(true)
	return tx.Save(r)
}

// actorID is the id an audit row or a report keeps for actor.
func actorID(actor *core.Record) string {
	if actor == nil {
		return ""
	}
	return actor.Id
}

// writeAudit writes one messaging_audit row in tx.
func writeAudit(tx core.App, actor *core.Record, action, collection, target, thread, reason string, details map[string]any) error {
	col, err := tx.FindCachedCollectionByNameOrId(CollectionNameAudit)
	if err != nil {
		return err
	}
	kind := "system"
	if actor != nil {
		kind = "user"
		if actor.IsSuperuser() {
			kind = "superuser"
		}
	}
	r := core.NewRecord(col)
	r.Load(map[string]any{"actor": actorID(actor), "actor_kind": kind, "action": action, "target_collection": collection,
		"target_id": target, "thread": thread, "reason": reason, "details": details})
	return tx.Save(r)
}

// ReportQuery pages the moderators' queue: State (default open), Limit
// and the Cursor of the previous page's NextCursor.
type ReportQuery struct {
	State  string
	Cursor string
	Limit  int
}

// ReportPage is one page of the queue, oldest first.
type ReportPage struct {
	Items      []ModeratorReport `json:"items"`
	NextCursor string            `json:"nextCursor"`
}

// ModerationQueue lists reports in one state, oldest first, to a
// moderator or superuser: one range of the (state, created, id) index per
// page. Errors: ErrForbidden (not a moderator), ErrInvalid (state, cursor).
func (m *Messaging) ModerationQueue(viewer *core.Record, q ReportQuery) (*ReportPage, error) {
	if !m.isModerator(viewer) {
		return nil, errNotModerator()
	}
	if q.State == "" {
		q.State = ReportOpen
	}
	if !slices.Contains(reportStates(), q.State) {
		return nil, errInvalid("state", "report_state", "Choose open, escalated, dismissed or actioned.")
	}
	limit := m.limit(q.Limit)
	query := m.app.RecordQuery(CollectionNameReports).AndWhere(dbx.HashExp{"state": q.State})
	if !viewer.IsSuperuser() {
		// A report about a moderator is another's to handle: shown to
		// them, it would name who reported them.
		query = query.AndWhere(dbx.Not(dbx.HashExp{"author": viewer.Id}))
	}
	if q.Cursor != "" {
		at, id, ok := decodeCursor(q.Cursor)
		if !ok {
			return nil, errInvalid("cursor", "bad_cursor", "Invalid cursor.")
		}
		query = query.AndWhere(dbx.NewExp("(created, id) > ({:at}, {:id})", dbx.Params{"at": at, "id": id}))
	}
	var rows []*core.Record
	if err := query.OrderBy("created", "id").Limit(int64(limit + 1)).All(&rows); err != nil {
		return nil, err
	}
	page := &ReportPage{Items: []ModeratorReport{}}
	for i, r := range rows {
		if i == limit {
			last := rows[limit-1]
			page.NextCursor = encodeCursor(last.GetString("created"), last.Id)
			break
		}
		page.Items = append(page.Items, moderatorReport(r, false))
	}
	return page, nil
}

// ModerationReport returns one report with its sealed evidence to a
// moderator or superuser. Errors: ErrForbidden, ErrNotFound.
func (m *Messaging) ModerationReport(viewer *core.Record, id string) (*ModeratorReport, error) {
	if !m.isModerator(viewer) {
		return nil, errNotModerator()
	}
	r, err := m.app.FindRecordById(CollectionNameReports, id)
	if err != nil || (!viewer.IsSuperuser() && (&Report{r}).Author() == viewer.Id) {
		return nil, errNotFound() // about the viewer: see ModerationQueue
	}
	v := moderatorReport(r, true)
	// Bounded by the evidence window (2·report_context_messages+1 authors at most).
	ids := []string{v.Reporter, v.Author, v.HandledBy}
	for _, em := range v.Evidence.Messages {
		ids = append(ids, em.Author)
	}
	ids = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(ids))), func(id string) bool { return id == "" })
	if v.People, err = m.membersByID(ids); err != nil {
		return nil, err
	}
	return &v, nil
}

// MyReports lists reporter's own reports, newest first (at most limit).
func (m *Messaging) MyReports(reporter string, limit int) ([]ReporterView, error) {
	var rows []*core.Record
	err := m.app.RecordQuery(CollectionNameReports).AndWhere(dbx.HashExp{"reporter": reporter}).
		OrderBy("created DESC", "id DESC").Limit(int64(m.limit(limit))).All(&rows)
	if err != nil {
		return nil, err
	}
	out := make([]ReporterView, 0, len(rows))
	for _, r := range rows {
		out = append(out, reporterView(r))
	}
	return out, nil
}

package messaging

import (
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Reports. A current member of a conversation reports one of its messages
// (or the whole conversation, optionally naming the member it is about)
// with a reason from ReportReasons and up to 2,000 characters of their own.
// In one transaction the report is written with its sealed evidence
// (reports_evidence.go: the reported message, its earlier versions and
// report_context_messages neighbours on each side as they are now, and the
// sha256 of that JSON), the reporter's reports_per_hour counter moves
// (the anti-spam counters and 429, antispam.go), and the reported author
// pays what a declined request costs (2 points) from their first-contact
// budget (budget.go). Reporting the same message again, or the same
// conversation and member while that report is unresolved, returns the
// first report: nothing is counted, charged or written twice.
//
// Until the report is resolved (dismissed or actioned), its author can
// neither edit nor soft-delete the messages it holds: the reported message,
// or for a conversation report the reported member's messages in the
// sealed window (checkHeld, a record hook, so every path obeys it). A
// moderator's own action is not held (moderation.go).
//
// Outsiders (not a current member, unknown message or thread) get the
// messaging 404 and learn nothing. The moderators are told after the
// commit (reports_notify.go); handling a report is moderation.go.

// Reasons a report may give.
const (
	ReasonSpam       = "spam"
	ReasonHarassment = "harassment"
	ReasonHate       = "hate"
	ReasonSexual     = "sexual"
	ReasonViolence   = "violence"
	ReasonSelfHarm   = "self_harm"
	ReasonIllegal    = "illegal"
	ReasonOther      = "other"
)

// ReportReasons lists the reasons a report may give.
func ReportReasons() []string {
	return []string{ReasonSpam, ReasonHarassment, ReasonHate, ReasonSexual, ReasonViolence, ReasonSelfHarm,
		ReasonIllegal, ReasonOther}
}

// States of a report: open and escalated are unresolved (they hold the
// reported messages); dismissed and actioned are resolved.
const (
	ReportOpen      = "open"
	ReportDismissed = "dismissed"
	ReportActioned  = "actioned"
	ReportEscalated = "escalated"
)

func reportStates() []string {
	return []string{ReportOpen, ReportDismissed, ReportActioned, ReportEscalated}
}

// Outcomes of a handled report.
const (
	OutcomeDismissed      = "dismissed"
	OutcomeMessageDeleted = "message_deleted"
	OutcomeSuspended      = "author_suspended"
	OutcomeEscalated      = "escalated"
)

func reportOutcomes() []string {
	return []string{OutcomeDismissed, OutcomeMessageDeleted, OutcomeSuspended, OutcomeEscalated}
}

const (
	maxReportDetails = 2000
	maxAuditReason   = 1000
	// reportCost is what a report costs its author's first-contact
	// budget: as much as a declined request.
	reportCost = costRefused
	// rateReports is the anti-spam counter kind of reports (slot: hour).
	rateReports = "r"
)

// ReportInput is what a member reports: Message, or Thread (optionally
// with User, the member the report is about; in a direct conversation it
// defaults to the other person). Reason is one of ReportReasons.
type ReportInput struct {
	Message string `json:"message"`
	Thread  string `json:"thread"`
	User    string `json:"user"`
	Reason  string `json:"reason"`
	Details string `json:"details"`
}

// ReportEvent is fired after a report is committed (OnReportCreated) or
// after a moderator's action on it is (OnReportHandled). Actor is the
// moderator or superuser who acted, nil for a new report or Go code;
// Action is "" for a new report, else the action (ActionDismiss, …).
type ReportEvent struct {
	hook.Event
	App    core.App
	Report *core.Record
	Actor  *core.Record
	Action string
}

// OnReportCreated is triggered after every new report is committed (not
// for a repeated report that returned the first one).
func (m *Messaging) OnReportCreated() *hook.Hook[*ReportEvent] { return m.onReportCreated }

// OnReportHandled is triggered after a moderator's action on a report is
// committed (dismiss, delete, suspend, escalate).
func (m *Messaging) OnReportHandled() *hook.Hook[*ReportEvent] { return m.onReportHandled }

// reportedMessage is what a report needs to know about a message.
type reportedMessage struct {
	ID            string `db:"id"`
	Thread        string `db:"thread"`
	Author        string `db:"author"`
	Seq           int    `db:"seq"`
	Deleted       bool   `db:"deleted"`
	AuthorDeleted bool   `db:"author_deleted"`
}

// Report files reporter's report, or returns their earlier one about the
// same message (or the same conversation and member, while unresolved).
// Errors: ErrNotFound (unknown message or thread, or reporter is not a
// current member of it), ErrInvalid (reason, details, message: own,
// deleted or a system note; user), ErrRateLimited (reports_per_hour).
func (m *Messaging) Report(reporter string, in ReportInput) (*ReporterView, error) {
	if err := checkReportInput(&in); err != nil {
		return nil, err
	}
	var report *core.Record
	var fresh bool
	err := m.app.RunInTransaction(func(tx core.App) error {
		var err error
		report, fresh, err = m.fileReport(tx, reporter, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	if fresh {
		m.reportCreated(report)
	}
	v := reporterView(report)
	return &v, nil
}

// checkReportInput trims and checks the input's shape.
func checkReportInput(in *ReportInput) error {
	in.Message, in.Thread, in.User = strings.TrimSpace(in.Message), strings.TrimSpace(in.Thread), strings.TrimSpace(in.User)
	in.Details = strings.TrimSpace(in.Details)
	switch {
	case (in.Message == "") == (in.Thread == ""):
		return errInvalid("message", "report_target", "Report either a message or a conversation.")
	case in.Message != "" && in.User != "":
		return errInvalid("user", "report_target", "A message report is about its author; name a user only for a conversation.")
	case !slices.Contains(ReportReasons(), in.Reason):
		return errInvalid("reason", "report_reason", "Choose a reason: "+strings.Join(ReportReasons(), ", ")+".")
	case utf8.RuneCountInString(in.Details) > maxReportDetails:
		return errInvalid("details", "too_long", "At most 2000 characters.")
	}
	return nil
}

// fileReport is Report's transaction; fresh is false for a repeat.
func (m *Messaging) fileReport(tx core.App, reporter string, in ReportInput) (report *core.Record, fresh bool, err error) {
	target := reportedMessage{Thread: in.Thread}
	if in.Message != "" {
		err := tx.DB().NewQuery(`SELECT id, thread, author, seq, deleted, author_deleted FROM messages WHERE id = {:id}`).
			Bind(dbx.Params{"id": in.Message}).One(&target)
		if err != nil {
			return nil, false, errNotFound()
		}
	}
	if _, err := activeMember(tx, reporter, target.Thread); err != nil {
		return nil, false, err
	}
	author := target.Author
	if in.Message != "" {
		switch {
		case target.Author == reporter:
			return nil, false, errInvalid("message", "own_message", "You can't report your own message.")
		case target.Deleted:
			return nil, false, errInvalid("message", "deleted_message", "This message was deleted.")
		case target.Author == "":
			return nil, false, errInvalid("message", "system_note", "This message has no author to report.")
		}
	} else if author, err = reportedMember(tx, target.Thread, reporter, in.User); err != nil {
		return nil, false, err
	}

	if existing, err := findRepeatReport(tx, reporter, in.Message, target.Thread, author); err != nil || existing != nil {
		return existing, false, err
	}
	if err := m.countReport(tx, reporter); err != nil {
		return nil, false, err
	}
	ev, err := m.sealEvidence(tx, target, author)
	if err != nil {
		return nil, false, err
	}
	col, err := tx.FindCachedCollectionByNameOrId(CollectionNameReports)
	if err != nil {
		return nil, false, err
	}
	report = core.NewRecord(col)
	report.Load(map[string]any{
		"reporter": reporter, "message": in.Message, "thread": target.Thread, "author": author,
		"reason": in.Reason, "details": in.Details, "state": ReportOpen,
		"seq_from": ev.from, "seq_to": ev.to, "evidence": ev.raw, "evidence_hash": ev.hash,
	})
	if err := tx.Save(report); err != nil {
		return nil, false, err
	}
	if author != "" && m.Limits().NewPeoplePerWeek > 0 {
		if err := chargeBudget(tx, author, reportCost, m.clock()); err != nil {
			return nil, false, err
		}
	}
	return report, true, nil
}

// reportedMember is who a conversation report is about: user if given
// (someone who has been a member, not the reporter), else in a direct
// conversation the other person, else nobody ("").
func reportedMember(tx core.App, thread, reporter, user string) (string, error) {
	if user != "" {
		var n int
		err := tx.DB().NewQuery(`SELECT COUNT(*) FROM thread_members WHERE thread = {:t} AND user = {:u}`).
			Bind(dbx.Params{"t": thread, "u": user}).Row(&n)
		if err != nil {
			return "", err
		}
		if n == 0 || user == reporter {
			return "", errInvalid("user", "unknown_member", "Name another member of this conversation.")
		}
		return user, nil
	}
	var other string
	err := tx.DB().NewQuery(`SELECT m.user FROM thread_members m JOIN threads t ON t.id = m.thread
		WHERE m.thread = {:t} AND t.kind = {:direct} AND m.user != {:r} LIMIT 1`).
		Bind(dbx.Params{"t": thread, "direct": KindDirect, "r": reporter}).Row(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return other, err
}

// findRepeatReport returns reporter's report of the same message (any
// state), or of the same conversation and member while unresolved.
func findRepeatReport(tx core.App, reporter, message, thread, author string) (*core.Record, error) {
	q := tx.RecordQuery(CollectionNameReports).AndWhere(dbx.HashExp{"reporter": reporter, "message": message})
	if message == "" {
		q = q.AndWhere(dbx.HashExp{"thread": thread, "author": author, "state": []any{ReportOpen, ReportEscalated}})
	}
	r := &core.Record{}
	if err := q.Limit(1).One(r); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	return r, nil
}

// countReport counts the report against reporter's reports_per_hour, in
// the anti-spam counters; over it is the anti-spam 429.
func (m *Messaging) countReport(tx core.App, reporter string) error {
	limit := m.Limits().ReportsPerHour
	if limit == 0 {
		return nil
	}
	s := &spamSender{m: m, id: reporter, now: m.clock()}
	n, ends, err := s.count(tx, rateReports, time.Hour)
	if err != nil {
		return err
	}
	if n > limit {
		return errRateLimited("reports_per_hour", ends.Sub(s.now),
			"You can send "+quantity(limit, "report", "reports")+" an hour.")
	}
	return nil
}

// bindReportHooks binds the hold on reported messages.
func (m *Messaging) bindReportHooks() {
	// Before keepVersion and applySoftDelete (priority 0), in the
	// update's transaction, so that a report committed just before is
	// seen and a report just after seals what the edit left.
	m.app.OnRecordUpdateExecute(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingReportHold__", Priority: -5, Func: m.checkHeld,
	})
}

// errUnderReview is the refusal of an edit or delete of a held message.
func errUnderReview() error { return errForbidden("This message is under review.") }

// checkHeld refuses an edit or a soft delete of a message an unresolved
// report holds, unless a moderator's action does it.
func (m *Messaging) checkHeld(e *core.RecordEvent) error {
	msg, old := &Message{e.Record}, &Message{e.Record.Original()}
	softDelete := msg.Deleted() && !old.Deleted()
	if !softDelete && !isEdit(e.Record) {
		return e.Next()
	}
	return inRecordTransaction(e, func(tx core.App) error {
		if _, ok := m.moderating.Load(tx.TxInfo()); !ok {
			held, err := messageHeld(tx, old)
			if err != nil {
				return err
			}
			if held {
				return errUnderReview()
			}
		}
		return e.Next()
	})
}

// messageHeld reports whether an unresolved report holds msg: reported
// itself, or its author's message in a conversation report's window.
func messageHeld(tx core.App, msg *Message) (bool, error) {
	var held bool
	err := tx.DB().NewQuery(`SELECT EXISTS (SELECT 1 FROM ` + CollectionNameReports + ` WHERE message = {:msg}
			AND state IN ({:open}, {:escalated}))
		OR EXISTS (SELECT 1 FROM ` + CollectionNameReports + ` WHERE thread = {:thread} AND author = {:author}
			AND author != '' AND message = '' AND state IN ({:open}, {:escalated}) AND {:seq} BETWEEN seq_from AND seq_to)`).
		Bind(dbx.Params{"msg": msg.Id, "thread": msg.Thread(), "author": msg.Author(), "seq": msg.Seq(),
			"open": ReportOpen, "escalated": ReportEscalated}).Row(&held)
	return held, err
}

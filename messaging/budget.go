package messaging

import (
	"database/sql"
	"errors"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The first-contact budget: a limit that learns from the recipients.
//
// Each account may start conversations with new_people_per_week (20) new
// people a week (Monday to Monday, UTC), twice that once the account is
// 30 days old; the anti-spam exemptions apply (trusted and moderator
// roles, superusers, SkipAntiSpam). A new person is one the sender shares
// no direct or group conversation with (contactOutsideSQL) and has no
// first contact with, either way. Each first contact is a row of
// messaging_first_contacts and costs 1 point; its outcome, set once,
// moves the week's points (messaging_contact_budgets.used):
//
//   - accepted (the request) or replied (the new person wrote in that
//     conversation): 1 back, never below 0 used, so never above the
//     allowance;
//   - declined (the request): 2 more;
//   - blocked: the new person blocked the sender within a day of the
//     first contact, 2 more (also after an accept or reply).
//
// Over the allowance, a start or an add is refused with the anti-spam 429
// (limit "new_people_per_week") until the week ends. Points are the week's:
// a new week starts at 0.
//
// The figures are the site owner's (superuser-only collections, editable in
// the dashboard): the sender is never shown them, since a drop right after
// a decline or a block would tell them what the other person did. All of it
// runs in the writing transaction (the start's first message, AddMembers,
// the answer to a request, the block's insert), so it is exact under
// concurrency and a refused or failed write changes nothing.

const (
	// establishedAfter is the account age that doubles the allowance.
	establishedAfter = 30 * 24 * time.Hour
	// quickBlockWindow: a block this soon after a first contact costs.
	quickBlockWindow = 24 * time.Hour
	// costRefused is the cost of a declined request or a quick block;
	// creditAnswered what an accept or a reply gives back.
	costRefused    = 2
	creditAnswered = 1
)

// Outcomes of a first contact (messaging_first_contacts.outcome); empty
// until one is known.
const (
	outcomeAccepted = "accepted"
	outcomeReplied  = "replied"
	outcomeDeclined = "declined"
	outcomeBlocked  = "blocked"
)

func firstContactOutcomes() []string {
	return []string{outcomeAccepted, outcomeReplied, outcomeDeclined, outcomeBlocked}
}

// weekOf returns the Monday (UTC) of t's week, as stored, and when that
// week ends.
func weekOf(t time.Time) (monday string, ends time.Time) {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	start := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	return start.Format(time.DateOnly), start.AddDate(0, 0, 7)
}

// weeklyNewPeople is the sender's allowance this week (0: no limit).
func (s *spamSender) weeklyNewPeople() int {
	n := s.limits.NewPeoplePerWeek
	if n > 0 && s.now.Sub(s.created) >= establishedAfter {
		n *= 2
	}
	return n
}

// spendFirstContacts charges s for the new people among the recipients
// of thread (the start's others, or the people added to a group), or
// refuses with a 429 when they don't fit in what is left of the week.
func (s *spamSender) spendFirstContacts(tx core.App, thread string, recipients []string) error {
	if s == nil || s.limits.NewPeoplePerWeek == 0 || len(recipients) == 0 {
		return nil
	}
	var fresh []string
	err := tx.DB().NewQuery(`SELECT u.id FROM users u WHERE u.id IN (SELECT value FROM json_each({:ids}))
		AND NOT EXISTS (SELECT 1 FROM ` + CollectionNameFirstContacts + ` f WHERE f.sender = {:sender} AND f.recipient = u.id)
		AND NOT EXISTS (SELECT 1 FROM ` + CollectionNameFirstContacts + ` f WHERE f.sender = u.id AND f.recipient = {:sender})
		AND NOT ` + contactOutsideSQL("u", "{:thread}")).
		Bind(dbx.Params{"ids": inParam(recipients), "sender": s.id, "thread": thread}).Column(&fresh)
	if err != nil || len(fresh) == 0 {
		return err
	}
	week, ends := weekOf(s.now)
	used, err := budgetUsed(tx, s.id, week)
	if err != nil {
		return err
	}
	if allowance := s.weeklyNewPeople(); used+len(fresh) > allowance {
		return errRateLimited("new_people_per_week", ends.Sub(s.now),
			"You can start conversations with "+quantity(allowance, "new person", "new people")+" a week.")
	}
	at := dateTime(s.now)
	_, err = tx.DB().NewQuery(`UPDATE threads SET first_contacts_open = first_contacts_open + {:n} WHERE id = {:thread}`).
		Bind(dbx.Params{"n": len(fresh), "thread": thread}).Execute()
	if err != nil {
		return err
	}
	for _, r := range fresh {
		_, err := tx.DB().NewQuery(`INSERT INTO ` + CollectionNameFirstContacts + ` (id, sender, recipient, thread, outcome, created, updated)
			VALUES ({:id}, {:sender}, {:recipient}, {:thread}, '', {:at}, {:at})`).
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "sender": s.id, "recipient": r, "thread": thread, "at": at}).Execute()
		if err != nil {
			return err
		}
	}
	return chargeBudget(tx, s.id, len(fresh), s.now)
}

// budgetUsed is user's points used in week.
func budgetUsed(tx core.App, user, week string) (int, error) {
	var used int
	err := tx.DB().NewQuery(`SELECT CASE WHEN week = {:week} THEN used ELSE 0 END FROM ` +
		CollectionNameContactBudgets + ` WHERE user = {:user}`).
		Bind(dbx.Params{"user": user, "week": week}).Row(&used)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return used, err
}

// chargeBudget adds delta (negative: gives back) to user's points of the
// week holding now, never going below 0; a new week starts from 0.
func chargeBudget(tx core.App, user string, delta int, now time.Time) error {
	week, _ := weekOf(now)
	_, err := tx.DB().NewQuery(`INSERT INTO ` + CollectionNameContactBudgets + ` (id, user, week, used, updated)
		VALUES ({:id}, {:user}, {:week}, MAX({:delta}, 0), {:at})
		ON CONFLICT (user) DO UPDATE SET
			used = MAX(CASE WHEN week = excluded.week THEN used ELSE 0 END + {:delta}, 0),
			week = excluded.week, updated = excluded.updated`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "user": user, "week": week, "delta": delta, "at": dateTime(now)}).
		Execute()
	return err
}

// settleFirstContacts gives the first contacts matching where (with
// params) the outcome, and moves each sender's points by delta. It
// returns nothing: the senders are never told.
func (m *Messaging) settleFirstContacts(tx core.App, outcome string, delta int, where string, params dbx.Params) error {
	if m.Limits().NewPeoplePerWeek == 0 {
		return nil
	}
	now := m.clock()
	params["outcome"], params["at"] = outcome, dateTime(now)
	var settled []struct {
		Sender string `db:"sender"`
		Thread string `db:"thread"`
	}
	err := tx.DB().NewQuery(`UPDATE ` + CollectionNameFirstContacts + ` SET outcome = {:outcome}, updated = {:at}
		WHERE ` + where + ` RETURNING sender, thread`).Bind(params).All(&settled)
	if err != nil || len(settled) == 0 {
		return err
	}
	threads := make([]string, 0, len(settled))
	for _, s := range settled {
		if err := chargeBudget(tx, s.Sender, delta, now); err != nil {
			return err
		}
		threads = append(threads, s.Thread)
	}
	// Recounted rather than decremented: a quick block may settle a
	// contact an answer had already closed.
	_, err = tx.DB().NewQuery(`UPDATE threads SET first_contacts_open = (SELECT COUNT(*) FROM ` + CollectionNameFirstContacts + ` f
		WHERE f.thread = threads.id AND f.outcome = '') WHERE id IN (SELECT value FROM json_each({:threads}))`).
		Bind(dbx.Params{"threads": inParam(threads)}).Execute()
	return err
}

// firstContactsOf is insertMessage's part: the first message of a thread
// spends the sender's budget on the new people among its members; a later
// one may answer a first contact made to its author there, looked for only
// while the thread has one open (open: threads.first_contacts_open, which
// the send's own UPDATE of the thread returns).
func (m *Messaging) firstContactsOf(tx core.App, s *spamSender, thread, author string, seq, open int, members []string) error {
	if seq > 1 {
		if open == 0 {
			return nil
		}
		return m.creditReply(tx, thread, author)
	}
	others := make([]string, 0, len(members))
	for _, u := range members {
		if u != author {
			others = append(others, u)
		}
	}
	return s.spendFirstContacts(tx, thread, others)
}

// creditReply: author wrote in thread; a first contact to them there is
// answered. Called by insertMessage for every message after the first.
func (m *Messaging) creditReply(tx core.App, thread, author string) error {
	return m.settleFirstContacts(tx, outcomeReplied, -creditAnswered,
		`thread = {:thread} AND recipient = {:user} AND outcome = ''`, dbx.Params{"thread": thread, "user": author})
}

// settleRequest: user accepted (accepted) or declined a request in thread.
func (m *Messaging) settleRequest(tx core.App, thread, user string, accepted bool) error {
	outcome, delta := outcomeDeclined, costRefused
	if accepted {
		outcome, delta = outcomeAccepted, -creditAnswered
	}
	return m.settleFirstContacts(tx, outcome, delta,
		`thread = {:thread} AND recipient = {:user} AND outcome = ''`, dbx.Params{"thread": thread, "user": user})
}

// bindBudgetHooks charges a quick block in the block's own transaction,
// however the block is written.
func (m *Messaging) bindBudgetHooks() {
	m.app.OnRecordCreateExecute(CollectionNameBlocks).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingQuickBlockCost__",
		Func: func(e *core.RecordEvent) error {
			b := &Block{e.Record}
			return inRecordTransaction(e, func(tx core.App) error {
				err := m.settleFirstContacts(tx, outcomeBlocked, costRefused,
					`sender = {:blocked} AND recipient = {:user} AND outcome IN ('', {:accepted}, {:replied}) AND created >= {:since}`,
					dbx.Params{"blocked": b.Blocked(), "user": b.User(), "accepted": outcomeAccepted, "replied": outcomeReplied,
						"since": dateTime(m.clock().Add(-quickBlockWindow))})
				if err != nil {
					return err
				}
				return e.Next()
			})
		},
	})
}

// dateTime is t as PocketBase stores dates.
func dateTime(t time.Time) string {
	dt, _ := types.ParseDateTime(t.UTC())
	return dt.String()
}

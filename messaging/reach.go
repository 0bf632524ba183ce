package messaging

import (
	"github.com/pocketbase/dbx"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Who can message me. Each member chooses who may start a conversation
// with them (Preferences.WhoCanMessage; the site's default is the
// who_can_message setting):
//
//   - everyone;
//   - contacts: people they already share a direct or group conversation
//     with, both as current members outside any request (other kinds of
//     thread, such as announcements, will not count);
//   - nobody;
//   - requests: everyone, but a stranger's new conversation lands in the
//     member's Requests box (thread_members.request = "pending") instead
//     of the inbox: no email, its own badge, and the stranger can't add a
//     message to a direct request until it is accepted.
//
// The mode is one more column of the single reach query of permissions.go
// (reachGateSQL), so a refusal for "nobody" or "contacts" is the same
// errRefused after the same one statement as a block. Holders of the
// unblockable roles reach everyone; superusers and server code that write
// threads and memberships as records (no actor) are not checked.
//
// Declining hides the request from the recipient (request = "declined":
// out of every box, badge, live event and notification) but changes
// nothing the sender can see: the membership stays, so threads.members,
// the sender's refusal ("waiting for acceptance") and everything else
// read the same before and after. Writing into the conversation
// themselves accepts it for the recipient (countNewMessage).

// Values of Preferences.WhoCanMessage and of the who_can_message setting.
const (
	// ReachDefault: the site's default (stored as "").
	ReachDefault  = "default"
	ReachEveryone = "everyone"
	ReachContacts = "contacts"
	ReachNobody   = "nobody"
	ReachRequests = "requests"
)

// reachModes are the stored values (ReachDefault is stored as "").
func reachModes() []string {
	return []string{ReachEveryone, ReachContacts, ReachNobody, ReachRequests}
}

// Values of thread_members.request ("" for a normal membership).
const (
	requestPending  = "pending"
	requestDeclined = "declined"
)

// memberNotDeclined is true for a thread_members row its user sees: a
// declined request is gone for them.
const memberNotDeclined = `request != '` + requestDeclined + `'`

// contactSQL is true when the user {:sender} and the users row aliased
// alias share a direct or group conversation, both as current members
// outside any request. It walks alias's memberships (the inbox index) and
// probes the sender's by the unique (thread, user) index.
func contactSQL(alias string) string { return contactOutsideSQL(alias, "") }

// contactOutsideSQL is contactSQL leaving out the thread whose id is the
// SQL expression thread (none when empty): a conversation being started
// makes nobody a contact (budget.go).
func contactOutsideSQL(alias, thread string) string {
	outside := ""
	if thread != "" {
		outside = " AND ca.thread != " + thread
	}
	return `EXISTS (SELECT 1 FROM thread_members ca
		JOIN thread_members cb ON cb.thread = ca.thread AND cb.user = {:sender}
		JOIN threads ct ON ct.id = ca.thread
		WHERE ca.user = ` + alias + `.id AND ca."left" = FALSE AND ca.request = ''` + outside + `
			AND cb."left" = FALSE AND cb.request = ''
			AND ct.kind IN ('` + KindDirect + `', '` + KindGroup + `'))`
}

// Gate values of reachGateSQL.
const (
	gateOpen    = 0
	gateRequest = 1
	gateClosed  = 2
)

// reachGateSQL is what the member aliased alias, whose mode is mode (an
// SQL expression), lets {:sender} do: gateOpen, gateRequest or
// gateClosed. The contact lookup runs only for the two modes that need it.
func reachGateSQL(alias, mode string) string {
	return `CASE ` + mode + `
		WHEN '` + ReachNobody + `' THEN 2
		WHEN '` + ReachContacts + `' THEN CASE WHEN ` + contactSQL(alias) + ` THEN 0 ELSE 2 END
		WHEN '` + ReachRequests + `' THEN CASE WHEN ` + contactSQL(alias) + ` THEN 0 ELSE 1 END
		ELSE 0 END`
}

// modeSQL is the mode of the member aliased alias: their choice, or the
// site's default {:reachDefault}.
func modeSQL(alias string) string {
	return `COALESCE(NULLIF((SELECT p.who_can_message FROM messaging_preferences p WHERE p.user = ` + alias + `.id), ''), {:reachDefault})`
}

// exemptFromReach reports whether a sender holding roles reaches everyone
// whatever their mode: the unblockable roles (support staff).
func (m *Messaging) exemptFromReach(roles []string) bool {
	unblockable := m.Limits().UnblockableRoles
	return slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(unblockable, r) })
}

// requestWaitingMessage is what a sender is told when they write again
// into a direct conversation the other person has not accepted. It is the
// same whether the request is pending or was declined.
const requestWaitingMessage = "Your message request hasn't been accepted yet."

func errRequestWaiting() error {
	return errForbidden(requestWaitingMessage)
}

// RequestEvent is fired after a member accepted or declined a message
// request.
type RequestEvent struct {
	hook.Event
	App    core.App
	Thread string
	User   string // who answered the request
	// Senders are the thread's other current members (for a direct
	// request, the one stranger who wrote).
	Senders []string
}

// OnRequestAccepted fires after a member accepted a message request.
func (m *Messaging) OnRequestAccepted() *hook.Hook[*RequestEvent] { return m.onRequestAccepted }

// OnRequestDeclined fires after a member declined a message request. The
// sender is never told; this is for server code (a budget, moderation).
func (m *Messaging) OnRequestDeclined() *hook.Hook[*RequestEvent] { return m.onRequestDeclined }

// AcceptRequest moves user's pending request thread into their inbox: the
// sender can write again and the conversation counts as a contact.
// Errors: ErrNotFound (no such pending request of user's).
func (m *Messaging) AcceptRequest(user, threadID string) error {
	return m.answerRequest(user, threadID, "", m.onRequestAccepted, "accepted")
}

// DeclineRequest hides user's pending request thread from them for good;
// the sender is told nothing and sees nothing change.
// Errors: ErrNotFound (no such pending request of user's).
func (m *Messaging) DeclineRequest(user, threadID string) error {
	return m.answerRequest(user, threadID, requestDeclined, m.onRequestDeclined, "declined")
}

func (m *Messaging) answerRequest(user, threadID, state string, h *hook.Hook[*RequestEvent], kind string) error {
	var senders []string
	err := m.app.RunInTransaction(func(tx core.App) error {
		member, err := activeMember(tx, user, threadID)
		if err != nil {
			return err
		}
		if member.GetString("request") != requestPending {
			return errNotFound()
		}
		member.Set("request", state)
		if err := tx.Save(member); err != nil {
			return err
		}
		if err := m.settleRequest(tx, threadID, user, state == ""); err != nil {
			return err
		}
		members, err := threadMembers(tx, threadID)
		for _, u := range members {
			if u != user {
				senders = append(senders, u)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	m.live.requestAnswered(m, user, threadID, kind)
	if h.Length() > 0 {
		if err := h.Trigger(&RequestEvent{App: m.app, Thread: threadID, User: user, Senders: senders}); err != nil {
			m.app.Logger().Error("messaging: request event handler failed", "thread", threadID, "error", err)
		}
	}
	return nil
}

// requestAnswered tells user's other tabs that a request was accepted or
// declined, with their totals as they are now.
func (h *liveHub) requestAnswered(m *Messaging, user, threadID, kind string) {
	if len(h.online([]string{user})) == 0 {
		return
	}
	h.ordered([]string{user}, func() {
		c, err := m.Unread(user)
		if err != nil {
			logLiveError(m.app, "request", threadID, err)
			return
		}
		h.send(user, map[string]any{"type": "request", "thread": threadID, "state": kind, "totals": c})
	})
}

// requestsCountSQL counts the pending requests of the user user (an SQL
// expression) from their partial index: the Requests badge.
func requestsCountSQL(user string) string {
	return `SELECT COUNT(*) FROM thread_members rq INDEXED BY idx_messaging_members_requests
	WHERE rq.user = ` + user + ` AND rq.request = '` + requestPending + `' AND rq."left" = 0`
}

// userExempt reports whether user holds an unblockable role (see
// exemptFromReach); false for an unknown user.
func (m *Messaging) userExempt(user string) bool {
	u, err := m.app.FindRecordById(CollectionNameUsers, user)
	return err == nil && m.exemptFromReach(u.GetStringSlice("roles"))
}

// markRequests makes users' memberships of a new thread pending requests.
// Start calls it after the first message, which is the request itself
// (checkCanPost would refuse it once the membership is one); plain SQL,
// like the counters, inside Start's transaction.
func markRequests(tx core.App, threadID string, users []string) error {
	if len(users) == 0 {
		return nil
	}
	_, err := tx.DB().NewQuery(`UPDATE thread_members SET request = '` + requestPending + `'
		WHERE thread = {:t} AND user IN (SELECT value FROM json_each({:users}))`).
		Bind(dbx.Params{"t": threadID, "users": inParam(users)}).Execute()
	return err
}

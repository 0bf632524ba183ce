package messaging

import (
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Who may message whom. A sender may send when their messaging is on and,
// if the site limits sending to roles, they hold one of those roles. A
// recipient can be reached when their messaging is on and they have not
// blocked the sender. Starting a conversation, adding people, replying in a
// direct thread and the recipient autocomplete all ask the same question,
// through unreachableSQL.
//
// Every reason for a refusal gives the same answer (errRefused, "Unable to
// send message.") after the same single query, so a blocked sender can't
// tell a block from "messaging off" by the text or by the time it takes.

// unreachableSQL is a condition on the users row aliased alias: true when
// the user given by the {:sender} parameter can't reach them. {:exempt}
// is whether the sender holds an unblockable role (reach.go); a member in
// "requests" mode is reachable (as a request).
func unreachableSQL(alias string) string {
	return `(COALESCE((SELECT p.messaging_off FROM messaging_preferences p WHERE p.user = ` + alias + `.id), FALSE)
		OR EXISTS (SELECT 1 FROM blocks b WHERE b.user = ` + alias + `.id AND b.blocked = {:sender})
		OR (NOT {:exempt} AND CASE ` + modeSQL(alias) + `
			WHEN '` + ReachNobody + `' THEN TRUE
			WHEN '` + ReachContacts + `' THEN NOT ` + contactSQL(alias) + `
			ELSE FALSE END))`
}

// reachSQL reads the sender and the recipients in one statement: the
// sender's own switch and roles, and for everyone whether the sender can
// reach them, what their mode lets the sender do (reach.go) and whether
// their membership of {:thread} (a direct thread posted into; "" when
// starting) is a request. Posting into a direct thread needs no contact
// lookup: unless the recipient's membership is a request (then the post
// waits), the thread itself makes the two contacts, or the recipient
// wrote first; only "nobody" closes it.
var reachSQL = `SELECT u.id, u.roles, u.created, COALESCE(p.messaging_off, FALSE) AS off,
		(COALESCE(p.messaging_off, FALSE) OR EXISTS (SELECT 1 FROM blocks b WHERE b.user = u.id AND b.blocked = {:sender})) AS unreachable,
		CASE WHEN u.id = {:sender} THEN 0
			WHEN {:thread} != '' THEN CASE COALESCE(NULLIF(p.who_can_message, ''), {:reachDefault}) WHEN '` + ReachNobody + `' THEN 2 ELSE 0 END
			ELSE ` + reachGateSQL("u", "COALESCE(NULLIF(p.who_can_message, ''), {:reachDefault})") + ` END AS gate,
		EXISTS (SELECT 1 FROM thread_members tr WHERE tr.thread = {:thread} AND tr.user = u.id AND tr.request != '') AS request,
		u.id = {:sender} AND ` + suspendedSQL("u") + ` AS suspended
	FROM users u LEFT JOIN messaging_preferences p ON p.user = u.id
	WHERE u.id IN (SELECT value FROM json_each({:ids}))`

// checkReach returns nil when sender may send to every one of recipients.
// It returns ErrNotFound for an unknown sender, unknown for an unknown
// recipient, and ErrRefused for every other reason.
func (m *Messaging) checkReach(app core.App, sender string, recipients []string, unknown error) error {
	_, err := m.reach(app, sender, recipients, "", unknown)
	return err
}

// reach is checkReach that also returns the recipients for whom the
// conversation is a request (reach.go). With a thread, it is a post into
// that direct thread: a recipient whose membership is still a request
// makes it errRequestWaiting, before any other refusal.
func (m *Messaging) reach(app core.App, sender string, recipients []string, thread string, unknown error) ([]string, error) {
	requests, _, err := m.reachAs(app, sender, recipients, thread, unknown)
	return requests, err
}

// senderRow is what the reach query read about the sender: the anti-spam
// limits need it too (antispam.go), so a post reads the sender once.
type senderRow struct {
	roles   []string
	created time.Time
}

// reachAs is reach that also returns the sender's row.
func (m *Messaging) reachAs(app core.App, sender string, recipients []string, thread string, unknown error) ([]string, senderRow, error) {
	var who senderRow
	var rows []struct {
		ID          string                  `db:"id"`
		Roles       types.JSONArray[string] `db:"roles"`
		Created     types.DateTime          `db:"created"`
		Off         bool                    `db:"off"`
		Unreachable bool                    `db:"unreachable"`
		Gate        int                     `db:"gate"`
		Request     bool                    `db:"request"`
		Suspended   bool                    `db:"suspended"` // suspension.go
	}
	ids := append([]string{sender}, recipients...)
	err := app.DB().NewQuery(reachSQL).Bind(dbx.Params{"sender": sender, "ids": inParam(ids), "thread": thread,
		"reachDefault": m.Limits().WhoCanMessage}).All(&rows)
	if err != nil {
		return nil, who, err
	}
	senderFound, refused, waiting, found, exempt := false, false, false, 0, false
	for _, r := range rows {
		if r.ID == sender {
			if r.Suspended {
				return nil, who, errSuspended()
			}
			senderFound = true
			who = senderRow{roles: r.Roles, created: r.Created.Time()}
			exempt = m.exemptFromReach(r.Roles)
			refused = refused || r.Off || !m.rolesMaySend(r.Roles)
		}
	}
	var requests []string
	for _, r := range rows {
		if r.ID == sender {
			continue
		}
		found++
		waiting = waiting || (thread != "" && r.Request)
		refused = refused || r.Unreachable || (!exempt && r.Gate == gateClosed)
		if !exempt && r.Gate == gateRequest {
			requests = append(requests, r.ID)
		}
	}
	switch {
	case !senderFound:
		return nil, who, errNotFound()
	case found < countOthers(recipients, sender):
		return nil, who, unknown
	case waiting:
		return nil, who, errRequestWaiting()
	case refused:
		return nil, who, errRefused()
	}
	return requests, who, nil
}

// countOthers counts the distinct ids in ids other than self.
func countOthers(ids []string, self string) int {
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if id != self {
			seen[id] = struct{}{}
		}
	}
	return len(seen)
}

// rolesMaySend reports whether a user with roles may send.
func (m *Messaging) rolesMaySend(roles []string) bool {
	send := m.Limits().SendRoles
	if len(send) == 0 {
		return true
	}
	for _, r := range roles {
		if slices.Contains(send, r) {
			return true
		}
	}
	return false
}

// checkCanPost enforces, inside the sending transaction, every rule for an
// authored message in a thread of kind with members: current membership,
// the author's right to send, and in a direct thread that the other member
// can still be reached (a deleted peer can't) and has accepted the
// conversation if it was a request (reach.go).
func (m *Messaging) checkCanPost(app core.App, threadID, kind string, members []string, author string) error {
	_, err := m.checkCanPostAs(app, threadID, kind, members, author)
	return err
}

// checkCanPostAs is checkCanPost that also returns the author's row.
func (m *Messaging) checkCanPostAs(app core.App, threadID, kind string, members []string, author string) (senderRow, error) {
	// Membership is the author's own row, not the members list, which is
	// only a preview in threads bigger than memberPreviewMax.
	if ok, err := isCurrentMember(app, threadID, author); err != nil {
		return senderRow{}, err
	} else if !ok {
		return senderRow{}, errNotFound()
	}
	var peers []string
	if kind == KindDirect {
		for _, u := range members {
			if u != author {
				peers = append(peers, u)
			}
		}
		if len(peers) == 0 {
			return senderRow{}, errRefused() // the other person's account is gone
		}
	}
	if len(peers) == 0 {
		threadID = "" // a group: requests don't stop the others' conversation
	}
	_, who, err := m.reachAs(app, author, peers, threadID, errRefused())
	return who, err
}

// Recipients returns up to limit users whose name or username starts with
// q (case-insensitive) and who could receive a message from user: not
// user, and reachable (see permissions.go).
func (m *Messaging) Recipients(user, q string, limit int) ([]Member, error) {
	if err := checkSearch(q); err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	out := []Member{}
	if q == "" {
		return out, nil
	}
	limit = m.limit(limit)
	lo, hi := q, q+"\U0010FFFF"
	var rows []*core.Record
	err := m.app.RecordQuery(CollectionNameUsers).
		AndWhere(dbx.NewExp(`(([[name]] >= {:lo} COLLATE NOCASE AND [[name]] < {:hi} COLLATE NOCASE)
			OR ([[username]] >= {:lo} COLLATE NOCASE AND [[username]] < {:hi} COLLATE NOCASE))`,
			dbx.Params{"lo": lo, "hi": hi})).
		AndWhere(dbx.Not(dbx.HashExp{"id": user})).
		AndWhere(dbx.NewExp("NOT "+unreachableSQL(CollectionNameUsers),
			dbx.Params{"sender": user, "exempt": m.userExempt(user), "reachDefault": m.Limits().WhoCanMessage})).
		OrderBy("name").
		Limit(int64(limit)).
		All(&rows)
	for _, r := range rows {
		out = append(out, memberView(r))
	}
	return out, err
}

// checkRecipients returns ErrNotFound for an unknown sender, ErrInvalid (on
// field, the input that named the users) for unknown users and ErrRefused
// when sender may not write to every one of them; otherwise the ones for
// whom the conversation is a request (reach.go).
func (m *Messaging) checkRecipients(app core.App, sender string, ids []string, field string) ([]string, error) {
	return m.reach(app, sender, ids, "", errInvalid(field, "unknown_recipient", "Unknown recipient."))
}

package messaging

import (
	"slices"
	"strings"

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
// the user given by the {:sender} parameter can't reach them.
func unreachableSQL(alias string) string {
	return `(COALESCE((SELECT p.messaging_off FROM messaging_preferences p WHERE p.user = ` + alias + `.id), FALSE)
		OR EXISTS (SELECT 1 FROM blocks b WHERE b.user = ` + alias + `.id AND b.blocked = {:sender}))`
}

// reachSQL reads the sender and the recipients in one statement: the
// sender's own switch and roles, and for everyone whether the sender can
// reach them.
var reachSQL = `SELECT u.id, u.roles,
		COALESCE((SELECT p.messaging_off FROM messaging_preferences p WHERE p.user = u.id), FALSE) AS off,
		` + unreachableSQL("u") + ` AS unreachable
	FROM users u WHERE u.id IN (SELECT value FROM json_each({:ids}))`

// checkReach returns nil when sender may send to every one of recipients.
// It returns ErrNotFound for an unknown sender, unknown for an unknown
// recipient, and ErrRefused for every other reason.
func (m *Messaging) checkReach(app core.App, sender string, recipients []string, unknown error) error {
	var rows []struct {
		ID          string                  `db:"id"`
		Roles       types.JSONArray[string] `db:"roles"`
		Off         bool                    `db:"off"`
		Unreachable bool                    `db:"unreachable"`
	}
	ids := append([]string{sender}, recipients...)
	err := app.DB().NewQuery(reachSQL).Bind(dbx.Params{"sender": sender, "ids": inParam(ids)}).All(&rows)
	if err != nil {
		return err
	}
	senderFound, refused, found := false, false, 0
	for _, r := range rows {
		if r.ID == sender {
			senderFound = true
			refused = refused || r.Off || !m.rolesMaySend(r.Roles)
			continue
		}
		found++
		refused = refused || r.Unreachable
	}
	switch {
	case !senderFound:
		return errNotFound()
	case found < countOthers(recipients, sender):
		return unknown
	case refused:
		return errRefused()
	}
	return nil
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
// can still be reached (a deleted peer can't).
func (m *Messaging) checkCanPost(app core.App, kind string, members []string, author string) error {
	if !slices.Contains(members, author) {
		return errNotFound()
	}
	var peers []string
	if kind == KindDirect {
		for _, u := range members {
			if u != author {
				peers = append(peers, u)
			}
		}
		if len(peers) == 0 {
			return errRefused() // the other person's account is gone
		}
	}
	return m.checkReach(app, author, peers, errRefused())
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
		AndWhere(dbx.NewExp("NOT "+unreachableSQL(CollectionNameUsers), dbx.Params{"sender": user})).
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
// when sender may not write to every one of them.
func (m *Messaging) checkRecipients(app core.App, sender string, ids []string, field string) error {
	return m.checkReach(app, sender, ids, errInvalid(field, "unknown_recipient", "Unknown recipient."))
}

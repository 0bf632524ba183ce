package messaging

import (
	"encoding/json/v2"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// normalizeBody trims the body and checks it against the size limit.
func (m *Messaging) normalizeBody(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return "", errInvalid("body", "empty_body", "The message can't be empty.")
	}
	if n := utf8.RuneCountInString(body); n > m.Limits().MaxBodyLength {
		return "", errInvalid("body", "body_too_long",
			"The message is too long: "+strconv.Itoa(n)+" characters, the limit is "+strconv.Itoa(m.Limits().MaxBodyLength)+".")
	}
	return body, nil
}

// canSend reports whether user may send at all: messaging on, and holding
// one of the sending roles when these are limited.
func (m *Messaging) canSend(user *core.Record) bool {
	return !user.GetBool("messaging_off") && m.rolesMaySend(user.GetStringSlice("roles"))
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

// isUnblockable reports whether user holds a role that can't be blocked.
func (m *Messaging) isUnblockable(user *core.Record) bool {
	unblockable := m.Limits().UnblockableRoles
	for _, r := range user.GetStringSlice("roles") {
		if slices.Contains(unblockable, r) {
			return true
		}
	}
	return false
}

// blockedBy returns which of users have blocked sender.
func blockedBy(app core.App, sender string, users []string) ([]string, error) {
	if len(users) == 0 {
		return nil, nil
	}
	var rows []struct {
		User string `db:"user"`
	}
	err := app.DB().Select("user").From(CollectionNameBlocks).
		Where(dbx.HashExp{"blocked": sender}).
		AndWhere(inList("user", "users", users)).
		All(&rows)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.User
	}
	return out, err
}

// checkCanPost enforces, inside the sending transaction, every rule for an
// authored message in a thread of kind with members: current membership,
// the author's right to send, and in a direct thread the other member's
// block and messaging state. One short query reads the sender and the peer.
func (m *Messaging) checkCanPost(app core.App, kind string, members []string, author string) error {
	if !slices.Contains(members, author) {
		return errNotFound()
	}
	peer := author
	if kind == KindDirect {
		for _, u := range members {
			if u != author {
				peer = u
			}
		}
		if peer == author {
			// The other person's account was deleted: the thread stays
			// readable, but there is no one to send to.
			return errRefused()
		}
	}
	var people []struct {
		ID           string                  `db:"id"`
		Off          bool                    `db:"messaging_off"`
		Roles        types.JSONArray[string] `db:"roles"`
		BlocksAuthor bool                    `db:"blocks_author"`
	}
	err := app.DB().NewQuery(`SELECT id, messaging_off, roles, EXISTS (SELECT 1 FROM blocks
			WHERE blocks.user = users.id AND blocks.blocked = {:author}) AS blocks_author
		FROM users WHERE id IN ({:author}, {:peer})`).
		Bind(dbx.Params{"author": author, "peer": peer}).All(&people)
	if err != nil {
		return err
	}
	senderFound, peerOK := false, peer == author
	for _, p := range people {
		if p.ID == author {
			senderFound = true
			if p.Off || !m.rolesMaySend(p.Roles) {
				return errRefused()
			}
		}
		if p.ID == peer && peer != author {
			peerOK = !p.Off && !p.BlocksAuthor
		}
	}
	if !senderFound {
		return errNotFound()
	}
	if !peerOK {
		return errRefused()
	}
	return nil
}

// inList matches column against ids passed as one JSON parameter: the SQL
// text stays short and the same whatever the number of ids, so SQLite
// parses little (and modernc.org/sqlite's per-parameter binding, quadratic
// in the parameter count, stays trivial). param must be unique in the query.
func inList(column, param string, ids []string) dbx.Expression {
	unique := slices.Clone(ids)
	slices.Sort(unique)
	unique = slices.Compact(unique)
	return dbx.NewExp(column+" IN (SELECT value FROM json_each({:"+param+"}))", dbx.Params{param: inParam(unique)})
}

// inParam encodes ids for inList.
func inParam(ids []string) string {
	raw, _ := json.Marshal(ids)
	return string(raw)
}

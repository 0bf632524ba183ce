package messaging

import (
	"database/sql"
	"errors"
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
		AndWhere(dbx.In("user", toAny(users)...)).
		All(&rows)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.User
	}
	return out, err
}

// postContext is what deciding whether someone may post into a thread
// needs, read in one query.
type postContext struct {
	Kind      string                  `db:"kind"`
	Members   types.JSONArray[string] `db:"members"`
	SenderOff sql.NullBool            `db:"sender_off"`
	Roles     types.JSONArray[string] `db:"sender_roles"`
	// PeerRefuses: in a direct thread, the other member blocked the
	// sender or has messaging off.
	PeerRefuses bool `db:"peer_refuses"`
}

func loadPostContext(app core.App, threadID, author string) (*postContext, error) {
	ctx := &postContext{}
	err := app.DB().NewQuery(`SELECT t.[[kind]], t.[[members]],
			u.[[messaging_off]] AS sender_off, COALESCE(u.[[roles]], '[]') AS sender_roles,
			CASE WHEN t.[[kind]] = 'direct' THEN COALESCE((
				SELECT p.[[messaging_off]] OR EXISTS (
					SELECT 1 FROM {{blocks}} b WHERE b.[[user]] = p.[[id]] AND b.[[blocked]] = {:author})
				FROM json_each(t.[[members]]) j JOIN {{users}} p ON p.[[id]] = j.[[value]]
				WHERE j.[[value]] != {:author} LIMIT 1), TRUE) ELSE FALSE END AS peer_refuses
		FROM {{threads}} t LEFT JOIN {{users}} u ON u.[[id]] = {:author}
		WHERE t.[[id]] = {:thread}`).
		Bind(dbx.Params{"thread": threadID, "author": author}).One(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInvalid("thread", "unknown_thread", "Unknown thread.")
	}
	return ctx, err
}

// checkCanPost enforces, inside the sending transaction, every rule for an
// authored message: current membership, the author's right to send, and
// in direct threads the other member's block and messaging state.
func (m *Messaging) checkCanPost(ctx *postContext, author string) error {
	if !slices.Contains(ctx.Members, author) || !ctx.SenderOff.Valid {
		return errNotFound()
	}
	if ctx.SenderOff.Bool || !m.rolesMaySend(ctx.Roles) || ctx.PeerRefuses {
		return errRefused()
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

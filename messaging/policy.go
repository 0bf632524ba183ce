package messaging

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// normalizeBody trims the body and checks it against the size limit.
func (m *Messaging) normalizeBody(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return "", errInvalid("body", "empty_body", "The message can't be empty.")
	}
	if n := utf8.RuneCountInString(body); n > m.config.MaxBodyLength {
		return "", errInvalid("body", "body_too_long",
			"The message is too long: "+strconv.Itoa(n)+" characters, the limit is "+strconv.Itoa(m.config.MaxBodyLength)+".")
	}
	return body, nil
}

// canSend reports whether user may send at all: messaging on, and holding
// one of the sending roles when these are limited.
func (m *Messaging) canSend(user *core.Record) bool {
	if user.GetBool("messaging_off") {
		return false
	}
	if len(m.config.SendRoles) == 0 {
		return true
	}
	for _, r := range user.GetStringSlice("roles") {
		if slices.Contains(m.config.SendRoles, r) {
			return true
		}
	}
	return false
}

// isUnblockable reports whether user holds a role that can't be blocked.
func (m *Messaging) isUnblockable(user *core.Record) bool {
	for _, r := range user.GetStringSlice("roles") {
		if slices.Contains(m.config.UnblockableRoles, r) {
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

// checkCanPost enforces, inside the sending transaction, every rule for an
// authored message in thread: current membership, the author's right to
// send, and in direct threads the other member's block and messaging state.
func (m *Messaging) checkCanPost(app core.App, thread *core.Record, author string) error {
	if !slices.Contains(thread.GetStringSlice("members"), author) {
		return errNotFound()
	}
	sender, err := app.FindRecordById(CollectionNameUsers, author)
	if err != nil {
		return errNotFound()
	}
	if !m.canSend(sender) {
		return errRefused()
	}
	if thread.GetString("kind") != KindDirect {
		return nil
	}
	for _, other := range thread.GetStringSlice("members") {
		if other == author {
			continue
		}
		u, err := app.FindRecordById(CollectionNameUsers, other)
		if err != nil || u.GetBool("messaging_off") {
			return errRefused()
		}
		blockers, err := blockedBy(app, author, []string{other})
		if err != nil {
			return err
		}
		if len(blockers) > 0 {
			return errRefused()
		}
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

package messaging

import (
	"encoding/json/v2"
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
	if n := utf8.RuneCountInString(body); n > m.Limits().MaxBodyLength {
		return "", errInvalid("body", "body_too_long",
			"The message is too long: "+strconv.Itoa(n)+" characters, the limit is "+strconv.Itoa(m.Limits().MaxBodyLength)+".")
	}
	return body, nil
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

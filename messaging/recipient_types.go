package messaging

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Recipient types: kinds of recipient beside single users, as Drupal
// privatemsg has them. "role" (everyone holding a value of users.roles)
// is built in; Go code registers more with RegisterRecipientType, for
// example "everyone in this project". A start that names one
// (roles_start.go) adds the type's members to the conversation, at once
// when they are few, else in the background (expansion.go), a page of
// Members at a time.

// RecipientTypeRole is the built-in recipient type of users.roles.
const RecipientTypeRole = "role"

// RecipientTypeUser is the "type" of plain users in the autocomplete.
const RecipientTypeUser = "user"

// ErrUnknownRecipient is what a RecipientType's Members returns (wrapped
// or not) for an id that doesn't exist: the start answers 400.
var ErrUnknownRecipient = errors.New("messaging: unknown recipient")

// Recipient names one recipient of a start by type and id:
// {Type: "role", ID: "support"}, {Type: "project", ID: "p1"}.
type Recipient struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// RecipientEntry is one match of a type's Lookup, as the autocomplete
// shows it: the id a start names, a label, and the member count when the
// type knows it cheaply (0: not shown).
type RecipientEntry struct {
	ID          string
	Name        string
	MemberCount int
}

// RecipientType is a kind of recipient. Every function runs on the
// server, outside any request's transaction unless given one (app).
type RecipientType struct {
	// Name is the type's name in requests ("type": "project"): lower
	// case letters, digits, "_" and "-", not "user" or "role".
	Name string
	// Lookup returns up to limit entries whose name starts with q, for
	// the autocomplete of sender (who may use the type: MayUse is asked
	// first). Optional: nil offers nothing.
	Lookup func(app core.App, sender *core.Record, q string, limit int) ([]RecipientEntry, error)
	// Members returns a page of the user ids of entry id after the
	// cursor after ("" for the first page), and the cursor of the next
	// page ("" when there is none). It may return fewer than limit ids,
	// even none, with a next cursor, so each call can do bounded work; it
	// must return every member exactly once over the pages and order
	// nothing in particular. An unknown id is ErrUnknownRecipient.
	// Required.
	Members func(app core.App, id, after string, limit int) (userIDs []string, next string, err error)
	// MayUse reports whether sender may address this type over HTTP (on
	// top of holding one of the role_message_roles). Optional: nil means
	// every holder may. Go callers of StartWith are not asked.
	MayUse func(app core.App, sender *core.Record) bool
}

// recipientTypes is a Messaging's registry of types beside "role".
type recipientTypes struct {
	mu    sync.RWMutex
	types map[string]RecipientType
	order []string
}

var recipientTypeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// RegisterRecipientType adds a recipient type; call it before the app
// serves. A name that is taken, reserved or malformed, or a type without
// Members, is an error.
func (m *Messaging) RegisterRecipientType(t RecipientType) error {
	switch {
	case !recipientTypeName.MatchString(t.Name):
		return fmt.Errorf("messaging: recipient type name %q: use lower case letters, digits, _ and -", t.Name)
	case t.Name == RecipientTypeRole || t.Name == RecipientTypeUser:
		return fmt.Errorf("messaging: recipient type %q is built in", t.Name)
	case t.Members == nil:
		return fmt.Errorf("messaging: recipient type %q needs Members", t.Name)
	}
	r := &m.recipients
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.types[t.Name]; ok {
		return fmt.Errorf("messaging: recipient type %q is already registered", t.Name)
	}
	if r.types == nil {
		r.types = map[string]RecipientType{}
	}
	r.types[t.Name] = t
	r.order = append(r.order, t.Name)
	return nil
}

// recipientType returns the type called name, "role" included.
func (m *Messaging) recipientType(name string) (RecipientType, bool) {
	if name == RecipientTypeRole {
		return m.roleType(), true
	}
	r := &m.recipients
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.types[name]
	return t, ok
}

// customRecipientTypes returns the registered types in registration order.
func (m *Messaging) customRecipientTypes() []RecipientType {
	r := &m.recipients
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]RecipientType, 0, len(r.order))
	for _, n := range r.order {
		out = append(out, r.types[n])
	}
	return out
}

// roleWindow is how many users one page of a role's members reads.
const roleWindow = 500

// roleType is the built-in type: the holders of a value of users.roles.
// users.roles is a JSON list without an index, so a page reads a window
// of at most limit users in id order (the primary key) and keeps those
// holding the role: no page grows with the number of users, and a role
// held by few users among many takes more (cheap, possibly empty) pages.
func (m *Messaging) roleType() RecipientType {
	return RecipientType{
		Name: RecipientTypeRole,
		Lookup: func(app core.App, _ *core.Record, q string, limit int) ([]RecipientEntry, error) {
			var out []RecipientEntry
			q = strings.ToLower(q)
			for _, r := range knownRoles(app) {
				if strings.HasPrefix(strings.ToLower(r), q) && len(out) < limit {
					out = append(out, RecipientEntry{ID: r, Name: r})
				}
			}
			return out, nil
		},
		Members: func(app core.App, role, after string, limit int) ([]string, string, error) {
			if known := knownRoles(app); known != nil && !slices.Contains(known, role) {
				return nil, "", ErrUnknownRecipient
			}
			var rows []struct {
				ID   string `db:"id"`
				Hold bool   `db:"hold"`
			}
			err := app.DB().NewQuery(`SELECT u.id, EXISTS (SELECT 1 FROM json_each(u.roles) r WHERE r.value = {:role}) AS hold
				FROM (SELECT id, roles FROM users WHERE id > {:after} ORDER BY id LIMIT {:n}) u`).
				Bind(dbx.Params{"role": role, "after": after, "n": limit}).All(&rows)
			if err != nil || len(rows) == 0 {
				return nil, "", err
			}
			var ids []string
			for _, r := range rows {
				if r.Hold {
					ids = append(ids, r.ID)
				}
			}
			next := ""
			if len(rows) == limit {
				next = rows[len(rows)-1].ID
			}
			return ids, next, nil
		},
		MayUse: func(core.App, *core.Record) bool { return true },
	}
}

// mayMessageRoles reports whether sender holds one of the
// role_message_roles (or is a superuser).
func (m *Messaging) mayMessageRoles(sender *core.Record) bool {
	if sender == nil {
		return false
	}
	if sender.IsSuperuser() {
		return true
	}
	roles := sender.GetStringSlice("roles")
	return slices.ContainsFunc(m.Limits().RoleMessageRoles, func(r string) bool { return slices.Contains(roles, r) })
}

// mayUseType reports whether sender may address t over HTTP.
func (m *Messaging) mayUseType(t RecipientType, sender *core.Record) bool {
	return m.mayMessageRoles(sender) && (t.MayUse == nil || t.MayUse(m.app, sender))
}

// RecipientSuggestion is one item of the recipient autocomplete: a user
// (Type "user", with Username and Avatar), a role (Type "role", ID and
// Name the role) or an entry of a registered type (MemberCount when the
// type knows it).
type RecipientSuggestion struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Username    string `json:"username"`
	Avatar      string `json:"avatar"`
	Type        string `json:"type"`
	MemberCount int    `json:"memberCount,omitzero"`
}

// RecipientSuggestions is Recipients with, for a user who may message
// roles (role_message_roles), the roles and entries of registered types
// whose name starts with q, each type only when its MayUse allows: first
// the roles, then the types in registration order, then the users, at
// most limit in all. Typed entries come first because they are few and a
// sender types their names whole: behind a page of users whose names
// start the same way ("supp": Support 1, Support 10 …) they would never
// show.
func (m *Messaging) RecipientSuggestions(user, q string, limit int) ([]RecipientSuggestion, error) {
	limit = m.limit(limit)
	out, err := m.typedSuggestions(user, strings.TrimSpace(q), limit)
	if err != nil {
		return nil, err
	}
	if len(out) >= limit {
		return out, nil
	}
	users, err := m.Recipients(user, q, limit-len(out))
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		out = append(out, RecipientSuggestion{Type: RecipientTypeUser, ID: u.ID, Name: u.Name, Username: u.Username, Avatar: u.Avatar})
	}
	return out, nil
}

// typedSuggestions are the roles and registered types' entries whose
// name starts with q that user may address, at most limit.
func (m *Messaging) typedSuggestions(user, q string, limit int) ([]RecipientSuggestion, error) {
	out := []RecipientSuggestion{}
	if q == "" {
		return out, nil
	}
	sender, err := m.app.FindRecordById(CollectionNameUsers, user)
	if err != nil || !m.mayMessageRoles(sender) {
		return out, nil
	}
	for _, t := range append([]RecipientType{m.roleType()}, m.customRecipientTypes()...) {
		if t.Lookup == nil || len(out) >= limit || !m.mayUseType(t, sender) {
			continue
		}
		entries, err := t.Lookup(m.app, sender, q, limit-len(out))
		if err != nil {
			return nil, err
		}
		for _, e := range entries[:min(len(entries), limit-len(out))] {
			out = append(out, RecipientSuggestion{Type: t.Name, ID: e.ID, Name: e.Name, MemberCount: e.MemberCount})
		}
	}
	return out, nil
}

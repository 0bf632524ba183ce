package messaging

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Block makes blocked unable to start conversations with user, add user to
// groups or post into their direct thread. Blocking twice is a no-op.
// Errors: ErrInvalid (yourself, unknown user, unblockable role).
func (m *Messaging) Block(user, blocked string) error {
	existing, err := findBlock(m.app, user, blocked)
	if err != nil || existing != nil {
		return err
	}
	col, err := m.app.FindCachedCollectionByNameOrId(CollectionNameBlocks)
	if err != nil {
		return err
	}
	r := core.NewRecord(col)
	r.Set("user", user)
	r.Set("blocked", blocked)
	return m.app.Save(r)
}

// Unblock removes user's block on blocked; unblocking someone not blocked
// is a no-op.
func (m *Messaging) Unblock(user, blocked string) error {
	r, err := findBlock(m.app, user, blocked)
	if err != nil || r == nil {
		return err
	}
	return m.app.Delete(r)
}

// IsBlocked reports whether user has blocked other.
func (m *Messaging) IsBlocked(user, other string) (bool, error) {
	r, err := findBlock(m.app, user, other)
	return r != nil, err
}

// findBlock returns user's block on blocked, or nil if there is none.
func findBlock(app core.App, user, blocked string) (*core.Record, error) {
	r := &core.Record{}
	err := app.RecordQuery(CollectionNameBlocks).
		AndWhere(dbx.HashExp{"user": user, "blocked": blocked}).Limit(1).One(r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// BlockList returns the users user has blocked, newest block first. Block
// lists are bounded by what one person does, so it is not paged.
func (m *Messaging) BlockList(user string) ([]Member, error) {
	var ids []string
	err := m.app.DB().Select("blocked").From(CollectionNameBlocks).
		Where(dbx.HashExp{"user": user}).OrderBy("created DESC").Column(&ids)
	if err != nil {
		return nil, err
	}
	users, err := m.membersByID(ids)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(ids))
	for _, id := range ids {
		if u, ok := users[id]; ok {
			out = append(out, u)
		}
	}
	return out, nil
}

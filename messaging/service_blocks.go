package messaging

import (
	"errors"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Block makes blocked unable to start conversations with user, add user to
// groups or post into their direct thread. Blocking twice is a no-op.
// Errors: ErrInvalid (yourself, unknown user, unblockable role).
func (m *Messaging) Block(user, blocked string) error {
	if _, err := findBlock(m.app, user, blocked); err == nil {
		return nil
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
	if err != nil {
		return nil
	}
	return m.app.Delete(r)
}

// IsBlocked reports whether user has blocked other.
func (m *Messaging) IsBlocked(user, other string) (bool, error) {
	_, err := findBlock(m.app, user, other)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, errNoBlock) {
		return false, nil
	}
	return false, err
}

var errNoBlock = errors.New("no block")

func findBlock(app core.App, user, blocked string) (*core.Record, error) {
	r, err := app.FindFirstRecordByFilter(CollectionNameBlocks, "user = {:u} && blocked = {:b}",
		dbx.Params{"u": user, "b": blocked})
	if err != nil {
		return nil, errNoBlock
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
	users, err := recordsByID(m.app, CollectionNameUsers, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(ids))
	for _, id := range ids {
		if u := users[id]; u != nil {
			out = append(out, memberView(u))
		}
	}
	return out, nil
}

package messaging

import (
	"database/sql"
	"errors"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Blocking. A block stops the blocked user from starting a conversation
// with the blocker, adding them to a group or posting into their direct
// thread (permissions.go checks it); the blocked user is only ever told
// "Unable to send message.". Holders of the unblockable roles can't be
// blocked. Blocks are a member's own rows; OnBlock and OnUnblock fire after
// commit, whoever writes them.

// bindBlockHooks checks every new block, whoever creates it, and fires the
// block events after commit.
func (m *Messaging) bindBlockHooks() {
	app := m.app
	app.OnRecordCreate(CollectionNameBlocks).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingBlockValidate__", Func: m.validateBlock,
	})
	app.OnRecordAfterCreateSuccess(CollectionNameBlocks).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingBlockEvent__",
		Func: func(e *core.RecordEvent) error {
			m.fireBlock(m.onBlock, e)
			return e.Next()
		},
	})
	app.OnRecordAfterDeleteSuccess(CollectionNameBlocks).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingUnblockEvent__",
		Func: func(e *core.RecordEvent) error {
			m.fireBlock(m.onUnblock, e)
			return e.Next()
		},
	})
}

func (m *Messaging) validateBlock(e *core.RecordEvent) error {
	b := &Block{e.Record}
	user, blocked := b.User(), b.Blocked()
	if user == blocked {
		return errInvalid("blocked", "block_self", "You can't block yourself.")
	}
	target, err := e.App.FindRecordById(CollectionNameUsers, blocked)
	if err != nil {
		return errInvalid("blocked", "unknown_user", "Unknown user.")
	}
	if m.isUnblockable(target) {
		return errInvalid("blocked", "unblockable", "This user can't be blocked.")
	}
	return e.Next()
}

func (m *Messaging) fireBlock(h *hook.Hook[*BlockEvent], e *core.RecordEvent) {
	b := &Block{e.Record}
	err := h.Trigger(&BlockEvent{App: e.App, User: b.User(), Blocked: b.Blocked()})
	if err != nil {
		e.App.Logger().Error("messaging: block event handler failed", "error", err)
	}
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
	b := &Block{r}
	b.SetUser(user)
	b.SetBlocked(blocked)
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

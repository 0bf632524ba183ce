package messaging

import (
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// bindMemberHooks keeps threads.members (the list every read rule checks)
// equal to the thread's current thread_members rows, whoever writes them,
// and checks that members tag conversations with their own tags only.
func (m *Messaging) bindMemberHooks() {
	app := m.app
	app.OnRecordCreateExecute(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMembersSyncCreate__", Func: m.syncThreadMembers,
	})
	app.OnRecordUpdateExecute(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMembersSyncUpdate__", Func: m.syncThreadMembers,
	})
	app.OnRecordDeleteExecute(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMembersSyncDelete__", Func: m.syncThreadMembers,
	})
	app.OnRecordValidate(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMembersTags__", Func: validateMemberTags,
	})
}

// syncThreadMembers re-derives threads.members, in the same transaction,
// after a membership row is created, deleted, or changes thread, user or
// left, whoever writes it (our Go API, the dashboard, a JS hook), and
// notes the change for the events that go out after the commit.
func (m *Messaging) syncThreadMembers(e *core.RecordEvent) error {
	// Mute, archive and tags don't change who is in the thread.
	threads := []string{e.Record.GetString("thread")}
	if !e.Record.IsNew() && e.Type == core.ModelEventTypeUpdate {
		old := e.Record.Original()
		if old.GetString("thread") == threads[0] && old.GetString("user") == e.Record.GetString("user") &&
			old.GetBool("left") == e.Record.GetBool("left") {
			return e.Next()
		}
		if old.GetString("thread") != threads[0] && old.GetString("thread") != "" {
			threads = append(threads, old.GetString("thread"))
		}
	}

	original := e.App
	defer func() { e.App = original }()
	return e.App.RunInTransaction(func(tx core.App) error {
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		for _, t := range threads {
			if err := refreshThreadMembers(tx, t); err != nil {
				return err
			}
		}
		m.noteMemberChange(tx, e)
		return nil
	})
}

// currentMembersSQL is threads.members as derived from thread_members, for
// the thread row being updated: the users who haven't left, in join order.
const currentMembersSQL = `(SELECT COALESCE(json_group_array(user), '[]') FROM (
	SELECT tm.user FROM thread_members tm
	WHERE tm.thread = threads.id AND tm."left" = FALSE ORDER BY tm.created, tm.id))`

// refreshThreadMembers recomputes threads.members from thread_members.
func refreshThreadMembers(app core.App, threadID string) error {
	_, err := app.DB().NewQuery("UPDATE threads SET members = " + currentMembersSQL + " WHERE id = {:thread}").
		Bind(dbx.Params{"thread": threadID}).Execute()
	return err
}

func validateMemberTags(e *core.RecordEvent) error {
	tags := e.Record.GetStringSlice("tags")
	if len(tags) == 0 {
		return e.Next()
	}
	// Over the limit is refused before the query, whichever way it came.
	if max := maxTags(e.App); len(tags) > max {
		return errTooManyTags(max)
	}
	var owned []string
	err := e.App.DB().Select("id").From(CollectionNameTags).
		Where(inList("id", "tags", tags)).
		AndWhere(dbx.HashExp{"user": e.Record.GetString("user")}).
		Column(&owned)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if !slices.Contains(owned, t) {
			return errInvalid("tags", "unknown_tag", "Unknown tag.")
		}
	}
	return e.Next()
}

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
	user, blocked := e.Record.GetString("user"), e.Record.GetString("blocked")
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
	err := h.Trigger(&BlockEvent{App: e.App, User: e.Record.GetString("user"), Blocked: e.Record.GetString("blocked")})
	if err != nil {
		e.App.Logger().Error("messaging: block event handler failed", "error", err)
	}
}

// bindUserHooks keeps roles in the hands of superusers: a member can't
// give themself a role through signup or a profile update. Server code
// (Go, JS hooks) is trusted and may set roles.
func (m *Messaging) bindUserHooks() {
	guard := func(e *core.RecordRequestEvent) error {
		if !e.HasSuperuserAuth() {
			var before []string
			if !e.Record.IsNew() {
				before = e.Record.Original().GetStringSlice("roles")
			}
			after := e.Record.GetStringSlice("roles")
			if !slices.Equal(slices.Sorted(slices.Values(before)), slices.Sorted(slices.Values(after))) {
				return e.ForbiddenError("Only superusers can change roles.", nil)
			}
		}
		return e.Next()
	}
	m.app.OnRecordCreateRequest(CollectionNameUsers).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingRolesCreate__", Func: guard,
	})
	m.app.OnRecordUpdateRequest(CollectionNameUsers).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingRolesUpdate__", Func: guard,
	})
}

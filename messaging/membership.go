package messaging

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Membership: who is in a thread. thread_members holds one row per member
// and thread (left = true once they leave); threads.members, which every
// read rule checks, is derived from it in the same transaction whoever
// writes the rows. activeMember is the one check that a user is a current
// member of a thread.

// bindMembershipHooks keeps threads.members (the list every read rule checks)
// equal to the thread's current thread_members rows, whoever writes them,
// and checks that members tag conversations with their own tags only.
func (m *Messaging) bindMembershipHooks() {
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
}

// syncThreadMembers re-derives threads.members, in the same transaction,
// after a membership row is created, deleted, or changes thread, user or
// left, whoever writes it (our Go API, the dashboard, a JS hook), and
// notes the change for the events that go out after the commit.
func (m *Messaging) syncThreadMembers(e *core.RecordEvent) error {
	// Mute, archive and tags don't change who is in the thread.
	now := &Membership{e.Record}
	threads := []string{now.Thread()}
	if !e.Record.IsNew() && e.Type == core.ModelEventTypeUpdate {
		old := &Membership{e.Record.Original()}
		if old.Thread() == threads[0] && old.User() == now.User() && old.Left() == now.Left() {
			return e.Next()
		}
		if old.Thread() != threads[0] && old.Thread() != "" {
			threads = append(threads, old.Thread())
		}
	}

	return inRecordTransaction(e, func(tx core.App) error {
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

// memberPreviewMax is how many member ids threads.members holds at most
// (its MaxSelect, so a record save of a bigger thread still validates).
// Membership itself is the thread_members rows; the list is a preview, in
// join order, that clients of the records API and small-thread paths read.
const memberPreviewMax = 1000

// currentMembersSQL is threads.members as derived from thread_members, for
// the thread row being updated: the first memberPreviewMax users who
// haven't left, in join order.
const currentMembersSQL = `(SELECT COALESCE(json_group_array(user), '[]') FROM (
	SELECT tm.user FROM thread_members tm
	WHERE tm.thread = threads.id AND tm.` + memberIsCurrent + ` ORDER BY tm.created, tm.rowid LIMIT 1000))` // memberPreviewMax

// memberCountSQL is threads.member_count as derived from thread_members,
// for the thread row being updated: how many users haven't left.
const memberCountSQL = `(SELECT COUNT(*) FROM thread_members tm
	WHERE tm.thread = threads.id AND tm.` + memberIsCurrent + `)`

// refreshMembersSQL re-derives both threads.members and
// threads.member_count; callers add the WHERE.
const refreshMembersSQL = "UPDATE threads SET members = " + currentMembersSQL + ", member_count = " + memberCountSQL

// refreshThreadMembers recomputes threads.members and threads.member_count
// from thread_members.
func refreshThreadMembers(app core.App, threadID string) error {
	_, err := app.DB().NewQuery(refreshMembersSQL + " WHERE id = {:thread}").
		Bind(dbx.Params{"thread": threadID}).Execute()
	return err
}

// isCurrentMember reports whether user is a current member of thread
// (declined requests included: they stay in the thread, reach.go), with
// one lookup in the (thread, user) unique index, whatever the thread's size.
func isCurrentMember(app core.App, threadID, user string) (bool, error) {
	var n int
	err := app.DB().NewQuery(`SELECT COUNT(*) FROM thread_members
		WHERE thread = {:thread} AND user = {:user} AND ` + memberIsCurrent).
		Bind(dbx.Params{"thread": threadID, "user": user}).Row(&n)
	return n > 0, err
}

// currentMemberIDs returns every current member of thread, from
// thread_members (threads.members is only a preview above
// memberPreviewMax), in no particular order; none when the thread doesn't
// exist.
func currentMemberIDs(app core.App, threadID string) ([]string, error) {
	var ids []string
	err := app.DB().Select("user").From(CollectionNameThreadMembers).
		Where(dbx.HashExp{"thread": threadID}).AndWhere(dbx.NewExp(memberIsCurrent)).Column(&ids)
	return ids, err
}

// memberIsCurrent is the condition on a thread_members row that its user
// is a current member of its thread. It is the one definition of
// membership: activeMember, the thread view, the message list, the unread
// counting and threads.members (which the API rules read) all use it.
const memberIsCurrent = `"left" = FALSE`

// activeMember returns user's membership of thread, or ErrNotFound when
// there is no such thread or user is not a current member of it (or
// declined it as a request: it is gone for them, reach.go).
func activeMember(app core.App, user, threadID string) (*core.Record, error) {
	member := &core.Record{}
	err := app.RecordQuery(CollectionNameThreadMembers).
		AndWhere(dbx.HashExp{"thread": threadID, "user": user}).
		AndWhere(dbx.NewExp(memberIsCurrent + " AND " + memberNotDeclined)).
		Limit(1).One(member)
	if err != nil {
		return nil, errNotFound()
	}
	return member, nil
}

// addMember adds user to thread, or brings back a member who had left;
// either way they start with the history read.
func addMember(tx core.App, threadID, user string, lastSeq int, at types.DateTime) error {
	return addMemberAs(tx, threadID, user, lastSeq, at, false)
}

// addMemberAs is addMember that makes the membership a pending request
// (reach.go) when request is set, and a normal one otherwise.
func addMemberAs(tx core.App, threadID, user string, lastSeq int, at types.DateTime, request bool) error {
	member, err := tx.FindFirstRecordByFilter(CollectionNameThreadMembers, "thread = {:t} && user = {:u}",
		dbx.Params{"t": threadID, "u": user})
	if err != nil {
		col, err := tx.FindCachedCollectionByNameOrId(CollectionNameThreadMembers)
		if err != nil {
			return err
		}
		member = core.NewRecord(col)
		(&Membership{member}).SetThread(threadID)
		(&Membership{member}).SetUser(user)
	}
	ms := &Membership{member}
	ms.SetLeft(false)
	ms.SetUnread(0)
	ms.SetLastReadSeq(lastSeq)
	member.Set("counted_seq", lastSeq) // everything so far is in the count (fanout.go)
	ms.SetLastActivity(at)
	ms.SetRequest(request)
	return tx.Save(member)
}

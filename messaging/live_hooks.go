package messaging

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// bindLiveHooks fires the live events and the Go events from record-event
// hooks that run after the commit (PocketBase defers the After*Success
// hooks of a transaction's saves until it commits, and drops them on
// rollback), so that every writer — the messaging API, the records and
// batch APIs, Go code, JS hooks — produces them, once per committed change.
//
//	message      afterMessageSent (message_hooks.go)
//	deleted      a message's deleted false->true, or its hard delete
//	read         a membership's unread or last_read_seq changed by a record
//	             save; MarkRead and MarkUnread, which write plain SQL, fire
//	             it after their commit (see MarkRead)
//	seen         the other member of a direct thread's read position
//	             moved (receipts.go), from the same places as "read"
//	membership   a current membership's muted, archived or tags changed
//	members, removed, OnMemberLeft
//	             who is in a thread changed (memberChanges, below)
//	OnThreadCreate
//	             a thread was created
func (m *Messaging) bindLiveHooks() {
	app := m.app
	app.OnRecordAfterUpdateSuccess(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingLiveSoftDelete__",
		Func: func(e *core.RecordEvent) error {
			if e.Record.GetBool("deleted") && !e.Record.Original().GetBool("deleted") {
				m.live.messageDeleted(e.App, e.Record)
			}
			return e.Next()
		},
	})
	app.OnRecordAfterDeleteSuccess(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingLiveHardDelete__",
		Func: func(e *core.RecordEvent) error {
			if !e.Record.GetBool("deleted") { // a soft-deleted one was told then
				m.live.messageDeleted(e.App, e.Record)
			}
			return e.Next()
		},
	})
	app.OnRecordAfterUpdateSuccess(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingLiveMembership__", Func: m.afterMembershipUpdate,
	})
	app.OnRecordCreateExecute(CollectionNameThreads).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingLiveNewThread__",
		Func: func(e *core.RecordEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			if c := m.memberChangesOf(e.App); c != nil {
				c.newThreads[e.Record.Id] = true
			}
			return nil
		},
	})
	app.OnRecordAfterCreateSuccess(CollectionNameThreads).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingThreadCreated__", Func: m.afterThreadCreate,
	})
}

// afterMembershipUpdate tells a current member about their own settings
// and read state changed by a record save. Joining and leaving are told
// by memberChanges instead.
func (m *Messaging) afterMembershipUpdate(e *core.RecordEvent) error {
	rec, old := e.Record, e.Record.Original()
	user, thread := rec.GetString("user"), rec.GetString("thread")
	if rec.GetBool("left") || old.GetBool("left") || old.GetString("user") != user || old.GetString("thread") != thread {
		return e.Next()
	}
	if rec.GetBool("muted") != old.GetBool("muted") || rec.GetBool("archived") != old.GetBool("archived") ||
		!slices.Equal(rec.GetStringSlice("tags"), old.GetStringSlice("tags")) {
		m.live.membershipChanged(e.App, rec.Id, user)
	}
	if rec.GetInt("unread") != old.GetInt("unread") || rec.GetInt("last_read_seq") != old.GetInt("last_read_seq") {
		m.live.readStateChanged(e.App, user, thread)
	}
	if rec.GetInt("last_read_seq") != old.GetInt("last_read_seq") {
		m.live.seen(e.App, user, thread)
	}
	return e.Next()
}

// afterThreadCreate fires OnThreadCreate. The thread is read again: the
// members, added in the same transaction, are in it by now.
func (m *Messaging) afterThreadCreate(e *core.RecordEvent) error {
	if m.onThreadCreate.Length() > 0 {
		fresh, err := e.App.FindRecordById(CollectionNameThreads, e.Record.Id)
		if err == nil {
			err = m.onThreadCreate.Trigger(&ThreadEvent{App: e.App, Thread: fresh, Members: fresh.GetStringSlice("members")})
		}
		if err != nil {
			e.App.Logger().Error("messaging: OnThreadCreate handler failed", "thread", e.Record.Id, "error", err)
		}
	}
	return e.Next()
}

// memberChanges collects what one transaction changed about who is in
// which thread, so that "members", "removed" and OnMemberLeft go out once
// per thread after it commits: adding three people is one "members" event,
// not three, and a new thread's first members are told by its first
// message instead. Every such change passes syncThreadMembers, which runs
// in a transaction, so there is always one to attach to.
type memberChanges struct {
	order      []string            // changed threads, first change first
	changed    map[string]bool     // the same, as a set
	removed    map[string][]string // thread -> users no longer in it
	left       map[string][]string // thread -> users who left it
	newThreads map[string]bool     // created in this transaction
}

// memberChangesOf returns the changes of app's transaction, registering
// their delivery after its commit on first use; nil outside a transaction.
// A transaction's hooks run one at a time, on its one connection.
func (m *Messaging) memberChangesOf(app core.App) *memberChanges {
	info := app.TxInfo()
	if info == nil {
		return nil
	}
	if c, ok := m.txChanges.Load(info); ok {
		return c.(*memberChanges)
	}
	c := &memberChanges{
		changed: map[string]bool{}, removed: map[string][]string{},
		left: map[string][]string{}, newThreads: map[string]bool{},
	}
	m.txChanges.Store(info, c)
	info.OnComplete(func(txErr error) error {
		m.txChanges.Delete(info)
		if txErr == nil {
			m.fireMemberChanges(c)
		}
		return nil
	})
	return c
}

func (c *memberChanges) touch(thread string) {
	if !c.changed[thread] {
		c.changed[thread] = true
		c.order = append(c.order, thread)
	}
}

// remove notes that user is no longer in thread; left says they left
// (rather than their membership being deleted).
func (c *memberChanges) remove(thread, user string, left bool) {
	c.touch(thread)
	c.removed[thread] = append(c.removed[thread], user)
	if left {
		c.left[thread] = append(c.left[thread], user)
	}
}

// noteMemberChange records the change e makes (inside its transaction,
// tx) to who is in which thread.
func (m *Messaging) noteMemberChange(tx core.App, e *core.RecordEvent) {
	c := m.memberChangesOf(tx)
	if c == nil {
		return
	}
	rec := e.Record
	thread, user, left := rec.GetString("thread"), rec.GetString("user"), rec.GetBool("left")
	switch e.Type {
	case core.ModelEventTypeCreate:
		if !left {
			c.touch(thread)
		}
	case core.ModelEventTypeUpdate:
		old := rec.Original()
		moved := old.GetString("thread") != thread || old.GetString("user") != user
		if !old.GetBool("left") && (left || moved) {
			c.remove(old.GetString("thread"), old.GetString("user"), left && !moved)
		}
		if !left && (old.GetBool("left") || moved) {
			c.touch(thread)
		}
	case core.ModelEventTypeDelete:
		if !left {
			c.remove(thread, user, false)
		}
	}
}

func (m *Messaging) fireMemberChanges(c *memberChanges) {
	app := m.app
	for _, t := range c.order {
		if !c.newThreads[t] {
			m.live.membersChanged(app, t, c.removed[t])
		}
		if len(c.left[t]) == 0 || m.onMemberLeft.Length() == 0 {
			continue
		}
		thread, err := app.FindRecordById(CollectionNameThreads, t)
		if err != nil {
			app.Logger().Error("messaging: OnMemberLeft not fired", "thread", t, "error", err)
			continue
		}
		for _, u := range c.left[t] {
			if err := m.onMemberLeft.Trigger(&MemberEvent{App: app, Thread: thread, User: u}); err != nil {
				app.Logger().Error("messaging: OnMemberLeft handler failed", "error", err)
			}
		}
	}
}

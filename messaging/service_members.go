package messaging

import (
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// activeMember returns user's membership of thread, or ErrNotFound when
// there is no such thread or user is not a current member of it.
func activeMember(app core.App, user, threadID string) (*core.Record, error) {
	member := &core.Record{}
	err := app.RecordQuery(CollectionNameThreadMembers).
		AndWhere(dbx.HashExp{"thread": threadID, "user": user}).
		AndWhere(dbx.NewExp("[[left]] = FALSE")).
		Limit(1).One(member)
	if err != nil {
		return nil, errNotFound()
	}
	return member, nil
}

// MarkRead marks everything in thread as read for user.
//
// The read state is written with one plain UPDATE (opening a thread is the
// most frequent write there is, and a record save would validate and
// rewrite the whole row for two counters), so no record event fires and
// the "read" event is fired here, after the commit, through
// readStateAfterCommit, as MarkUnread does. A record save that changes
// the same fields (the records API as a superuser, Go, a JS hook) fires
// it from afterMembershipUpdate. The other plain-SQL writers of read
// state send their own events: a new message ("message", to the author
// too) and a deletion ("deleted").
func (m *Messaging) MarkRead(user, threadID string) error {
	return m.app.RunInTransaction(func(tx core.App) error {
		member, err := activeMember(tx, user, threadID)
		if err != nil {
			return err
		}
		_, err = tx.DB().NewQuery(`UPDATE {{thread_members}} SET [[unread]] = 0,
				[[last_read_seq]] = (SELECT [[last_seq]] FROM {{threads}} WHERE [[id]] = {:thread})
			WHERE [[id]] = {:id}`).Bind(dbx.Params{"thread": threadID, "id": member.Id}).Execute()
		if err == nil {
			m.readStateAfterCommit(tx, user, threadID)
		}
		return err
	})
}

// readStateAfterCommit sends user's "read" event for thread once tx has
// committed; nothing on rollback.
func (m *Messaging) readStateAfterCommit(tx core.App, user, threadID string) {
	m.afterCommit(tx, func() { m.live.readStateChanged(m.app, user, threadID) })
}

// MarkUnread marks the newest message from someone else as unread, so the
// thread shows one unread message; a thread with none stays read.
func (m *Messaging) MarkUnread(user, threadID string) error {
	return m.app.RunInTransaction(func(tx core.App) error {
		member, err := activeMember(tx, user, threadID)
		if err != nil {
			return err
		}
		var newest int
		err = tx.DB().NewQuery(`SELECT COALESCE(MAX([[seq]]), 0) FROM {{messages}}
			WHERE [[thread]] = {:thread} AND ([[author]] != '' OR [[author_deleted]]) AND [[author]] != {:user}
				AND [[deleted]] = FALSE`).
			Bind(dbx.Params{"thread": threadID, "user": user}).Row(&newest)
		if err != nil || newest == 0 {
			return err
		}
		_, err = tx.DB().NewQuery(`UPDATE {{thread_members}} SET [[unread]] = 1, [[last_read_seq]] = {:seq} WHERE [[id]] = {:id}`).
			Bind(dbx.Params{"seq": newest - 1, "id": member.Id}).Execute()
		if err == nil {
			m.readStateAfterCommit(tx, user, threadID)
		}
		return err
	})
}

// SetMuted turns notifications for thread off (true) or on for user; the
// unread count keeps counting either way.
func (m *Messaging) SetMuted(user, threadID string, muted bool) error {
	return m.updateMembership(user, threadID, func(r *core.Record) error {
		r.Set("muted", muted)
		return nil
	})
}

// SetArchived moves thread into (true) or out of user's archived box. New
// activity brings it back to the inbox.
func (m *Messaging) SetArchived(user, threadID string, archived bool) error {
	return m.updateMembership(user, threadID, func(r *core.Record) error {
		r.Set("archived", archived)
		return nil
	})
}

// SetTags replaces user's tags on thread. Every tag must be one of user's
// own records in the tags collection (ErrInvalid otherwise).
func (m *Messaging) SetTags(user, threadID string, tagIDs []string) error {
	max := maxTags(m.app)
	clean, ok := cleanIDs(tagIDs, max)
	if !ok {
		return errTooManyTags(max)
	}
	return m.updateMembership(user, threadID, func(r *core.Record) error {
		r.Set("tags", clean)
		return nil
	})
}

func (m *Messaging) updateMembership(user, threadID string, change func(*core.Record) error) error {
	member, err := activeMember(m.app, user, threadID)
	if err != nil {
		return err
	}
	if err := change(member); err != nil {
		return err
	}
	// The "membership" event goes out from afterMembershipUpdate.
	return m.app.Save(member)
}

// Leave takes user out of a group thread: a system note tells the others,
// the history stays with them, and user can no longer read or post. The
// events ("members", "removed", OnMemberLeft) go out after the commit, as
// for any other writer of "left" (see memberChanges).
// Errors: ErrNotFound, ErrForbidden for a direct thread.
func (m *Messaging) Leave(user, threadID string) error {
	return m.app.RunInTransaction(func(tx core.App) error {
		member, err := activeMember(tx, user, threadID)
		if err != nil {
			return err
		}
		thread, err := tx.FindRecordById(CollectionNameThreads, threadID)
		if err != nil {
			return errNotFound()
		}
		if thread.GetString("kind") != KindGroup {
			return errForbidden("You can't leave a direct conversation; archive it instead.")
		}
		member.Set("left", true)
		member.Set("unread", 0)
		if err := tx.Save(member); err != nil {
			return err
		}
		_, err = m.newMessage(tx, threadID, "", displayName(tx, user)+" left the conversation.")
		return err
	})
}

// AddMembers adds users to a group thread on behalf of a current member.
// Errors: ErrNotFound, ErrForbidden (direct thread), ErrInvalid (unknown
// user, already a member, group too large), ErrRefused (see Start).
func (m *Messaging) AddMembers(user, threadID string, users []string) error {
	max := m.Limits().MaxGroupSize
	added, ok := cleanIDs(users, max)
	if !ok {
		return errGroupTooLarge("users", max)
	}
	if len(added) == 0 {
		return errInvalid("users", "no_users", "Choose at least one person to add.")
	}
	return m.app.RunInTransaction(func(tx core.App) error {
		if _, err := activeMember(tx, user, threadID); err != nil {
			return err
		}
		thread, err := tx.FindRecordById(CollectionNameThreads, threadID)
		if err != nil {
			return errNotFound()
		}
		if thread.GetString("kind") != KindGroup {
			return errForbidden("People can only be added to group conversations.")
		}
		current := thread.GetStringSlice("members")
		for _, u := range added {
			if slices.Contains(current, u) {
				return errInvalid("users", "already_member", "Already a member of this conversation.")
			}
		}
		if len(current)+len(added) > max {
			return errGroupTooLarge("users", max)
		}
		from, err := tx.FindRecordById(CollectionNameUsers, user)
		if err != nil {
			return errNotFound()
		}
		if err := m.checkRecipients(tx, from, added, "users"); err != nil {
			return err
		}
		now := types.NowDateTime()
		names := make([]string, len(added))
		for i, u := range added {
			if err := addMember(tx, threadID, u, thread.GetInt("last_seq"), now); err != nil {
				return err
			}
			names[i] = displayName(tx, u)
		}
		_, err = m.newMessage(tx, threadID, "", displayName(tx, user)+" added "+joinNames(names)+".")
		return err
	})
}

// DeleteMessage soft-deletes user's own message: the body is erased and
// the others see a placeholder. Errors: ErrNotFound (no such message or
// not a member), ErrForbidden (someone else's message).
func (m *Messaging) DeleteMessage(user, messageID string) error {
	msg, err := m.app.FindRecordById(CollectionNameMessages, messageID)
	if err != nil {
		return errNotFound()
	}
	if _, err := activeMember(m.app, user, msg.GetString("thread")); err != nil {
		return err
	}
	if msg.GetString("author") != user {
		return errForbidden("You can only delete your own messages.")
	}
	if msg.GetBool("deleted") {
		return nil
	}
	msg.Set("deleted", true)
	return m.app.Save(msg) // the "deleted" event goes out from the record hook
}

func displayName(app core.App, userID string) string {
	u, err := app.FindRecordById(CollectionNameUsers, userID)
	if err != nil {
		return "Someone"
	}
	return memberView(u).Name
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

package messaging

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Removing members from a group. The group's starter (threads.created_by)
// and moderators (users holding one of Limits().ModeratorRoles, in any
// group) may take someone out; a superuser may too, through the HTTP API.
// A removal is a leave done by someone else: the same left membership, so
// the removed person can no longer read or post through any path, plus
// removed = true on their thread_members row (which only they can read) so
// that their client can say "You were removed". The events are those of
// leaving ("members" to the others, "removed" to them, OnMemberLeft),
// from memberChanges after the commit.

// remover is who asks for a removal: a user, or a superuser.
type remover struct {
	user      string // users id; empty for a superuser
	superuser bool
}

// RemoveMember takes user out of a group thread on behalf of by, with a
// system note ("Alice removed Dave."). by must be the group's starter or
// hold a moderator role; a moderator need not be a member. Removing
// oneself is Leave.
// Errors: ErrNotFound (no such thread, by is neither a current member nor
// a moderator, or user is not a current member), ErrInvalid (a direct
// thread), ErrForbidden (by may not remove people).
func (m *Messaging) RemoveMember(by, threadID, user string) error {
	if by == "" {
		return errNotFound()
	}
	return m.removeMember(remover{user: by}, threadID, user)
}

func (m *Messaging) removeMember(by remover, threadID, user string) error {
	if !by.superuser && by.user == user {
		return m.Leave(user, threadID)
	}
	return m.app.RunInTransaction(func(tx core.App) error {
		record, err := tx.FindRecordById(CollectionNameThreads, threadID)
		if err != nil {
			return errNotFound()
		}
		thread := &Thread{record}
		byName, err := m.checkRemover(tx, by, thread)
		if err != nil {
			return err
		}
		member, err := activeMember(tx, user, threadID)
		if err != nil {
			return err
		}
		ms := &Membership{member}
		ms.SetLeft(true)
		ms.SetUnread(0)
		ms.SetRemoved(true)
		if err := tx.Save(member); err != nil {
			return err
		}
		note := displayName(tx, user) + " was removed."
		if byName != "" {
			note = byName + " removed " + displayName(tx, user) + "."
		}
		_, err = m.newMessage(tx, threadID, "", note)
		return err
	})
}

// checkRemover checks that by may remove people from thread and returns
// the name the note gives them ("" for a superuser). A moderator may act
// in any group; anyone else must be a current member (else ErrNotFound,
// as for every outsider) and its starter.
func (m *Messaging) checkRemover(tx core.App, by remover, thread *Thread) (string, error) {
	if by.superuser {
		if thread.Kind() != KindGroup {
			return "", errDirectRemoval()
		}
		return "", nil
	}
	user, err := tx.FindRecordById(CollectionNameUsers, by.user)
	if err != nil {
		return "", errNotFound()
	}
	moderator := m.isModerator(user)
	if !moderator {
		if _, err := activeMember(tx, by.user, thread.Id); err != nil {
			return "", err
		}
	}
	if thread.Kind() != KindGroup {
		return "", errDirectRemoval()
	}
	if !moderator && thread.GetString("created_by") != by.user {
		return "", errForbidden("Only the person who started this group can remove people from it.")
	}
	return memberView(user).Name, nil
}

func errDirectRemoval() error {
	return errInvalid("id", "direct_thread", "People can only be removed from group conversations.")
}

// bindRemovalHooks clears the removed mark whenever a membership is
// current again (the person was added back, or a superuser set left to
// false), whoever writes it.
func (m *Messaging) bindRemovalHooks() {
	unmark := func(e *core.RecordEvent) error {
		if !e.Record.GetBool("left") {
			e.Record.Set("removed", false)
		}
		return e.Next()
	}
	m.app.OnRecordCreate(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingRemovedMarkCreate__", Func: unmark,
	})
	m.app.OnRecordUpdate(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingRemovedMarkUpdate__", Func: unmark,
	})
}

// handleRemoveMember serves DELETE /api/messaging/threads/{id}/members/{userId}
// for users and superusers.
func (m *Messaging) handleRemoveMember(e *core.RequestEvent) error {
	by := remover{user: e.Auth.Id}
	if e.Auth.IsSuperuser() {
		by = remover{superuser: true}
	}
	if err := m.removeMember(by, e.Request.PathValue("id"), e.Request.PathValue("userId")); err != nil {
		return apiError(err)
	}
	return e.NoContent(http.StatusNoContent)
}

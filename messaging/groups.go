package messaging

import (
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Group conversations: their size limit (Limits().MaxGroupSize), adding
// people (any current member may, within the limit and the reach rules of
// permissions.go) and leaving (a system note tells the others; the history
// stays with them).

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
		if (&Thread{thread}).Kind() != KindGroup {
			return errForbidden("You can't leave a direct conversation; archive it instead.")
		}
		ms := &Membership{member}
		ms.SetLeft(true)
		ms.SetUnread(0)
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
		group := &Thread{thread}
		if group.Kind() != KindGroup {
			return errForbidden("People can only be added to group conversations.")
		}
		if err := m.checkAddToAnnouncement(tx, group, user); err != nil {
			return err
		}
		// The members list is only a preview in big threads: ask the
		// membership rows and the maintained count instead.
		for _, u := range added {
			if ok, err := isCurrentMember(tx, threadID, u); err != nil {
				return err
			} else if ok {
				return errInvalid("users", "already_member", "Already a member of this conversation.")
			}
		}
		if group.MemberCount()+len(added) > max {
			return errGroupTooLarge("users", max)
		}
		requests, err := m.checkRecipients(tx, user, added, "users")
		if err != nil {
			return err
		}
		if err := m.checkGroupGrowth(tx, user, threadID, group.MemberCount()+len(added)-1, added); err != nil {
			return err
		}
		now := types.NowDateTime()
		names := make([]string, len(added))
		for i, u := range added {
			if err := addMemberAs(tx, threadID, u, group.LastSeq(), now, slices.Contains(requests, u)); err != nil {
				return err
			}
			names[i] = displayName(tx, u)
		}
		_, err = m.newMessage(tx, threadID, "", displayName(tx, user)+" added "+joinNames(names)+".")
		return err
	})
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

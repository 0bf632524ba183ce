package messaging

import (
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Each member's own settings for a thread: mute (no notifications; unread
// still counts), archive (out of the inbox until new activity) and tags
// (the member's own labels). They change through the Go API, the HTTP API
// or the records API (the update rule lets a member change only these
// fields of their own membership); the live "membership" event goes out
// from live_hooks.go for every writer.

// bindMemberSettingsHooks checks, for every writer, that a member tags
// conversations with their own tags only.
func (m *Messaging) bindMemberSettingsHooks() {
	m.app.OnRecordValidate(CollectionNameThreadMembers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMembersTags__", Func: validateMemberTags,
	})
}

// SetMuted turns notifications for thread off (true) or on for user; the
// unread count keeps counting either way.
func (m *Messaging) SetMuted(user, threadID string, muted bool) error {
	return m.updateMembership(user, threadID, func(r *core.Record) error {
		(&Membership{r}).SetMuted(muted)
		return nil
	})
}

// SetArchived moves thread into (true) or out of user's archived box. New
// activity brings it back to the inbox.
func (m *Messaging) SetArchived(user, threadID string, archived bool) error {
	return m.updateMembership(user, threadID, func(r *core.Record) error {
		(&Membership{r}).SetArchived(archived)
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
		(&Membership{r}).SetTags(clean)
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

// validateMemberTags refuses tags that are not the member's own, and more
// than the field holds, before any query.
func validateMemberTags(e *core.RecordEvent) error {
	member := &Membership{e.Record}
	tags := member.Tags()
	if len(tags) == 0 {
		return e.Next()
	}
	// Over the limit is refused before the query, whichever way it came.
	if max := maxTags(e.App); len(tags) > max {
		return errTooManyTags(max)
	}
	if err := checkOwnTags(e.App, member.User(), "tags", tags); err != nil {
		return err
	}
	return e.Next()
}

// checkOwnTags refuses (ErrInvalid on field) any of tags that is not one
// of user's own: someone else's tag reads as an unknown one. Bulk tagging
// (bulk.go) checks its tag with it too.
func checkOwnTags(app core.App, user, field string, tags []string) error {
	var owned []string
	err := app.DB().Select("id").From(CollectionNameTags).
		Where(inList("id", "tags", tags)).
		AndWhere(dbx.HashExp{"user": user}).
		Column(&owned)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if !slices.Contains(owned, t) {
			return errInvalid(field, "unknown_tag", "Unknown tag.")
		}
	}
	return nil
}

package messaging

import (
	"errors"
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Announcements (threads.announcement, set by a start with
// "announcement": true, roles_start.go): only the creator and the members
// holding a moderator role post and add people; the others read, mute,
// archive and leave. The rule is in the message insert (checkAnnouncement,
// from insertMessage), so the records and batch APIs, JS hooks and Go obey
// it alike; the messaging API's reply route and Send instead post a plain
// member's reply into their direct conversation with the creator
// (announcementRedirect), with the usual reach and block rules: no
// reply-all storm.

// announcementReplyText is the refusal of a member's post to an
// announcement through the records API.
const announcementReplyText = "Replies to an announcement go to its sender."

// rolesModerate reports whether roles include one of the moderator roles.
func (m *Messaging) rolesModerate(roles []string) bool {
	return slices.ContainsFunc(m.Limits().ModeratorRoles, func(r string) bool { return slices.Contains(roles, r) })
}

// checkAnnouncement refuses author's post into an announcement unless
// they created it or moderate (roles: the author's, read by the post's
// reach check).
func (m *Messaging) checkAnnouncement(announcement bool, creator, author string, roles []string) error {
	if !announcement || author == creator || m.rolesModerate(roles) {
		return nil
	}
	return errForbidden(announcementReplyText)
}

// announcementRedirect reports whether err, a post's refusal, is the
// announcement rule's, and then whom the reply goes to instead: the
// thread's creator. Ordinary sends pay nothing for it.
func (m *Messaging) announcementRedirect(threadID string, err error) (creator string, ok bool, _ error) {
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) || apiErr.Message != announcementReplyText {
		return "", false, err
	}
	thread, ferr := m.app.FindRecordById(CollectionNameThreads, threadID)
	if ferr != nil || (&Thread{thread}).CreatedBy() == "" {
		return "", false, err // the sender's account is gone: nowhere to go
	}
	return (&Thread{thread}).CreatedBy(), true, nil
}

// redirectReply posts body from author into their direct thread with
// creator (created if need be), as Start does.
func (m *Messaging) redirectReply(author, creator, body string, opts SendOptions) (*core.Record, error) {
	_, msg, err := m.StartWith(author, []string{creator}, "", body, SendOptions{
		ClientKey: opts.ClientKey, Files: opts.Files, SkipAntiSpam: opts.SkipAntiSpam})
	return msg, err
}

// checkAddToAnnouncement lets only the creator and moderators add people
// to an announcement.
func (m *Messaging) checkAddToAnnouncement(app core.App, thread *Thread, user string) error {
	if !thread.Announcement() || thread.CreatedBy() == user {
		return nil
	}
	u, err := app.FindRecordById(CollectionNameUsers, user)
	if err == nil && m.rolesModerate(u.GetStringSlice("roles")) {
		return nil
	}
	return errForbidden("Only the sender and moderators can add people to an announcement.")
}

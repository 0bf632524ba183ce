package messaging

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Typed views of the plugin's records, the way PocketBase's core wraps its
// own (core.OTP, core.MFA): each field name is written once, here. Hooks
// receive plain *core.Record values; wrap them with &Message{r} and so on.

var (
	_ core.RecordProxy = (*Thread)(nil)
	_ core.RecordProxy = (*Membership)(nil)
	_ core.RecordProxy = (*Message)(nil)
	_ core.RecordProxy = (*Block)(nil)
	_ core.RecordProxy = (*Report)(nil)
)

// Thread is a record of the threads collection.
type Thread struct{ *core.Record }

// ProxyRecord implements [core.RecordProxy].
func (t *Thread) ProxyRecord() *core.Record { return t.Record }

// SetProxyRecord implements [core.RecordProxy].
func (t *Thread) SetProxyRecord(r *core.Record) { t.Record = r }

// Kind is KindDirect or KindGroup.
func (t *Thread) Kind() string { return t.GetString("kind") }

// SetKind sets the kind.
func (t *Thread) SetKind(kind string) { t.Set("kind", kind) }

// Subject is the optional subject of a group thread.
func (t *Thread) Subject() string { return t.GetString("subject") }

// SetSubject sets the subject.
func (t *Thread) SetSubject(s string) { t.Set("subject", s) }

// Members are the ids of the current members, in join order, as derived
// from thread_members (see membership.go).
func (t *Thread) Members() []string { return t.GetStringSlice("members") }

// MemberCount returns how many current members the thread has; Members
// lists at most the first 1,000 of them.
func (t *Thread) MemberCount() int { return t.GetInt("member_count") }

// LastSeq is the seq of the newest message.
func (t *Thread) LastSeq() int { return t.GetInt("last_seq") }

// SetDirectKey sets the key that keeps one direct thread per pair.
func (t *Thread) SetDirectKey(key string) { t.Set("direct_key", key) }

// SetCreatedBy sets who started the thread.
func (t *Thread) SetCreatedBy(user string) { t.Set("created_by", user) }

// CreatedBy is the user who started the thread ("" once deleted).
func (t *Thread) CreatedBy() string { return t.GetString("created_by") }

// Announcement reports whether only the creator and moderators post.
func (t *Thread) Announcement() bool { return t.GetBool("announcement") }

// SetAnnouncement makes the thread an announcement (announcements.go).
func (t *Thread) SetAnnouncement(on bool) { t.Set("announcement", on) }

// Membership is a record of thread_members: one member's place and state in
// one thread.
type Membership struct{ *core.Record }

// ProxyRecord implements [core.RecordProxy].
func (m *Membership) ProxyRecord() *core.Record { return m.Record }

// SetProxyRecord implements [core.RecordProxy].
func (m *Membership) SetProxyRecord(r *core.Record) { m.Record = r }

// Thread is the thread id.
func (m *Membership) Thread() string { return m.GetString("thread") }

// User is the member's user id.
func (m *Membership) User() string { return m.GetString("user") }

// Left reports whether the member has left the thread.
func (m *Membership) Left() bool { return m.GetBool("left") }

// Muted reports whether notifications are off for the thread.
func (m *Membership) Muted() bool { return m.GetBool("muted") }

// Archived reports whether the thread is in the member's archived box.
func (m *Membership) Archived() bool { return m.GetBool("archived") }

// Tags are the ids of the member's own tags on the thread.
func (m *Membership) Tags() []string { return m.GetStringSlice("tags") }

// SetThread sets the thread id.
func (m *Membership) SetThread(id string) { m.Set("thread", id) }

// SetUser sets the member's user id.
func (m *Membership) SetUser(id string) { m.Set("user", id) }

// SetLeft marks the member as gone (true) or back (false).
func (m *Membership) SetLeft(left bool) { m.Set("left", left) }

// Removed reports whether someone else took the member out of the thread
// (see removal.go); it implies Left.
func (m *Membership) Removed() bool { return m.GetBool("removed") }

// SetRemoved marks a left member as removed by someone else.
func (m *Membership) SetRemoved(removed bool) { m.Set("removed", removed) }

// SetUnread sets the unread count; only the unread rules (unread.go) do.
func (m *Membership) SetUnread(n int) { m.Set("unread", n) }

// SetLastReadSeq sets the read position.
func (m *Membership) SetLastReadSeq(seq int) { m.Set("last_read_seq", seq) }

// SetLastActivity sets the inbox sort key.
func (m *Membership) SetLastActivity(at types.DateTime) { m.Set("last_activity", at) }

// SetMuted turns notifications for the thread off (true) or on.
func (m *Membership) SetMuted(muted bool) { m.Set("muted", muted) }

// SetArchived moves the thread into (true) or out of the archived box.
func (m *Membership) SetArchived(archived bool) { m.Set("archived", archived) }

// Request is "pending" for a stranger's conversation waiting in the
// member's Requests, "declined" when they declined it, "" otherwise.
func (m *Membership) Request() string { return m.GetString("request") }

// SetRequest makes the membership a pending request, or a normal one.
func (m *Membership) SetRequest(pending bool) {
	if pending {
		m.Set("request", requestPending)
	} else {
		m.Set("request", "")
	}
}

// SetTags replaces the member's tags on the thread.
func (m *Membership) SetTags(ids []string) { m.Set("tags", ids) }

// Message is a record of the messages collection.
type Message struct{ *core.Record }

// ProxyRecord implements [core.RecordProxy].
func (m *Message) ProxyRecord() *core.Record { return m.Record }

// SetProxyRecord implements [core.RecordProxy].
func (m *Message) SetProxyRecord(r *core.Record) { m.Record = r }

// Thread is the thread id.
func (m *Message) Thread() string { return m.GetString("thread") }

// Author is the author's user id; empty for system notes and for the
// messages of a deleted user.
func (m *Message) Author() string { return m.GetString("author") }

// Body is the text; empty once deleted.
func (m *Message) Body() string { return m.GetString("body") }

// Deleted reports a soft delete.
func (m *Message) Deleted() bool { return m.GetBool("deleted") }

// Seq is the message's position in its thread, from 1.
func (m *Message) Seq() int { return m.GetInt("seq") }

// AuthorDeleted reports a message whose author's account was deleted: it
// is shown as from a "Deleted user", and is no system note.
func (m *Message) AuthorDeleted() bool { return m.GetBool("author_deleted") }

// Created is the creation time as stored.
func (m *Message) Created() string { return m.GetString("created") }

// HTML is the body rendered in the site's text format when it was
// written (format.go); empty once deleted.
func (m *Message) HTML() string { return m.GetString("html") }

// SetHTML sets the rendered body; only the format hooks do.
func (m *Message) SetHTML(s string) { m.Set("html", s) }

// Edited is when the body was last edited, "" if never (editing.go).
func (m *Message) Edited() string { return m.GetString("edited") }

// SetEdited sets the time of the last edit; only the editing hooks do.
func (m *Message) SetEdited(at any) { m.Set("edited", at) }

// Files are the stored names of the message's attachments (none once
// deleted).
func (m *Message) Files() []string { return m.GetStringSlice(filesFieldName) }

// SetFiles replaces the attachments: new *filesystem.File values upload on
// save, names left out are deleted from storage after the commit.
func (m *Message) SetFiles(files any) { m.Set(filesFieldName, files) }

// ClientKey is the author's idempotency key ("" for none or once cleared);
// see client_keys.go. Never shown to other members.
func (m *Message) ClientKey() string { return m.GetString("client_key") }

// SetThread sets the thread id.
func (m *Message) SetThread(id string) { m.Set("thread", id) }

// SetAuthor sets the author's user id ("" for a system note).
func (m *Message) SetAuthor(id string) { m.Set("author", id) }

// SetBody sets the text.
func (m *Message) SetBody(body string) { m.Set("body", body) }

// SetDeleted marks the message soft-deleted.
func (m *Message) SetDeleted(deleted bool) { m.Set("deleted", deleted) }

// SetAuthorDeleted sets the deleted-author mark; only a user deletion
// (deletion.go) sets it, with plain SQL.
func (m *Message) SetAuthorDeleted(v bool) { m.Set("author_deleted", v) }

// SetSeq sets the position in the thread; only insertMessage does.
func (m *Message) SetSeq(seq int) { m.Set("seq", seq) }

// SetClientKey sets the author's idempotency key.
func (m *Message) SetClientKey(key string) { m.Set("client_key", key) }

// Block is a record of the blocks collection: User blocks Blocked.
type Block struct{ *core.Record }

// ProxyRecord implements [core.RecordProxy].
func (b *Block) ProxyRecord() *core.Record { return b.Record }

// SetProxyRecord implements [core.RecordProxy].
func (b *Block) SetProxyRecord(r *core.Record) { b.Record = r }

// User is who blocks.
func (b *Block) User() string { return b.GetString("user") }

// Blocked is who is blocked.
func (b *Block) Blocked() string { return b.GetString("blocked") }

// SetUser sets who blocks.
func (b *Block) SetUser(id string) { b.Set("user", id) }

// SetBlocked sets who is blocked.
func (b *Block) SetBlocked(id string) { b.Set("blocked", id) }

// Report is a record of messaging_reports (reports.go).
type Report struct{ *core.Record }

// ProxyRecord implements [core.RecordProxy].
func (r *Report) ProxyRecord() *core.Record { return r.Record }

// SetProxyRecord implements [core.RecordProxy].
func (r *Report) SetProxyRecord(rec *core.Record) { r.Record = rec }

// Reporter is who filed it ("" once their account is deleted).
func (r *Report) Reporter() string { return r.GetString("reporter") }

// Message is the reported message, "" for a whole conversation.
func (r *Report) Message() string { return r.GetString("message") }

// Thread is the reported conversation.
func (r *Report) Thread() string { return r.GetString("thread") }

// Author is the reported member ("" for nobody in particular).
func (r *Report) Author() string { return r.GetString("author") }

// State is ReportOpen, ReportDismissed, ReportActioned or ReportEscalated.
func (r *Report) State() string { return r.GetString("state") }

// Outcome is one of the Outcome constants, "" while open.
func (r *Report) Outcome() string { return r.GetString("outcome") }

// SetHandled records a moderator's action: the new state and outcome, by
// whom ("" for server code) and when.
func (r *Report) SetHandled(state, outcome, by, at string) {
	r.Set("state", state)
	r.Set("outcome", outcome)
	r.Set("handled_by", by)
	r.Set("handled_at", at)
}

package messaging

import (
	"github.com/pocketbase/pocketbase/core"
)

// Typed views of the plugin's records, the way PocketBase's core wraps its
// own (core.OTP, core.MFA): each field name is written once, here. Hooks
// receive plain *core.Record values; wrap them with &Message{r} and so on.

var (
	_ core.RecordProxy = (*Thread)(nil)
	_ core.RecordProxy = (*Membership)(nil)
	_ core.RecordProxy = (*Message)(nil)
	_ core.RecordProxy = (*Block)(nil)
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

// LastSeq is the seq of the newest message.
func (t *Thread) LastSeq() int { return t.GetInt("last_seq") }

// SetDirectKey sets the key that keeps one direct thread per pair.
func (t *Thread) SetDirectKey(key string) { t.Set("direct_key", key) }

// SetCreatedBy sets who started the thread.
func (t *Thread) SetCreatedBy(user string) { t.Set("created_by", user) }

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

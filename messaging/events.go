package messaging

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// MessageEvent is fired after a message has been committed, whoever wrote it
// (HTTP API, records API, batch API, Go code). System notes fire it too,
// with an empty author.
type MessageEvent struct {
	hook.Event
	App     core.App
	Message *core.Record
	Thread  *core.Record
}

// ThreadEvent is fired after a new thread and its members have been committed.
type ThreadEvent struct {
	hook.Event
	App     core.App
	Thread  *core.Record
	Members []string
}

// MemberEvent is fired after a member has left a group thread.
type MemberEvent struct {
	hook.Event
	App    core.App
	Thread *core.Record
	User   string
}

// BlockEvent is fired after a block has been created or removed.
type BlockEvent struct {
	hook.Event
	App     core.App
	User    string // who blocks
	Blocked string // who is blocked
}

// OnMessageSent is triggered after every committed message.
func (m *Messaging) OnMessageSent() *hook.Hook[*MessageEvent] { return m.onMessageSent }

// OnThreadCreate is triggered after every committed new thread.
func (m *Messaging) OnThreadCreate() *hook.Hook[*ThreadEvent] { return m.onThreadCreate }

// OnMemberLeft is triggered after a member has left a group thread, or
// was removed from it (RemoveMember).
func (m *Messaging) OnMemberLeft() *hook.Hook[*MemberEvent] { return m.onMemberLeft }

// OnBlock is triggered after a user has blocked another.
func (m *Messaging) OnBlock() *hook.Hook[*BlockEvent] { return m.onBlock }

// OnUnblock is triggered after a block has been removed.
func (m *Messaging) OnUnblock() *hook.Hook[*BlockEvent] { return m.onUnblock }

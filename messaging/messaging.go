package messaging

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/spf13/cobra"
)

// Config holds the plugin's limits and policies. Its zero value is usable:
// every field states the default that Register fills in.
type Config struct {
	// MaxGroupSize is the largest number of current members a group thread
	// may have, its starter included. Default 20.
	MaxGroupSize int

	// MaxBodyLength is the largest message body in characters (runes),
	// counted after trimming surrounding white space. Default 10000.
	MaxBodyLength int

	// SendRoles, when not empty, limits starting conversations and posting
	// to users holding at least one of these roles. Default: everyone.
	SendRoles []string

	// UnblockableRoles lists roles whose holders cannot be blocked.
	// nil means the default, {"admin", "moderator"}; an empty non-nil
	// slice means anyone may be blocked.
	UnblockableRoles []string

	// MaxAttachments is the most files one message may carry, at most the
	// files field's Max select (10 as shipped). Default 5; -1 turns
	// attachments off.
	MaxAttachments int

	// MaxAttachmentSize is the largest attached file in bytes, at most the
	// files field's Max size (25 MB as shipped). Default 10 MB.
	MaxAttachmentSize int64

	// AttachmentTypes lists the file types that may be attached, as
	// detected from the content: "type/subtype" or "type/*". nil means the
	// default (common images, PDF, plain text, CSV, office documents,
	// zip); an empty non-nil slice turns attachments off.
	AttachmentTypes []string

	// MessageOrder is the order clients show a thread's messages in:
	// "oldest_first" (newest last, the default) or "newest_first".
	MessageOrder string

	// ComposerPosition is where clients put the message box: "bottom"
	// (the default) or "top".
	ComposerPosition string

	// PageSize is the default number of items per page of the inbox and
	// of a thread's messages. Default 20.
	PageSize int

	// MaxPageSize caps the "limit" query parameter. Default 100.
	MaxPageSize int

	// FanOutThreshold is the member count above which a new message is
	// counted as unread for the other members in the background, 500
	// members per transaction, instead of in the sender's transaction
	// (fanout.go). Default 500; a negative value turns it off.
	FanOutThreshold int

	// TextFormat is how message bodies are rendered into their html:
	// FormatPlain (the default) or FormatMarkdown.
	TextFormat string

	// EditWindowMinutes is how long after sending an author may edit a
	// message. 0 means the default, 15; a negative value turns editing off.
	EditWindowMinutes int

	// ModeratorRoles lists roles whose holders moderate: they may read the
	// earlier versions of edited messages and remove members from any
	// group. nil means the default, {"moderator", "admin"}; an empty
	// non-nil slice means superusers only.
	ModeratorRoles []string

	// NotifyDelaySeconds is how long after a member's first unread message
	// in a conversation its email goes out (notify.go). 0 means the
	// default, 300; a negative value means no delay.
	NotifyDelaySeconds int

	// DigestHour is the UTC hour of the daily digest. 0 means the default,
	// 8; 24 means midnight.
	DigestHour int

	// EmailNotifications is the members' default email mode:
	// EmailConversation (the default), EmailDigest or EmailNone.
	EmailNotifications string

	// NotificationsOff turns the notification pipeline off: no outbox
	// rows, no worker, no email, no other channel.
	NotificationsOff bool

	// Channels are notification channels besides email (channels.go);
	// Messaging.AddChannel adds more.
	Channels []Channel

	// WebhookURL, WebhookSecret and WebhookIncludeText are the built-in
	// webhook's defaults (webhook.go): off, with no text; the settings
	// record overrides them.
	WebhookURL         string
	WebhookSecret      string
	WebhookIncludeText bool

	// WhoCanMessage is who may start a conversation with members who
	// chose none (reach.go): ReachEveryone (the default), ReachContacts,
	// ReachNobody or ReachRequests.
	WhoCanMessage string
	// RoleMessageRoles lists roles whose holders may message whole roles
	// and recipient types and make announcements (roles_start.go).
	// Default: none; superusers and Go code always may.
	RoleMessageRoles []string
	// RoleExpandThreshold is the member count above which a role or
	// recipient type is added in the background (expansion.go). Default 100.
	RoleExpandThreshold int

	// AntiSpam holds the anti-spam limits' defaults (antispam.go); the
	// settings record overrides them.
	AntiSpam AntiSpamConfig

	// ReportsPerHour is how many reports a member may file per hour
	// (reports.go). 0 means the default, 10; a negative value: no limit.
	ReportsPerHour int
	// ReportContext is how many messages before and after a reported one
	// its sealed evidence keeps (reports_evidence.go). Default 5, at most 50.
	ReportContext int
	// Privacy holds the defaults for deleted messages, deleted users'
	// messages (retention.go) and staff oversight (oversight.go).
	Privacy PrivacyConfig

	// RootCmd, when set, gets the "messaging" CLI command (see
	// Messaging.Command). pocketbase.PocketBase exposes it as RootCmd.
	RootCmd *cobra.Command
}

// Messaging is the registered plugin: its Go API (Start, Send, Block, …) and
// its events. Obtain it from Register or MustRegister; it holds no package
// state, so several apps (tests, say) may each have their own.
type Messaging struct {
	app    core.App
	config Config
	live   *liveHub
	// sent carries each new message's recipients from the insert to the
	// after-commit delivery, so the thread is not read twice.
	sent sync.Map // *core.Record -> []string
	// editors carries who is editing a message, from the request (or
	// Edit) to the version the update keeps (editing.go).
	editors sync.Map // *core.Record -> string
	// txChanges holds each open transaction's membership changes until it
	// ends (see memberChanges).
	txChanges sync.Map // *core.TxAppInfo -> *memberChanges
	// limits caches Limits(); settings record changes clear it.
	limits atomic.Pointer[Limits]
	// reads holds the prepared statements of the hot read queries.
	reads readStmts
	// format renders message bodies (format.go).
	format *formatter
	// notify is the notification worker (notify_worker.go); nil when
	// NotificationsOff.
	notify *notifier
	// fanOut counts messages into big threads' unread counts (fanout.go).
	fanOut *stepWorker
	// purges finishes purged conversations (oversight_purge.go).
	purges *stepWorker
	// expansions adds big roles' members in the background (expansion.go);
	// recipients are the registered recipient types (recipient_types.go).
	expansions *stepWorker
	recipients recipientTypes
	// chans are the notification channels besides email (channels.go).
	chans channels
	// cmd is the "messaging" CLI command (see Command).
	cmd *cobra.Command
	// unlimited marks the sends that skip the anti-spam limits
	// (antispam.go): *core.Record or *core.TxAppInfo -> struct{}.
	unlimited sync.Map
	// clock is the anti-spam limits' time (time.Now; tests set another).
	clock func() time.Time
	// moderating marks the transactions of moderators' actions, which may
	// change messages that reports hold (moderation.go):
	// *core.TxAppInfo -> struct{}.
	moderating sync.Map

	onMessageSent  *hook.Hook[*MessageEvent]
	onThreadCreate *hook.Hook[*ThreadEvent]
	onMemberLeft   *hook.Hook[*MemberEvent]
	// onRequestAccepted and onRequestDeclined: reach.go.
	onRequestAccepted, onRequestDeclined *hook.Hook[*RequestEvent]
	onBlock                              *hook.Hook[*BlockEvent]
	onUnblock                            *hook.Hook[*BlockEvent]
	// onThreadPurged: oversight_purge.go.
	onThreadPurged *hook.Hook[*PurgeEvent]
	// onReportCreated and onReportHandled: reports.go.
	onReportCreated, onReportHandled *hook.Hook[*ReportEvent]
}

// MustRegister is like Register but panics on error.
func MustRegister(app core.App, config Config) *Messaging {
	m, err := Register(app, config)
	if err != nil {
		panic(err)
	}
	return m
}

// Register fills in the config defaults, validates them and binds the
// plugin's record hooks, routes, realtime channel and CLI commands to app.
func Register(app core.App, config Config) (*Messaging, error) {
	if config.MaxGroupSize == 0 {
		config.MaxGroupSize = 20
	}
	if config.MaxBodyLength == 0 {
		config.MaxBodyLength = 10000
	}
	if config.UnblockableRoles == nil {
		config.UnblockableRoles = []string{"admin", "moderator"}
	}
	if config.TextFormat == "" {
		config.TextFormat = FormatPlain
	}
	if config.EditWindowMinutes == 0 {
		config.EditWindowMinutes = 15
	}
	if config.ModeratorRoles == nil {
		config.ModeratorRoles = []string{"moderator", "admin"}
	}
	if config.MaxAttachments == 0 {
		config.MaxAttachments = defaultMaxAttachment
	}
	if config.MaxAttachmentSize == 0 {
		config.MaxAttachmentSize = defaultMaxAttachSize
	}
	if config.AttachmentTypes == nil {
		config.AttachmentTypes = append([]string(nil), defaultAttachmentTypes...)
	}
	for _, t := range config.AttachmentTypes {
		if !mimePattern.MatchString(t) {
			return nil, fmt.Errorf("messaging: AttachmentTypes: %q is not \"type/subtype\" or \"type/*\" in lower case", t)
		}
	}
	if config.MessageOrder == "" {
		config.MessageOrder = MessageOrderOldestFirst
	}
	if config.ComposerPosition == "" {
		config.ComposerPosition = ComposerBottom
	}
	if config.PageSize == 0 {
		config.PageSize = 20
	}
	if config.MaxPageSize == 0 {
		config.MaxPageSize = 100
	}
	if config.FanOutThreshold == 0 {
		config.FanOutThreshold = 500
	}
	notifyDefaults(&config)
	if config.RoleExpandThreshold == 0 {
		config.RoleExpandThreshold = 100
	}
	if config.WhoCanMessage == "" {
		config.WhoCanMessage = ReachEveryone
	}
	antiSpamDefaults(&config.AntiSpam)
	if config.ReportsPerHour == 0 {
		config.ReportsPerHour = 10
	}
	if config.ReportContext == 0 {
		config.ReportContext = 5
	}
	if err := config.Privacy.check(); err != nil {
		return nil, fmt.Errorf("messaging: Privacy: %w", err)
	}
	switch {
	case !slices.Contains(reachModes(), config.WhoCanMessage):
		return nil, fmt.Errorf("messaging: WhoCanMessage must be one of %v, got %q", reachModes(), config.WhoCanMessage)
	case config.MaxGroupSize < 2:
		return nil, fmt.Errorf("messaging: MaxGroupSize must be at least 2, got %d", config.MaxGroupSize)
	case config.MaxBodyLength < 1:
		return nil, fmt.Errorf("messaging: MaxBodyLength must be positive, got %d", config.MaxBodyLength)
	case config.TextFormat != FormatPlain && config.TextFormat != FormatMarkdown:
		return nil, fmt.Errorf("messaging: TextFormat must be %q or %q, got %q", FormatPlain, FormatMarkdown, config.TextFormat)
	case config.MaxAttachments < -1 || config.MaxAttachmentSize < 1:
		return nil, fmt.Errorf("messaging: MaxAttachments must be -1 or more and MaxAttachmentSize positive, got %d and %d",
			config.MaxAttachments, config.MaxAttachmentSize)
	case !slices.Contains(messageOrders(), config.MessageOrder):
		return nil, fmt.Errorf("messaging: MessageOrder must be one of %v, got %q", messageOrders(), config.MessageOrder)
	case !slices.Contains(composerPositions(), config.ComposerPosition):
		return nil, fmt.Errorf("messaging: ComposerPosition must be one of %v, got %q", composerPositions(), config.ComposerPosition)
	case !slices.Contains(emailModes(), config.EmailNotifications):
		return nil, fmt.Errorf("messaging: EmailNotifications must be one of %v, got %q", emailModes(), config.EmailNotifications)
	case config.DigestHour < 0 || config.DigestHour > 23:
		return nil, fmt.Errorf("messaging: DigestHour must be from 0 to 24, got %d", config.DigestHour)
	case config.ReportContext < 1 || config.ReportContext > 50:
		return nil, fmt.Errorf("messaging: ReportContext must be from 1 to 50, got %d", config.ReportContext)
	case config.PageSize < 1 || config.MaxPageSize < config.PageSize:
		return nil, fmt.Errorf("messaging: need 1 <= PageSize <= MaxPageSize, got %d and %d", config.PageSize, config.MaxPageSize)
	}
	for _, r := range slices.Concat(config.SendRoles, config.UnblockableRoles, config.ModeratorRoles, config.AntiSpam.TrustedRoles, config.RoleMessageRoles) {
		if strings.TrimSpace(r) == "" {
			return nil, fmt.Errorf("messaging: empty role name in config")
		}
	}

	m := &Messaging{
		app:               app,
		config:            config,
		live:              newLiveHub(),
		format:            newFormatter(),
		onMessageSent:     &hook.Hook[*MessageEvent]{},
		onThreadCreate:    &hook.Hook[*ThreadEvent]{},
		onMemberLeft:      &hook.Hook[*MemberEvent]{},
		onRequestAccepted: &hook.Hook[*RequestEvent]{},
		onRequestDeclined: &hook.Hook[*RequestEvent]{},
		onThreadPurged:    &hook.Hook[*PurgeEvent]{},
		onBlock:           &hook.Hook[*BlockEvent]{},
		onUnblock:         &hook.Hook[*BlockEvent]{},
		onReportCreated:   &hook.Hook[*ReportEvent]{},
		onReportHandled:   &hook.Hook[*ReportEvent]{},
		clock:             time.Now,
	}

	if err := m.initChannels(config.Channels); err != nil {
		return nil, err
	}
	m.bindSendingHooks()
	m.bindMessageDeletionHooks()
	m.bindRetentionPurge()
	m.bindFormatHooks()
	m.bindEditingHooks()
	m.bindAttachmentHooks()
	m.bindMembershipHooks()
	m.bindMemberSettingsHooks()
	m.bindRemovalHooks()
	m.bindLiveHooks()
	m.bindBlockHooks()
	m.bindBudgetHooks()
	m.bindReportHooks()
	m.bindRoleHooks()
	m.bindDeletionHooks()
	m.bindSettingsHooks()
	m.bindRelationGuard()
	m.bindNotifyHooks()
	m.bindFanOutHooks()
	m.bindPurges()
	m.bindOversight()
	m.bindExpansionHooks()
	m.bindAntiSpamHooks()
	m.bindRealtime()
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id:   "__messagingRoutes__",
		Func: m.bindRoutes,
	})
	m.cmd = m.newCommand()
	if config.RootCmd != nil {
		config.RootCmd.AddCommand(m.cmd)
	}

	return m, nil
}

// Config returns the effective configuration, defaults filled in.
func (m *Messaging) Config() Config {
	return m.config
}

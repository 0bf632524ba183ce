package messaging

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Notification channels other than email. A channel is a Go value with a
// name and a Deliver method; every registered channel (and the built-in
// webhook, webhook.go, once a site owner sets its URL) gets a row of its
// own in messaging_notifications for each window the email would open —
// the same fan-out, the same unique open window per member, conversation
// and channel, the same claim/lease/retry/backoff as email, so a failing
// channel is retried and a restart loses nothing. Composing and
// delivering a channel's row is channel_delivery.go.
//
// Who is notified: the same rules as email (not the author, not members
// who left, muted the conversation, block the author or turned messaging
// off; reading within the delay cancels), except the email mode: a
// member's conversation/digest/none choice is about email only, so every
// channel notifies every eligible member once per window whatever it is.

// Channel delivers notifications somewhere other than email: web push, a
// chat bridge, an SMS gateway. Register it with Config.Channels or
// Messaging.AddChannel before the app serves.
type Channel interface {
	// Name identifies the channel in the queue (the channel field of
	// messaging_notifications): lower-case letters, digits, "_" or "-",
	// at most 30 characters, unique, not "email" nor "webhook".
	Name() string
	// Deliver sends one notification. It runs on the notification
	// worker, never on a request, with a deadline of channelTimeout. An
	// error (a timeout included) is retried with backoff, up to 8
	// attempts; n.ID is the same on every attempt, so a receiver can drop
	// a repeat.
	Deliver(ctx context.Context, n *Notification) error
}

// TextChannel is a Channel that may receive message text. A channel that
// does not implement it (or returns false) gets no Body or HTML.
type TextChannel interface {
	Channel
	// IncludeText reports whether Notification.Messages carry the
	// messages' Body and HTML.
	IncludeText() bool
}

// Notification is one window of one conversation for one recipient on
// one channel: what a Channel delivers.
type Notification struct {
	// ID is the messaging_notifications record: the same on every retry.
	ID string `json:"id"`
	// Channel is the channel's name; Attempt counts from 1.
	Channel string `json:"channel"`
	Attempt int    `json:"attempt"`
	// Recipient is the member notified.
	Recipient NotificationUser `json:"recipient"`
	// Thread is the conversation: its subject (or, without one, the other
	// members' names) and its link in the inbox.
	Thread NotificationThread `json:"thread"`
	// Count is the number of new messages in the window.
	Count int `json:"count"`
	// Senders are their authors, in order of first message (at most 10).
	Senders []NotificationUser `json:"senders"`
	// Messages are the newest of them (at most 20), oldest first.
	Messages []NotificationMessage `json:"messages"`
	// InboxURL is the inbox (the app URL of PocketBase's settings).
	InboxURL string `json:"inboxUrl"`
}

// NotificationUser is a member: id and display name.
type NotificationUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// NotificationThread is a notification's conversation.
type NotificationThread struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// NotificationMessage is one message of a window. Body (the text as
// written) and HTML (as the inbox renders it: escaped or sanitized
// Markdown) are empty unless the channel includes text.
type NotificationMessage struct {
	ID      string           `json:"id"`
	Seq     int              `json:"seq"`
	Sender  NotificationUser `json:"sender"`
	Created time.Time        `json:"created"`
	Body    string           `json:"text,omitempty"`
	HTML    string           `json:"html,omitempty"`
}

// NotifyEvent is fired before a channel delivers a notification. A
// handler may change e.Notification, return an error (the delivery fails
// and is retried) or return nil without calling e.Next() (the delivery is
// dropped: the row becomes "skipped").
type NotifyEvent struct {
	hook.Event
	App          core.App
	Channel      string
	Notification *Notification
}

// OnNotify is triggered before every delivery on a channel other than
// email, on the notification worker.
func (m *Messaging) OnNotify() *hook.Hook[*NotifyEvent] { return m.chans.onNotify }

const (
	// emailChannel is the channel field of email rows: empty, so that
	// rows queued before channels existed are email.
	emailChannel = ""
	// webhookChannelName is the built-in webhook (webhook.go).
	webhookChannelName = "webhook"
	// channelTimeout bounds one Deliver call.
	channelTimeout = 30 * time.Second
	// channelMessages and channelSenders cap a Notification's lists.
	channelMessages = 20
	channelSenders  = 10
)

var channelNamePattern = regexp.MustCompile(`^[a-z0-9_-]{1,30}$`)

// channels holds the registered channels and the OnNotify hook.
type channels struct {
	mu       sync.RWMutex
	list     []Channel
	onNotify *hook.Hook[*NotifyEvent]
}

// initChannels registers the channels of the config.
func (m *Messaging) initChannels(list []Channel) error {
	m.chans.onNotify = &hook.Hook[*NotifyEvent]{}
	for _, c := range list {
		if err := m.AddChannel(c); err != nil {
			return err
		}
	}
	return checkWebhookConfig(m.config)
}

// AddChannel registers a notification channel. Add channels before the
// app serves: rows of a channel that is not registered when they fall due
// are skipped. It fails for a bad or duplicate name.
func (m *Messaging) AddChannel(c Channel) error {
	if c == nil {
		return fmt.Errorf("messaging: AddChannel: nil channel")
	}
	name := c.Name()
	if !channelNamePattern.MatchString(name) || name == "email" || name == webhookChannelName {
		return fmt.Errorf(`messaging: channel name %q: want [a-z0-9_-]{1,30}, not "email" or "webhook"`, name)
	}
	m.chans.mu.Lock()
	defer m.chans.mu.Unlock()
	if slices.ContainsFunc(m.chans.list, func(o Channel) bool { return o.Name() == name }) {
		return fmt.Errorf("messaging: channel %q registered twice", name)
	}
	m.chans.list = append(m.chans.list, c)
	return nil
}

// activeChannels are the channels that get new windows: the registered
// ones, and the webhook when its URL is set.
func (m *Messaging) activeChannels() []Channel {
	m.chans.mu.RLock()
	out := slices.Clone(m.chans.list)
	m.chans.mu.RUnlock()
	if l := m.Limits(); l.WebhookURL != "" && l.WebhookSecret != "" {
		out = append(out, &webhookChannel{m: m})
	}
	return out
}

// channelNamed finds an active channel by name.
func (m *Messaging) channelNamed(name string) Channel {
	for _, c := range m.activeChannels() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

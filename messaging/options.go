package messaging

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// Inbox options: the few settings a client needs to lay out a
// conversation, readable by every signed-in member through
// GET /api/messaging/options. The settings record itself stays
// superuser-only; only what ClientOptions copies out of it is shown.

// Values of the message_order setting.
const (
	// MessageOrderOldestFirst shows the newest message last (the default).
	MessageOrderOldestFirst = "oldest_first"
	// MessageOrderNewestFirst shows the newest message first.
	MessageOrderNewestFirst = "newest_first"
)

// Values of the composer_position setting.
const (
	// ComposerBottom puts the message box below the messages (the default).
	ComposerBottom = "bottom"
	// ComposerTop puts the message box above the messages.
	ComposerTop = "top"
)

// messageOrders and composerPositions list the allowed values, the
// default first. Functions, not variables: no package state to mutate.
func messageOrders() []string     { return []string{MessageOrderOldestFirst, MessageOrderNewestFirst} }
func composerPositions() []string { return []string{ComposerBottom, ComposerTop} }

// ClientOptions are the settings a client needs: how to lay out a
// conversation and what it may send. A later client-facing setting is one
// more field here and one more line in Limits.ClientOptions.
type ClientOptions struct {
	MessageOrder     string `json:"messageOrder"`
	ComposerPosition string `json:"composerPosition"`
	MaxBodyLength    int    `json:"maxBodyLength"`
	// EditWindowMinutes is how long after sending an author may edit
	// (-1: never), so a client shows the edit action only while it works.
	EditWindowMinutes int `json:"editWindowMinutes"`
	// MaxAttachments (-1: attachments off), MaxAttachmentSize (bytes) and
	// AttachmentTypes ("image/*", "application/pdf", …) let a client refuse
	// a file before uploading it; the server checks them again.
	MaxAttachments    int      `json:"maxAttachments"`
	MaxAttachmentSize int64    `json:"maxAttachmentSize"`
	AttachmentTypes   []string `json:"attachmentTypes"`
	// EmailNotifications is the site's default email mode, so a settings
	// page can say what a member's "default" means.
	EmailNotifications string `json:"emailNotifications"`
	// WhoCanMessage is the site's default of who may start a conversation
	// with a member (reach.go), so a settings page can say what "default" means.
	WhoCanMessage string `json:"whoCanMessage"`
}

// ClientOptions picks the client-facing options out of the limits.
func (l Limits) ClientOptions() ClientOptions {
	return ClientOptions{
		MessageOrder:      l.MessageOrder,
		ComposerPosition:  l.ComposerPosition,
		MaxBodyLength:     l.MaxBodyLength,
		EditWindowMinutes: l.EditWindowMinutes,
		MaxAttachments:    l.MaxAttachments,
		MaxAttachmentSize: l.MaxAttachmentSize,
		AttachmentTypes:   l.AttachmentTypes,

		EmailNotifications: l.EmailNotifications,
		WhoCanMessage:      l.WhoCanMessage,
	}
}

// ClientOptions returns the client-facing options in force now.
func (m *Messaging) ClientOptions() ClientOptions {
	return m.Limits().ClientOptions()
}

// callerOptions are the site's options plus what a client needs to know
// about the caller: Moderator says whether they hold one of the
// moderator_roles (or are a superuser), so the inbox shows its moderator
// view only to them (the moderation routes check again).
type callerOptions struct {
	ClientOptions
	Moderator bool `json:"moderator"`
}

func (m *Messaging) handleOptions(e *core.RequestEvent) error {
	return e.JSON(http.StatusOK, callerOptions{ClientOptions: m.ClientOptions(), Moderator: m.isModerator(e.Auth)})
}

// choiceSetting is one of values (a select field); empty means the default.
func choiceSetting(name string, values []string, field func(*Limits) *string) setting {
	return setting{name: name, apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		s, _ := raw.(string)
		if s == "" {
			return true, nil
		}
		if !slices.Contains(values, s) {
			quoted := make([]string, len(values))
			for i, v := range values {
				quoted[i] = strconv.Quote(v)
			}
			return false, validation.NewError("validation_messaging_setting_choice",
				"Must be one of "+strings.Join(quoted, ", ")+", or empty for the default.")
		}
		*field(l) = s
		return false, nil
	}}
}

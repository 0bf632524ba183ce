package messaging

import (
	"database/sql"
	"errors"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// CollectionNamePreferences holds each member's own messaging preferences,
// one row per member who changed a default. It is readable and writable
// only by that member (and superusers): these are not profile fields, and
// a site that opens its users list to show profiles must not publish them.
const CollectionNamePreferences = "messaging_preferences"

// Preferences are one member's own messaging choices. A member without a
// preferences record has the zero value.
type Preferences struct {
	// MessagingOff: the member neither sends nor receives private messages.
	// Group conversations they already belong to go on until they leave.
	MessagingOff bool `json:"messagingOff" db:"messaging_off"`
	// EmailNotifications is how the member hears of new messages by
	// email: EmailDefault (the site's default, also the zero value ""),
	// EmailConversation, EmailDigest or EmailNone (notify.go).
	EmailNotifications string `json:"emailNotifications" db:"email_notifications"`
	// ReadReceiptsOff: the member neither shows others how far they have
	// read a direct conversation nor sees how far others have (receipts.go).
	ReadReceiptsOff bool `json:"readReceiptsOff" db:"read_receipts_off"`
	// WhoCanMessage is who may start a conversation with the member:
	// ReachDefault (the site's default, also the zero value ""),
	// ReachEveryone, ReachContacts, ReachNobody or ReachRequests (reach.go).
	WhoCanMessage string `json:"whoCanMessage" db:"who_can_message"`
}

// Preferences returns user's preferences.
func (m *Messaging) Preferences(user string) (Preferences, error) {
	var p Preferences
	err := m.app.DB().Select("messaging_off", "email_notifications", "read_receipts_off", "who_can_message").From(CollectionNamePreferences).
		Where(dbx.HashExp{"user": user}).Limit(1).One(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return Preferences{EmailNotifications: EmailDefault, WhoCanMessage: ReachDefault}, nil
	}
	if p.EmailNotifications == "" {
		p.EmailNotifications = EmailDefault
	}
	if p.WhoCanMessage == "" {
		p.WhoCanMessage = ReachDefault
	}
	return p, err
}

// SetPreferences stores user's preferences, creating their record on
// first use. Errors: ErrNotFound for an unknown user, ErrInvalid for an
// unknown email mode or who-can-message mode.
func (m *Messaging) SetPreferences(user string, p Preferences) error {
	mode, err := storedEmailMode(p.EmailNotifications)
	if err != nil {
		return err
	}
	reach := p.WhoCanMessage
	if reach == ReachDefault {
		reach = ""
	}
	if reach != "" && !slices.Contains(reachModes(), reach) {
		return errInvalid("whoCanMessage", "bad_who_can_message",
			`Who can message you must be "default", "everyone", "contacts", "nobody" or "requests".`)
	}
	if _, err := m.app.FindRecordById(CollectionNameUsers, user); err != nil {
		return errNotFound()
	}
	r, err := m.app.FindFirstRecordByData(CollectionNamePreferences, "user", user)
	if errors.Is(err, sql.ErrNoRows) {
		col, cerr := m.app.FindCachedCollectionByNameOrId(CollectionNamePreferences)
		if cerr != nil {
			return cerr
		}
		r, err = core.NewRecord(col), nil
		r.Set("user", user)
	}
	if err != nil {
		return err
	}
	r.Set("messaging_off", p.MessagingOff)
	r.Set("email_notifications", mode)
	r.Set("read_receipts_off", p.ReadReceiptsOff)
	r.Set("who_can_message", reach)
	return m.app.Save(r)
}

// setEmailMode changes only user's email mode (the unsubscribe link sets
// EmailNone).
func (m *Messaging) setEmailMode(user, mode string) error {
	p, err := m.Preferences(user)
	if err != nil {
		return err
	}
	p.EmailNotifications = mode
	return m.SetPreferences(user, p)
}

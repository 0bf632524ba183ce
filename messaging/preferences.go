package messaging

import (
	"database/sql"
	"errors"

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
	// EmailsOff: no email notifications about new messages.
	EmailsOff bool `json:"emailsOff" db:"message_emails_off"`
	// ReadReceiptsOff: the member neither shows others how far they have
	// read a direct conversation nor sees how far others have (receipts.go).
	ReadReceiptsOff bool `json:"readReceiptsOff" db:"read_receipts_off"`
}

// Preferences returns user's preferences.
func (m *Messaging) Preferences(user string) (Preferences, error) {
	var p Preferences
	err := m.app.DB().Select("messaging_off", "message_emails_off", "read_receipts_off").From(CollectionNamePreferences).
		Where(dbx.HashExp{"user": user}).Limit(1).One(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return Preferences{}, nil
	}
	return p, err
}

// SetPreferences stores user's preferences, creating their record on
// first use. Errors: ErrNotFound for an unknown user.
func (m *Messaging) SetPreferences(user string, p Preferences) error {
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
	r.Set("message_emails_off", p.EmailsOff)
	r.Set("read_receipts_off", p.ReadReceiptsOff)
	return m.app.Save(r)
}

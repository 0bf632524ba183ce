package messaging

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// HTTP handlers for /api/messaging/preferences.

func (m *Messaging) handlePreferences(e *core.RequestEvent) error {
	p, err := m.Preferences(e.Auth.Id)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, p)
}

// handleSetPreferences changes the fields the body names and leaves the
// others as they are.
func (m *Messaging) handleSetPreferences(e *core.RequestEvent) error {
	var in struct {
		MessagingOff *bool   `json:"messagingOff"`
		EmailMode    *string `json:"emailNotifications"`
		ReceiptsOff  *bool   `json:"readReceiptsOff"`
		Reach        *string `json:"whoCanMessage"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	p, err := m.Preferences(e.Auth.Id)
	if err != nil {
		return apiError(err)
	}
	if in.MessagingOff != nil {
		p.MessagingOff = *in.MessagingOff
	}
	if in.EmailMode != nil {
		p.EmailNotifications = *in.EmailMode
	}
	if in.ReceiptsOff != nil {
		p.ReadReceiptsOff = *in.ReceiptsOff
	}
	if in.Reach != nil {
		p.WhoCanMessage = *in.Reach
	}
	if err := m.SetPreferences(e.Auth.Id, p); err != nil {
		return apiError(err)
	}
	return m.handlePreferences(e)
}

package messaging

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// HTTP handlers for answering message requests (reach.go). The Requests
// box itself is GET /api/messaging/threads?box=requests.

func (m *Messaging) handleAcceptRequest(e *core.RequestEvent) error {
	if err := m.AcceptRequest(e.Auth.Id, e.Request.PathValue("id")); err != nil {
		return apiError(err)
	}
	return e.NoContent(http.StatusNoContent)
}

func (m *Messaging) handleDeclineRequest(e *core.RequestEvent) error {
	if err := m.DeclineRequest(e.Auth.Id, e.Request.PathValue("id")); err != nil {
		return apiError(err)
	}
	return e.NoContent(http.StatusNoContent)
}

package messaging

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// HTTP handlers for /api/messaging/blocks.

func (m *Messaging) handleBlocks(e *core.RequestEvent) error {
	items, err := m.BlockList(e.Auth.Id)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": items})
}

func (m *Messaging) handleBlock(e *core.RequestEvent) error {
	var in struct {
		User string `json:"user"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	if in.User == "" {
		return errInvalid("user", "required", "Choose a user to block.")
	}
	if err := m.Block(e.Auth.Id, in.User); err != nil {
		return apiError(err)
	}
	return m.handleBlocks(e)
}

func (m *Messaging) handleUnblock(e *core.RequestEvent) error {
	if err := m.Unblock(e.Auth.Id, e.Request.PathValue("userId")); err != nil {
		return apiError(err)
	}
	return e.NoContent(http.StatusNoContent)
}

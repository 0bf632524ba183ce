package messaging

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// HTTP handlers for the bulk actions (bulk.go) and the export (export.go).

func (m *Messaging) handleBulk(e *core.RequestEvent) error {
	var in struct {
		Action  string   `json:"action"`
		Threads []string `json:"threads"`
		Tag     string   `json:"tag"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	res, err := m.BulkAction(e.Auth.Id, in.Action, in.Threads, BulkOptions{Tag: in.Tag})
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, res)
}

func (m *Messaging) handleReadAll(e *core.RequestEvent) error {
	res, err := m.MarkAllRead(e.Auth.Id)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, res)
}

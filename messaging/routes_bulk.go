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

func (m *Messaging) handleExport(e *core.RequestEvent) error {
	h := e.Response.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="messages-export.json"`)
	h.Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	// The status is sent: an error from here on can only cut the
	// document short (invalid JSON tells the client), and is logged.
	if err := m.Export(e.Auth.Id, &eventFlusher{e}); err != nil {
		e.App.Logger().Error("messaging: export stopped", "user", e.Auth.Id, "error", err)
	}
	return nil
}

// eventFlusher writes to a request's response and flushes it.
type eventFlusher struct{ e *core.RequestEvent }

func (f *eventFlusher) Write(p []byte) (int, error) { return f.e.Response.Write(p) }
func (f *eventFlusher) Flush() error                { return f.e.Flush() }

package messaging

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// HTTP handlers for a thread's messages and for deleting a message.

func (m *Messaging) handleMessages(e *core.RequestEvent) error {
	limit, err := queryInt(e, "limit")
	if err != nil {
		return err
	}
	q := e.Request.URL.Query()
	page, err := m.MessagesPage(e.Auth.Id, e.Request.PathValue("id"), MessageQuery{
		Before: q.Get("before"), After: q.Get("after"), Around: q.Get("around"), Limit: limit})
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, page)
}

func (m *Messaging) handleReply(e *core.RequestEvent) error {
	var in struct {
		Body      string `json:"body" form:"body"`
		ClientKey string `json:"clientKey" form:"clientKey"`
	}
	files, err := bindWithFiles(e, &in)
	if err != nil {
		return err
	}
	key, err := requestClientKey(e, in.ClientKey)
	if err != nil {
		return err
	}
	// Non-members get the same 404 as for a thread that doesn't exist
	// (from the record hooks, so every way in answers alike).
	msg, err := m.SendWith(e.Auth.Id, e.Request.PathValue("id"), in.Body, SendOptions{ClientKey: key, Files: files})
	if err != nil {
		return apiError(err)
	}
	view := ownMessageView(msg)
	// A plain member's reply to an announcement went to the sender
	// (announcements.go).
	view.Redirected = view.Thread != e.Request.PathValue("id")
	return e.JSON(http.StatusOK, view)
}

func (m *Messaging) handleEditMessage(e *core.RequestEvent) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	msg, err := m.Edit(e.Auth.Id, e.Request.PathValue("id"), in.Body)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, ownMessageView(msg))
}

func (m *Messaging) handleVersions(e *core.RequestEvent) error {
	versions, err := m.Versions(e.Auth, e.Request.PathValue("id"))
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": versions})
}

func (m *Messaging) handleDeleteMessage(e *core.RequestEvent) error {
	if err := m.DeleteMessage(e.Auth.Id, e.Request.PathValue("id")); err != nil {
		return apiError(err)
	}
	return e.NoContent(http.StatusNoContent)
}

package messaging

import (
	"net/http"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
)

// HTTP handlers for /api/messaging/threads and the unread and recipient
// lookups. Each is thin: it reads the request and calls the Go API.

func (m *Messaging) handleInbox(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	limit, err := queryInt(e, "limit")
	if err != nil {
		return err
	}
	in := InboxQuery{Tag: q.Get("tag"), Search: q.Get("q"), Cursor: q.Get("cursor"), Limit: limit}
	switch q.Get("box") {
	case "", "inbox":
	case "archived":
		in.Archived = true
	case "requests":
		in.Requests = true
	default:
		return errInvalid("box", "bad_box", `Box must be "inbox", "archived" or "requests".`)
	}
	switch q.Get("unread") {
	case "", "0", "false":
	case "1", "true":
		in.Unread = true
	default:
		return errInvalid("unread", "bad_flag", `Unread must be 1 or 0.`)
	}
	page, err := m.Inbox(e.Auth.Id, in)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, page)
}

func (m *Messaging) handleStart(e *core.RequestEvent) error {
	var in struct {
		Recipients []string `json:"recipients" form:"recipients"`
		Subject    string   `json:"subject" form:"subject"`
		Body       string   `json:"body" form:"body"`
		ClientKey  string   `json:"clientKey" form:"clientKey"`
		// Roles, To and Announcement: roles_start.go.
		Roles        []string    `json:"roles" form:"roles"`
		To           []Recipient `json:"to"`
		Announcement bool        `json:"announcement" form:"announcement"`
	}
	files, err := bindWithFiles(e, &in)
	if err != nil {
		return err
	}
	key, err := requestClientKey(e, in.ClientKey)
	if err != nil {
		return err
	}
	thread, msg, err := m.StartWith(e.Auth.Id, in.Recipients, in.Subject, in.Body, SendOptions{ClientKey: key, Files: files,
		Roles: in.Roles, To: in.To, Announcement: in.Announcement, checkRoles: true})
	if err != nil {
		return apiError(err)
	}
	view, err := m.Thread(e.Auth.Id, thread.Id)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"thread": view, "message": ownMessageView(msg)})
}

func (m *Messaging) handleThread(e *core.RequestEvent) error {
	view, err := m.Thread(e.Auth.Id, e.Request.PathValue("id"))
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, view)
}

func (m *Messaging) handleRead(e *core.RequestEvent) error {
	// The body is optional: {"upTo": id or seq} marks read up to there.
	var in struct {
		UpTo any `json:"upTo"`
	}
	if err := bind(e, &in); err != nil { // no body binds nothing
		return err
	}
	switch v := in.UpTo.(type) {
	case nil:
		return m.respondThread(e, m.MarkRead(e.Auth.Id, e.Request.PathValue("id")))
	case string:
		return m.respondThread(e, m.MarkReadUpTo(e.Auth.Id, e.Request.PathValue("id"), v))
	case float64:
		if v == float64(int(v)) {
			return m.respondThread(e, m.MarkReadUpTo(e.Auth.Id, e.Request.PathValue("id"), strconv.Itoa(int(v))))
		}
	}
	return errInvalid("upTo", "unknown_message", "upTo must be a message id or seq.")
}

func (m *Messaging) handleMarkUnread(e *core.RequestEvent) error {
	return m.respondThread(e, m.MarkUnread(e.Auth.Id, e.Request.PathValue("id")))
}

func (m *Messaging) handleMute(e *core.RequestEvent) error {
	var in struct {
		Muted *bool `json:"muted"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	if in.Muted == nil {
		return errInvalid("muted", "required", "Muted must be true or false.")
	}
	return m.respondThread(e, m.SetMuted(e.Auth.Id, e.Request.PathValue("id"), *in.Muted))
}

func (m *Messaging) handleArchive(e *core.RequestEvent) error {
	var in struct {
		Archived *bool `json:"archived"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	if in.Archived == nil {
		return errInvalid("archived", "required", "Archived must be true or false.")
	}
	return m.respondThread(e, m.SetArchived(e.Auth.Id, e.Request.PathValue("id"), *in.Archived))
}

func (m *Messaging) handleLeave(e *core.RequestEvent) error {
	if err := m.Leave(e.Auth.Id, e.Request.PathValue("id")); err != nil {
		return apiError(err)
	}
	return e.NoContent(http.StatusNoContent)
}

func (m *Messaging) handleAddMembers(e *core.RequestEvent) error {
	var in struct {
		Users []string `json:"users"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	return m.respondThread(e, m.AddMembers(e.Auth.Id, e.Request.PathValue("id"), in.Users))
}

func (m *Messaging) handleTags(e *core.RequestEvent) error {
	var in struct {
		Tags []string `json:"tags"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	return m.respondThread(e, m.SetTags(e.Auth.Id, e.Request.PathValue("id"), in.Tags))
}

func (m *Messaging) handleUnread(e *core.RequestEvent) error {
	c, err := m.Unread(e.Auth.Id)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, c)
}

func (m *Messaging) handleRecipients(e *core.RequestEvent) error {
	limit, err := queryInt(e, "limit")
	if err != nil {
		return err
	}
	items, err := m.RecipientSuggestions(e.Auth.Id, e.Request.URL.Query().Get("q"), limit)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": items})
}

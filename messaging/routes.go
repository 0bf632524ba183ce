package messaging

import (
	"errors"
	"net/http"
	"strconv"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// bindRoutes mounts the HTTP API under /api/messaging. Every route needs a
// signed-in user of the users collection; the work itself is the Go API,
// so the routes obey exactly the rules Go callers do.
func (m *Messaging) bindRoutes(se *core.ServeEvent) error {
	se.Router.Bind(&hook.Handler[*core.RequestEvent]{
		Id: "__messagingRealtimeUnpark__", Func: m.unparkMiddleware,
	})
	se.Router.Bind(&hook.Handler[*core.RequestEvent]{
		Id: "__messagingRelationGuard__", Func: m.guardRequest,
	})

	g := se.Router.Group("/api/messaging")
	g.Bind(apis.RequireAuth(CollectionNameUsers))

	g.GET("/threads", m.handleInbox)
	g.POST("/threads", m.handleStart)
	g.GET("/threads/{id}", m.handleThread)
	g.GET("/threads/{id}/messages", m.handleMessages)
	g.POST("/threads/{id}/messages", m.handleReply)
	g.POST("/threads/{id}/read", m.handleRead)
	g.POST("/threads/{id}/unread", m.handleMarkUnread)
	g.POST("/threads/{id}/mute", m.handleMute)
	g.POST("/threads/{id}/archive", m.handleArchive)
	g.POST("/threads/{id}/leave", m.handleLeave)
	g.POST("/threads/{id}/members", m.handleAddMembers)
	g.PUT("/threads/{id}/tags", m.handleTags)
	g.DELETE("/messages/{id}", m.handleDeleteMessage)
	g.GET("/unread", m.handleUnread)
	g.GET("/recipients", m.handleRecipients)
	g.GET("/blocks", m.handleBlocks)
	g.POST("/blocks", m.handleBlock)
	g.DELETE("/blocks/{userId}", m.handleUnblock)
	g.GET("/preferences", m.handlePreferences)
	g.PATCH("/preferences", m.handleSetPreferences)
	return se.Next()
}

// apiError turns a Go API error into PocketBase's JSON error: ApiErrors
// pass through, field validation becomes 400, anything else is a 500 whose
// cause stays in the logs.
func apiError(err error) error {
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	var verrs validation.Errors
	if errors.As(err, &verrs) {
		return router.NewBadRequestError("Invalid data.", verrs)
	}
	return router.NewInternalServerError("", err)
}

// bind decodes the JSON body; malformed JSON is a 400.
func bind(e *core.RequestEvent, dst any) error {
	if err := e.BindBody(dst); err != nil {
		return router.NewBadRequestError("Invalid JSON body.", err)
	}
	return nil
}

func queryInt(e *core.RequestEvent, name string) (int, error) {
	raw := e.Request.URL.Query().Get(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, errInvalid(name, "not_a_number", "Must be a non-negative whole number.")
	}
	return n, nil
}

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
	default:
		return errInvalid("box", "bad_box", `Box must be "inbox" or "archived".`)
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
		Recipients []string `json:"recipients"`
		Subject    string   `json:"subject"`
		Body       string   `json:"body"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	thread, msg, err := m.Start(e.Auth.Id, in.Recipients, in.Subject, in.Body)
	if err != nil {
		return apiError(err)
	}
	view, err := m.Thread(e.Auth.Id, thread.Id)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"thread": view, "message": messageView(msg)})
}

func (m *Messaging) handleThread(e *core.RequestEvent) error {
	view, err := m.Thread(e.Auth.Id, e.Request.PathValue("id"))
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, view)
}

func (m *Messaging) handleMessages(e *core.RequestEvent) error {
	limit, err := queryInt(e, "limit")
	if err != nil {
		return err
	}
	page, err := m.Messages(e.Auth.Id, e.Request.PathValue("id"), e.Request.URL.Query().Get("before"), limit)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, page)
}

func (m *Messaging) handleReply(e *core.RequestEvent) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	// Non-members get the same 404 as for a thread that doesn't exist
	// (from the record hooks, so every way in answers alike).
	msg, err := m.Send(e.Auth.Id, e.Request.PathValue("id"), in.Body)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, messageView(msg))
}

// respondThread answers a per-member action with the thread as the caller
// now sees it.
func (m *Messaging) respondThread(e *core.RequestEvent, err error) error {
	if err != nil {
		return apiError(err)
	}
	return m.handleThread(e)
}

func (m *Messaging) handleRead(e *core.RequestEvent) error {
	return m.respondThread(e, m.MarkRead(e.Auth.Id, e.Request.PathValue("id")))
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

func (m *Messaging) handleDeleteMessage(e *core.RequestEvent) error {
	if err := m.DeleteMessage(e.Auth.Id, e.Request.PathValue("id")); err != nil {
		return apiError(err)
	}
	return e.NoContent(http.StatusNoContent)
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
	items, err := m.Recipients(e.Auth.Id, e.Request.URL.Query().Get("q"), limit)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": items})
}

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

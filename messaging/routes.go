package messaging

import (
	"errors"
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

	// Outside the group: superusers may remove members too.
	se.Router.DELETE("/api/messaging/threads/{id}/members/{userId}", m.handleRemoveMember).
		Bind(apis.RequireAuth(CollectionNameUsers, core.CollectionNameSuperusers))

	// Outside the group: the signed link is the authority, no sign-in
	// (email_links.go). GET only shows a confirmation; POST acts.
	se.Router.GET("/api/messaging/email/{action}/{token}", m.handleEmailLinkPage)
	se.Router.POST("/api/messaging/email/{action}/{token}", m.handleEmailLinkAction)

	g := se.Router.Group("/api/messaging")
	g.Bind(apis.RequireAuth(CollectionNameUsers))

	g.GET("/threads", m.handleInbox)
	g.POST("/threads", m.handleStart).Bind(m.attachmentBodyLimit())
	g.POST("/threads/bulk", m.handleBulk)
	g.POST("/threads/read-all", m.handleReadAll)
	g.GET("/threads/{id}", m.handleThread)
	g.GET("/threads/{id}/messages", m.handleMessages)
	g.POST("/threads/{id}/messages", m.handleReply).Bind(m.attachmentBodyLimit())
	g.POST("/threads/{id}/read", m.handleRead)
	g.POST("/threads/{id}/unread", m.handleMarkUnread)
	g.POST("/threads/{id}/mute", m.handleMute)
	g.POST("/threads/{id}/archive", m.handleArchive)
	g.POST("/threads/{id}/leave", m.handleLeave)
	g.GET("/threads/{id}/members", m.handleThreadMembers)
	g.POST("/threads/{id}/members", m.handleAddMembers)
	g.POST("/threads/{id}/accept", m.handleAcceptRequest)
	g.POST("/threads/{id}/decline", m.handleDeclineRequest)
	g.PUT("/threads/{id}/tags", m.handleTags)
	g.DELETE("/messages/{id}", m.handleDeleteMessage)
	g.PATCH("/messages/{id}", m.handleEditMessage)
	// Outside the group: superusers read versions too.
	se.Router.GET("/api/messaging/messages/{id}/versions", m.handleVersions).
		Bind(apis.RequireAuth(CollectionNameUsers, core.CollectionNameSuperusers))
	se.Router.GET("/api/messaging/messages/{id}/deleted", m.handleReadDeleted).
		Bind(apis.RequireAuth(CollectionNameUsers, core.CollectionNameSuperusers))
	g.GET("/search", m.handleSearch)
	g.GET("/unread", m.handleUnread)
	g.GET("/export", m.handleExport)
	g.GET("/recipients", m.handleRecipients)
	g.GET("/blocks", m.handleBlocks)
	g.POST("/blocks", m.handleBlock)
	g.DELETE("/blocks/{userId}", m.handleUnblock)
	g.GET("/preferences", m.handlePreferences)
	g.PATCH("/preferences", m.handleSetPreferences)
	g.GET("/options", m.handleOptions)
	m.bindReportRoutes(se, g) // routes_reports.go
	m.bindOversightRoutes(se) // oversight.go
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

// respondThread answers a per-member action with the thread as the caller
// now sees it.
func (m *Messaging) respondThread(e *core.RequestEvent, err error) error {
	if err != nil {
		return apiError(err)
	}
	return m.handleThread(e)
}

package messaging

import (
	"net/http"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// The routes of reports (reports.go) and moderation (moderation.go,
// suspension.go):
//
//	POST /api/messaging/reports                     members: file a report
//	GET  /api/messaging/reports/mine                members: their reports
//	GET  /api/messaging/moderation/reports          moderators: the queue
//	GET  /api/messaging/moderation/reports/{id}     moderators: one report and its evidence
//	POST /api/messaging/moderation/reports/{id}     moderators: act on it
//	POST /api/messaging/moderation/users/{id}/suspension    moderators: suspend or lift
//
// Moderators are users holding moderator_roles, or superusers.

// bindReportRoutes mounts the routes; g is the members' group.
func (m *Messaging) bindReportRoutes(se *core.ServeEvent, g *router.RouterGroup[*core.RequestEvent]) {
	g.POST("/reports", m.handleReport)
	g.GET("/reports/mine", m.handleMyReports)
	staff := se.Router.Group("/api/messaging/moderation")
	staff.Bind(apis.RequireAuth(CollectionNameUsers, core.CollectionNameSuperusers))
	staff.GET("/reports", m.handleModerationQueue)
	staff.GET("/reports/{id}", m.handleModerationReport)
	staff.POST("/reports/{id}", m.handleModerationAction)
	staff.POST("/users/{id}/suspension", m.handleSuspension)
}

func (m *Messaging) handleReport(e *core.RequestEvent) error {
	var in ReportInput
	if err := bind(e, &in); err != nil {
		return err
	}
	v, err := m.Report(e.Auth.Id, in)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, v)
}

func (m *Messaging) handleMyReports(e *core.RequestEvent) error {
	limit, err := queryInt(e, "limit")
	if err != nil {
		return err
	}
	items, err := m.MyReports(e.Auth.Id, limit)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"items": items})
}

func (m *Messaging) handleModerationQueue(e *core.RequestEvent) error {
	limit, err := queryInt(e, "limit")
	if err != nil {
		return err
	}
	q := e.Request.URL.Query()
	page, err := m.ModerationQueue(e.Auth, ReportQuery{State: q.Get("state"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, page)
}

func (m *Messaging) handleModerationReport(e *core.RequestEvent) error {
	v, err := m.ModerationReport(e.Auth, e.Request.PathValue("id"))
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, v)
}

func (m *Messaging) handleModerationAction(e *core.RequestEvent) error {
	var body struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	if err := bind(e, &body); err != nil {
		return err
	}
	if !m.isModerator(e.Auth) {
		return errNotModerator()
	}
	v, err := m.HandleReport(e.Auth, e.Request.PathValue("id"), body.Action, body.Reason)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, v)
}

func (m *Messaging) handleSuspension(e *core.RequestEvent) error {
	var body struct {
		Suspended bool   `json:"suspended"`
		Reason    string `json:"reason"`
	}
	if err := bind(e, &body); err != nil {
		return err
	}
	user := e.Request.PathValue("id")
	if err := m.changeSuspension(e.Auth, user, body.Reason, body.Suspended); err != nil {
		return apiError(err)
	}
	on, err := m.IsSuspended(user)
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"user": user, "suspended": on})
}

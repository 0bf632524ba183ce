package messaging

import (
	"bytes"
	"context"
	"encoding/json/v2"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/routine"
)

// Telling people about reports, after the commit. Kept simple on purpose:
//
//   - the moderators online get a live "report" event on RealtimeTopic
//     ({type, report, reason, created}: no content, no names); those
//     offline find the report in the queue, which is the durable record;
//   - when the site's webhook is set (webhook_url, webhook.go), one signed
//     POST {"type":"report","report","reason","thread","created"} goes to
//     it, best effort: one attempt in the background, failures logged,
//     never message text;
//   - the reporter gets a live "report" event {type, report, state,
//     outcome, summary} when a moderator acts, and sees the same in
//     GET /api/messaging/reports/mine.
//
// Finding the moderators online walks the connected clients once per new
// report (each client's signed-in record against moderator_roles): its
// cost grows with the open connections, not with messages or users, and
// reports are rare next to messages.

// reportCreated tells the moderators and fires OnReportCreated.
func (m *Messaging) reportCreated(report *core.Record) {
	payload := map[string]any{"type": "report", "report": report.Id, "reason": report.GetString("reason"),
		"created": report.GetString("created")}
	// A moderator reported is not told: another handles it (moderation.go).
	about := report.GetString("author")
	mods := slices.DeleteFunc(m.live.onlineWhere(m.isModerator), func(u string) bool { return u == about })
	if len(mods) > 0 {
		m.live.ordered(mods, func() {
			for _, u := range mods {
				m.live.send(u, payload)
			}
		})
	}
	m.pingWebhook(report)
	err := m.onReportCreated.Trigger(&ReportEvent{App: m.app, Report: report}, func(e *ReportEvent) error { return nil })
	if err != nil {
		m.app.Logger().Error("messaging: OnReportCreated", "report", report.Id, "error", err)
	}
}

// reportHandled tells the reporter and fires OnReportHandled.
func (m *Messaging) reportHandled(report, actor *core.Record, action string) {
	if reporter := report.GetString("reporter"); reporter != "" {
		v := reporterView(report)
		payload := map[string]any{"type": "report", "report": v.ID, "state": v.State, "outcome": v.Outcome, "summary": v.Summary}
		m.live.ordered([]string{reporter}, func() { m.live.send(reporter, payload) })
	}
	err := m.onReportHandled.Trigger(&ReportEvent{App: m.app, Report: report, Actor: actor, Action: action},
		func(e *ReportEvent) error { return nil })
	if err != nil {
		m.app.Logger().Error("messaging: OnReportHandled", "report", report.Id, "error", err)
	}
}

// onlineWhere returns the users with a live client whose signed-in record
// passes match.
func (h *liveHub) onlineWhere(match func(*core.Record) bool) []string {
	h.mu.RLock()
	clients := make([]*liveClient, 0, len(h.clients))
	for _, c := range h.clients {
		clients = append(clients, c)
	}
	h.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for _, c := range clients {
		if auth := clientAuth(c); auth != nil && !seen[auth.Id] && match(auth) {
			seen[auth.Id] = true
			out = append(out, auth.Id)
		}
	}
	return out
}

// pingWebhook posts the new report to the site's webhook, if set.
func (m *Messaging) pingWebhook(report *core.Record) {
	l := m.Limits()
	if l.WebhookURL == "" || m.config.NotificationsOff {
		return
	}
	body, err := json.Marshal(map[string]any{"type": "report", "report": report.Id, "reason": report.GetString("reason"),
		"thread": report.GetString("thread"), "created": report.GetString("created")})
	if err != nil {
		return
	}
	routine.FireAndForget(func() {
		if err := postReport(l.WebhookURL, l.WebhookSecret, report.Id, body); err != nil {
			m.app.Logger().Warn("messaging: the report webhook failed", "report", report.Id, "error", err)
		}
	})
}

// postReport is the one signed POST of pingWebhook.
func postReport(url, secret, id string, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pbmessaging-webhook/1")
	req.Header.Set(WebhookIDHeader, id)
	req.Header.Set(WebhookSignatureHeader, signWebhook(secret, time.Now(), body))
	client := &http.Client{Timeout: webhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return nil
}

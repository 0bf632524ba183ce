package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
)

// route is one messaging endpoint, addressed on the world's group thread
// (or one of its messages).
type route struct {
	name   string
	method string
	url    func(f *fixture, w world) string
	body   any
}

func messagingRoutes() []route {
	fixed := func(url string) func(*fixture, world) string {
		return func(*fixture, world) string { return url }
	}
	inGroup := func(suffix string) func(*fixture, world) string {
		return func(_ *fixture, w world) string { return "/api/messaging/threads/" + w.group + suffix }
	}
	return []route{
		{"inbox", http.MethodGet, fixed("/api/messaging/threads"), nil},
		{"start", http.MethodPost, fixed("/api/messaging/threads"), map[string]any{"recipients": []string{"bob"}, "body": "sneaky"}},
		{"thread", http.MethodGet, inGroup(""), nil},
		{"messages", http.MethodGet, inGroup("/messages"), nil},
		{"reply", http.MethodPost, inGroup("/messages"), map[string]any{"body": "sneaky"}},
		{"read", http.MethodPost, inGroup("/read"), nil},
		{"mark unread", http.MethodPost, inGroup("/unread"), nil},
		{"mute", http.MethodPost, inGroup("/mute"), map[string]any{"muted": true}},
		{"archive", http.MethodPost, inGroup("/archive"), map[string]any{"archived": true}},
		{"leave", http.MethodPost, inGroup("/leave"), nil},
		{"add members", http.MethodPost, inGroup("/members"), map[string]any{"users": []string{"x"}}},
		{"tags", http.MethodPut, inGroup("/tags"), map[string]any{"tags": []string{}}},
		{"delete message", http.MethodDelete, func(_ *fixture, w world) string {
			return "/api/messaging/messages/" + w.groupAlice.Id
		}, nil},
		{"unread counts", http.MethodGet, fixed("/api/messaging/unread"), nil},
		{"search", http.MethodGet, fixed("/api/messaging/search?q=alpha"), nil},
		{"recipients", http.MethodGet, fixed("/api/messaging/recipients?q=b"), nil},
		{"block list", http.MethodGet, fixed("/api/messaging/blocks"), nil},
		{"block", http.MethodPost, fixed("/api/messaging/blocks"), map[string]any{"user": "x"}},
		{"unblock", http.MethodDelete, func(f *fixture, _ world) string { return "/api/messaging/blocks/" + f.id("erin") }, nil},
		{"bulk", http.MethodPost, fixed("/api/messaging/threads/bulk"), map[string]any{"action": "archive", "threads": []string{"x"}}},
		{"read all", http.MethodPost, fixed("/api/messaging/threads/read-all"), nil},
		{"export", http.MethodGet, fixed("/api/messaging/export"), nil},
		{"preferences", http.MethodGet, fixed("/api/messaging/preferences"), nil},
		{"set preferences", http.MethodPatch, fixed("/api/messaging/preferences"), map[string]any{"messagingOff": true}},
		{"report", http.MethodPost, fixed("/api/messaging/reports"), map[string]any{"thread": "x", "reason": "spam", "details": "sneaky"}},
		{"my reports", http.MethodGet, fixed("/api/messaging/reports/mine"), nil},
	}
}

// Every /api/messaging route needs a signed-in member of the users
// collection: anonymous callers get 401, superusers (not users) 403, and
// neither triggers a single record event nor sees any content.
func TestRoutes_RequireUser(t *testing.T) {
	t.Parallel()
	var cases []apiCase
	for _, r := range messagingRoutes() {
		for _, who := range []string{"", "superuser"} {
			name, status, msg := "anonymous → 401", http.StatusUnauthorized,
				`"message":"The request requires valid record authorization token."`
			if who == "superuser" {
				name, status, msg = "superuser → 403", http.StatusForbidden,
					`"message":"The authorized record is not allowed to perform this action."`
			}
			cases = append(cases, worldCase(r.name+": "+name, func(f *fixture, w world) tests.ApiScenario {
				s := expect(f.as(who, r.method, r.url(f, w), r.body), status, []string{msg},
					append([]string{"sneaky"}, allBodies...)...)
				s.ExpectedEvents = map[string]int{"*": 0}
				return s
			}))
		}
	}
	runCases(t, cases)
}

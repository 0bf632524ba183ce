package messaging_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// The notification queue (messaging_outbox, messaging_notifications) and
// the site's settings are superusers' only: a member can't list, view,
// write, filter their way into, expand to or subscribe to them, through
// the records API, the batch API or realtime.

// queuedWorld is the shared cast with the notification queue filled: every
// message fanned out into waiting windows (the delay has not passed).
func queuedWorld(f *fixture) (world, *core.Record) {
	f.t.Helper()
	w := f.world()
	if _, err := messaging.NotifyStepForTest(f.pm, time.Now()); err != nil {
		f.t.Fatal(err)
	}
	n, err := f.app.FindFirstRecordByFilter(messaging.CollectionNameNotifications, "user = {:u}",
		map[string]any{"u": f.id("bob")})
	f.must(err)
	return w, n
}

func queueCase(name string, build func(f *fixture, w world, bobs *core.Record) tests.ApiScenario) apiCase {
	return apiCase{name: name, build: func(f *fixture) tests.ApiScenario {
		w, n := queuedWorld(f)
		return build(f, w, n)
	}}
}

func TestNotifyAttack_QueueIsSuperusersOnly(t *testing.T) {
	t.Parallel()
	forbidden := []string{onlySuperusers}
	queue := []string{messaging.CollectionNameNotifications, messaging.CollectionNameOutbox, messaging.CollectionNameSettings}
	var cases []apiCase
	for _, c := range queue {
		cases = append(cases,
			queueCase("list "+c, func(f *fixture, _ world, _ *core.Record) tests.ApiScenario {
				return expect(f.as("bob", http.MethodGet, recordsURL(c, ""), nil), 403, forbidden, allBodies...)
			}),
			queueCase("create "+c, func(f *fixture, _ world, _ *core.Record) tests.ApiScenario {
				s := expect(f.as("bob", http.MethodPost, recordsURL(c, ""),
					map[string]any{"kind": "conversation", "user": f.id("bob"), "state": "waiting"}), 403, forbidden)
				s.ExpectedEvents = noWrites
				return s
			}),
		)
	}
	cases = append(cases,
		queueCase("view own notification", func(f *fixture, _ world, n *core.Record) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(messaging.CollectionNameNotifications, "/"+n.Id), nil),
				403, forbidden, n.GetString("thread"))
		}),
		queueCase("mark own notification sent", func(f *fixture, _ world, n *core.Record) tests.ApiScenario {
			s := expect(f.as("bob", http.MethodPatch, recordsURL(messaging.CollectionNameNotifications, "/"+n.Id),
				map[string]any{"state": "sent"}), 403, forbidden)
			s.ExpectedEvents = noWrites
			return s
		}),
		queueCase("delete own notification", func(f *fixture, _ world, n *core.Record) tests.ApiScenario {
			s := expect(f.as("bob", http.MethodDelete, recordsURL(messaging.CollectionNameNotifications, "/"+n.Id), nil),
				403, forbidden)
			s.ExpectedEvents = noWrites
			return s
		}),
		// No relation leads to the queue: its ids are plain text.
		queueCase("back-relation from users", func(f *fixture, _ world, _ *core.Record) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet,
				recordsURL("users", "?filter="+urlq("messaging_notifications_via_user.state ?= 'waiting'")), nil),
				400, []string{`"status":400`}, `"items"`)
		}),
		queueCase("@collection join from threads", func(f *fixture, w world, _ *core.Record) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(messaging.CollectionNameThreads,
				"?filter="+urlq("@collection.messaging_notifications.user ?= '"+f.id("alice")+"'")), nil),
				403, []string{`"status":403`}, `"items"`, w.group)
		}),
		queueCase("@collection join in a sort", func(f *fixture, w world, _ *core.Record) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(messaging.CollectionNameThreads,
				"?sort="+urlq("@collection.messaging_outbox.seq")), nil),
				403, []string{`"status":403`}, `"items"`, w.group)
		}),
		queueCase("expand from a membership", func(f *fixture, w world, _ *core.Record) tests.ApiScenario {
			// Fails softly, as PocketBase does for an unknown expand:
			// the membership comes back without it.
			return expect(f.as("bob", http.MethodGet, recordsURL(messaging.CollectionNameThreadMembers,
				"?expand="+urlq("messaging_notifications_via_user,messaging_notifications_via_thread")), nil),
				200, []string{`"items"`}, `"expand"`, `"waiting"`)
		}),
		queueCase("batch write into the queue", func(f *fixture, _ world, n *core.Record) tests.ApiScenario {
			f.enableBatch()
			s := expect(f.as("bob", http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{
				{"method": "PATCH", "url": recordsURL(messaging.CollectionNameNotifications, "/"+n.Id), "body": map[string]any{"state": "read"}},
				{"method": "POST", "url": recordsURL(messaging.CollectionNameOutbox, ""), "body": map[string]any{"kind": "digest", "state": "pending"}},
			}}), 400, []string{`"status":400`, `Only superusers`}, `"waiting"`)
			s.ExpectedEvents = noWrites
			return s
		}),
	)
	runCases(t, cases)
}

func urlq(s string) string {
	r := strings.NewReplacer(" ", "%20", "'", "%27", "?", "%3F", "=", "%3D", "@", "%40", ",", "%2C")
	return r.Replace(s)
}

// Realtime: a member subscribed to the queue's collections (wildcard,
// one record, with a filter) gets no event when the worker writes it, nor
// when a superuser edits a row in the dashboard.
func TestNotifyAttack_RealtimeQueueSubscriptions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	t.Cleanup(f.app.Cleanup)
	_, n := queuedWorld(f)
	srv := f.serve()
	t.Cleanup(func() { messaging.StopNotifierForTest(f.pm) })
	c := f.connect(srv, "bob",
		messaging.CollectionNameNotifications+"/*",
		messaging.CollectionNameNotifications+"/"+n.Id,
		messaging.CollectionNameOutbox+"/*",
		messaging.CollectionNameSettings+"/*",
		messaging.CollectionNameNotifications+`/*?options={"query":{"filter":"user='`+f.id("alice")+`'"}}`)

	f.send("alice", n.GetString("thread"), "fresh message")
	n.Set("last_error", "edited in the dashboard")
	f.must(f.app.Save(n))
	for _, ev := range c.drain(500 * time.Millisecond) {
		if strings.HasPrefix(ev.Name, "messaging_notifications") || strings.HasPrefix(ev.Name, "messaging_outbox") ||
			strings.HasPrefix(ev.Name, "messaging_settings") {
			t.Errorf("bob got a queue event %q: %v", ev.Name, ev.Data)
		}
	}
}

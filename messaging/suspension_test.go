package messaging_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// suspendedCase is a case in which a moderator suspended bob through
// alice's report of his group message.
func suspendedCase(name string, build func(f *fixture, w world) tests.ApiScenario) apiCase {
	return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
		r := f.report("alice", w.groupBob.Id)
		_, err := f.pm.HandleReport(f.users["admin"], r.ID, messaging.ActionSuspend, "abuse")
		f.must(err)
		return build(f, w)
	})
}

// A suspended member can't send, start or edit, whatever the path, and
// can't lift it; reading still works.
func TestSuspension_RefusedEverywhere(t *testing.T) {
	t.Parallel()
	refused := func(name string, s func(f *fixture, w world) tests.ApiScenario) apiCase {
		return suspendedCase(name+" → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(s(f, w), 403, []string{suspendedRefusal}, "one more")
		})
	}
	runCases(t, []apiCase{
		refused("reply", func(f *fixture, w world) tests.ApiScenario {
			return f.as("bob", http.MethodPost, threadURL(w.direct, "/messages"), map[string]any{"body": "one more"})
		}),
		refused("start", func(f *fixture, w world) tests.ApiScenario {
			return f.as("bob", http.MethodPost, "/api/messaging/threads", map[string]any{"recipients": []string{f.id("dave")}, "body": "one more"})
		}),
		refused("edit", func(f *fixture, w world) tests.ApiScenario {
			return f.as("bob", http.MethodPatch, "/api/messaging/messages/"+w.directBob.Id, map[string]any{"body": "one more"})
		}),
		refused("records API create", func(f *fixture, w world) tests.ApiScenario {
			return f.as("bob", http.MethodPost, recordsURL(messaging.CollectionNameMessages, ""), map[string]any{"thread": w.direct, "body": "one more"})
		}),
		refused("records API edit", func(f *fixture, w world) tests.ApiScenario {
			return f.as("bob", http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+w.directBob.Id), map[string]any{"body": "one more"})
		}),
		suspendedCase("batch API → 400 carrying the 403", func(f *fixture, w world) tests.ApiScenario {
			f.enableBatch()
			s := f.as("bob", http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{{
				"method": "POST", "url": recordsURL(messaging.CollectionNameMessages, ""),
				"body": map[string]any{"thread": w.direct, "body": "one more"}}}})
			return expect(s, 400, []string{`"code":"batch_request_failed"`, `"status":403`}, "one more")
		}),
		suspendedCase("reading still works", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, threadURL(w.direct, "/messages"), nil), 200, []string{bodyDirectAlice})
		}),
		suspendedCase("records API: the member can't lift it", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(f.as("bob", http.MethodGet, recordsURL(messaging.CollectionNameSuspensions, ""), nil),
				403, []string{onlySuperusers}), messaging.CollectionNameSuspensions, 1)
		}),
		suspendedCase("route: member → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("bob", http.MethodPost, "/api/messaging/moderation/users/"+f.id("bob")+"/suspension", map[string]any{"suspended": false, "reason": "sorry"})
			return countIs(expect(s, 403, []string{notModerator}), messaging.CollectionNameSuspensions, 1)
		}),
		suspendedCase("route: moderator lifts it", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("admin", http.MethodPost, "/api/messaging/moderation/users/"+f.id("bob")+"/suspension", map[string]any{"suspended": false, "reason": "served"})
			return auditIs(expect(s, 200, []string{`"suspended":false`}), 2, messaging.AuditUnsuspend)
		}),
	})
}

// Suspend and Unsuspend from Go, and what Go's Send then says.
func TestSuspension_GoAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	f.must(f.pm.Suspend(nil, f.id("bob"), "spam wave"))
	if _, err := f.pm.Send(f.id("bob"), w.direct, "hi"); !errors.Is(err, messaging.ErrSuspended) {
		t.Fatalf("send while suspended: %v", err)
	}
	if err := f.pm.Suspend(f.users["alice"], f.id("bob"), "x"); !errors.Is(err, messaging.ErrForbidden) {
		t.Errorf("a member suspending: %v", err)
	}
	f.must(f.pm.Unsuspend(f.users["admin"], f.id("bob"), "served"))
	f.send("bob", w.direct, "back again")
	rows, err := f.app.FindAllRecords(messaging.CollectionNameAudit)
	f.must(err)
	if len(rows) != 2 || rows[0].GetString("action") != messaging.AuditSuspend || rows[0].GetString("actor_kind") != "system" ||
		rows[1].GetString("actor") != f.id("admin") {
		t.Errorf("audit %v", rows)
	}
}

// The three collections are the superusers' alone in the records API.
func TestReports_RecordsAPIIsSuperuserOnly(t *testing.T) {
	t.Parallel()
	var cases []apiCase
	for _, col := range []string{messaging.CollectionNameReports, messaging.CollectionNameAudit, messaging.CollectionNameSuspensions} {
		for _, who := range []string{"", "alice", "bob", "admin"} {
			for _, op := range []struct{ method, suffix string }{{"GET", ""}, {"GET", "/ID"}, {"POST", ""}, {"PATCH", "/ID"}, {"DELETE", "/ID"}} {
				cases = append(cases, suspendedCase(col+" "+op.method+op.suffix+" as "+who, func(f *fixture, w world) tests.ApiScenario {
					rows, err := f.app.FindAllRecords(col)
					f.must(err)
					url := recordsURL(col, op.suffix)
					if op.suffix != "" {
						url = recordsURL(col, "/"+rows[0].Id)
					}
					s := expect(f.as(who, op.method, url, map[string]any{"state": "dismissed", "user": f.id("alice")}), 403,
						[]string{onlySuperusers}, allBodies...)
					return countIs(s, col, len(rows))
				}))
			}
		}
		cases = append(cases, suspendedCase(col+" superuser lists", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", "GET", recordsURL(col, ""), nil), 200, []string{`"totalItems":1`})
		}))
	}
	runCases(t, cases)
}

// Online moderators hear of a new report, the reporter of its outcome;
// nobody else hears anything, subscribed to the collection or not.
func TestReports_Live(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	srv := f.serve()
	clients := map[string]*liveClient{
		"admin": f.connect(srv, "admin", messaging.RealtimeTopic),
		"alice": f.connect(srv, "alice", messaging.RealtimeTopic),
		"bob":   f.connect(srv, "bob", messaging.RealtimeTopic, messaging.CollectionNameReports+"/*", messaging.CollectionNameAudit+"/*"),
		"dave":  f.connect(srv, "dave", messaging.CollectionNameReports+"/*"),
	}
	out := f.mustRequest(srv, 200, "alice", http.MethodPost, "/api/messaging/reports", map[string]any{"message": w.groupBob.Id, "reason": "spam"})
	var v messaging.ReporterView
	decodeBytes(t, []byte(out), &v)
	eventsAre(t, clients, map[string][]map[string]any{"admin": {{"type": "report", "report": v.ID, "reason": "spam"}}})
	f.mustRequest(srv, 200, "admin", http.MethodPost, queueURL+"/"+v.ID, map[string]any{"action": "dismiss", "reason": "fine"})
	eventsAre(t, clients, map[string][]map[string]any{"alice": {{"type": "report", "report": v.ID, "state": "dismissed",
		"outcome": "dismissed", "summary": "Your report was reviewed."}}})
}

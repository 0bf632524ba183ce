package messaging_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

const (
	queueURL         = "/api/messaging/moderation/reports"
	notModerator     = `"message":"Only moderators can do this."`
	suspendedRefusal = `"message":"Your messaging has been suspended by the moderators."`
)

// otherBodies are the bodies of the conversations a report on the group
// has nothing to do with: a moderator must never see them.
var otherBodies = []string{bodyDirectAlice, bodyDirectBob, bodyBlocked, bodyBlockedErin, bodyOthers}

// reportCase is a case with alice's report of bob's group message filed.
func reportCase(name string, cfg messaging.Config, build func(f *fixture, w world, report string) tests.ApiScenario) apiCase {
	return apiCase{name: name, cfg: cfg, build: func(f *fixture) tests.ApiScenario {
		w := f.world()
		return build(f, w, f.report("alice", w.groupBob.Id).ID)
	}}
}

// auditIs checks after the request that the audit holds want rows, the
// last one with action, and no message content.
func auditIs(s tests.ApiScenario, want int, action string) tests.ApiScenario {
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		rows, err := app.FindAllRecords(messaging.CollectionNameAudit)
		if err != nil || len(rows) != want {
			t.Fatalf("audit rows %d (%v), want %d", len(rows), err, want)
		}
		if want == 0 {
			return
		}
		last := rows[len(rows)-1]
		if last.GetString("action") != action || last.GetString("actor") == "" || last.GetString("reason") == "" {
			t.Errorf("audit row %v", last.PublicExport())
		}
		if strings.Contains(string(last.GetString("details")), "group-") {
			t.Errorf("audit details carry content: %s", last.GetString("details"))
		}
	}
	return s
}

func TestModeration_Queue(t *testing.T) {
	t.Parallel()
	var cases []apiCase
	for who, want := range map[string]int{"": 401, "alice": 403, "bob": 403, "dave": 403, "admin": 200, "superuser": 200} {
		cases = append(cases, reportCase("queue as "+who, messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			content := []string{notModerator}
			switch want {
			case 401:
				content = []string{`"status":401`}
			case 200:
				content = []string{`"id":"` + report + `"`, `"state":"open"`, `"reason":"harassment"`, `"nextCursor":""`}
			}
			return expect(f.as(who, http.MethodGet, queueURL+"?state=open", nil), want, content, allBodies...)
		}))
	}
	cases = append(cases,
		reportCase("dismissed leave the open queue", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			_, err := f.pm.HandleReport(nil, report, messaging.ActionDismiss, "fine")
			f.must(err)
			return expect(f.as("admin", http.MethodGet, queueURL, nil), 200, []string{`{"items":[],"nextCursor":""}`})
		}),
		apiCase{name: "paged by cursor", build: func(f *fixture) tests.ApiScenario {
			w := f.world()
			first := f.report("alice", w.groupBob.Id)
			second := f.report("alice", w.directBob.Id)
			page, err := f.pm.ModerationQueue(f.users["admin"], messaging.ReportQuery{Limit: 1})
			f.must(err)
			if len(page.Items) != 1 || page.Items[0].ID != first.ID || page.NextCursor == "" {
				t.Fatalf("first page %+v", page)
			}
			return expect(f.as("admin", http.MethodGet, queueURL+"?limit=1&cursor="+page.NextCursor, nil), 200,
				[]string{`"id":"` + second.ID + `"`, `"nextCursor":""`}, first.ID)
		}},
		reportCase("bad state → 400", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			return expect(f.as("admin", http.MethodGet, queueURL+"?state=any", nil), 400, []string{fieldError("state", "report_state")})
		}),
	)
	runCases(t, cases)
}

// A moderator reads the report's evidence and nothing of the author's
// other conversations, through any route.
func TestModeration_ViewOnlyTheEvidence(t *testing.T) {
	t.Parallel()
	as := func(name, who string, status int, content []string, url func(f *fixture, w world, report string) string, not ...string) apiCase {
		return reportCase(name, messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			return expect(f.as(who, http.MethodGet, url(f, w, report), nil), status, content, not...)
		})
	}
	view := func(_ *fixture, _ world, report string) string { return queueURL + "/" + report }
	runCases(t, []apiCase{
		as("moderator reads the evidence", "admin", 200, []string{bodyGroupBob, bodyGroupAlice, `"evidenceIntact":true`, `"evidenceHash":"`}, view, otherBodies...),
		// The names of the people in the report (reporter, author, the evidence's authors), nobody else's.
		as("moderator reads the names of the report's people", "admin", 200,
			[]string{`"people":{`, `"name":"Alice","username":"alice"`, `"name":"Bob","username":"bob"`}, view, `"username":"dave"`),
		as("superuser reads the evidence", "superuser", 200, []string{bodyGroupBob, `"evidenceIntact":true`}, view, otherBodies...),
		as("reporter → 403", "alice", 403, []string{notModerator}, view, allBodies...),
		as("reported author → 403", "bob", 403, []string{notModerator}, view, allBodies...),
		as("non-member → 403", "dave", 403, []string{notModerator}, view, allBodies...),
		as("anonymous → 401", "", 401, []string{`"status":401`}, view, allBodies...),
		as("unknown report → 404", "admin", 404, []string{notFoundBody}, func(*fixture, world, string) string { return queueURL + "/nosuchreport123" }),
		as("moderator: the author's direct thread → 404", "admin", 404, []string{notFoundBody},
			func(_ *fixture, w world, _ string) string { return threadURL(w.direct, "") }, otherBodies...),
		as("moderator: its messages → 404", "admin", 404, []string{notFoundBody},
			func(_ *fixture, w world, _ string) string { return threadURL(w.direct, "/messages") }, otherBodies...),
		as("moderator: the reported thread itself → 404", "admin", 404, []string{notFoundBody},
			func(_ *fixture, w world, _ string) string { return threadURL(w.group, "/messages") }, allBodies...),
		as("moderator: records API list", "admin", 200, []string{`"totalItems":0`},
			func(*fixture, world, string) string { return recordsURL(messaging.CollectionNameMessages, "") }, allBodies...),
		as("moderator: records API view → 404", "admin", 404, []string{recordNotFound},
			func(_ *fixture, w world, _ string) string {
				return recordsURL(messaging.CollectionNameMessages, "/"+w.directBob.Id)
			}, allBodies...),
		as("moderator: search", "admin", 200, []string{`"items":[]`},
			func(*fixture, world, string) string { return "/api/messaging/search?q=bravo" }, allBodies...),
	})
}

func TestModeration_Actions(t *testing.T) {
	t.Parallel()
	act := func(f *fixture, who, report, action string) tests.ApiScenario {
		return f.as(who, http.MethodPost, queueURL+"/"+report, map[string]any{"action": action, "reason": "looked at it"})
	}
	refused := func(name, who string, status int, content string) apiCase {
		return reportCase(name, messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			return auditIs(expect(act(f, who, report, messaging.ActionDismiss), status, []string{content}, allBodies...), 0, "")
		})
	}
	cases := []apiCase{
		refused("anonymous → 401", "", 401, `"status":401`),
		refused("reporter → 403", "alice", 403, notModerator),
		refused("reported author → 403", "bob", 403, notModerator),
		refused("non-member → 403", "dave", 403, notModerator),
		reportCase("moderator dismisses", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			return auditIs(expect(act(f, "admin", report, "dismiss"), 200, []string{`"state":"dismissed"`, `"outcome":"dismissed"`,
				`"handledBy":"` + f.id("admin") + `"`}), 1, "report.dismiss")
		}),
		reportCase("moderator deletes the message, the evidence stays", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			s := auditIs(expect(act(f, "admin", report, "delete"), 200, []string{`"state":"actioned"`, `"outcome":"message_deleted"`}), 1, "report.delete")
			audit := s.AfterTestFunc
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
				audit(t, app, res)
				m, _ := app.FindRecordById(messaging.CollectionNameMessages, w.groupBob.Id)
				if !m.GetBool("deleted") || m.GetString("body") != "" {
					t.Errorf("message not deleted: %v", m.PublicExport())
				}
				sealedOK(t, f.reportRow(report), bodyGroupBob)
			}
			return s
		}),
		reportCase("moderator suspends the author", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			s := auditIs(expect(act(f, "admin", report, "suspend"), 200, []string{`"outcome":"author_suspended"`}), 1, "report.suspend")
			return countIs2(s, messaging.CollectionNameSuspensions, 1)
		}),
		reportCase("moderator escalates", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			return auditIs(expect(act(f, "admin", report, "escalate"), 200, []string{`"state":"escalated"`}), 1, "report.escalate")
		}),
		reportCase("escalated: moderator → 403", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			_, err := f.pm.HandleReport(f.users["admin"], report, messaging.ActionEscalate, "above me")
			f.must(err)
			return auditIs(expect(act(f, "admin", report, "dismiss"), 403, []string{"escalated to the site"}), 1, "report.escalate")
		}),
		reportCase("escalated: superuser dismisses", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			_, err := f.pm.HandleReport(f.users["admin"], report, messaging.ActionEscalate, "above me")
			f.must(err)
			return auditIs(expect(act(f, "superuser", report, "dismiss"), 200, []string{`"state":"dismissed"`}), 2, "report.dismiss")
		}),
		reportCase("already handled → 400", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			_, err := f.pm.HandleReport(f.users["admin"], report, messaging.ActionDismiss, "fine")
			f.must(err)
			return auditIs(expect(act(f, "admin", report, "suspend"), 400, []string{fieldError("action", "report_closed")}), 1, "report.dismiss")
		}),
		reportCase("no reason → 400", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			s := f.as("admin", http.MethodPost, queueURL+"/"+report, map[string]any{"action": "dismiss", "reason": " "})
			return auditIs(expect(s, 400, []string{fieldError("reason", "reason_required")}), 0, "")
		}),
		reportCase("unknown action → 400", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			return auditIs(expect(act(f, "admin", report, "ban"), 400, []string{fieldError("action", "report_action")}), 0, "")
		}),
		reportCase("moderator who is the author → 403", messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			f.setRoles("bob", "moderator")
			return auditIs(expect(act(f, "bob", report, "dismiss"), 403, []string{"Another moderator"}), 0, "")
		}),
	}
	runCases(t, cases)
}

// countIs2 is countIs that keeps an AfterTestFunc already set.
func countIs2(s tests.ApiScenario, collection string, want int) tests.ApiScenario {
	before := s.AfterTestFunc
	s = countIs(s, collection, want)
	after := s.AfterTestFunc
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
		if before != nil {
			before(t, app, res)
		}
		after(t, app, res)
	}
	return s
}

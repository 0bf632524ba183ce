package messaging_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

const (
	reportsURL  = "/api/messaging/reports"
	underReview = `"message":"This message is under review."`
)

// report has who report msg for harassment through the Go API.
func (f *fixture) report(who, msg string) *messaging.ReporterView {
	f.t.Helper()
	v, err := f.pm.Report(f.id(who), messaging.ReportInput{Message: msg, Reason: messaging.ReasonHarassment, Details: "rude"})
	if err != nil {
		f.t.Fatalf("report by %s: %v", who, err)
	}
	return v
}

// reportRow is the stored report.
func (f *fixture) reportRow(id string) *core.Record {
	f.t.Helper()
	r, err := f.app.FindRecordById(messaging.CollectionNameReports, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// sealedOK checks that the stored evidence hashes to evidence_hash and
// holds every one of bodies.
func sealedOK(t testing.TB, r *core.Record, bodies ...string) {
	t.Helper()
	raw := r.GetString("evidence")
	sum := sha256.Sum256([]byte(raw))
	if got := hex.EncodeToString(sum[:]); got != r.GetString("evidence_hash") {
		t.Errorf("evidence hash %s, stored %s", got, r.GetString("evidence_hash"))
	}
	for _, b := range bodies {
		if !strings.Contains(raw, b) {
			t.Errorf("evidence lacks %q: %s", b, raw)
		}
	}
}

func TestReports_File(t *testing.T) {
	t.Parallel()
	reportBob := func(f *fixture, w world, who string) tests.ApiScenario {
		return f.as(who, http.MethodPost, reportsURL, map[string]any{"message": w.groupBob.Id, "reason": "harassment", "details": "rude"})
	}
	outsider := func(name, who string) apiCase {
		return worldCase(name+" → 404", func(f *fixture, w world) tests.ApiScenario {
			s := expect(reportBob(f, w, who), 404, []string{notFoundBody}, allBodies...)
			return countIs(s, messaging.CollectionNameReports, 0)
		})
	}
	invalid := func(name string, body map[string]any, field, code string) apiCase {
		return worldCase(name+" → 400", func(f *fixture, w world) tests.ApiScenario {
			if body["message"] == "bob" {
				body["message"] = w.groupBob.Id
			}
			s := expect(f.as("alice", http.MethodPost, reportsURL, body), 400, []string{fieldError(field, code)}, allBodies...)
			return countIs(s, messaging.CollectionNameReports, 0)
		})
	}
	runCases(t, []apiCase{
		worldCase("anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(reportBob(f, w, ""), 401, []string{`"status":401`}), messaging.CollectionNameReports, 0)
		}),
		outsider("non-member", "dave"),
		outsider("left member", "carol"),
		outsider("moderator outside the thread", "admin"),
		worldCase("unknown message → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPost, reportsURL, map[string]any{"message": "nosuchmessage12", "reason": "spam"}),
				404, []string{notFoundBody})
		}),
		worldCase("reporter → 200, evidence sealed", func(f *fixture, w world) tests.ApiScenario {
			s := expect(reportBob(f, w, "alice"), 200, []string{`"state":"open"`, `"summary":"Your report was received."`,
				`"reason":"harassment"`, `"message":"` + w.groupBob.Id + `"`}, bodyGroupBob, `"evidence"`)
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData(messaging.CollectionNameReports, "message", w.groupBob.Id)
				if err != nil {
					t.Fatal(err)
				}
				if r.GetString("author") != f.id("bob") || r.GetString("reporter") != f.id("alice") || r.GetString("thread") != w.group {
					t.Errorf("report %v", r.PublicExport())
				}
				sealedOK(t, r, bodyGroupAlice, bodyGroupBob, bodyGroupCarol)
				if strings.Contains(r.GetString("evidence"), bodyDirectBob) {
					t.Error("evidence holds another conversation")
				}
			}
			return s
		}),
		worldCase("reported author, own message → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(reportBob(f, w, "bob"), 400, []string{fieldError("message", "own_message")})
		}),
		worldCase("same message twice → the first report", func(f *fixture, w world) tests.ApiScenario {
			first := f.report("alice", w.groupBob.Id)
			return countIs(expect(reportBob(f, w, "alice"), 200, []string{`"id":"` + first.ID + `"`}), messaging.CollectionNameReports, 1)
		}),
		{name: "over reports_per_hour → 429", cfg: messaging.Config{ReportsPerHour: 1}, build: func(f *fixture) tests.ApiScenario {
			w := f.world()
			f.report("alice", w.directBob.Id)
			s := expect(reportBob(f, w, "alice"), 429, []string{`"limit":"reports_per_hour"`, "You can send 1 report an hour."})
			return countIs(s, messaging.CollectionNameReports, 1)
		}},
		worldCase("a whole direct conversation → about the other person", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("alice", http.MethodPost, reportsURL, map[string]any{"thread": w.direct, "reason": "spam"}),
				200, []string{`"thread":"` + w.direct + `"`, `"message":""`})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData(messaging.CollectionNameReports, "thread", w.direct)
				if err != nil || r.GetString("author") != f.id("bob") {
					t.Fatalf("report %v, %v", r, err)
				}
				sealedOK(t, r, bodyDirectAlice, bodyDirectBob)
			}
			return s
		}),
		invalid("unknown reason", map[string]any{"message": "bob", "reason": "boring"}, "reason", "report_reason"),
		invalid("details too long", map[string]any{"message": "bob", "reason": "spam", "details": strings.Repeat("x", 2001)}, "details", "too_long"),
		invalid("message and thread", map[string]any{"message": "bob", "thread": "x", "reason": "spam"}, "message", "report_target"),
		worldCase("deleted message → 400", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("bob"), w.groupBob.Id))
			return expect(reportBob(f, w, "alice"), 400, []string{fieldError("message", "deleted_message")})
		}),
		worldCase("system note → 400", func(f *fixture, w world) tests.ApiScenario {
			note, err := f.app.FindFirstRecordByFilter(messaging.CollectionNameMessages, "thread = {:t} && author = ''", map[string]any{"t": w.group})
			f.must(err)
			return expect(f.as("alice", http.MethodPost, reportsURL, map[string]any{"message": note.Id, "reason": "spam"}),
				400, []string{fieldError("message", "system_note")})
		}),
	})
}

func TestReports_Mine(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		worldCase("reporter sees the outcome", func(f *fixture, w world) tests.ApiScenario {
			r := f.report("alice", w.groupBob.Id)
			if _, err := f.pm.HandleReport(nil, r.ID, messaging.ActionDismiss, "not harassment"); err != nil {
				t.Fatal(err)
			}
			return expect(f.as("alice", http.MethodGet, reportsURL+"/mine", nil), 200, []string{`"id":"` + r.ID + `"`,
				`"state":"dismissed"`, `"outcome":"dismissed"`, `"summary":"Your report was reviewed."`}, "not harassment", `"handledBy"`)
		}),
		worldCase("a suspension shows as action taken", func(f *fixture, w world) tests.ApiScenario {
			r := f.report("alice", w.groupBob.Id)
			if _, err := f.pm.HandleReport(nil, r.ID, messaging.ActionSuspend, "abuse"); err != nil {
				t.Fatal(err)
			}
			return expect(f.as("alice", http.MethodGet, reportsURL+"/mine", nil), 200, []string{`"outcome":"action_taken"`}, "suspended")
		}),
		worldCase("reported author sees nothing", func(f *fixture, w world) tests.ApiScenario {
			f.report("alice", w.groupBob.Id)
			return expect(f.as("bob", http.MethodGet, reportsURL+"/mine", nil), 200, []string{`{"items":[]}`})
		}),
	})
}

// An unresolved report holds its message: the author can neither edit
// nor delete it by any path; their other messages are free; a resolved
// report lets go.
func TestReports_HoldsTheMessage(t *testing.T) {
	t.Parallel()
	held := func(name string, build func(f *fixture, w world) tests.ApiScenario) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			f.report("alice", w.groupBob.Id)
			s := build(f, w)
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m, _ := app.FindRecordById(messaging.CollectionNameMessages, w.groupBob.Id)
				if m.GetString("body") != bodyGroupBob || m.GetBool("deleted") {
					t.Errorf("held message changed: %v", m.PublicExport())
				}
			}
			return s
		})
	}
	edit := map[string]any{"body": "nothing to see"}
	runCases(t, []apiCase{
		held("edit through the messaging API → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("bob", http.MethodPatch, "/api/messaging/messages/"+w.groupBob.Id, edit), 403, []string{underReview})
		}),
		held("edit through the records API → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("bob", http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+w.groupBob.Id), edit),
				403, []string{underReview})
		}),
		held("delete → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("bob", http.MethodDelete, "/api/messaging/messages/"+w.groupBob.Id, nil), 403, []string{underReview})
		}),
		worldCase("another message of the author → edited", func(f *fixture, w world) tests.ApiScenario {
			f.report("alice", w.groupBob.Id)
			return expect(f.as("bob", http.MethodPatch, "/api/messaging/messages/"+w.directBob.Id, edit), 200, []string{"nothing to see"})
		}),
		worldCase("after a dismissal → edited", func(f *fixture, w world) tests.ApiScenario {
			r := f.report("alice", w.groupBob.Id)
			if _, err := f.pm.HandleReport(nil, r.ID, messaging.ActionDismiss, "fine"); err != nil {
				t.Fatal(err)
			}
			return expect(f.as("bob", http.MethodPatch, "/api/messaging/messages/"+w.groupBob.Id, edit), 200, []string{"nothing to see"})
		}),
	})
}

// The evidence outlives the message's later edit and deletion and the
// thread itself, unchanged to the byte.
func TestReports_EvidenceSurvives(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	r := f.report("alice", w.groupBob.Id)
	before := f.reportRow(r.ID)
	if _, err := f.pm.HandleReport(nil, r.ID, messaging.ActionDismiss, "fine"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pm.Edit(f.id("bob"), w.groupBob.Id, "edited away"); err != nil {
		t.Fatal(err)
	}
	f.must(f.pm.DeleteMessage(f.id("bob"), w.groupBob.Id))
	thread, err := f.app.FindRecordById(messaging.CollectionNameThreads, w.group)
	f.must(err)
	f.must(f.app.Delete(thread))

	after := f.reportRow(r.ID)
	if after.GetString("evidence_hash") != before.GetString("evidence_hash") || after.GetString("evidence") != before.GetString("evidence") {
		t.Error("the evidence changed")
	}
	sealedOK(t, after, bodyGroupBob)
	v, err := f.pm.ModerationReport(f.users["admin"], r.ID)
	f.must(err)
	if v.EvidenceIntact == nil || !*v.EvidenceIntact || v.Evidence == nil || len(v.Evidence.Messages) < 3 {
		t.Errorf("view %+v", v)
	}

	// Tampered with behind the plugin's back: the view says so.
	_, err = f.app.DB().NewQuery(`UPDATE messaging_reports SET evidence = replace(evidence, 'bravo', 'b') WHERE id = {:id}`).
		Bind(dbx.Params{"id": r.ID}).Execute()
	f.must(err)
	v, err = f.pm.ModerationReport(f.users["admin"], r.ID)
	f.must(err)
	if v.EvidenceIntact == nil || *v.EvidenceIntact {
		t.Error("tampered evidence shown as intact")
	}
}

// The evidence keeps the earlier versions of an edited message.
func TestReports_EvidenceKeepsVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	if _, err := f.pm.Edit(f.id("bob"), w.groupBob.Id, "second thoughts"); err != nil {
		t.Fatal(err)
	}
	r := f.reportRow(f.report("alice", w.groupBob.Id).ID)
	sealedOK(t, r, "second thoughts", `"versions":[{"body":"`+bodyGroupBob+`"`)
}

// A report costs the reported author what a declined request does.
func TestReports_CostTheAuthorsBudget(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{AntiSpam: messaging.AntiSpamConfig{MinAccountAgeHours: -1, NewAccountDays: -1,
		MessagesPerMinute: -1, NewPeoplePerWeek: 20}})
	defer f.app.Cleanup()
	w := f.world()
	used := func() int {
		var n int
		_ = f.app.DB().NewQuery(`SELECT COALESCE((SELECT used FROM messaging_contact_budgets WHERE user = {:u}), 0)`).
			Bind(dbx.Params{"u": f.id("bob")}).Row(&n)
		return n
	}
	start := used()
	f.report("alice", w.groupBob.Id)
	f.report("alice", w.groupBob.Id) // the same report: no second charge
	if got := used(); got != start+2 {
		t.Errorf("bob's budget used %d, want %d", got, start+2)
	}
}

package messaging_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/pbmessaging/pbmessaging/messaging"
)

const oversightURL = "/api/messaging/oversight/threads"

// staffNotes lists the thread's system notes about staff reads.
func (f *fixture) staffNotes(threadID string) []string {
	f.t.Helper()
	var notes []string
	f.must(f.app.DB().NewQuery(`SELECT body FROM messages WHERE thread = {:t} AND author = '' AND NOT author_deleted
		AND body LIKE 'Staff viewed%' ORDER BY seq`).Bind(dbx.Params{"t": threadID}).Column(&notes))
	return notes
}

// superuser is the fixture's superuser record ("superuser" in f.as).
func (f *fixture) superuser() *core.Record {
	f.t.Helper()
	f.token("superuser")
	su, err := f.app.FindAuthRecordByEmail(core.CollectionNameSuperusers, "root@example.com")
	f.must(err)
	return su
}

// audits counts the audit rows of an action about a thread.
func (f *fixture) audits(action, threadID string) int {
	f.t.Helper()
	var n int
	f.must(f.app.DB().NewQuery(`SELECT COUNT(*) FROM ` + messaging.CollectionNameAudit + `
		WHERE action = {:a} AND thread = {:t}`).Bind(dbx.Params{"a": action, "t": threadID}).Row(&n))
	return n
}

func TestOversight_Routes(t *testing.T) {
	t.Parallel()
	read := func(f *fixture, who, id, reason string) tests.ApiScenario {
		return f.as(who, http.MethodGet, oversightURL+"/"+id+"?reason="+reason, nil)
	}
	runCases(t, []apiCase{
		worldCase("list: anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, oversightURL, nil), 401, []string{`"status":401`}, w.group)
		}),
		worldCase("list: member → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, oversightURL, nil), 403, []string{`"status":403`}, w.group)
		}),
		worldCase("list: moderator → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("admin", http.MethodGet, oversightURL, nil), 403, []string{`"status":403`}, w.group)
		}),
		worldCase("list: superuser → 200, no message text", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodGet, oversightURL, nil), 200,
				[]string{`"id":"` + w.group + `"`, `"subject":"` + subjectGroup + `"`, `"memberCount":2`},
				bodyGroupAlice, bodyGroupBob)
		}),
		worldCase("list: one user's conversations", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodGet, oversightURL+"?user="+f.id("erin"), nil), 200,
				[]string{`"id":"` + w.blocked + `"`}, `"id":"`+w.group+`"`, `"id":"`+w.direct+`"`)
		}),
		worldCase("read: anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "", w.group, "abuse"), 401, []string{`"status":401`}, bodyGroupAlice)
		}),
		worldCase("read: a member of it → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "alice", w.group, "abuse"), 403, []string{`"status":403`}, bodyGroupAlice)
		}),
		worldCase("read: moderator → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "admin", w.group, "abuse"), 403, []string{`"status":403`}, bodyGroupAlice)
		}),
		worldCase("read: superuser without a reason → 400, nothing recorded", func(f *fixture, w world) tests.ApiScenario {
			s := expect(read(f, "superuser", w.group, ""), 400, []string{`"reason":{"code":"validation_messaging_reason_required"`}, bodyGroupAlice)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if n := f.audits(messaging.AuditThreadView, w.group); n != 0 || len(f.staffNotes(w.group)) != 0 {
					t.Errorf("%d audit rows, notes %q", n, f.staffNotes(w.group))
				}
			}
			return s
		}),
		worldCase("read: superuser → 200, the messages, an audit row and the members' notice", func(f *fixture, w world) tests.ApiScenario {
			s := expect(read(f, "superuser", w.group, "court+order"), 200,
				[]string{`"thread":{"id":"` + w.group + `"`, `"body":"` + bodyGroupAlice + `"`, `"body":"` + bodyGroupBob + `"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				want := "Staff viewed this conversation on " + time.Now().UTC().Format(time.DateOnly) + " — court order"
				if notes := f.staffNotes(w.group); len(notes) != 1 || notes[0] != want {
					t.Errorf("notes %q, want [%q]", notes, want)
				}
				if n := f.audits(messaging.AuditThreadView, w.group); n != 1 {
					t.Errorf("%d audit rows, want 1", n)
				}
			}
			return s
		}),
		worldCase("read: unknown conversation → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(read(f, "superuser", "nosuchthread12", "abuse"), 404, []string{notFoundBody})
		}),
		worldCase("purge: member of it → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPost, oversightURL+"/"+w.group+"/purge", map[string]any{"reason": "x"}),
				403, []string{`"status":403`})
		}),
		worldCase("purge: moderator → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("admin", http.MethodPost, oversightURL+"/"+w.group+"/purge", map[string]any{"reason": "x"}),
				403, []string{`"status":403`})
		}),
		worldCase("purge: superuser without a reason → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPost, oversightURL+"/"+w.group+"/purge", map[string]any{}),
				400, []string{`"reason":{"code":"validation_messaging_reason_required"`})
		}),
		worldCase("purge: superuser → 202, gone for its members at once", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("superuser", http.MethodPost, oversightURL+"/"+w.group+"/purge", map[string]any{"reason": "legal request"}),
				202, []string{`"thread":"` + w.group + `"`, `"state":"purging"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if _, err := f.pm.Thread(f.id("alice"), w.group); err == nil {
					t.Error("alice still reads the purged conversation")
				}
			}
			return s
		}),
		worldCase("purge: unknown conversation → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPost, oversightURL+"/nosuchthread12/purge", map[string]any{"reason": "x"}),
				404, []string{notFoundBody})
		}),
	})
}

func TestOversight_OneNoticePerDayAndDelayedNotices(t *testing.T) {
	f := newFixture(t, messaging.Config{})
	w := f.world()
	now := time.Now().UTC()
	messaging.SetClockForTest(f.pm, func() time.Time { return now })
	su := f.superuser()
	for range 2 { // paging through: one notice
		_, err := f.pm.StaffRead(su, w.group, "abuse report", "", 0)
		f.must(err)
	}
	if notes := f.staffNotes(w.group); len(notes) != 1 {
		t.Fatalf("notes %q, want one", notes)
	}
	if n := f.audits(messaging.AuditThreadView, w.group); n != 2 {
		t.Errorf("%d audit rows, want 2 (one per read)", n)
	}

	f.setting("staff_view_notice_delay_days", "3")
	_, err := f.pm.StaffRead(su, w.direct, "investigation", "", 0)
	f.must(err)
	if notes := f.staffNotes(w.direct); len(notes) != 0 {
		t.Fatalf("a delayed notice shown at once: %q", notes)
	}
	messaging.SetClockForTest(f.pm, func() time.Time { return now.AddDate(0, 0, 2) })
	if n, err := f.pm.PostDueStaffNotices(); err != nil || n != 0 {
		t.Fatalf("posted %d (%v) after 2 days", n, err)
	}
	messaging.SetClockForTest(f.pm, func() time.Time { return now.AddDate(0, 0, 3).Add(time.Minute) })
	if n, err := f.pm.PostDueStaffNotices(); err != nil || n != 1 {
		t.Fatalf("posted %d (%v) after 3 days, want 1", n, err)
	}
	want := "Staff viewed this conversation on " + now.Format(time.DateOnly) + " — investigation"
	if notes := f.staffNotes(w.direct); len(notes) != 1 || notes[0] != want {
		t.Errorf("notes %q, want [%q]", notes, want)
	}
	f.noCountDrift()
}

func TestOversight_DashboardReadsAreRecorded(t *testing.T) {
	t.Parallel()
	list := func(f *fixture, who, thread string) tests.ApiScenario {
		return f.as(who, http.MethodGet, recordsURL(messaging.CollectionNameMessages, "?filter=thread%3D%27"+thread+"%27"), nil)
	}
	runCases(t, []apiCase{
		worldCase("superuser lists messages → recorded as dashboard", func(f *fixture, w world) tests.ApiScenario {
			s := expect(list(f, "superuser", w.group), 200, []string{bodyGroupAlice})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if notes := f.staffNotes(w.group); len(notes) != 1 || !strings.HasSuffix(notes[0], " — dashboard") {
					t.Errorf("notes %q", notes)
				}
			}
			return s
		}),
		worldCase("superuser views a message → recorded", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("superuser", http.MethodGet, recordsURL(messaging.CollectionNameMessages, "/"+w.directAlice.Id), nil),
				200, []string{bodyDirectAlice})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if n := f.audits(messaging.AuditThreadView, w.direct); n != 1 || len(f.staffNotes(w.direct)) != 1 {
					t.Errorf("%d audit rows, notes %q", n, f.staffNotes(w.direct))
				}
			}
			return s
		}),
		worldCase("a member's own reads → nothing recorded", func(f *fixture, w world) tests.ApiScenario {
			s := expect(list(f, "alice", w.group), 200, []string{bodyGroupAlice})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if n := f.audits(messaging.AuditThreadView, w.group); n != 0 || len(f.staffNotes(w.group)) != 0 {
					t.Errorf("%d audit rows, notes %q", n, f.staffNotes(w.group))
				}
			}
			return s
		}),
	})
}

// purgeLeft counts the rows still naming the thread in every table that
// can.
func (f *fixture) purgeLeft(threadID string) map[string]int {
	f.t.Helper()
	left := map[string]int{}
	for table, where := range map[string]string{
		"threads":                               "id = {:t}",
		"messages":                              "thread = {:t}",
		"thread_members":                        "thread = {:t}",
		messaging.CollectionNameMessageVersions: "message NOT IN (SELECT id FROM messages)",
		messaging.CollectionNameNotifications:   "thread = {:t}",
		"messaging_outbox":                      "thread = {:t}",
		messaging.CollectionNameFanOuts:         "thread = {:t}",
		messaging.CollectionNameExpansions:      "thread = {:t}",
		messaging.CollectionNameFirstContacts:   "thread = {:t}",
		messaging.DeletedBodiesTableForTest:     "thread = {:t}",
		messaging.StaffNoticesTableForTest:      "thread = {:t}",
		messaging.PurgesTableForTest:            "thread = {:t}",
		messaging.SearchKeysTableForTest:        "message NOT IN (SELECT id FROM messages)",
	} {
		var n int
		f.must(f.app.DB().NewQuery("SELECT COUNT(*) FROM " + table + " WHERE " + where).
			Bind(dbx.Params{"t": threadID}).Row(&n))
		if n > 0 {
			left[table] = n
		}
	}
	return left
}

func TestOversight_PurgeLeavesNothing(t *testing.T) {
	for _, withReports := range []bool{false, true} {
		t.Run(map[bool]string{false: "reports kept", true: "with reports"}[withReports], func(t *testing.T) {
			f := newFixture(t, messaging.Config{})
			w := f.world()
			f.setting("deleted_retention_days", "30")
			_, err := f.pm.Edit(f.id("alice"), w.groupAlice.Id, "edited once")
			f.must(err)
			f.must(f.pm.DeleteMessage(f.id("bob"), w.groupBob.Id))
			_, err = f.pm.Report(f.id("bob"), messaging.ReportInput{Message: w.groupAlice.Id, Reason: "spam"})
			f.must(err)
			var fired []messaging.PurgeEvent
			f.pm.OnThreadPurged().BindFunc(func(e *messaging.PurgeEvent) error {
				fired = append(fired, *e)
				return e.Next()
			})

			n, err := f.pm.PurgeThread(f.superuser(), w.group, messaging.PurgeOptions{Reason: "legal request", WithReports: withReports})
			f.must(err)
			if n != 4 {
				t.Errorf("%d messages, want 4", n)
			}
			if _, err := f.pm.PurgeThread(nil, w.group, messaging.PurgeOptions{Reason: "again"}); err == nil {
				t.Error("a second purge of the same conversation was accepted")
			}
			// One step, as a stop could leave it, then the rest.
			_, err = messaging.PurgeStepForTest(f.pm)
			f.must(err)
			f.must(messaging.DrainPurgesForTest(f.pm))

			if left := f.purgeLeft(w.group); len(left) != 0 {
				t.Errorf("rows left: %v", left)
			}
			var reports int
			f.must(f.app.DB().NewQuery("SELECT COUNT(*) FROM " + messaging.CollectionNameReports + " WHERE thread = {:t} AND evidence_hash != ''").
				Bind(dbx.Params{"t": w.group}).Row(&reports))
			if want := map[bool]int{false: 1, true: 0}[withReports]; reports != want {
				t.Errorf("%d reports with their evidence, want %d", reports, want)
			}
			var details string
			f.must(f.app.DB().NewQuery("SELECT reason || ' ' || details FROM " + messaging.CollectionNameAudit +
				" WHERE action = {:a} AND target_id = {:t}").Bind(dbx.Params{"a": messaging.AuditThreadPurge, "t": w.group}).Row(&details))
			if !strings.HasPrefix(details, "legal request ") || strings.Contains(details, bodyGroupAlice) || strings.Contains(details, "edited once") {
				t.Errorf("audit %q", details)
			}
			if len(fired) != 1 || fired[0].Thread != w.group || fired[0].Reason != "legal request" || fired[0].ByKind != "superuser" || fired[0].Messages != 4 {
				t.Errorf("events %+v", fired)
			}
			f.noCountDrift()
		})
	}
}

func TestOversight_PurgeCommandAsksFirst(t *testing.T) {
	f := newFixture(t, messaging.Config{})
	w := f.world()
	run := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		cmd := f.pm.Command()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetIn(strings.NewReader(stdin))
		cmd.SetArgs(append([]string{"purge"}, args...))
		err := cmd.Execute()
		return out.String(), err
	}
	// First without a reason: the command object keeps its flags from
	// one Execute to the next, as a process would not.
	if out, err := run("yes\n", w.group); err == nil || strings.Contains(out, "Type") {
		t.Fatalf("asked or purged without a reason: %v %s", err, out)
	}
	if _, err := run("no\n", w.group, "--reason", "test"); err == nil {
		t.Fatal("purged without a yes")
	}
	if left := f.purgeLeft(w.group); left["messages"] != 4 {
		t.Fatalf("after a no: %v", left)
	}
	out, err := run("yes\n", w.group, "--reason", "owner's request")
	if err != nil || !strings.Contains(out, `"`+subjectGroup+`", 2 members, 4 messages`) ||
		!strings.Contains(out, "purged conversation "+w.group+" (4 messages)") {
		t.Fatalf("%v: %s", err, out)
	}
	if left := f.purgeLeft(w.group); len(left) != 0 {
		t.Errorf("rows left: %v", left)
	}
	if n := f.audits(messaging.AuditThreadPurge, w.group); n != 1 {
		t.Errorf("%d audit rows", n)
	}
}

// The oversight list of all conversations is one range of the
// (last_message_at, id) index, whatever the number of threads.
func TestOversight_ListUsesTheActivityIndex(t *testing.T) {
	f := newFixture(t, messaging.Config{})
	var plan []struct {
		Detail string `db:"detail"`
	}
	f.must(f.app.DB().NewQuery(`EXPLAIN QUERY PLAN SELECT t.id FROM threads t
		WHERE (t.last_message_at, t.id) < ('9999', '~') ORDER BY t.last_message_at DESC, t.id DESC LIMIT 21`).All(&plan))
	var all []string
	for _, p := range plan {
		all = append(all, p.Detail)
	}
	got := strings.Join(all, "; ")
	if !strings.Contains(got, "idx_messaging_threads_activity") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("plan %q", got)
	}
}

// A purge tells each online member the conversation is gone ("removed"),
// and nobody else anything.
func TestOversight_PurgeIsLive(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	srv := f.serve()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")
	clients := map[string]*liveClient{}
	for _, u := range []string{"alice", "bob", "carol"} {
		clients[u] = f.connect(srv, u, messaging.RealtimeTopic)
	}
	_, err := f.pm.PurgeThread(nil, thread.Id, messaging.PurgeOptions{Reason: "test"})
	f.must(err)
	removed := []map[string]any{{"type": "removed", "thread": thread.Id}}
	eventsAre(t, clients, map[string][]map[string]any{"alice": removed, "bob": removed})
}

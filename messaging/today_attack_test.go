package messaging_test

// An attacker's review of the features added for issues 13 and 14
// (roles, announcements, reports, moderation, retention, oversight,
// deleted users): each test is a path a hostile member or moderator
// tried. Tests named ..._Hole showed a hole before its fix.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// A deleted user's edited message, under deleted_user_messages =
// "remove", is erased as its author's delete would: its earlier bodies
// go too. Before the fix the versions stayed, and a moderator member (or
// a superuser) read the "removed" text through /versions.
func TestTodayAttack_RemovedUserVersions_Hole(t *testing.T) {
	t.Parallel()
	var msgID string
	runCases(t, []apiCase{{
		name: "moderator member reads no version of a removed user's message",
		cfg:  messaging.Config{ModeratorRoles: []string{"admin"}},
		build: func(f *fixture) tests.ApiScenario {
			f.setting("deleted_user_messages", "remove")
			thread, msg := f.start("alice", []string{"bob", "admin"}, "", "the first secret")
			_ = thread
			_, err := f.pm.Edit(f.id("alice"), msg.Id, "second")
			f.must(err)
			msgID = msg.Id
			f.must(f.app.Delete(f.users["alice"]))
			var n int
			f.must(f.app.DB().NewQuery("SELECT COUNT(*) FROM message_versions WHERE message = {:m}").
				Bind(dbx.Params{"m": msgID}).Row(&n))
			if n != 0 {
				f.t.Errorf("%d versions left of a removed message", n)
			}
			return expect(f.as("admin", http.MethodGet, "/api/messaging/messages/"+msgID+"/versions", nil), 200,
				[]string{`"items":[]`}, "first secret")
		},
	}})
}

// suspendRoleUser suspends name's messaging from Go (a moderator's act).
func (f *fixture) suspendRoleUser(name string) {
	f.t.Helper()
	f.must(f.pm.Suspend(nil, f.id(name), "abuse"))
}

// A suspended staff member is refused on the roles path too, and a
// suspended member in an announcement gets no redirected reply.
func TestTodayAttack_SuspendedOnStaffPaths(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		roleCase("suspended staff: role start → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			f.suspendRoleUser("sam")
			s := f.as("sam", http.MethodPost, "/api/messaging/threads", map[string]any{"roles": []string{"support"}, "body": "one more"})
			return countIs(expect(s, 403, []string{suspendedRefusal}), "threads", 0)
		}),
		roleCase("suspended staff: announcement to recipients → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			f.suspendRoleUser("sam")
			s := f.as("sam", http.MethodPost, "/api/messaging/threads", map[string]any{"recipients": []string{f.id("bob")},
				"announcement": true, "body": "one more"})
			return countIs(expect(s, 403, []string{suspendedRefusal}), "threads", 0)
		}),
		announceCase("suspended member: reply to an announcement → 403, no direct thread", func(f *fixture, th string) tests.ApiScenario {
			f.suspendRoleUser("bob")
			s := f.as("bob", http.MethodPost, threadURL(th, "/messages"), map[string]any{"body": "one more"})
			return countIs(expect(s, 403, []string{suspendedRefusal}), "threads", 1)
		}),
		announceCase("suspended sender: adds people → 403", func(f *fixture, th string) tests.ApiScenario {
			f.suspendRoleUser("sam")
			s := f.as("sam", http.MethodPost, threadURL(th, "/members"), map[string]any{"users": []string{f.id("alice")}})
			return expect(s, 403, []string{suspendedRefusal})
		}),
		announceCase("plain member: records API, a system-looking message → 403", func(f *fixture, th string) tests.ApiScenario {
			body := map[string]any{"thread": th, "body": "x", "author": ""}
			return countIs(expect(f.as("bob", http.MethodPost, recordsURL("messages", ""), body), 403,
				[]string{announceReply}), "messages", 1)
		}),
		announceCase("plain member: records API as the sender → refused", func(f *fixture, th string) tests.ApiScenario {
			body := map[string]any{"thread": th, "body": "x", "author": f.id("sam")}
			s := f.as("bob", http.MethodPost, recordsURL("messages", ""), body)
			return countIs(expect(s, 403, []string{`"status":403`}), "messages", 1)
		}),
		roleCase("member without role_message_roles: announcement to one person → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			s := f.as("bob", http.MethodPost, "/api/messaging/threads", map[string]any{"recipients": []string{f.id("carol")},
				"announcement": true, "body": "x"})
			return countIs(expect(s, 403, []string{`You can't message roles.`}), "threads", 0)
		}),
		roleCase("member without role_message_roles: unknown role → 403, not 400", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			s := f.as("bob", http.MethodPost, "/api/messaging/threads", map[string]any{"roles": []string{"nosuchrole"}, "body": "x"})
			return countIs(expect(s, 403, []string{`You can't message roles.`}), "threads", 0)
		}),
	})
}

// A moderator reported by a member neither finds the report in the queue
// nor reads it (who reported them, their words, the evidence): another
// moderator handles it. Before the fix both answered with the reporter's
// id, so a reported moderator learned who reported them.
func TestTodayAttack_ReportedModeratorSeesNoReport_Hole(t *testing.T) {
	t.Parallel()
	// bob, the reported author, holds a moderator role.
	modReport := func(name string, build func(f *fixture, w world, report string) tests.ApiScenario) apiCase {
		return reportCase(name, messaging.Config{}, func(f *fixture, w world, report string) tests.ApiScenario {
			u, err := f.app.FindRecordById("users", f.id("bob"))
			f.must(err)
			u.Set("roles", []string{"moderator"})
			f.must(f.app.Save(u))
			f.users["bob"] = u
			return build(f, w, report)
		})
	}
	runCases(t, []apiCase{
		modReport("reported moderator: queue leaves it out", func(f *fixture, w world, report string) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, queueURL, nil), 200, []string{`"items":[]`}, report, f.id("alice"))
		}),
		modReport("reported moderator: view → 404", func(f *fixture, w world, report string) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, queueURL+"/"+report, nil), 404, []string{notFoundBody}, f.id("alice"))
		}),
		modReport("another moderator still sees it", func(f *fixture, w world, report string) tests.ApiScenario {
			return expect(f.as("admin", http.MethodGet, queueURL, nil), 200, []string{`"id":"` + report + `"`})
		}),
		modReport("the reporter's own report stays hers in the queue", func(f *fixture, w world, report string) tests.ApiScenario {
			// alice, a moderator too, filed it: she may read it (it is hers), not act on it.
			u, err := f.app.FindRecordById("users", f.id("alice"))
			f.must(err)
			u.Set("roles", []string{"moderator"})
			f.must(f.app.Save(u))
			f.users["alice"] = u
			return expect(f.as("alice", http.MethodGet, queueURL+"/"+report, nil), 200, []string{`"id":"` + report + `"`})
		}),
	})
}

// Nor does the reported moderator get the live "report" event of a new
// report about them (only to find it missing from their queue).
func TestTodayAttack_ReportedModeratorHearsNothing_Hole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	u, err := f.app.FindRecordById("users", f.id("bob"))
	f.must(err)
	u.Set("roles", []string{"moderator"})
	f.must(f.app.Save(u))
	srv := f.serve()
	clients := map[string]*liveClient{
		"admin": f.connect(srv, "admin", messaging.RealtimeTopic),
		"bob":   f.connect(srv, "bob", messaging.RealtimeTopic),
	}
	out := f.mustRequest(srv, 200, "alice", http.MethodPost, "/api/messaging/reports", map[string]any{"message": w.groupBob.Id, "reason": "spam"})
	var v messaging.ReporterView
	decodeBytes(t, []byte(out), &v)
	eventsAre(t, clients, map[string][]map[string]any{"admin": {{"type": "report", "report": v.ID, "reason": "spam"}}})
}

// A purge that commits between the expansion worker's read of its job and
// the step's transaction must not see the step add members again: before
// the fix the step added its page to the purged conversation (the job row
// was gone, the thread not yet), and those members read its messages
// until the purge job reached the thread. The Members callback plays the
// purge, in the step's transaction, the first time it is called after
// the start.
func TestTodayAttack_ExpansionAfterPurge_Hole(t *testing.T) {
	t.Parallel()
	f := newRoleFixture(t, messaging.Config{RoleExpandThreshold: 1})
	defer f.app.Cleanup()
	var thread string
	armed := false
	members := []string{f.id("bob"), f.id("carol"), f.id("dave")}
	f.must(f.pm.RegisterRecipientType(messaging.RecipientType{
		Name: "racy",
		Members: func(app core.App, id, after string, limit int) ([]string, string, error) {
			if armed {
				armed = false
				for _, q := range []string{"DELETE FROM thread_members WHERE thread = {:t}",
					"DELETE FROM " + messaging.CollectionNameExpansions + " WHERE thread = {:t}"} {
					if _, err := app.DB().NewQuery(q).Bind(dbx.Params{"t": thread}).Execute(); err != nil {
						return nil, "", err
					}
				}
			}
			return members, "", nil
		},
	}))
	th, _ := f.startRoles("sam", nil, messaging.StartOptions{To: []messaging.Recipient{{Type: "racy", ID: "all"}}})
	thread = th.Id
	armed = true
	f.must(messaging.DrainExpansionsForTest(f.pm))
	var n int
	f.must(f.app.DB().NewQuery("SELECT COUNT(*) FROM thread_members WHERE thread = {:t}").
		Bind(dbx.Params{"t": thread}).Row(&n))
	if n != 0 {
		t.Errorf("%d members added to a purged conversation", n)
	}
}

// A member can't forge state on a message they create through the
// records API: "from a deleted user", already deleted (a placeholder
// that dodges the report hold), a given seq or no author. Refused or
// ignored are both fine: the check is on the row.
func TestTodayAttack_RecordsCreateForgesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	srv := f.serve()
	for _, extra := range []map[string]any{{"author_deleted": true}, {"deleted": true}, {"seq": 999}, {"author": ""}} {
		body := map[string]any{"thread": w.direct, "body": "forged-one"}
		for k, v := range extra {
			body[k] = v
		}
		status, out := f.request(srv, "alice", http.MethodPost, recordsURL(messaging.CollectionNameMessages, ""), body)
		var n int
		f.must(f.app.DB().NewQuery(`SELECT COUNT(*) FROM messages WHERE thread = {:t} AND body = 'forged-one'
				AND (author_deleted OR deleted OR author != {:a} OR seq = 999)`).
			Bind(dbx.Params{"a": f.id("alice"), "t": w.direct}).Row(&n))
		if n != 0 {
			t.Errorf("%v: forged row written (status %d: %s)", extra, status, out)
		}
	}
}

// Under deleted_user_messages = "remove", with bodies kept for the
// retention days, the removed text is gone from every member path: the
// search index, the export, the thread's last message and the message
// pages (the kept body stays for superusers only).
func TestTodayAttack_RemovedUserLeavesNoText(t *testing.T) {
	t.Parallel()
	const secret = "zanzibarwombat"
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.setting("deleted_user_messages", "remove")
	f.setting("deleted_retention_days", "7")
	thread, _ := f.start("alice", []string{"bob", "dave"}, "", "hello "+secret)
	f.send("alice", thread.Id, "again "+secret)
	f.must(f.app.Delete(f.users["alice"]))

	page, err := f.pm.Search(f.id("bob"), secret, messaging.SearchOptions{})
	f.must(err)
	if len(page.Items) != 0 {
		t.Errorf("search still finds the removed text: %+v", page.Items)
	}
	var out bytes.Buffer
	f.must(f.pm.Export(f.id("bob"), &out))
	view, err := f.pm.Thread(f.id("bob"), thread.Id)
	f.must(err)
	msgs, err := f.pm.Messages(f.id("bob"), thread.Id, "", 50)
	f.must(err)
	raw, _ := json.Marshal([]any{view, msgs})
	for what, text := range map[string]string{"export": out.String(), "thread and messages": string(raw)} {
		if strings.Contains(text, secret) {
			t.Errorf("%s carries the removed text", what)
		}
	}
	if f.keptRows("") != 2 {
		t.Errorf("kept bodies %d, want 2", f.keptRows(""))
	}
	f.noCountDrift()
}

// A superuser's records-API read of message_versions (earlier bodies:
// message text) is recorded like a read of messages, with the reason
// "dashboard". Before the fix it left no audit row and no notice.
func TestTodayAttack_DashboardVersionsReadIsRecorded_Hole(t *testing.T) {
	t.Parallel()
	edited := func(f *fixture, w world) string {
		_, err := f.pm.Edit(f.id("alice"), w.directAlice.Id, "edited now")
		f.must(err)
		var id string
		f.must(f.app.DB().NewQuery("SELECT id FROM message_versions WHERE message = {:m}").
			Bind(dbx.Params{"m": w.directAlice.Id}).Row(&id))
		return id
	}
	recorded := func(f *fixture, thread string, s tests.ApiScenario) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
			if n := f.audits(messaging.AuditThreadView, thread); n != 1 || len(f.staffNotes(thread)) != 1 {
				t.Errorf("%d audit rows, notes %q", n, f.staffNotes(thread))
			}
		}
		return s
	}
	runCases(t, []apiCase{
		worldCase("superuser lists versions → recorded", func(f *fixture, w world) tests.ApiScenario {
			edited(f, w)
			return recorded(f, w.direct, expect(f.as("superuser", http.MethodGet,
				recordsURL(messaging.CollectionNameMessageVersions, ""), nil), 200, []string{bodyDirectAlice}))
		}),
		worldCase("superuser views a version → recorded", func(f *fixture, w world) tests.ApiScenario {
			id := edited(f, w)
			return recorded(f, w.direct, expect(f.as("superuser", http.MethodGet,
				recordsURL(messaging.CollectionNameMessageVersions, "/"+id), nil), 200, []string{bodyDirectAlice}))
		}),
	})
}

// deleted_user_messages = "remove" while a post's counter fan-out is
// still to run (a big thread): the counts end exact, whichever comes
// first.
func TestTodayAttack_RemovedUserWithPendingFanOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{FanOutThreshold: 2})
	defer f.app.Cleanup()
	f.setting("deleted_user_messages", "remove")
	thread, _ := f.start("bob", []string{"alice", "carol", "dave"}, "", "first")
	f.must(messaging.DrainFanOutsForTest(f.app))
	f.send("alice", thread.Id, "from alice, fanned out later")
	f.send("carol", thread.Id, "from carol")
	f.must(f.app.Delete(f.users["alice"]))
	f.must(messaging.DrainFanOutsForTest(f.app))
	if got := []int{f.unread("bob", thread.Id), f.unread("dave", thread.Id)}; got[0] != 1 || got[1] != 2 {
		t.Errorf("unread bob, dave %v; want [1 2] (carol's; bob's first and carol's)", got)
	}
	f.noCountDrift()
}

// The hold on a reported message against the paths its tests don't
// name: a records-API soft delete (the update rule already refuses
// "deleted" from members: 404) and a batch edit or delete.
func TestTodayAttack_HoldOnOtherPaths(t *testing.T) {
	t.Parallel()
	held := func(name string, status int, content string, req func(f *fixture, w world) tests.ApiScenario) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			f.report("alice", w.groupBob.Id)
			s := expect(req(f, w), status, []string{content})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m, _ := app.FindRecordById(messaging.CollectionNameMessages, w.groupBob.Id)
				if m.GetString("body") != bodyGroupBob || m.GetBool("deleted") {
					t.Errorf("held message changed: %v", m.PublicExport())
				}
			}
			return s
		})
	}
	batch := func(f *fixture, id string, body map[string]any) tests.ApiScenario {
		f.enableBatch()
		return f.as("bob", http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{{
			"method": "PATCH", "url": recordsURL(messaging.CollectionNameMessages, "/"+id), "body": body}}})
	}
	runCases(t, []apiCase{
		held("records API soft delete → 404 (the rule)", 404, `"status":404`, func(f *fixture, w world) tests.ApiScenario {
			return f.as("bob", http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+w.groupBob.Id), map[string]any{"deleted": true})
		}),
		held("batch edit → refused", 400, `This message is under review.`, func(f *fixture, w world) tests.ApiScenario {
			return batch(f, w.groupBob.Id, map[string]any{"body": "nothing to see"})
		}),
		held("batch soft delete → refused", 400, `"code":"batch_request_failed"`, func(f *fixture, w world) tests.ApiScenario {
			return batch(f, w.groupBob.Id, map[string]any{"deleted": true})
		}),
	})
}

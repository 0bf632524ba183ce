package messaging_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"
)

const editedBody = "edited-body-from-alice"

func editURL(id string) string { return "/api/messaging/messages/" + id }

// versions returns the stored earlier bodies of a message, oldest first.
func (f *fixture) versions(msgID string) []string {
	f.t.Helper()
	var bodies []string
	err := f.app.DB().NewQuery("SELECT body FROM message_versions WHERE message = {:m} ORDER BY created, rowid").
		Bind(dbx.Params{"m": msgID}).Column(&bodies)
	f.must(err)
	return bodies
}

// unchanged checks after a refused edit that the message kept its body,
// has no edit time and no versions, and that nobody's unread count moved.
func unchanged(f *fixture, s tests.ApiScenario, msgID, body string) tests.ApiScenario {
	unread := map[string]int{}
	r, err := f.app.FindRecordById(messaging.CollectionNameMessages, msgID)
	f.must(err)
	thread := r.GetString("thread")
	for _, u := range []string{"alice", "bob"} {
		unread[u] = f.unread(u, thread)
	}
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		r, err := app.FindRecordById(messaging.CollectionNameMessages, msgID)
		if err != nil || r.GetString("body") != body || !r.GetDateTime("edited").IsZero() {
			t.Errorf("message changed: %v %v", r, err)
		}
		if v := f.versions(msgID); len(v) != 0 {
			t.Errorf("versions kept for a refused edit: %q", v)
		}
		for u, n := range unread {
			if got := f.unread(u, thread); got != n {
				t.Errorf("%s unread %d, want %d", u, got, n)
			}
		}
	}
	return s
}

// edited checks after an accepted edit that the body changed, one version
// holds the old body, and no unread count moved.
func edited(f *fixture, s tests.ApiScenario, msgID, oldBody, newBody string) tests.ApiScenario {
	r, err := f.app.FindRecordById(messaging.CollectionNameMessages, msgID)
	f.must(err)
	thread := r.GetString("thread")
	bobUnread := f.unread("bob", thread)
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		r, err := app.FindRecordById(messaging.CollectionNameMessages, msgID)
		if err != nil || r.GetString("body") != newBody || r.GetDateTime("edited").IsZero() ||
			r.GetString("html") != "<p>"+newBody+"</p>" {
			t.Errorf("message after edit: %v %v", r, err)
		}
		if v := f.versions(msgID); len(v) != 1 || v[0] != oldBody {
			t.Errorf("versions %q, want [%q]", v, oldBody)
		}
		if got := f.unread("bob", thread); got != bobUnread {
			t.Errorf("bob unread %d, want %d", got, bobUnread)
		}
	}
	return s
}

func TestEdit_MessagingAPI(t *testing.T) {
	t.Parallel()
	patch := func(f *fixture, who, id, body string) tests.ApiScenario {
		return f.as(who, http.MethodPatch, editURL(id), map[string]any{"body": body})
	}
	runCases(t, []apiCase{
		worldCase("anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "", w.groupAlice.Id, editedBody), 401, []string{`"status":401`}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("author within the window → 200", func(f *fixture, w world) tests.ApiScenario {
			return edited(f, expect(patch(f, "alice", w.groupAlice.Id, "  "+editedBody+"\n"), 200, []string{
				`"body":"` + editedBody + `"`, `"html":"<p>` + editedBody + `</p>"`, `"edited":"20`, `"seq":1`,
				`"author":"` + f.id("alice") + `"`,
			}), w.groupAlice.Id, bodyGroupAlice, editedBody)
		}),
		worldCase("other member → 403", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "bob", w.groupAlice.Id, editedBody), 403,
				[]string{`"message":"You can only edit your own messages."`}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("non-member → 404", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "dave", w.groupAlice.Id, editedBody), 404, []string{notFoundBody}, allBodies...),
				w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("left member, own message → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(patch(f, "carol", w.groupCarol.Id, editedBody), 404, []string{notFoundBody}, allBodies...)
		}),
		worldCase("moderator, not a member → 404", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "admin", w.groupAlice.Id, editedBody), 404, []string{notFoundBody}, allBodies...),
				w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("superuser → 403 (the messaging API is for members)", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "superuser", w.groupAlice.Id, editedBody), 403, []string{`"status":403`}),
				w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("unknown message → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(patch(f, "alice", "nosuchmessage12", editedBody), 404, []string{notFoundBody})
		}),
		worldCase("window passed → 400", func(f *fixture, w world) tests.ApiScenario {
			f.age(w.groupAlice.Id, 16*time.Minute)
			return unchanged(f, expect(patch(f, "alice", w.groupAlice.Id, editedBody), 400,
				[]string{fieldError("body", "edit_window_passed"), "within 15 minutes"}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("just inside the window → 200", func(f *fixture, w world) tests.ApiScenario {
			f.age(w.groupAlice.Id, 14*time.Minute)
			return edited(f, expect(patch(f, "alice", w.groupAlice.Id, editedBody), 200, []string{`"body":"` + editedBody + `"`}),
				w.groupAlice.Id, bodyGroupAlice, editedBody)
		}),
		worldCase("deleted message → 400", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("alice"), w.groupAlice.Id))
			return unchanged(f, expect(patch(f, "alice", w.groupAlice.Id, editedBody), 400,
				[]string{fieldError("body", "deleted_message")}, editedBody), w.groupAlice.Id, "")
		}),
		worldCase("empty body → 400", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "alice", w.groupAlice.Id, "   "), 400,
				[]string{fieldError("body", "empty_body")}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("blocked by the other person of a direct thread → 403, as a send", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.Block(f.id("bob"), f.id("alice")))
			return unchanged(f, expect(patch(f, "alice", w.directAlice.Id, editedBody), 403, []string{refusedBody}), w.directAlice.Id, bodyDirectAlice)
		}),
		worldCase("messaging turned off → 403, as a send", func(f *fixture, w world) tests.ApiScenario {
			f.setOff("alice")
			return unchanged(f, expect(patch(f, "alice", w.directAlice.Id, editedBody), 403, []string{refusedBody}), w.directAlice.Id, bodyDirectAlice)
		}),
		worldCase("blocked in a group: edits go on, as sends do → 200", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.Block(f.id("bob"), f.id("alice")))
			return edited(f, expect(patch(f, "alice", w.groupAlice.Id, editedBody), 200, []string{`"body":"` + editedBody + `"`}),
				w.groupAlice.Id, bodyGroupAlice, editedBody)
		}),
		worldCase("malformed JSON → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPatch, editURL(w.groupAlice.Id), `{"body":`), 400, []string{`"status":400`})
		}),
		{name: "editing off → 400", cfg: messaging.Config{EditWindowMinutes: -1}, build: func(f *fixture) tests.ApiScenario {
			_, msg := f.start("alice", []string{"bob"}, "", "hello")
			return unchanged(f, expect(patch(f, "alice", msg.Id, editedBody), 400, []string{fieldError("body", "editing_off")}), msg.Id, "hello")
		}},
		{name: "the settings' window applies → 400", build: func(f *fixture) tests.ApiScenario {
			f.setting("edit_window_minutes", 1)
			_, msg := f.start("alice", []string{"bob"}, "", "hello")
			f.age(msg.Id, 2*time.Minute)
			return unchanged(f, expect(patch(f, "alice", msg.Id, editedBody), 400,
				[]string{fieldError("body", "edit_window_passed"), "within 1 minutes"}), msg.Id, "hello")
		}},
		{name: "a longer window from the settings → 200", build: func(f *fixture) tests.ApiScenario {
			f.setting("edit_window_minutes", 60)
			_, msg := f.start("alice", []string{"bob"}, "", "hello")
			f.age(msg.Id, 30*time.Minute)
			return edited(f, expect(patch(f, "alice", msg.Id, editedBody), 200, []string{`"body":"` + editedBody + `"`}),
				msg.Id, "hello", editedBody)
		}},
		{name: "-1 in the settings turns editing off → 400", build: func(f *fixture) tests.ApiScenario {
			f.setting("edit_window_minutes", -1)
			_, msg := f.start("alice", []string{"bob"}, "", "hello")
			return unchanged(f, expect(patch(f, "alice", msg.Id, editedBody), 400, []string{fieldError("body", "editing_off")}), msg.Id, "hello")
		}},
	})
}

// setting stores one field of the settings record, as a superuser would.
func (f *fixture) setting(name string, value any) {
	f.t.Helper()
	r, err := f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	f.must(err)
	r.Set(name, value)
	f.must(f.app.Save(r))
}

func TestEdit_RecordsAPI(t *testing.T) {
	t.Parallel()
	patch := func(f *fixture, who, id string, body map[string]any) tests.ApiScenario {
		return f.as(who, http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+id), body)
	}
	edit := map[string]any{"body": editedBody}
	runCases(t, []apiCase{
		worldCase("anonymous → 404", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "", w.groupAlice.Id, edit), 404, []string{recordNotFound}, allBodies...), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("author → 200", func(f *fixture, w world) tests.ApiScenario {
			return edited(f, expect(patch(f, "alice", w.groupAlice.Id, edit), 200,
				[]string{`"body":"` + editedBody + `"`, `"html":"<p>` + editedBody + `</p>"`, `"edited":"20`}),
				w.groupAlice.Id, bodyGroupAlice, editedBody)
		}),
		worldCase("author's html and edited are replaced → 200", func(f *fixture, w world) tests.ApiScenario {
			return edited(f, expect(patch(f, "alice", w.groupAlice.Id, map[string]any{
				"body": editedBody, "html": "<img src=x onerror=alert(1)>", "edited": "2001-01-01 00:00:00.000Z",
			}), 200, []string{`"html":"<p>` + editedBody + `</p>"`}, "onerror", "2001-01-01"), w.groupAlice.Id, bodyGroupAlice, editedBody)
		}),
		worldCase("author can't move it to another thread → 404", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "alice", w.groupAlice.Id, map[string]any{"body": editedBody, "thread": w.direct}), 404,
				[]string{recordNotFound}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("author can't set deleted or seq → 404", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "alice", w.groupAlice.Id, map[string]any{"body": editedBody, "seq": 9, "deleted": false}), 404,
				[]string{recordNotFound}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("other member → 404", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "bob", w.groupAlice.Id, edit), 404, []string{recordNotFound}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("non-member → 404", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "dave", w.groupAlice.Id, edit), 404, []string{recordNotFound}, allBodies...), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("left member, own message → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(patch(f, "carol", w.groupCarol.Id, edit), 404, []string{recordNotFound}, allBodies...)
		}),
		worldCase("moderator → 404", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(patch(f, "admin", w.groupAlice.Id, edit), 404, []string{recordNotFound}, allBodies...), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("superuser within the window → 200", func(f *fixture, w world) tests.ApiScenario {
			return expect(patch(f, "superuser", w.groupAlice.Id, edit), 200, []string{`"body":"` + editedBody + `"`})
		}),
		worldCase("superuser after the window → 400", func(f *fixture, w world) tests.ApiScenario {
			f.age(w.groupAlice.Id, time.Hour)
			return unchanged(f, expect(patch(f, "superuser", w.groupAlice.Id, edit), 400,
				[]string{fieldError("body", "edit_window_passed")}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("superuser on a system note → 400", func(f *fixture, w world) tests.ApiScenario {
			page, err := f.pm.Messages(f.id("alice"), w.group, "", 1)
			if err != nil || !page.Items[0].System {
				f.t.Fatalf("no system note: %+v %v", page, err)
			}
			note := page.Items[0]
			return unchanged(f, expect(patch(f, "superuser", note.ID, edit), 400,
				[]string{fieldError("body", "system_note")}), note.ID, note.Body)
		}),
		worldCase("window passed → 400", func(f *fixture, w world) tests.ApiScenario {
			f.age(w.groupAlice.Id, 16*time.Minute)
			return unchanged(f, expect(patch(f, "alice", w.groupAlice.Id, edit), 400,
				[]string{fieldError("body", "edit_window_passed")}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("deleted message → 400", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("alice"), w.groupAlice.Id))
			return unchanged(f, expect(patch(f, "alice", w.groupAlice.Id, edit), 400,
				[]string{fieldError("body", "deleted_message")}, editedBody), w.groupAlice.Id, "")
		}),
	})
}

func TestEdit_Batch(t *testing.T) {
	t.Parallel()
	batch := func(f *fixture, who, id string) tests.ApiScenario {
		f.enableBatch()
		return f.as(who, http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{{
			"method": http.MethodPatch, "url": recordsURL(messaging.CollectionNameMessages, "/"+id),
			"body": map[string]any{"body": editedBody},
		}}})
	}
	runCases(t, []apiCase{
		worldCase("author → 200", func(f *fixture, w world) tests.ApiScenario {
			return edited(f, expect(batch(f, "alice", w.groupAlice.Id), 200, []string{`"body":"` + editedBody + `"`, `"status":200`}),
				w.groupAlice.Id, bodyGroupAlice, editedBody)
		}),
		worldCase("other member → 400", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(batch(f, "bob", w.groupAlice.Id), 400, []string{`"status":404`}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("non-member → 400", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(f, expect(batch(f, "dave", w.groupAlice.Id), 400, []string{`"status":404`}, allBodies...), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("window passed → 400", func(f *fixture, w world) tests.ApiScenario {
			f.age(w.groupAlice.Id, 16*time.Minute)
			return unchanged(f, expect(batch(f, "alice", w.groupAlice.Id), 400, []string{"validation_messaging_edit_window_passed"}),
				w.groupAlice.Id, bodyGroupAlice)
		}),
	})
}

func TestEdit_Versions(t *testing.T) {
	t.Parallel()
	// Alice's group message, edited twice.
	build := func(f *fixture, w world) string {
		for _, b := range []string{"second", "third"} {
			if _, err := f.pm.Edit(f.id("alice"), w.groupAlice.Id, b); err != nil {
				f.t.Fatal(err)
			}
		}
		return w.groupAlice.Id
	}
	get := func(f *fixture, who, id string) tests.ApiScenario {
		return f.as(who, http.MethodGet, editURL(id)+"/versions", nil)
	}
	hidden := []string{bodyGroupAlice, `"second"`}
	runCases(t, []apiCase{
		worldCase("anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "", build(f, w)), 401, []string{`"status":401`}, hidden...)
		}),
		worldCase("author → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", build(f, w)), 404, []string{notFoundBody}, hidden...)
		}),
		worldCase("other member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "bob", build(f, w)), 404, []string{notFoundBody}, hidden...)
		}),
		worldCase("non-member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "dave", build(f, w)), 404, []string{notFoundBody}, hidden...)
		}),
		worldCase("left member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "carol", build(f, w)), 404, []string{notFoundBody}, hidden...)
		}),
		worldCase("moderator, not a member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "admin", build(f, w)), 404, []string{notFoundBody}, hidden...)
		}),
		worldCase("moderator who left → 404", func(f *fixture, w world) tests.ApiScenario {
			id := build(f, w)
			f.must(f.pm.AddMembers(f.id("alice"), w.group, []string{f.id("admin")}))
			f.must(f.pm.Leave(f.id("admin"), w.group))
			return expect(get(f, "admin", id), 404, []string{notFoundBody}, hidden...)
		}),
		worldCase("moderator and member → 200, oldest first", func(f *fixture, w world) tests.ApiScenario {
			id := build(f, w)
			f.must(f.pm.AddMembers(f.id("alice"), w.group, []string{f.id("admin")}))
			return expect(get(f, "admin", id), 200, []string{
				`"body":"` + bodyGroupAlice + `","html":"<p>` + bodyGroupAlice + `</p>","editor":"` + f.id("alice") + `"`,
				`},{"id":`, `"body":"second","html":"<p>second</p>"`,
			}, `"body":"third"`)
		}),
		worldCase("superuser → 200", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "superuser", build(f, w)), 200, []string{`"body":"` + bodyGroupAlice + `"`, `"body":"second"`})
		}),
		worldCase("moderator, unknown message → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "admin", "nosuchmessage12"), 404, []string{notFoundBody})
		}),
		worldCase("moderator and member, message never edited → 200, none", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.AddMembers(f.id("alice"), w.group, []string{f.id("admin")}))
			return expect(get(f, "admin", w.groupBob.Id), 200, []string{`{"items":[]}`})
		}),
		worldCase("no moderator roles in the settings: admin, a member → 404", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.AddMembers(f.id("alice"), w.group, []string{f.id("admin")}))
			f.setting("moderator_roles", []string{})
			return expect(get(f, "admin", build(f, w)), 404, []string{notFoundBody}, hidden...)
		}),
		worldCase("members can't read them through the records API → 403", func(f *fixture, w world) tests.ApiScenario {
			build(f, w)
			return expect(f.as("alice", http.MethodGet, recordsURL(messaging.CollectionNameMessageVersions, ""), nil), 403,
				[]string{onlySuperusers}, hidden...)
		}),
		worldCase("nor the moderator → 403", func(f *fixture, w world) tests.ApiScenario {
			build(f, w)
			return expect(f.as("admin", http.MethodGet, recordsURL(messaging.CollectionNameMessageVersions, ""), nil), 403,
				[]string{onlySuperusers}, hidden...)
		}),
	})
}

// A soft delete erases the versions with the body; a hard delete cascades.
func TestEdit_DeleteErasesVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, msg := f.start("alice", []string{"bob"}, "", "first")
	other := f.send("alice", thread.Id, "other")
	for _, id := range []string{msg.Id, other.Id} {
		if _, err := f.pm.Edit(f.id("alice"), id, "second "+id); err != nil {
			t.Fatal(err)
		}
	}
	f.must(f.pm.DeleteMessage(f.id("alice"), msg.Id))
	if v := f.versions(msg.Id); len(v) != 0 {
		t.Errorf("versions after a soft delete: %q", v)
	}
	r, err := f.app.FindRecordById(messaging.CollectionNameMessages, other.Id)
	f.must(err)
	f.must(f.app.Delete(r))
	if n, _ := f.app.CountRecords(messaging.CollectionNameMessageVersions); n != 0 {
		t.Errorf("%d versions after a hard delete", n)
	}
}

// Deleting the author of an edited message works (set-based clean-up),
// clears the editor, and keeps the message's edited mark.
func TestEdit_AuthorDeleted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	_, msg := f.start("alice", []string{"bob"}, "", "first")
	if _, err := f.pm.Edit(f.id("alice"), msg.Id, "second"); err != nil {
		t.Fatal(err)
	}
	f.must(f.app.Delete(f.users["alice"]))
	var editors []string
	f.must(f.app.DB().NewQuery("SELECT editor FROM message_versions").Column(&editors))
	if len(editors) != 1 || editors[0] != "" {
		t.Errorf("editors after deleting alice: %q", editors)
	}
	r, err := f.app.FindRecordById(messaging.CollectionNameMessages, msg.Id)
	if err != nil || r.GetString("body") != "second" || r.GetDateTime("edited").IsZero() || !r.GetBool("author_deleted") {
		t.Errorf("message after deleting its author: %v %v", r, err)
	}
	// Nobody may edit it now: it has no author.
	if _, err := f.pm.Edit(f.id("bob"), msg.Id, "third"); err == nil {
		t.Error("bob edited a deleted user's message")
	}
}

// The inbox preview of a thread whose last message was edited shows the
// new body, and the thread page marks it edited.
func TestEdit_InboxPreview(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, _ := f.start("alice", []string{"bob"}, "", "first")
	last := f.send("alice", thread.Id, "last")
	if _, err := f.pm.Edit(f.id("alice"), last.Id, "last, edited"); err != nil {
		t.Fatal(err)
	}
	inbox, err := f.pm.Inbox(f.id("bob"), messaging.InboxQuery{})
	if err != nil || len(inbox.Items) != 1 {
		t.Fatal(inbox, err)
	}
	lm := inbox.Items[0].LastMessage
	if lm.Body != "last, edited" || lm.HTML != "<p>last, edited</p>" || lm.Edited == "" {
		t.Errorf("inbox preview %+v", lm)
	}
	if inbox.Items[0].Unread != 2 {
		t.Errorf("bob unread %d, want 2", inbox.Items[0].Unread)
	}
	page, err := f.pm.Messages(f.id("bob"), thread.Id, "", 10)
	if err != nil || page.Items[0].Edited == "" || page.Items[1].Edited != "" {
		t.Errorf("thread page %+v %v", page.Items, err)
	}
}

// Concurrent edits of one message: every edit is kept as exactly one
// version, the current body is one of the edits, and unread counts don't
// move.
func TestEdit_Concurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, msg := f.start("alice", []string{"bob", "carol"}, "", "original")
	before := map[string]int{"bob": f.unread("bob", thread.Id), "carol": f.unread("carol", thread.Id)}
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.pm.Edit(f.id("alice"), msg.Id, fmt.Sprintf("edit %02d", i))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := f.app.FindRecordById(messaging.CollectionNameMessages, msg.Id)
	f.must(err)
	current := r.GetString("body")
	versions := f.versions(msg.Id)
	if len(versions) != n {
		t.Fatalf("%d versions, want %d: %q", len(versions), n, versions)
	}
	// The versions and the current body are the original and the n
	// edits, each exactly once.
	seen := map[string]int{current: 1}
	for _, v := range versions {
		seen[v]++
	}
	if seen["original"] != 1 || len(seen) != n+1 {
		t.Errorf("current %q, versions %q", current, versions)
	}
	if !strings.HasPrefix(current, "edit ") || r.GetString("html") != "<p>"+current+"</p>" {
		t.Errorf("current body %q html %q", current, r.GetString("html"))
	}
	for u, want := range before {
		if got := f.unread(u, thread.Id); got != want {
			t.Errorf("%s unread %d, want %d", u, got, want)
		}
	}
}

// Every member online gets "edited" with the new body and html, whichever
// way the edit came in; a non-member gets nothing.
func TestEdit_LiveEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	f.enableBatch()
	thread, msg := f.start("alice", []string{"bob"}, "", "first")
	srv := f.serve()
	bob := f.connect(srv, "bob", messaging.RealtimeTopic)
	dave := f.connect(srv, "dave", messaging.RealtimeTopic)
	edits := []func(body string){
		func(body string) {
			f.mustRequest(srv, 200, "alice", http.MethodPatch, editURL(msg.Id), map[string]any{"body": body})
		},
		func(body string) {
			f.mustRequest(srv, 200, "alice", http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+msg.Id),
				map[string]any{"body": body})
		},
		func(body string) {
			f.batch(srv, "alice", map[string]any{"method": http.MethodPatch,
				"url": recordsURL(messaging.CollectionNameMessages, "/"+msg.Id), "body": map[string]any{"body": body}})
		},
		func(body string) {
			if _, err := f.pm.Edit(f.id("alice"), msg.Id, body); err != nil {
				t.Fatal(err)
			}
		},
	}
	for i, edit := range edits {
		body := fmt.Sprintf("edit *%d*", i)
		edit(body)
		ev := bob.next(t, 5*time.Second)
		want := map[string]any{"type": "edited", "thread": thread.Id, "unread": 1,
			"message": map[string]any{"id": msg.Id, "body": body, "html": "<p>" + body + "</p>"}}
		if ev.Name != messaging.RealtimeTopic || !matches(ev.Data, want) {
			t.Errorf("edit %d: bob got %s %v", i, ev.Name, ev.Data)
		}
		if m, _ := ev.Data["message"].(map[string]any); m == nil || m["edited"] == "" {
			t.Errorf("edit %d: no edited time in %v", i, ev.Data)
		}
	}
	if got := dave.drain(200 * time.Millisecond); len(got) != 0 {
		t.Errorf("non-member got %v", got)
	}
}

// An edit saved from a record loaded before a soft delete is refused: the
// stale record would otherwise bring the erased body back.
func TestEdit_StaleRecordAfterDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	_, msg := f.start("alice", []string{"bob"}, "", "first")
	stale, err := f.app.FindRecordById(messaging.CollectionNameMessages, msg.Id)
	f.must(err)
	f.must(f.pm.DeleteMessage(f.id("alice"), msg.Id))
	stale.Set("body", "back from the dead")
	if err := f.app.Save(stale); err == nil || !strings.Contains(err.Error(), "deleted message") {
		t.Errorf("stale edit: %v", err)
	}
	r, err := f.app.FindRecordById(messaging.CollectionNameMessages, msg.Id)
	if err != nil || !r.GetBool("deleted") || r.GetString("body") != "" || r.GetString("html") != "" {
		t.Errorf("after the stale edit: %v %v", r, err)
	}
	if v := f.versions(msg.Id); len(v) != 0 {
		t.Errorf("versions %q", v)
	}
}

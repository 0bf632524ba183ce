package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

func TestRoutes_DeleteMessage(t *testing.T) {
	t.Parallel()
	del := func(f *fixture, who, id string) tests.ApiScenario {
		return f.as(who, http.MethodDelete, "/api/messaging/messages/"+id, nil)
	}
	// intact checks a refused delete left the message as it was.
	intact := func(s tests.ApiScenario, id, body string) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			m, err := app.FindRecordById(messaging.CollectionNameMessages, id)
			if err != nil || m.GetBool("deleted") || m.GetString("body") != body {
				t.Errorf("message changed: %v %v", m, err)
			}
		}
		return s
	}
	runCases(t, []apiCase{
		worldCase("author deletes: body erased, others' unread drops", func(f *fixture, w world) tests.ApiScenario {
			s := expect(del(f, "bob", w.directBob.Id), 204, nil)
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m, err := app.FindRecordById(messaging.CollectionNameMessages, w.directBob.Id)
				if err != nil || !m.GetBool("deleted") || m.GetString("body") != "" {
					t.Errorf("not soft-deleted: %v %v", m, err)
				}
				if n := f.unread("alice", w.direct); n != 0 {
					t.Errorf("alice still counts the deleted message: unread %d", n)
				}
			}
			return s
		}),
		worldCase("deleting twice is fine", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("bob"), w.directBob.Id))
			s := expect(del(f, "bob", w.directBob.Id), 204, nil)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if n := f.unread("alice", w.direct); n != 0 {
					t.Errorf("second delete moved unread to %d", n)
				}
			}
			return s
		}),
		worldCase("blocked user may delete own message", func(f *fixture, w world) tests.ApiScenario {
			return expect(del(f, "erin", w.blockedErin.Id), 204, nil)
		}),
		worldCase("other member's message → 403", func(f *fixture, w world) tests.ApiScenario {
			return intact(expect(del(f, "bob", w.groupAlice.Id), 403,
				[]string{`"message":"You can only delete your own messages."`}), w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("system note → 403", func(f *fixture, w world) tests.ApiScenario {
			page, err := f.pm.Messages(f.id("alice"), w.group, "", 1)
			f.must(err)
			return expect(del(f, "alice", page.Items[0].ID), 403, []string{`"message":"You can only delete your own messages."`})
		}),
		worldCase("non-member → 404", func(f *fixture, w world) tests.ApiScenario {
			return intact(expect(del(f, "dave", w.groupAlice.Id), 404, []string{notFoundBody}, bodyGroupAlice),
				w.groupAlice.Id, bodyGroupAlice)
		}),
		worldCase("left member, own message → 404", func(f *fixture, w world) tests.ApiScenario {
			return intact(expect(del(f, "carol", w.groupCarol.Id), 404, []string{notFoundBody}, bodyGroupCarol),
				w.groupCarol.Id, bodyGroupCarol)
		}),
		worldCase("unknown message → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(del(f, "alice", "nosuchmessage12"), 404, []string{notFoundBody})
		}),
	})
}

// Once deleted, a body appears in no response: not the thread's messages,
// not the inbox or thread view (as last message), not the records API.
func TestRoutes_DeletedBodyGoneEverywhere(t *testing.T) {
	t.Parallel()
	deleted := func(name string, who string, url func(f *fixture, w world) string, content func(f *fixture, w world) []string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("bob"), w.directBob.Id))
			return expect(f.as(who, http.MethodGet, url(f, w), nil), 200, content(f, w), bodyDirectBob)
		})
	}
	gone := func(f *fixture, w world) []string {
		return []string{`"id":"` + w.directBob.Id + `"`, `"body":"","deleted":true`}
	}
	runCases(t, []apiCase{
		deleted("messages, as the other member", "alice",
			func(_ *fixture, w world) string { return threadURL(w.direct, "/messages") }, gone),
		deleted("messages, as the author", "bob",
			func(_ *fixture, w world) string { return threadURL(w.direct, "/messages") }, gone),
		deleted("inbox last message", "alice", func(*fixture, world) string { return "/api/messaging/threads" }, gone),
		deleted("thread last message", "alice", func(_ *fixture, w world) string { return threadURL(w.direct, "") }, gone),
		deleted("records API view", "alice",
			func(_ *fixture, w world) string { return "/api/collections/messages/records/" + w.directBob.Id },
			func(*fixture, world) []string { return []string{`"body":""`, `"deleted":true`} }),
		deleted("records API list", "alice",
			func(_ *fixture, w world) string {
				return "/api/collections/messages/records?filter=thread='" + w.direct + "'"
			},
			func(*fixture, world) []string { return []string{`"totalItems":2`, `"body":""`, `"deleted":true`} }),
		deleted("records API view, as superuser", "superuser",
			func(_ *fixture, w world) string { return "/api/collections/messages/records/" + w.directBob.Id },
			func(*fixture, world) []string { return []string{`"body":""`, `"deleted":true`} }),
		deleted("records API thread expand of last_message", "alice",
			func(_ *fixture, w world) string {
				return "/api/collections/threads/records/" + w.direct + "?expand=last_message"
			},
			func(_ *fixture, w world) []string {
				return []string{`"last_message":"` + w.directBob.Id + `"`, `"deleted":true`}
			}),
	})
}

package messaging_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// memberActionCases are the outsiders' cases shared by every per-member
// action on a thread: a non-member, a member who left and an unknown
// thread all get the same 404 and change nothing.
func memberActionCases(action, method, suffix string, body any) []apiCase {
	outsider := func(name, who string, id func(w world) string) apiCase {
		return worldCase(action+": "+name, func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as(who, method, "/api/messaging/threads/"+id(w)+suffix, body), 404, []string{notFoundBody}, allBodies...)
			s.ExpectedEvents = map[string]int{"OnModelUpdate": 0, "OnModelCreate": 0, "OnModelDelete": 0}
			return s
		})
	}
	return []apiCase{
		outsider("non-member → 404", "dave", func(w world) string { return w.group }),
		outsider("left member → 404", "carol", func(w world) string { return w.group }),
		outsider("unknown thread → 404", "alice", func(world) string { return "nosuchthread123" }),
	}
}

func threadURL(id, suffix string) string { return "/api/messaging/threads/" + id + suffix }

func TestRoutes_Read(t *testing.T) {
	t.Parallel()
	cases := []apiCase{
		worldCase("member reads: unread 0 for them only", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("alice", http.MethodPost, threadURL(w.group, "/read"), nil), 200,
				[]string{`"id":"` + w.group + `"`, `"unread":0,"lastReadSeq":4`}, `"unread":2`)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if a, b := f.unread("alice", w.group), f.unread("bob", w.group); a != 0 || b != 1 {
					t.Errorf("unread alice=%d bob=%d, want 0 1", a, b)
				}
			}
			return s
		}),
		worldCase("blocked user may mark the thread unread", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.MarkRead(f.id("erin"), w.blocked))
			return expect(f.as("erin", http.MethodPost, threadURL(w.blocked, "/unread"), nil), 200,
				[]string{`"id":"` + w.blocked + `"`, `"unread":1`})
		}),
		worldCase("blocked user may mark the thread read", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodPost, threadURL(w.blocked, "/read"), nil), 200,
				[]string{`"id":"` + w.blocked + `"`, `"unread":0`})
		}),
	}
	runCases(t, append(cases, memberActionCases("read", http.MethodPost, "/read", nil)...))
}

func TestRoutes_MarkUnread(t *testing.T) {
	t.Parallel()
	cases := []apiCase{
		worldCase("mark unread gives exactly 1", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.MarkRead(f.id("alice"), w.group))
			s := expect(f.as("alice", http.MethodPost, threadURL(w.group, "/unread"), nil), 200,
				[]string{`"id":"` + w.group + `"`, `"unread":1,"lastReadSeq":2`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if n := f.unread("alice", w.group); n != 1 {
					t.Errorf("unread %d, want 1", n)
				}
			}
			return s
		}),
		worldCase("mark unread with unread messages still gives 1", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPost, threadURL(w.group, "/unread"), nil), 200,
				[]string{`"unread":1,`}, `"unread":2`)
		}),
		{name: "mark unread with only own messages stays read", build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"dave"}, "", "only-mine")
			return expect(f.as("alice", http.MethodPost, threadURL(th.Id, "/unread"), nil), 200,
				[]string{`"id":"` + th.Id + `"`, `"unread":0`})
		}},
	}
	runCases(t, append(cases, memberActionCases("mark unread", http.MethodPost, "/unread", nil)...))
}

func TestRoutes_MuteArchive(t *testing.T) {
	t.Parallel()
	var cases []apiCase
	for _, field := range []string{"muted", "archived"} {
		suffix := "/mute"
		if field == "archived" {
			suffix = "/archive"
		}
		cases = append(cases,
			worldCase(field+" true, for the caller only", func(f *fixture, w world) tests.ApiScenario {
				s := expect(f.as("alice", http.MethodPost, threadURL(w.direct, suffix), map[string]any{field: true}), 200,
					[]string{`"id":"` + w.direct + `"`, `"` + field + `":true`})
				s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
					if !f.member("alice", w.direct).GetBool(field) || f.member("bob", w.direct).GetBool(field) {
						t.Errorf("%s should be set for alice only", field)
					}
				}
				return s
			}),
			worldCase(field+" false undoes it", func(f *fixture, w world) tests.ApiScenario {
				m := f.member("alice", w.direct)
				m.Set(field, true)
				f.must(f.app.Save(m))
				s := expect(f.as("alice", http.MethodPost, threadURL(w.direct, suffix), map[string]any{field: false}), 200,
					[]string{`"id":"` + w.direct + `"`, `"` + field + `":false`})
				s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
					if f.member("alice", w.direct).GetBool(field) {
						t.Errorf("%s still set", field)
					}
				}
				return s
			}),
			worldCase(field+": blocked user may too", func(f *fixture, w world) tests.ApiScenario {
				return expect(f.as("erin", http.MethodPost, threadURL(w.blocked, suffix), map[string]any{field: true}), 200,
					[]string{`"` + field + `":true`})
			}),
			worldCase(field+": missing flag → 400", func(f *fixture, w world) tests.ApiScenario {
				return expect(f.as("alice", http.MethodPost, threadURL(w.direct, suffix), map[string]any{}), 400,
					[]string{fieldError(field, "required")})
			}),
			worldCase(field+": malformed JSON → 400", func(f *fixture, w world) tests.ApiScenario {
				return expect(f.as("alice", http.MethodPost, threadURL(w.direct, suffix), `{"`+field+`":`), 400,
					[]string{`"message":"Invalid JSON body."`})
			}),
		)
		cases = append(cases, memberActionCases(field, http.MethodPost, suffix, map[string]any{field: true})...)
	}
	runCases(t, cases)
}

func TestRoutes_Leave(t *testing.T) {
	t.Parallel()
	leave := func(f *fixture, who, id string) tests.ApiScenario {
		return f.as(who, http.MethodPost, threadURL(id, "/leave"), nil)
	}
	cases := []apiCase{
		worldCase("member leaves a group: a note tells the others, the leaver loses access", func(f *fixture, w world) tests.ApiScenario {
			s := expect(leave(f, "bob", w.group), 204, nil)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if _, err := f.pm.Thread(f.id("bob"), w.group); !errors.Is(err, messaging.ErrNotFound) {
					t.Errorf("leaver still sees the thread: %v", err)
				}
				if _, err := f.pm.Messages(f.id("bob"), w.group, "", 0); !errors.Is(err, messaging.ErrNotFound) {
					t.Errorf("leaver still reads the messages: %v", err)
				}
				page, err := f.pm.Messages(f.id("alice"), w.group, "", 0)
				if err != nil || len(page.Items) != 5 || page.Items[0].Body != "Bob left the conversation." ||
					!page.Items[0].System || page.Items[4].Body != bodyGroupAlice {
					t.Errorf("alice's history after bob left: %+v, %v", page.Items, err)
				}
				if n := f.unread("alice", w.group); n != 2 {
					t.Errorf("a system note moved alice's unread to %d", n)
				}
				if m := f.member("bob", w.group); !m.GetBool("left") || m.GetInt("unread") != 0 {
					t.Errorf("bob's membership: left=%v unread=%d", m.GetBool("left"), m.GetInt("unread"))
				}
			}
			return s
		}),
		worldCase("the leave note doesn't bring the thread back from the archive", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetArchived(f.id("alice"), w.group, true))
			s := expect(leave(f, "bob", w.group), 204, nil)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if !f.member("alice", w.group).GetBool("archived") {
					t.Error("a system note unarchived the thread")
				}
			}
			return s
		}),
		worldCase("leaving a direct thread → 403", func(f *fixture, w world) tests.ApiScenario {
			s := expect(leave(f, "alice", w.direct), 403,
				[]string{`"message":"You can't leave a direct conversation; archive it instead."`, `"status":403`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if f.member("alice", w.direct).GetBool("left") {
					t.Error("left a direct thread")
				}
			}
			return s
		}),
		worldCase("blocked user leaving the direct thread → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(leave(f, "erin", w.blocked), 403, []string{`"message":"You can't leave a direct conversation; archive it instead."`})
		}),
	}
	runCases(t, append(cases, memberActionCases("leave", http.MethodPost, "/leave", nil)...))
}

func TestRoutes_AddMembers(t *testing.T) {
	t.Parallel()
	add := func(f *fixture, who, id string, users ...string) tests.ApiScenario {
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = f.id(u)
		}
		return f.as(who, http.MethodPost, threadURL(id, "/members"), map[string]any{"users": ids})
	}
	// unchanged checks a refused or invalid add left the members alone.
	unchanged := func(s tests.ApiScenario, f *fixture, thread string, want int) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			th, err := app.FindRecordById(messaging.CollectionNameThreads, thread)
			if err != nil || len(th.GetStringSlice("members")) != want {
				t.Errorf("members changed: %v %v", th.GetStringSlice("members"), err)
			}
		}
		return s
	}
	cases := []apiCase{
		worldCase("member adds someone; a note names them", func(f *fixture, w world) tests.ApiScenario {
			s := expect(add(f, "alice", w.group, "dave"), 200,
				[]string{`"id":"` + w.group + `"`, `"name":"Dave"`, `"body":"Alice added Dave."`, `"system":true`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if _, err := f.pm.Thread(f.id("dave"), w.group); err != nil {
					t.Errorf("new member can't see the thread: %v", err)
				}
				if n := f.unread("dave", w.group); n != 0 {
					t.Errorf("new member starts with %d unread", n)
				}
			}
			return s
		}),
		worldCase("a member who left can be added back", func(f *fixture, w world) tests.ApiScenario {
			return expect(add(f, "bob", w.group, "carol"), 200, []string{`"name":"Carol"`, `"body":"Bob added Carol."`})
		}),
		worldCase("adding to a direct thread → 403", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(expect(add(f, "alice", w.direct, "dave"), 403,
				[]string{`"message":"People can only be added to group conversations."`}), f, w.direct, 2)
		}),
		worldCase("already a member → 400", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(expect(add(f, "alice", w.group, "bob"), 400, []string{fieldError("users", "already_member")}), f, w.group, 2)
		}),
		worldCase("unknown user → 400", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("alice", http.MethodPost, threadURL(w.group, "/members"), map[string]any{"users": []string{"nosuchuser12345"}})
			return unchanged(expect(s, 400, []string{fieldError("users", "unknown_recipient")}), f, w.group, 2)
		}),
		worldCase("no users → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(add(f, "alice", w.group), 400, []string{fieldError("users", "no_users")})
		}),
		worldCase("malformed JSON → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPost, threadURL(w.group, "/members"), `{"users":[`), 400,
				[]string{`"message":"Invalid JSON body."`})
		}),
		worldCase("someone who blocked the caller → 403, same text", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.Block(f.id("dave"), f.id("alice")))
			return unchanged(expect(add(f, "alice", w.group, "dave"), 403, []string{refusedBody}), f, w.group, 2)
		}),
		worldCase("the blocked user adding the blocker → 403, same text", func(f *fixture, w world) tests.ApiScenario {
			th, _ := f.start("erin", []string{"bob", "carol"}, "", "erin's group")
			return unchanged(expect(add(f, "erin", th.Id, "alice"), 403, []string{refusedBody}), f, th.Id, 3)
		}),
		worldCase("someone with messaging off → 403, same text", func(f *fixture, w world) tests.ApiScenario {
			return unchanged(expect(add(f, "alice", w.group, "off"), 403, []string{refusedBody}), f, w.group, 2)
		}),
		{name: "up to MaxGroupSize", cfg: messaging.Config{MaxGroupSize: 3}, build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"bob", "carol"}, "", "group")
			f.must(f.pm.Leave(f.id("carol"), th.Id))
			return expect(add(f, "alice", th.Id, "dave"), 200, []string{`"name":"Dave"`})
		}},
		{name: "beyond MaxGroupSize → 400", cfg: messaging.Config{MaxGroupSize: 3}, build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"bob", "carol"}, "", "group")
			return unchanged(expect(add(f, "alice", th.Id, "dave"), 400, []string{fieldError("users", "group_too_large")}), f, th.Id, 3)
		}},
		{name: "adder lacks a SendRoles role → 403, same text", cfg: messaging.Config{SendRoles: []string{"admin"}},
			build: func(f *fixture) tests.ApiScenario {
				th, _ := f.start("admin", []string{"alice", "bob"}, "", "admin's group")
				return unchanged(expect(add(f, "alice", th.Id, "dave"), 403, []string{refusedBody}), f, th.Id, 3)
			}},
	}
	runCases(t, append(cases, memberActionCases("add members", http.MethodPost, "/members", map[string]any{"users": []string{"x"}})...))
}

func TestRoutes_Tags(t *testing.T) {
	t.Parallel()
	put := func(f *fixture, who, id string, tags ...string) tests.ApiScenario {
		if tags == nil {
			tags = []string{}
		}
		return f.as(who, http.MethodPut, threadURL(id, "/tags"), map[string]any{"tags": tags})
	}
	cases := []apiCase{
		worldCase("member tags a thread with own tags", func(f *fixture, w world) tests.ApiScenario {
			work, home := f.tag("alice", "work"), f.tag("alice", "home")
			s := expect(put(f, "alice", w.direct, work.Id, home.Id, work.Id), 200,
				[]string{`"tags":[{"id":"` + work.Id + `","name":"work","color":"blue"},{"id":"` + home.Id + `","name":"home"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if got := f.member("bob", w.direct).GetStringSlice("tags"); len(got) != 0 {
					t.Errorf("tags leaked onto bob's membership: %v", got)
				}
			}
			return s
		}),
		worldCase("blocked user may tag the thread", func(f *fixture, w world) tests.ApiScenario {
			tag := f.tag("erin", "later")
			return expect(put(f, "erin", w.blocked, tag.Id), 200, []string{`"name":"later"`})
		}),
		worldCase("empty list clears the tags", func(f *fixture, w world) tests.ApiScenario {
			work := f.tag("alice", "work")
			f.must(f.pm.SetTags(f.id("alice"), w.direct, []string{work.Id}))
			return expect(put(f, "alice", w.direct), 200, []string{`"tags":[]`}, `"name":"work"`)
		}),
		worldCase("another user's tag → 400", func(f *fixture, w world) tests.ApiScenario {
			theirs := f.tag("bob", "bobs-private-tag")
			s := expect(put(f, "alice", w.direct, theirs.Id), 400, []string{fieldError("tags", "unknown_tag")}, "bobs-private-tag")
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if got := f.member("alice", w.direct).GetStringSlice("tags"); len(got) != 0 {
					t.Errorf("foreign tag stored: %v", got)
				}
			}
			return s
		}),
		worldCase("unknown tag → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(put(f, "alice", w.direct, "nosuchtag123456"), 400, []string{fieldError("tags", "unknown_tag")})
		}),
		worldCase("malformed JSON → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPut, threadURL(w.direct, "/tags"), `{"tags":`), 400,
				[]string{`"message":"Invalid JSON body."`})
		}),
	}
	runCases(t, append(cases, memberActionCases("tags", http.MethodPut, "/tags", map[string]any{"tags": []string{}})...))
}

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

package messaging_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

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

package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
)

func TestRoutes_Messages(t *testing.T) {
	t.Parallel()
	get := func(f *fixture, who, id, query string) tests.ApiScenario {
		return f.as(who, http.MethodGet, "/api/messaging/threads/"+id+"/messages"+query, nil)
	}
	others := []string{bodyDirectAlice, bodyDirectBob, bodyBlocked, bodyBlockedErin, bodyOthers}
	notFound := func(name, who string, id func(w world) string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, who, id(w), ""), 404, []string{notFoundBody}, allBodies...)
		})
	}
	runCases(t, []apiCase{
		worldCase("member reads the whole history, newest first", func(f *fixture, w world) tests.ApiScenario {
			s := expect(get(f, "alice", w.group, ""), 200,
				[]string{`"body":"` + bodyGroupAlice + `"`, `"body":"` + bodyGroupBob + `"`, `"body":"` + bodyGroupCarol + `"`,
					`"author":"` + f.id("carol") + `"`, `"author":"","body":"Carol left the conversation."`, `"nextCursor":""`},
				others...)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				var p page
				decode(t, res, &p)
				if len(p.Items) != 4 || p.Items[1].ID != w.groupCarol.Id || p.Items[3].ID != w.groupAlice.Id {
					t.Errorf("unexpected order: %v", p.ids())
				}
			}
			return s
		}),
		worldCase("remaining member keeps the history after someone left", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "bob", w.group, ""), 200,
				[]string{`"body":"` + bodyGroupCarol + `"`, `"body":"Carol left the conversation."`}, others...)
		}),
		worldCase("blocked user can still read the thread with the blocker", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "erin", w.blocked, ""), 200,
				[]string{`"body":"` + bodyBlocked + `"`, `"body":"` + bodyBlockedErin + `"`}, bodyGroupAlice, bodyDirectAlice)
		}),
		worldCase("deleted message keeps its place without its body", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("alice"), w.directAlice.Id))
			return expect(get(f, "bob", w.direct, ""), 200,
				[]string{`"id":"` + w.directAlice.Id + `","thread":"` + w.direct + `","author":"` + f.id("alice") + `","body":"","deleted":true`,
					`"body":"` + bodyDirectBob + `"`}, bodyDirectAlice)
		}),
		notFound("non-member → 404", "dave", func(w world) string { return w.group }),
		notFound("left member → 404", "carol", func(w world) string { return w.group }),
		notFound("unknown thread → 404", "alice", func(world) string { return "nosuchthread123" }),
		worldCase("bad before → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?before=abc"), 400, []string{fieldError("before", "bad_cursor")}, allBodies...)
		}),
		worldCase("before=0 → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?before=0"), 400, []string{fieldError("before", "bad_cursor")}, allBodies...)
		}),
		worldCase("bad limit → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group, "?limit=ten"), 400, []string{fieldError("limit", "not_a_number")}, allBodies...)
		}),
		worldCase("non-member's before= cursor doesn't help", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "dave", w.group, "?before=3"), 404, []string{notFoundBody}, allBodies...)
		}),
	})
}

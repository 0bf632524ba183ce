package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// The plain records API of threads: members read their own threads, nobody
// else does (superusers excepted), and only superusers write.
func TestRecords_Threads(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameThreads
	list := func(name, who string, content func(w world) []string, not func(w world) []string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as(who, http.MethodGet, recordsURL(c, ""), nil), 200, content(w), not(w)...)
		})
	}
	view := func(name, who string, status int, content string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			not := []string{"direct_key"}
			if status != 200 {
				not = append(not, subjectGroup)
			}
			return expect(f.as(who, http.MethodGet, recordsURL(c, "/"+w.group), nil), status, []string{content}, not...)
		})
	}
	ids := func(w world) []string { return []string{w.group, w.direct, w.blocked, w.others} }
	runCases(t, []apiCase{
		list("member lists only own threads", "alice",
			func(w world) []string {
				return []string{`"totalItems":3`, `"id":"` + w.group + `"`, `"id":"` + w.direct + `"`, `"id":"` + w.blocked + `"`}
			},
			func(w world) []string { return []string{w.others, "direct_key"} }),
		list("left member no longer lists the group", "carol",
			func(w world) []string { return []string{`"totalItems":1`, `"id":"` + w.others + `"`} },
			func(w world) []string { return []string{w.group, subjectGroup} }),
		list("anonymous lists nothing", "",
			func(world) []string { return []string{`"totalItems":0`, `"items":[]`} }, ids),
		list("superuser lists everything", "superuser",
			func(w world) []string {
				return []string{`"totalItems":4`, `"id":"` + w.others + `"`, `"id":"` + w.group + `"`}
			},
			func(world) []string { return nil }),
		view("member views", "bob", 200, `"subject":"Weekend plans"`),
		view("non-member → 404", "dave", 404, recordNotFound),
		view("left member → 404", "carol", 404, recordNotFound),
		view("anonymous → 404", "", 404, recordNotFound),
		worldCase("superuser views, hidden fields included", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodGet, recordsURL(c, "/"+w.direct), nil), 200,
				[]string{`"direct_key":"`, `"kind":"direct"`})
		}),
		worldCase("member can't create a thread → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("alice", http.MethodPost, recordsURL(c, ""), map[string]any{"kind": "group", "members": []string{f.id("alice"), f.id("dave")}})
			return countIs(expect(s, 403, []string{onlySuperusers}), c, 4)
		}),
		worldCase("member can't update a thread → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("alice", http.MethodPatch, recordsURL(c, "/"+w.group), map[string]any{"members": []string{f.id("alice"), f.id("dave")}})
			s = expect(s, 403, []string{onlySuperusers})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				th, _ := app.FindRecordById(c, w.group)
				if len(th.GetStringSlice("members")) != 2 {
					t.Errorf("members changed: %v", th.GetStringSlice("members"))
				}
			}
			return s
		}),
		worldCase("member can't delete a thread → 403", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(f.as("alice", http.MethodDelete, recordsURL(c, "/"+w.group), nil), 403, []string{onlySuperusers}), c, 4)
		}),
	})
}

package messaging_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// manyIDs is n distinct id-shaped strings, or n copies of one when same.
func manyIDs(n int, same string) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = same
		if same == "" {
			ids[i] = fmt.Sprintf("x%014d", i)
		}
	}
	return ids
}

// BenchmarkHugeIDArrays times one request carrying 40,000 ids in each
// array input, over a real HTTP server (JSON decoding included).
//
//	GOTOOLCHAIN=auto go test ./messaging -run '^$' -bench HugeIDArrays -benchtime 5x
func BenchmarkHugeIDArrays(b *testing.B) {
	f := newFixture(b, messaging.Config{})
	defer f.app.Cleanup()
	group, _ := f.start("alice", []string{"bob", "carol"}, "g", "hi")
	srv := f.serve()
	token := f.token("alice")["Authorization"]
	const n = 40000
	for _, c := range []struct {
		name, method, path, field string
		ids                       []string
	}{
		{"start/distinct", http.MethodPost, "/api/messaging/threads", "recipients", manyIDs(n, "")},
		{"start/one repeated", http.MethodPost, "/api/messaging/threads", "recipients", manyIDs(n, f.id("bob"))},
		{"add members/distinct", http.MethodPost, "/api/messaging/threads/" + group.Id + "/members", "users", manyIDs(n, "")},
		{"tags/distinct", http.MethodPut, "/api/messaging/threads/" + group.Id + "/tags", "tags", manyIDs(n, "")},
		{"records api tags/distinct", http.MethodPatch, "/api/collections/thread_members/records/" + f.member("alice", group.Id).Id,
			"tags", manyIDs(n, "")},
	} {
		raw, err := json.Marshal(map[string]any{c.field: c.ids, "body": "hi"})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(string(raw)))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", token)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}

// Arrays of ids are de-duplicated and refused above their limit before any
// other work, and search texts are capped: a 400 that names the field,
// nothing written, never a 500.
func TestRoutes_InputLimits(t *testing.T) {
	t.Parallel()
	const threadsURL = "/api/messaging/threads"
	// refused expects a 400 on field with code, and no record event at all.
	refused := func(s tests.ApiScenario, field, code string) tests.ApiScenario {
		s = expect(s, http.StatusBadRequest, []string{fieldError(field, code)})
		s.ExpectedEvents = map[string]int{"*": 0}
		return s
	}
	long := func(n int, r string) string { return url.QueryEscape(strings.Repeat(r, n)) }
	group := func(f *fixture) string {
		th, _ := f.start("alice", []string{"bob", "carol"}, "Group", "hi")
		return th.Id
	}
	small := messaging.Config{MaxGroupSize: 3}
	runCases(t, []apiCase{
		// POST /threads recipients: the limit is the group size.
		{name: "start: 40,000 distinct recipients → 400", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodPost, threadsURL, map[string]any{"recipients": manyIDs(40000, ""), "body": "hi"}),
				"recipients", "group_too_large")
		}},
		{name: "start: one recipient repeated 40,000 times is one recipient", build: func(f *fixture) tests.ApiScenario {
			ids := append(manyIDs(40000, f.id("bob")), " "+f.id("bob")+" ", "")
			return expect(f.as("alice", http.MethodPost, threadsURL, map[string]any{"recipients": ids, "body": "hi"}), 200,
				[]string{`"kind":"direct"`, `"members":[{"id":"`, `"id":"` + f.id("alice") + `"`, `"id":"` + f.id("bob") + `"`})
		}},
		{name: "start: MaxGroupSize ids including the sender are fine", cfg: small, build: func(f *fixture) tests.ApiScenario {
			ids := []string{f.id("alice"), f.id("bob"), f.id("carol"), f.id("bob")}
			return expect(f.as("alice", http.MethodPost, threadsURL, map[string]any{"recipients": ids, "body": "hi"}), 200,
				[]string{`"kind":"group"`, `"name":"Carol"`})
		}},
		{name: "start: one more distinct id → 400", cfg: small, build: func(f *fixture) tests.ApiScenario {
			ids := []string{f.id("alice"), f.id("bob"), f.id("carol"), f.id("dave")}
			return refused(f.as("alice", http.MethodPost, threadsURL, map[string]any{"recipients": ids, "body": "hi"}),
				"recipients", "group_too_large")
		}},
		{name: "start: only yourself, repeated → 400", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodPost, threadsURL, map[string]any{"recipients": manyIDs(100, f.id("alice")), "body": "hi"}),
				"recipients", "only_self")
		}},
		// POST /threads/{id}/members users: the limit is the group size.
		{name: "add members: 40,000 distinct users → 400", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodPost, threadURL(group(f), "/members"), map[string]any{"users": manyIDs(40000, "")}),
				"users", "group_too_large")
		}},
		{name: "add members: refused before the thread is even looked up", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodPost, threadURL("nosuchthread123", "/members"), map[string]any{"users": manyIDs(40000, "")}),
				"users", "group_too_large")
		}},
		{name: "add members: one user repeated 40,000 times is added once", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPost, threadURL(group(f), "/members"), map[string]any{"users": manyIDs(40000, f.id("dave"))}), 200,
				[]string{`"name":"Dave"`, `"body":"Alice added Dave."`})
		}},
		{name: "add members: MaxGroupSize + 1 distinct → 400", cfg: small, build: func(f *fixture) tests.ApiScenario {
			ids := manyIDs(4, "")
			return refused(f.as("alice", http.MethodPost, threadURL(group(f), "/members"), map[string]any{"users": ids}),
				"users", "group_too_large")
		}},
		// PUT /threads/{id}/tags: the limit is the field's MaxSelect, 100.
		{name: "tags: 40,000 distinct → 400", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodPut, threadURL(group(f), "/tags"), map[string]any{"tags": manyIDs(40000, "")}),
				"tags", "too_many_tags")
		}},
		{name: "tags: refused before the thread is even looked up", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodPut, threadURL("nosuchthread123", "/tags"), map[string]any{"tags": manyIDs(101, "")}),
				"tags", "too_many_tags")
		}},
		{name: "tags: 101 distinct → 400", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodPut, threadURL(group(f), "/tags"), map[string]any{"tags": manyIDs(101, "")}),
				"tags", "too_many_tags")
		}},
		{name: "tags: one tag repeated 40,000 times is one tag", build: func(f *fixture) tests.ApiScenario {
			work := f.tag("alice", "work")
			return expect(f.as("alice", http.MethodPut, threadURL(group(f), "/tags"), map[string]any{"tags": manyIDs(40000, work.Id)}), 200,
				[]string{`"tags":[{"id":"` + work.Id + `","name":"work","color":"blue"}]`})
		}},
		{name: "records API tags: 101 → 400", build: func(f *fixture) tests.ApiScenario {
			th := group(f)
			s := refused(f.as("alice", http.MethodPatch, recordsURL(messaging.CollectionNameThreadMembers, "/"+f.member("alice", th).Id),
				map[string]any{"tags": manyIDs(101, "")}), "tags", "too_many_tags")
			s.ExpectedEvents = nil // the record hooks run up to validation
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if got := f.member("alice", th).GetStringSlice("tags"); len(got) != 0 {
					t.Errorf("tags stored: %d", len(got))
				}
			}
			return s
		}},
		// GET /threads?q= and GET /recipients?q=: 200 characters at most.
		{name: "inbox: q of 200 characters is a search", build: func(f *fixture) tests.ApiScenario {
			group(f)
			return expect(f.as("alice", http.MethodGet, threadsURL+"?q="+long(200, "é"), nil), 200, []string{`"items":[]`})
		}},
		{name: "inbox: q of 201 characters → 400", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodGet, threadsURL+"?q="+long(201, "a"), nil), "q", "search_too_long")
		}},
		{name: "inbox: q of 60,000 characters → 400, not 500", build: func(f *fixture) tests.ApiScenario {
			group(f)
			return refused(f.as("alice", http.MethodGet, threadsURL+"?q="+long(60000, "a"), nil), "q", "search_too_long")
		}},
		{name: "recipients: q of 200 characters is a search", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, "/api/messaging/recipients?q="+long(200, "b"), nil), 200, []string{`{"items":[]}`})
		}},
		{name: "recipients: q of 201 characters → 400", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodGet, "/api/messaging/recipients?q="+long(201, "b"), nil), "q", "search_too_long")
		}},
		{name: "recipients: q of 60,000 characters → 400", build: func(f *fixture) tests.ApiScenario {
			return refused(f.as("alice", http.MethodGet, "/api/messaging/recipients?q="+long(60000, "b"), nil), "q", "search_too_long")
		}},
	})
}

package messaging_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// expect sets a scenario's expectations.
func expect(s tests.ApiScenario, status int, content []string, notContent ...string) tests.ApiScenario {
	s.ExpectedStatus = status
	s.ExpectedContent = content
	s.NotExpectedContent = notContent
	return s
}

// worldCase is a case on the shared cast with the default config.
func worldCase(name string, build func(f *fixture, w world) tests.ApiScenario) apiCase {
	return apiCase{name: name, build: func(f *fixture) tests.ApiScenario { return build(f, f.world()) }}
}

// allBodies is every message body of the world; a response for someone
// who may read nothing must contain none of them.
var allBodies = []string{bodyGroupAlice, bodyGroupBob, bodyGroupCarol, bodyDirectAlice, bodyDirectBob,
	bodyBlocked, bodyBlockedErin, bodyOthers, subjectGroup}

// route is one messaging endpoint, addressed on the world's group thread
// (or one of its messages).
type route struct {
	name   string
	method string
	url    func(f *fixture, w world) string
	body   any
}

func messagingRoutes() []route {
	fixed := func(url string) func(*fixture, world) string {
		return func(*fixture, world) string { return url }
	}
	inGroup := func(suffix string) func(*fixture, world) string {
		return func(_ *fixture, w world) string { return "/api/messaging/threads/" + w.group + suffix }
	}
	return []route{
		{"inbox", http.MethodGet, fixed("/api/messaging/threads"), nil},
		{"start", http.MethodPost, fixed("/api/messaging/threads"), map[string]any{"recipients": []string{"bob"}, "body": "sneaky"}},
		{"thread", http.MethodGet, inGroup(""), nil},
		{"messages", http.MethodGet, inGroup("/messages"), nil},
		{"reply", http.MethodPost, inGroup("/messages"), map[string]any{"body": "sneaky"}},
		{"read", http.MethodPost, inGroup("/read"), nil},
		{"mark unread", http.MethodPost, inGroup("/unread"), nil},
		{"mute", http.MethodPost, inGroup("/mute"), map[string]any{"muted": true}},
		{"archive", http.MethodPost, inGroup("/archive"), map[string]any{"archived": true}},
		{"leave", http.MethodPost, inGroup("/leave"), nil},
		{"add members", http.MethodPost, inGroup("/members"), map[string]any{"users": []string{"x"}}},
		{"tags", http.MethodPut, inGroup("/tags"), map[string]any{"tags": []string{}}},
		{"delete message", http.MethodDelete, func(_ *fixture, w world) string {
			return "/api/messaging/messages/" + w.groupAlice.Id
		}, nil},
		{"unread counts", http.MethodGet, fixed("/api/messaging/unread"), nil},
		{"recipients", http.MethodGet, fixed("/api/messaging/recipients?q=b"), nil},
		{"block list", http.MethodGet, fixed("/api/messaging/blocks"), nil},
		{"block", http.MethodPost, fixed("/api/messaging/blocks"), map[string]any{"user": "x"}},
		{"unblock", http.MethodDelete, func(f *fixture, _ world) string { return "/api/messaging/blocks/" + f.id("erin") }, nil},
		{"preferences", http.MethodGet, fixed("/api/messaging/preferences"), nil},
		{"set preferences", http.MethodPatch, fixed("/api/messaging/preferences"), map[string]any{"messagingOff": true}},
	}
}

// Every /api/messaging route needs a signed-in member of the users
// collection: anonymous callers get 401, superusers (not users) 403, and
// neither triggers a single record event nor sees any content.
func TestRoutes_RequireUser(t *testing.T) {
	t.Parallel()
	var cases []apiCase
	for _, r := range messagingRoutes() {
		for _, who := range []string{"", "superuser"} {
			name, status, msg := "anonymous → 401", http.StatusUnauthorized,
				`"message":"The request requires valid record authorization token."`
			if who == "superuser" {
				name, status, msg = "superuser → 403", http.StatusForbidden,
					`"message":"The authorized record is not allowed to perform this action."`
			}
			cases = append(cases, worldCase(r.name+": "+name, func(f *fixture, w world) tests.ApiScenario {
				s := expect(f.as(who, r.method, r.url(f, w), r.body), status, []string{msg},
					append([]string{"sneaky"}, allBodies...)...)
				s.ExpectedEvents = map[string]int{"*": 0}
				return s
			}))
		}
	}
	runCases(t, cases)
}

// inboxIDs decodes a page of threads into its ids, in order.
func inboxIDs(t testing.TB, res *http.Response) []string {
	t.Helper()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	decode(t, res, &page)
	ids := make([]string, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	return ids
}

func wantIDs(t testing.TB, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got ids %v, want %v", got, want)
	}
}

func TestRoutes_Inbox(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/threads"
	runCases(t, []apiCase{
		worldCase("member sees own threads newest first, never others'", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("alice", http.MethodGet, url, nil), 200,
				[]string{`"id":"` + w.blocked + `"`, `"id":"` + w.direct + `"`, `"id":"` + w.group + `"`,
					`"subject":"Weekend plans"`, `"body":"` + bodyDirectBob + `"`, `"body":"` + bodyBlockedErin + `"`,
					`"body":"Carol left the conversation."`, `"nextCursor":""`},
				w.others, bodyOthers, "@example.com", "direct_key")
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				wantIDs(t, inboxIDs(t, res), w.blocked, w.direct, w.group)
			}
			return s
		}),
		worldCase("user in no thread sees an empty inbox", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("admin", http.MethodGet, url, nil), 200, []string{`"items":[]`}, allBodies...)
		}),
		worldCase("left member no longer lists the group", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("carol", http.MethodGet, url, nil), 200, []string{`"id":"` + w.others + `"`},
				w.group, bodyGroupBob, subjectGroup)
		}),
		worldCase("blocked user still lists the thread with the blocker", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodGet, url, nil), 200,
				[]string{`"id":"` + w.blocked + `"`, `"body":"` + bodyBlockedErin + `"`}, w.direct, w.group)
		}),
		worldCase("box=archived lists only archived threads", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetArchived(f.id("alice"), w.direct, true))
			return expect(f.as("alice", http.MethodGet, url+"?box=archived", nil), 200,
				[]string{`"id":"` + w.direct + `"`, `"archived":true`}, w.group, w.blocked)
		}),
		worldCase("inbox leaves archived threads out", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetArchived(f.id("alice"), w.direct, true))
			return expect(f.as("alice", http.MethodGet, url+"?box=inbox", nil), 200,
				[]string{`"id":"` + w.group + `"`, `"id":"` + w.blocked + `"`}, w.direct, bodyDirectBob)
		}),
		worldCase("archive is per member: the other member still has it in the inbox", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetArchived(f.id("alice"), w.direct, true))
			return expect(f.as("bob", http.MethodGet, url, nil), 200,
				[]string{`"id":"` + w.direct + `"`, `"archived":false`}, `"archived":true`)
		}),
		worldCase("archived thread returns to the inbox on a new message", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetArchived(f.id("alice"), w.direct, true))
			f.send("bob", w.direct, "back-again")
			s := expect(f.as("alice", http.MethodGet, url, nil), 200,
				[]string{`"id":"` + w.direct + `"`, `"body":"back-again"`}, `"archived":true`)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				wantIDs(t, inboxIDs(t, res), w.direct, w.blocked, w.group)
			}
			return s
		}),
		worldCase("archived box is empty again after a new message", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetArchived(f.id("alice"), w.direct, true))
			f.send("bob", w.direct, "back-again")
			return expect(f.as("alice", http.MethodGet, url+"?box=archived", nil), 200, []string{`"items":[]`}, w.direct)
		}),
		worldCase("unread=1 lists only threads with unread messages", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.MarkRead(f.id("alice"), w.group))
			f.must(f.pm.MarkRead(f.id("alice"), w.blocked))
			return expect(f.as("alice", http.MethodGet, url+"?unread=1", nil), 200,
				[]string{`"id":"` + w.direct + `"`, `"unread":1`}, w.group, w.blocked)
		}),
		worldCase("tag= lists only threads the caller tagged so", func(f *fixture, w world) tests.ApiScenario {
			work := f.tag("alice", "work")
			f.must(f.pm.SetTags(f.id("alice"), w.group, []string{work.Id}))
			return expect(f.as("alice", http.MethodGet, url+"?tag="+work.Id, nil), 200,
				[]string{`"id":"` + w.group + `"`, `"name":"work"`}, w.direct, w.blocked)
		}),
		worldCase("tag= of another user's tag finds nothing", func(f *fixture, w world) tests.ApiScenario {
			work := f.tag("bob", "work")
			f.must(f.pm.SetTags(f.id("bob"), w.group, []string{work.Id}))
			return expect(f.as("alice", http.MethodGet, url+"?tag="+work.Id, nil), 200, []string{`"items":[]`}, w.group)
		}),
		worldCase("q= matches the subject", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url+"?q=weekend", nil), 200,
				[]string{`"id":"` + w.group + `"`}, w.direct, w.blocked)
		}),
		worldCase("q= matches another member's name", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url+"?q=Erin", nil), 200,
				[]string{`"id":"` + w.blocked + `"`}, w.direct, w.group)
		}),
		worldCase("q= never matches the caller's own name", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url+"?q=alice", nil), 200, []string{`"items":[]`}, w.direct)
		}),
		worldCase("q= treats LIKE wildcards literally", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url+"?q=%25", nil), 200, []string{`"items":[]`}, w.direct)
		}),
		{name: "PageSize is the default page", cfg: messaging.Config{PageSize: 2, MaxPageSize: 3},
			build: func(f *fixture) tests.ApiScenario {
				f.world()
				s := expect(f.as("alice", http.MethodGet, url, nil), 200, []string{`"nextCursor":"`}, `"nextCursor":""`)
				s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
					if n := len(inboxIDs(t, res)); n != 2 {
						t.Errorf("%d items, want 2", n)
					}
				}
				return s
			}},
		{name: "limit is capped at MaxPageSize", cfg: messaging.Config{PageSize: 1, MaxPageSize: 2},
			build: func(f *fixture) tests.ApiScenario {
				f.world()
				s := expect(f.as("alice", http.MethodGet, url+"?limit=1000", nil), 200, []string{`"nextCursor":"`}, `"nextCursor":""`)
				s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
					if n := len(inboxIDs(t, res)); n != 2 {
						t.Errorf("%d items, want 2", n)
					}
				}
				return s
			}},
		worldCase("unknown box → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url+"?box=trash", nil), 400,
				[]string{`"status":400`, fieldError("box", "bad_box")}, w.direct)
		}),
		worldCase("bad unread flag → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url+"?unread=maybe", nil), 400,
				[]string{fieldError("unread", "bad_flag")}, w.direct)
		}),
		worldCase("bad cursor → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url+"?cursor=!!!", nil), 400,
				[]string{fieldError("cursor", "bad_cursor")}, w.direct)
		}),
		worldCase("negative limit → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url+"?limit=-1", nil), 400,
				[]string{fieldError("limit", "not_a_number")}, w.direct)
		}),
	})
}

// page is a decoded page of the inbox or of a thread's messages.
type page struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	NextCursor string `json:"nextCursor"`
}

func (p page) ids() []string {
	ids := make([]string, len(p.Items))
	for i, it := range p.Items {
		ids[i] = it.ID
	}
	return ids
}

// pagingCases checks page n (0-based) of a paged list, reached by
// following the nextCursor of every earlier page through the API:
// want[n] are the ids expected on that page, newest first.
func pagingCases(name string, setup func(f *fixture) (url, param string, want [][]string), notContent string) []apiCase {
	var cases []apiCase
	for n := range 3 {
		var want [][]string
		var base, param string
		cases = append(cases, apiCase{
			name: name + ": page " + string(rune('1'+n)),
			build: func(f *fixture) tests.ApiScenario {
				base, param, want = setup(f)
				last := n == len(want)-1
				content := []string{`"id":"` + want[n][0] + `"`}
				if last {
					content = append(content, `"nextCursor":""`)
				}
				s := expect(f.as("alice", http.MethodGet, base, nil), 200, content, notContent)
				s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
					var p page
					decode(t, res, &p)
					wantIDs(t, p.ids(), want[n]...)
					if last != (p.NextCursor == "") {
						t.Errorf("nextCursor %q on page %d of %d", p.NextCursor, n+1, len(want))
					}
				}
				return s
			},
			before: func(t testing.TB, f *fixture, e *core.ServeEvent, s *tests.ApiScenario) {
				for i := range n {
					var p page
					decodeBytes(t, serve(t, e, http.MethodGet, s.URL, s.Headers), &p)
					wantIDs(t, p.ids(), want[i]...)
					if p.NextCursor == "" {
						t.Fatalf("page %d has no nextCursor", i+1)
					}
					s.URL = base + "&" + param + "=" + p.NextCursor
				}
			},
		})
	}
	return cases
}

// The inbox pages by cursor (five threads, two a page) and a thread's
// messages by before= (five messages, two a page), each followed through
// the nextCursor the previous response returned.
func TestRoutes_Paging(t *testing.T) {
	t.Parallel()
	inbox := pagingCases("inbox by cursor", func(f *fixture) (string, string, [][]string) {
		var ids []string // newest first
		for _, to := range []string{"bob", "carol", "dave", "admin"} {
			th, _ := f.start("alice", []string{to}, "", "hello "+to)
			tick()
			ids = append([]string{th.Id}, ids...)
		}
		th, _ := f.start("alice", []string{"bob", "carol"}, "Five", "hello all")
		ids = append([]string{th.Id}, ids...)
		f.start("bob", []string{"carol"}, "", "not-for-alice")
		return "/api/messaging/threads?limit=2", "cursor", [][]string{ids[0:2], ids[2:4], ids[4:]}
	}, "not-for-alice")
	messages := pagingCases("messages by before", func(f *fixture) (string, string, [][]string) {
		th, m := f.start("alice", []string{"bob"}, "", "m1")
		ids := []string{m.Id}
		for _, b := range []string{"m2", "m3", "m4", "m5"} {
			ids = append([]string{f.send("bob", th.Id, b).Id}, ids...)
		}
		f.start("bob", []string{"carol"}, "", "not-for-alice")
		return "/api/messaging/threads/" + th.Id + "/messages?limit=2", "before", [][]string{ids[0:2], ids[2:4], ids[4:]}
	}, "not-for-alice")
	runCases(t, append(inbox, messages...))
}

func TestRoutes_Start(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/threads"
	start := func(from string, to []string, body string) func(*fixture) tests.ApiScenario {
		return func(f *fixture) tests.ApiScenario {
			ids := make([]string, len(to))
			for i, n := range to {
				ids[i] = f.id(n)
			}
			return f.as(from, http.MethodPost, url, map[string]any{"recipients": ids, "body": body})
		}
	}
	countMessages := func(t testing.TB, app *tests.TestApp) int {
		n, err := app.CountRecords(messaging.CollectionNameMessages)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	refused := func(name string, cfg messaging.Config, setup func(f *fixture), from string, to ...string) apiCase {
		return apiCase{name: name, cfg: cfg, build: func(f *fixture) tests.ApiScenario {
			if setup != nil {
				setup(f)
			}
			s := expect(start(from, to, "refused-body")(f), 403, []string{refusedBody}, "refused-body")
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := countMessages(t, app); n != 0 {
					t.Errorf("refused start left %d messages", n)
				}
			}
			return s
		}}
	}
	invalid := func(name string, cfg messaging.Config, body any, field, code string) apiCase {
		return apiCase{name: name, cfg: cfg, build: func(f *fixture) tests.ApiScenario {
			if body == nil {
				body = map[string]any{"recipients": []string{f.id("bob")}, "body": "x"}
			}
			if fn, ok := body.(func(*fixture) any); ok {
				body = fn(f)
			}
			s := expect(f.as("alice", http.MethodPost, url, body), 400, []string{`"status":400`, fieldError(field, code)})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := countMessages(t, app); n != 0 {
					t.Errorf("invalid start left %d messages", n)
				}
			}
			return s
		}}
	}
	block := func(user, blocked string) func(*fixture) {
		return func(f *fixture) { f.must(f.pm.Block(f.id(user), f.id(blocked))) }
	}
	toBob := func(body string) func(*fixture) any {
		return func(f *fixture) any { return map[string]any{"recipients": []string{f.id("bob")}, "body": body} }
	}

	runCases(t, []apiCase{
		{name: "new direct thread, the caller is the author", build: func(f *fixture) tests.ApiScenario {
			s := expect(start("alice", []string{"dave"}, "  hello-dave  ")(f), 200,
				[]string{`"kind":"direct"`, `"name":"Dave"`, `"name":"Alice"`, `"body":"hello-dave"`,
					`"author":"` + f.id("alice") + `"`, `"seq":1`, `"unread":0`}, "@example.com")
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if f.unread("dave", inboxFirst(f, "dave")) != 1 {
					t.Error("recipient should have 1 unread")
				}
			}
			return s
		}},
		{name: "direct thread is unique per pair: starting again reuses it", build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"bob"}, "", "first")
			s := expect(start("alice", []string{"bob"}, "second")(f), 200,
				[]string{`"thread":{"id":"` + th.Id + `"`, `"body":"second"`, `"seq":2`})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(messaging.CollectionNameThreads); n != 1 {
					t.Errorf("want 1 thread, got %d", n)
				}
			}
			return s
		}},
		{name: "direct thread is unique per pair in both directions", build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"bob"}, "", "first")
			return expect(start("bob", []string{"alice"}, "reply-by-start")(f), 200,
				[]string{`"thread":{"id":"` + th.Id + `"`, `"author":"` + f.id("bob") + `"`})
		}},
		{name: "duplicates and the sender among the recipients are dropped", build: func(f *fixture) tests.ApiScenario {
			s := f.as("alice", http.MethodPost, url, map[string]any{
				"recipients": []string{f.id("bob"), " " + f.id("bob") + " ", f.id("alice")}, "subject": "ignored", "body": "dedup"})
			return expect(s, 200, []string{`"kind":"direct"`, `"subject":""`, `"body":"dedup"`}, `"subject":"ignored"`)
		}},
		{name: "group thread with a subject", build: func(f *fixture) tests.ApiScenario {
			s := f.as("alice", http.MethodPost, url, map[string]any{
				"recipients": []string{f.id("bob"), f.id("carol")}, "subject": " Trip ", "body": "group-hello"})
			return expect(s, 200, []string{`"kind":"group"`, `"subject":"Trip"`, `"name":"Bob"`, `"name":"Carol"`,
				`"body":"group-hello"`})
		}},
		{name: "group of exactly MaxGroupSize", cfg: messaging.Config{MaxGroupSize: 3},
			build: func(f *fixture) tests.ApiScenario {
				return expect(start("alice", []string{"bob", "carol"}, "three")(f), 200, []string{`"kind":"group"`, `"body":"three"`})
			}},
		invalid("group over MaxGroupSize → 400", messaging.Config{MaxGroupSize: 3}, func(f *fixture) any {
			return map[string]any{"recipients": []string{f.id("bob"), f.id("carol"), f.id("dave")}, "body": "x"}
		}, "recipients", "group_too_large"),
		invalid("empty body → 400", messaging.Config{}, toBob(""), "body", "empty_body"),
		invalid("white-space body → 400", messaging.Config{}, toBob(" \n\t "), "body", "empty_body"),
		invalid("body over MaxBodyLength → 400", messaging.Config{MaxBodyLength: 10}, toBob("12345678901"), "body", "body_too_long"),
		{name: "body of exactly MaxBodyLength runes", cfg: messaging.Config{MaxBodyLength: 10}, build: func(f *fixture) tests.ApiScenario {
			return expect(start("alice", []string{"bob"}, "éééééééééé")(f), 200, []string{`"body":"éééééééééé"`})
		}},
		invalid("unknown recipient → 400", messaging.Config{}, func(f *fixture) any {
			return map[string]any{"recipients": []string{f.id("bob"), "nosuchuser12345"}, "body": "x"}
		}, "recipients", "unknown_recipient"),
		invalid("only yourself → 400", messaging.Config{}, func(f *fixture) any {
			return map[string]any{"recipients": []string{f.id("alice")}, "body": "x"}
		}, "recipients", "only_self"),
		invalid("no recipients → 400", messaging.Config{}, func(f *fixture) any {
			return map[string]any{"recipients": []string{}, "body": "x"}
		}, "recipients", "no_recipients"),
		invalid("subject over 200 characters → 400", messaging.Config{}, func(f *fixture) any {
			return map[string]any{"recipients": []string{f.id("bob"), f.id("carol")}, "subject": strings.Repeat("s", 201), "body": "x"}
		}, "subject", "subject_too_long"),
		{name: "malformed JSON → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPost, url, `{"recipients":[`), 400,
				[]string{`"message":"Invalid JSON body."`, `"status":400`})
		}},
		refused("recipient blocked the sender → 403", messaging.Config{}, block("bob", "alice"), "alice", "bob"),
		refused("one group recipient blocked the sender → 403", messaging.Config{}, block("bob", "alice"), "alice", "bob", "carol"),
		refused("recipient has messaging off → 403, same text", messaging.Config{}, nil, "alice", "off"),
		refused("sender has messaging off → 403, same text", messaging.Config{}, nil, "off", "alice"),
		refused("sender lacks a SendRoles role → 403, same text", messaging.Config{SendRoles: []string{"admin"}}, nil, "alice", "bob"),
		{name: "sender holding a SendRoles role may start", cfg: messaging.Config{SendRoles: []string{"admin"}},
			build: func(f *fixture) tests.ApiScenario {
				return expect(start("admin", []string{"bob"}, "from-admin")(f), 200, []string{`"body":"from-admin"`})
			}},
		{name: "a block is one-way: the blocker may still write", build: func(f *fixture) tests.ApiScenario {
			block("bob", "alice")(f)
			return expect(start("bob", []string{"alice"}, "from-blocker")(f), 200, []string{`"body":"from-blocker"`})
		}},
	})
}

// inboxFirst is the id of user's newest thread.
func inboxFirst(f *fixture, user string) string {
	f.t.Helper()
	page, err := f.pm.Inbox(f.id(user), messaging.InboxQuery{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		f.t.Fatalf("inbox of %s: %v", user, err)
	}
	return page.Items[0].ID
}

func TestRoutes_Thread(t *testing.T) {
	t.Parallel()
	get := func(f *fixture, who, id string) tests.ApiScenario {
		return f.as(who, http.MethodGet, "/api/messaging/threads/"+id, nil)
	}
	notFound := func(name, who string, id func(w world) string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, who, id(w)), 404, []string{notFoundBody}, allBodies...)
		})
	}
	runCases(t, []apiCase{
		worldCase("member sees the thread, its members and own unread count", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", w.group), 200,
				[]string{`"id":"` + w.group + `"`, `"subject":"Weekend plans"`, `"kind":"group"`,
					`"name":"Alice"`, `"name":"Bob"`, `"unread":2`, `"body":"Carol left the conversation."`, `"system":true`},
				`"name":"Carol"`, "@example.com", "direct_key", bodyOthers)
		}),
		worldCase("other member sees their own unread count", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.MarkRead(f.id("bob"), w.group))
			return expect(get(f, "bob", w.group), 200, []string{`"id":"` + w.group + `"`, `"unread":0`})
		}),
		worldCase("member of a direct thread", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "bob", w.direct), 200,
				[]string{`"kind":"direct"`, `"body":"` + bodyDirectBob + `"`, `"subject":""`}, bodyGroupAlice)
		}),
		worldCase("blocked user can still read the thread with the blocker", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "erin", w.blocked), 200, []string{`"id":"` + w.blocked + `"`, `"body":"` + bodyBlockedErin + `"`})
		}),
		notFound("non-member → 404", "dave", func(w world) string { return w.group }),
		notFound("left member → 404", "carol", func(w world) string { return w.group }),
		notFound("unknown thread → 404", "alice", func(world) string { return "nosuchthread123" }),
		notFound("another pair's direct thread → 404", "alice", func(w world) string { return w.others }),
	})
}

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

func TestRoutes_Reply(t *testing.T) {
	t.Parallel()
	post := func(f *fixture, who, id string, body any) tests.ApiScenario {
		return f.as(who, http.MethodPost, "/api/messaging/threads/"+id+"/messages", body)
	}
	// stored reports whether a message with body exists at all.
	stored := func(t testing.TB, app *tests.TestApp, body string) bool {
		_, err := app.FindFirstRecordByData(messaging.CollectionNameMessages, "body", body)
		return err == nil
	}
	rejected := func(name string, cfg messaging.Config, status int, content string, who string,
		setup func(f *fixture, w world) string) apiCase {
		return apiCase{name: name, cfg: cfg, build: func(f *fixture) tests.ApiScenario {
			w := f.world()
			s := expect(post(f, who, setup(f, w), map[string]any{"body": "rejected-reply"}), status,
				[]string{content}, "rejected-reply")
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if stored(t, app, "rejected-reply") {
					t.Error("a rejected reply was stored")
				}
			}
			return s
		}}
	}
	group := func(_ *fixture, w world) string { return w.group }
	invalid := func(name string, cfg messaging.Config, body any, content string) apiCase {
		return apiCase{name: name, cfg: cfg, build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"bob", "carol"}, "", "short")
			s := expect(post(f, "bob", th.Id, body), 400, []string{`"status":400`, content})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if n := f.unread("alice", th.Id); n != 0 {
					t.Errorf("alice's unread moved to %d", n)
				}
			}
			return s
		}}
	}

	runCases(t, []apiCase{
		worldCase("member replies; counts move for everyone but the author", func(f *fixture, w world) tests.ApiScenario {
			s := expect(post(f, "bob", w.group, map[string]any{"body": "new-from-bob"}), 200,
				[]string{`"thread":"` + w.group + `","author":"` + f.id("bob") + `","body":"new-from-bob","deleted":false,"system":false,"seq":5`})
			// One message record; thread and member counters move in plain
			// SQL, so no other record is saved.
			s.ExpectedEvents = map[string]int{"OnRecordCreate": 1, "OnRecordAfterCreateSuccess": 1,
				"OnRecordUpdate": 0, "OnRecordDelete": 0}
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if a, b, c := f.unread("alice", w.group), f.unread("bob", w.group), f.unread("carol", w.group); a != 3 || b != 0 || c != 0 {
					t.Errorf("unread alice=%d bob=%d carol(left)=%d, want 3 0 0", a, b, c)
				}
			}
			return s
		}),
		worldCase("author in the body is ignored: the caller is the author", func(f *fixture, w world) tests.ApiScenario {
			return expect(post(f, "bob", w.direct, map[string]any{"body": "spoof", "author": f.id("alice")}), 200,
				[]string{`"author":"` + f.id("bob") + `","body":"spoof"`}, `"author":"`+f.id("alice")+`"`)
		}),
		worldCase("the blocker may still reply to the blocked user", func(f *fixture, w world) tests.ApiScenario {
			return expect(post(f, "alice", w.blocked, map[string]any{"body": "from-blocker"}), 200, []string{`"body":"from-blocker"`})
		}),
		{name: "a block doesn't silence the blocked user in a group", build: func(f *fixture) tests.ApiScenario {
			f.world() // alice blocked erin
			f.users["frank"] = f.mustUser("frank")
			th, _ := f.start("frank", []string{"alice", "erin"}, "Club", "welcome")
			return expect(post(f, "erin", th.Id, map[string]any{"body": "erin-in-group"}), 200, []string{`"body":"erin-in-group"`})
		}},
		worldCase("archived thread comes back to the inbox of every member", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetArchived(f.id("alice"), w.direct, true))
			s := expect(post(f, "bob", w.direct, map[string]any{"body": "wake-up"}), 200, []string{`"body":"wake-up"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if f.member("alice", w.direct).GetBool("archived") {
					t.Error("thread still archived for alice after a new message")
				}
			}
			return s
		}),
		worldCase("muted thread still counts unread", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetMuted(f.id("alice"), w.direct, true))
			s := expect(post(f, "bob", w.direct, map[string]any{"body": "quiet"}), 200, []string{`"body":"quiet"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if m := f.member("alice", w.direct); m.GetInt("unread") != 2 || !m.GetBool("muted") {
					t.Errorf("muted member: unread %d muted %v, want 2 true", m.GetInt("unread"), m.GetBool("muted"))
				}
			}
			return s
		}),
		rejected("non-member → 404", messaging.Config{}, 404, notFoundBody, "dave", group),
		rejected("left member → 404", messaging.Config{}, 404, notFoundBody, "carol", group),
		rejected("unknown thread → 404", messaging.Config{}, 404, notFoundBody, "alice",
			func(*fixture, world) string { return "nosuchthread123" }),
		rejected("blocked user into the blocker's direct thread → 403", messaging.Config{}, 403, refusedBody, "erin",
			func(_ *fixture, w world) string { return w.blocked }),
		rejected("other member turned messaging off → 403, same text", messaging.Config{}, 403, refusedBody, "alice",
			func(f *fixture, w world) string {
				f.setOff("bob")
				return w.direct
			}),
		rejected("sender turned messaging off → 403, same text", messaging.Config{}, 403, refusedBody, "alice",
			func(f *fixture, w world) string {
				f.setOff("alice")
				return w.group
			}),
		{name: "sender lacks a SendRoles role → 403, same text", cfg: messaging.Config{SendRoles: []string{"admin"}},
			build: func(f *fixture) tests.ApiScenario {
				th, _ := f.start("admin", []string{"alice"}, "", "from-admin") // admin holds the role
				return expect(post(f, "alice", th.Id, map[string]any{"body": "rejected-reply"}), 403,
					[]string{refusedBody}, "rejected-reply")
			}},
		{name: "sender holding a SendRoles role may reply", cfg: messaging.Config{SendRoles: []string{"admin"}},
			build: func(f *fixture) tests.ApiScenario {
				th, _ := f.start("admin", []string{"alice"}, "", "from-admin")
				return expect(post(f, "admin", th.Id, map[string]any{"body": "admin-again"}), 200, []string{`"body":"admin-again"`})
			}},
		invalid("empty body → 400", messaging.Config{}, map[string]any{"body": ""}, fieldError("body", "empty_body")),
		invalid("missing body → 400", messaging.Config{}, map[string]any{}, fieldError("body", "empty_body")),
		invalid("white-space body → 400", messaging.Config{}, map[string]any{"body": "  \n "}, fieldError("body", "empty_body")),
		invalid("body over MaxBodyLength → 400", messaging.Config{MaxBodyLength: 10}, map[string]any{"body": "12345678901"},
			fieldError("body", "body_too_long")),
		invalid("malformed JSON → 400", messaging.Config{}, `{"body":`, `"message":"Invalid JSON body."`),
	})
}

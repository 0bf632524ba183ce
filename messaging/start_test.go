package messaging_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

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

package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// The records API of messages obeys the same rules as the messaging API:
// members only, the caller is the author, blocks and limits hold.
func TestRecords_Messages(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameMessages
	create := func(f *fixture, who string, body map[string]any) tests.ApiScenario {
		return f.as(who, http.MethodPost, recordsURL(c, ""), body)
	}
	// 9 messages in the world: 3 + a note in the group, 2, 2 and 1.
	const total = 9
	runCases(t, []apiCase{
		worldCase("member lists the messages of own threads only", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(c, "?perPage=100"), nil), 200,
				[]string{`"totalItems":8`, bodyGroupAlice, bodyGroupCarol, bodyDirectBob, bodyBlockedErin}, bodyOthers)
		}),
		worldCase("non-member filtering by the thread finds nothing", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("dave", http.MethodGet, recordsURL(c, "?filter=thread='"+w.group+"'"), nil), 200,
				[]string{`"totalItems":0`}, bodyGroupAlice, bodyGroupBob)
		}),
		worldCase("left member lists no group message", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("carol", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":1`, bodyOthers}, bodyGroupAlice, bodyGroupBob, bodyGroupCarol, "left the conversation")
		}),
		worldCase("anonymous lists nothing", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, allBodies...)
		}),
		worldCase("superuser lists everything", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodGet, recordsURL(c, "?perPage=100"), nil), 200,
				[]string{`"totalItems":9`, bodyOthers, bodyGroupAlice})
		}),
		worldCase("member views a message", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(c, "/"+w.groupAlice.Id), nil), 200,
				[]string{`"body":"` + bodyGroupAlice + `"`})
		}),
		worldCase("non-member views → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("dave", http.MethodGet, recordsURL(c, "/"+w.groupAlice.Id), nil), 404,
				[]string{recordNotFound}, bodyGroupAlice)
		}),
		worldCase("left member views even own message → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("carol", http.MethodGet, recordsURL(c, "/"+w.groupCarol.Id), nil), 404,
				[]string{recordNotFound}, bodyGroupCarol)
		}),
		worldCase("member posts: the caller is the author, seq and deleted are the server's", func(f *fixture, w world) tests.ApiScenario {
			s := expect(create(f, "alice", map[string]any{"thread": w.direct, "body": " via-records ", "author": f.id("bob"),
				"seq": 99, "deleted": true}), 200,
				[]string{`"author":"` + f.id("alice") + `"`, `"body":"via-records"`, `"deleted":false`, `"seq":3`},
				`"author":"`+f.id("bob")+`"`)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if a, b := f.unread("alice", w.direct), f.unread("bob", w.direct); a != 0 || b != 1 {
					t.Errorf("unread alice=%d bob=%d, want 0 1", a, b)
				}
			}
			return s
		}),
		worldCase("member posts without an author: still the caller", func(f *fixture, w world) tests.ApiScenario {
			return expect(create(f, "bob", map[string]any{"thread": w.group, "body": "no-author", "author": ""}), 200,
				[]string{`"author":"` + f.id("bob") + `"`, `"body":"no-author"`})
		}),
		worldCase("non-member posts → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "dave", map[string]any{"thread": w.group, "body": "intruder"}), 400,
				[]string{createFailed}), c, total)
		}),
		worldCase("left member posts → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "carol", map[string]any{"thread": w.group, "body": "ghost"}), 400,
				[]string{createFailed}), c, total)
		}),
		worldCase("anonymous posts → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "", map[string]any{"thread": w.group, "body": "anon"}), 400,
				[]string{createFailed}), c, total)
		}),
		worldCase("unknown thread → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "alice", map[string]any{"thread": "nosuchthread123", "body": "lost"}), 400,
				[]string{createFailed}), c, total)
		}),
		worldCase("blocked user into the blocker's direct thread → 403, same text", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "erin", map[string]any{"thread": w.blocked, "body": "let me in"}), 403,
				[]string{refusedBody}), c, total)
		}),
		worldCase("sender with messaging off → 403, same text", func(f *fixture, w world) tests.ApiScenario {
			f.setOff("alice")
			return countIs(expect(create(f, "alice", map[string]any{"thread": w.group, "body": "while off"}), 403,
				[]string{refusedBody}), c, total)
		}),
		worldCase("empty body → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "alice", map[string]any{"thread": w.direct, "body": "   "}), 400,
				[]string{fieldError("body", "empty_body")}), c, total)
		}),
		{name: "body over MaxBodyLength → 400", cfg: messaging.Config{MaxBodyLength: 5}, build: func(f *fixture) tests.ApiScenario {
			th, _ := f.start("alice", []string{"bob"}, "", "hi")
			return countIs(expect(create(f, "alice", map[string]any{"thread": th.Id, "body": "123456"}), 400,
				[]string{fieldError("body", "body_too_long")}), c, 1)
		}},
		{name: "sender lacks a SendRoles role → 403, same text", cfg: messaging.Config{SendRoles: []string{"admin"}},
			build: func(f *fixture) tests.ApiScenario {
				th, _ := f.start("admin", []string{"alice"}, "", "hi")
				return countIs(expect(create(f, "alice", map[string]any{"thread": th.Id, "body": "no role"}), 403,
					[]string{refusedBody}), c, 1)
			}},
		worldCase("malformed JSON → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(f.as("alice", http.MethodPost, recordsURL(c, ""), `{"thread":`), 400, []string{`"status":400`}), c, total)
		}),
		worldCase("superuser posts a system note", func(f *fixture, w world) tests.ApiScenario {
			s := expect(create(f, "superuser", map[string]any{"thread": w.direct, "body": "Maintenance tonight."}), 200,
				[]string{`"author":""`, `"body":"Maintenance tonight."`, `"seq":3`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if n := f.unread("bob", w.direct); n != 0 {
					t.Errorf("a system note counted as unread: %d", n)
				}
			}
			return s
		}),
		worldCase("superuser posts for a member", func(f *fixture, w world) tests.ApiScenario {
			return expect(create(f, "superuser", map[string]any{"thread": w.direct, "body": "on behalf", "author": f.id("bob")}), 200,
				[]string{`"author":"` + f.id("bob") + `"`})
		}),
		worldCase("member edits own message (editing_test.go has the rules) → 200", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("alice", http.MethodPatch, recordsURL(c, "/"+w.directAlice.Id), map[string]any{"body": "edited"})
			return expect(s, 200, []string{`"body":"edited"`, `"html":"<p>edited</p>"`})
		}),
		worldCase("member can't hard-delete own message → 403", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(f.as("alice", http.MethodDelete, recordsURL(c, "/"+w.directAlice.Id), nil), 403,
				[]string{onlySuperusers}), c, total)
		}),
		worldCase("superuser soft-deletes: body erased, unread adjusted", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("superuser", http.MethodPatch, recordsURL(c, "/"+w.directBob.Id), map[string]any{"deleted": true}), 200,
				[]string{`"body":""`, `"deleted":true`}, bodyDirectBob)
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m, _ := app.FindRecordById(c, w.directBob.Id)
				if m.GetString("body") != "" || f.unread("alice", w.direct) != 0 {
					t.Errorf("body %q, alice unread %d", m.GetString("body"), f.unread("alice", w.direct))
				}
			}
			return s
		}),
		worldCase("superuser can't restore a deleted message → 400", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("bob"), w.directBob.Id))
			return expect(f.as("superuser", http.MethodPatch, recordsURL(c, "/"+w.directBob.Id),
				map[string]any{"deleted": false, "body": bodyDirectBob}), 400, []string{fieldError("deleted", "undelete")})
		}),
		worldCase("superuser can't move a message to another author → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, recordsURL(c, "/"+w.directBob.Id),
				map[string]any{"author": f.id("alice")}), 400, []string{fieldError("author", "immutable")})
		}),
		worldCase("superuser hard-deletes: unread adjusted", func(f *fixture, w world) tests.ApiScenario {
			s := countIs(expect(f.as("superuser", http.MethodDelete, recordsURL(c, "/"+w.directBob.Id), nil), 204, nil), c, total-1)
			after := s.AfterTestFunc
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
				after(t, app, res)
				if n := f.unread("alice", w.direct); n != 0 {
					t.Errorf("alice still counts a deleted message: %d", n)
				}
			}
			return s
		}),
	})
}

// The batch API runs every request through the same record rules and
// hooks, all or nothing.
func TestRecords_Batch(t *testing.T) {
	t.Parallel()
	enable := func(f *fixture) {
		s := f.app.Settings()
		s.Batch.Enabled = true
		f.must(f.app.Save(s))
	}
	batch := func(f *fixture, who string, bodies ...map[string]any) tests.ApiScenario {
		reqs := make([]map[string]any, len(bodies))
		for i, b := range bodies {
			reqs[i] = map[string]any{"method": "POST", "url": "/api/collections/messages/records", "body": b}
		}
		return f.as(who, http.MethodPost, "/api/batch", map[string]any{"requests": reqs})
	}
	const total = 9
	runCases(t, []apiCase{
		worldCase("member's batch: every message authored by the caller", func(f *fixture, w world) tests.ApiScenario {
			enable(f)
			s := batch(f, "alice",
				map[string]any{"thread": w.group, "body": "batch-one", "author": f.id("bob")},
				map[string]any{"thread": w.direct, "body": "batch-two", "author": f.id("bob")})
			s = countIs(expect(s, 200, []string{`"body":"batch-one"`, `"body":"batch-two"`, `"author":"` + f.id("alice") + `"`},
				`"author":"`+f.id("bob")+`"`), messaging.CollectionNameMessages, total+2)
			after := s.AfterTestFunc
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
				after(t, app, res)
				if g, d := f.unread("bob", w.group), f.unread("bob", w.direct); g != 2 || d != 1 {
					t.Errorf("bob unread group=%d direct=%d, want 2 1", g, d)
				}
			}
			return s
		}),
		worldCase("one request into a thread the caller isn't in fails the whole batch", func(f *fixture, w world) tests.ApiScenario {
			enable(f)
			s := batch(f, "alice",
				map[string]any{"thread": w.group, "body": "batch-ok"},
				map[string]any{"thread": w.others, "body": "batch-intruder"})
			return countIs(expect(s, 400, []string{`"message":"Batch transaction failed."`, `"requests":{"1":{"code":"batch_request_failed"`},
				"batch-ok"), messaging.CollectionNameMessages, total)
		}),
		worldCase("blocked user's batch is refused with the same text", func(f *fixture, w world) tests.ApiScenario {
			enable(f)
			s := batch(f, "erin", map[string]any{"thread": w.blocked, "body": "batch-blocked"})
			return countIs(expect(s, 400, []string{`"response":` + refusedBody}), messaging.CollectionNameMessages, total)
		}),
		worldCase("anonymous batch posts nothing", func(f *fixture, w world) tests.ApiScenario {
			enable(f)
			s := batch(f, "", map[string]any{"thread": w.group, "body": "batch-anon"})
			return countIs(expect(s, 400, []string{`"requests":{"0":{"code":"batch_request_failed"`}), messaging.CollectionNameMessages, total)
		}),
		worldCase("batch disabled (the default) → 403", func(f *fixture, w world) tests.ApiScenario {
			s := batch(f, "alice", map[string]any{"thread": w.group, "body": "batch-off"})
			return countIs(expect(s, 403, []string{`"message":"Batch requests are not allowed."`}), messaging.CollectionNameMessages, total)
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

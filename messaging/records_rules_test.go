package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

func recordsURL(collection, rest string) string {
	return "/api/collections/" + collection + "/records" + rest
}

const (
	onlySuperusers = `"message":"Only superusers can perform this action."`
	createFailed   = `"message":"Failed to create record."`
	recordNotFound = `"message":"The requested resource wasn't found."`
)

// countIs checks after the request that collection holds want records.
func countIs(s tests.ApiScenario, collection string, want int) tests.ApiScenario {
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, err := app.CountRecords(collection); err != nil || int(n) != want {
			t.Errorf("%s: %d records (%v), want %d", collection, n, err, want)
		}
	}
	return s
}

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
		worldCase("member can't edit own message → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("alice", http.MethodPatch, recordsURL(c, "/"+w.directAlice.Id), map[string]any{"body": "edited"})
			return expect(s, 403, []string{onlySuperusers}, "edited")
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

// thread_members rows belong to their user: they see and change only their
// own muted, archived and tags; the counters and membership are the
// plugin's.
func TestRecords_ThreadMembers(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameThreadMembers
	patch := func(f *fixture, who, user, thread string, body map[string]any) tests.ApiScenario {
		return f.as(who, http.MethodPatch, recordsURL(c, "/"+f.member(user, thread).Id), body)
	}
	// untouched checks a rejected update changed nothing on the row.
	untouched := func(s tests.ApiScenario, f *fixture, user, thread string) tests.ApiScenario {
		before := f.member(user, thread)
		s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
			after := f.member(user, thread)
			for _, k := range []string{"thread", "user", "unread", "last_read_seq", "left", "muted", "archived", "tags"} {
				if before.GetString(k) != after.GetString(k) {
					t.Errorf("%s changed: %q → %q", k, before.GetString(k), after.GetString(k))
				}
			}
		}
		return s
	}
	rejected := func(name, who, user string, body func(f *fixture, w world) map[string]any) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			return untouched(expect(patch(f, who, user, w.group, body(f, w)), 404, []string{recordNotFound}), f, user, w.group)
		})
	}
	fixed := func(m map[string]any) func(*fixture, world) map[string]any {
		return func(*fixture, world) map[string]any { return m }
	}
	runCases(t, []apiCase{
		worldCase("user lists only own memberships", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":3`, `"user":"` + f.id("alice") + `"`},
				`"user":"`+f.id("bob")+`"`, `"user":"`+f.id("erin")+`"`, w.others)
		}),
		worldCase("left member's own row expands to nothing of the thread", func(f *fixture, w world) tests.ApiScenario {
			url := recordsURL(c, "/"+f.member("carol", w.group).Id+"?expand=thread,thread.last_message")
			return expect(f.as("carol", http.MethodGet, url, nil), 200,
				[]string{`"thread":"` + w.group + `"`, `"left":true`, `"expand":{}`}, `"expand":{"thread"`, subjectGroup, "left the conversation")
		}),
		worldCase("member's own row expands to the thread", func(f *fixture, w world) tests.ApiScenario {
			url := recordsURL(c, "/"+f.member("bob", w.group).Id+"?expand=thread,thread.last_message")
			return expect(f.as("bob", http.MethodGet, url, nil), 200,
				[]string{`"subject":"Weekend plans"`, `"body":"Carol left the conversation."`})
		}),
		worldCase("user can't view another's membership → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(c, "/"+f.member("bob", w.group).Id), nil), 404,
				[]string{recordNotFound}, f.id("bob"))
		}),
		worldCase("anonymous lists nothing", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, w.group)
		}),
		worldCase("superuser lists all", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":9`})
		}),
		worldCase("member mutes and archives own membership", func(f *fixture, w world) tests.ApiScenario {
			return expect(patch(f, "alice", "alice", w.group, map[string]any{"muted": true, "archived": true}), 200,
				[]string{`"muted":true`, `"archived":true`})
		}),
		worldCase("member tags own membership with own tag", func(f *fixture, w world) tests.ApiScenario {
			tag := f.tag("alice", "work")
			return expect(patch(f, "alice", "alice", w.group, map[string]any{"tags": []string{tag.Id}}), 200,
				[]string{`"tags":["` + tag.Id + `"]`})
		}),
		worldCase("member tags with another user's tag → 400", func(f *fixture, w world) tests.ApiScenario {
			tag := f.tag("bob", "bobs")
			return untouched(expect(patch(f, "alice", "alice", w.group, map[string]any{"tags": []string{tag.Id}}), 400,
				[]string{fieldError("tags", "unknown_tag")}), f, "alice", w.group)
		}),
		rejected("member resets own unread → 404", "alice", "alice", fixed(map[string]any{"unread": 0})),
		rejected("member moves own read position → 404", "alice", "alice", fixed(map[string]any{"last_read_seq": 99})),
		rejected("member marks self left → 404", "alice", "alice", fixed(map[string]any{"left": true})),
		rejected("member moves the row to another thread → 404", "alice", "alice",
			func(_ *fixture, w world) map[string]any { return map[string]any{"thread": w.others} }),
		rejected("member hands the row to another user → 404", "alice", "alice",
			func(f *fixture, _ world) map[string]any { return map[string]any{"user": f.id("dave")} }),
		rejected("member changes another's membership → 404", "alice", "bob", fixed(map[string]any{"muted": true})),
		rejected("left member rejoins → 404", "carol", "carol", fixed(map[string]any{"left": false})),
		rejected("left member changes own old row → 404", "carol", "carol", fixed(map[string]any{"muted": true})),
		worldCase("user can't add a membership → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("dave", http.MethodPost, recordsURL(c, ""), map[string]any{"thread": w.group, "user": f.id("dave")})
			return countIs(expect(s, 403, []string{onlySuperusers}), c, 9)
		}),
		worldCase("user can't delete a membership → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("alice", http.MethodDelete, recordsURL(c, "/"+f.member("alice", w.group).Id), nil)
			return countIs(expect(s, 403, []string{onlySuperusers}), c, 9)
		}),
		worldCase("superuser deletes a membership: the thread's members follow", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("superuser", http.MethodDelete, recordsURL(c, "/"+f.member("bob", w.group).Id), nil), 204, nil)
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				th, _ := app.FindRecordById(messaging.CollectionNameThreads, w.group)
				if m := th.GetStringSlice("members"); len(m) != 1 || m[0] != f.id("alice") {
					t.Errorf("members %v, want only alice", m)
				}
			}
			return s
		}),
	})
}

// Blocks are private to the blocker, whichever API reads or writes them.
func TestRecords_Blocks(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameBlocks
	aliceBlock := func(f *fixture) string {
		r, err := f.app.FindFirstRecordByData(c, "user", f.id("alice"))
		f.must(err)
		return r.Id
	}
	create := func(f *fixture, who, user, blocked string) tests.ApiScenario {
		return f.as(who, http.MethodPost, recordsURL(c, ""), map[string]any{"user": user, "blocked": blocked})
	}
	runCases(t, []apiCase{
		worldCase("blocker lists own blocks", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":1`, `"blocked":"` + f.id("erin") + `"`})
		}),
		worldCase("blocked user doesn't see the block", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, f.id("alice"))
		}),
		worldCase("nobody filters their way into another's blocks", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(c, "?filter=user='"+f.id("alice")+"'"), nil), 200,
				[]string{`"totalItems":0`}, f.id("erin"))
		}),
		worldCase("blocked user views the block → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodGet, recordsURL(c, "/"+aliceBlock(f)), nil), 404, []string{recordNotFound}, f.id("alice"))
		}),
		worldCase("anonymous lists nothing", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, f.id("erin"))
		}),
		worldCase("superuser lists all", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":1`, `"blocked":"` + f.id("erin") + `"`})
		}),
		worldCase("user blocks for themself", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "bob", f.id("bob"), f.id("dave")), 200,
				[]string{`"user":"` + f.id("bob") + `"`, `"blocked":"` + f.id("dave") + `"`}), c, 2)
		}),
		worldCase("user blocks on someone else's behalf → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "bob", f.id("dave"), f.id("carol")), 400, []string{createFailed}), c, 1)
		}),
		worldCase("unblockable role → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "bob", f.id("bob"), f.id("admin")), 400, []string{fieldError("blocked", "unblockable")}), c, 1)
		}),
		worldCase("yourself → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "bob", f.id("bob"), f.id("bob")), 400, []string{fieldError("blocked", "block_self")}), c, 1)
		}),
		worldCase("the same block twice → 400", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(create(f, "alice", f.id("alice"), f.id("erin")), 400, []string{`"status":400`}), c, 1)
		}),
		worldCase("blocker deletes own block", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(f.as("alice", http.MethodDelete, recordsURL(c, "/"+aliceBlock(f)), nil), 204, nil), c, 0)
		}),
		worldCase("blocked user deletes the block → 404", func(f *fixture, w world) tests.ApiScenario {
			return countIs(expect(f.as("erin", http.MethodDelete, recordsURL(c, "/"+aliceBlock(f)), nil), 404,
				[]string{recordNotFound}), c, 1)
		}),
		worldCase("blocks can't be edited → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("alice", http.MethodPatch, recordsURL(c, "/"+aliceBlock(f)), map[string]any{"blocked": f.id("dave")})
			return expect(s, 403, []string{onlySuperusers})
		}),
	})
}

// Tags are private to their owner.
func TestRecords_Tags(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameTags
	withTag := func(name string, build func(f *fixture, tag string) tests.ApiScenario) apiCase {
		return apiCase{name: name, build: func(f *fixture) tests.ApiScenario {
			return build(f, f.tag("alice", "alices-secret-tag").Id)
		}}
	}
	runCases(t, []apiCase{
		withTag("owner lists own tags", func(f *fixture, tag string) tests.ApiScenario {
			f.tag("bob", "bobs-tag")
			return expect(f.as("alice", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":1`, `"name":"alices-secret-tag"`}, "bobs-tag")
		}),
		withTag("another user lists none of them", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, "alices-secret-tag")
		}),
		withTag("anonymous lists none", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, "alices-secret-tag")
		}),
		withTag("superuser lists all tags", func(f *fixture, tag string) tests.ApiScenario {
			f.tag("bob", "bobs-tag")
			return expect(f.as("superuser", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":2`, `"name":"alices-secret-tag"`, `"name":"bobs-tag"`})
		}),
		withTag("another user views → 404", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(c, "/"+tag), nil), 404, []string{recordNotFound}, "alices-secret-tag")
		}),
		withTag("owner creates a tag", func(f *fixture, tag string) tests.ApiScenario {
			s := f.as("bob", http.MethodPost, recordsURL(c, ""), map[string]any{"user": f.id("bob"), "name": "mine"})
			return countIs(expect(s, 200, []string{`"name":"mine"`, `"user":"` + f.id("bob") + `"`}), c, 2)
		}),
		withTag("creating a tag for someone else → 400", func(f *fixture, tag string) tests.ApiScenario {
			s := f.as("bob", http.MethodPost, recordsURL(c, ""), map[string]any{"user": f.id("alice"), "name": "planted"})
			return countIs(expect(s, 400, []string{createFailed}), c, 1)
		}),
		withTag("owner renames", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPatch, recordsURL(c, "/"+tag), map[string]any{"name": "renamed"}), 200,
				[]string{`"name":"renamed"`})
		}),
		withTag("owner gives the tag away → 404", func(f *fixture, tag string) tests.ApiScenario {
			s := expect(f.as("alice", http.MethodPatch, recordsURL(c, "/"+tag), map[string]any{"user": f.id("bob")}), 404,
				[]string{recordNotFound})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, _ := app.FindRecordById(c, tag)
				if r.GetString("user") != f.id("alice") {
					t.Error("tag changed hands")
				}
			}
			return s
		}),
		withTag("another user renames → 404", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("bob", http.MethodPatch, recordsURL(c, "/"+tag), map[string]any{"name": "hijacked"}), 404,
				[]string{recordNotFound}, "alices-secret-tag")
		}),
		withTag("another user deletes → 404", func(f *fixture, tag string) tests.ApiScenario {
			return countIs(expect(f.as("bob", http.MethodDelete, recordsURL(c, "/"+tag), nil), 404, []string{recordNotFound}), c, 1)
		}),
		withTag("owner deletes", func(f *fixture, tag string) tests.ApiScenario {
			return countIs(expect(f.as("alice", http.MethodDelete, recordsURL(c, "/"+tag), nil), 204, nil), c, 0)
		}),
	})
}

// Roles are the superusers' to give: no signup or profile update may
// change them, whatever else it changes.
func TestRecords_UserRoles(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameUsers
	rolesAre := func(s tests.ApiScenario, f *fixture, user string, want ...string) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			u, _ := app.FindRecordById(c, f.id(user))
			if got := u.GetStringSlice("roles"); len(got) != len(want) || (len(want) > 0 && got[0] != want[0]) {
				t.Errorf("roles %v, want %v", got, want)
			}
		}
		return s
	}
	patch := func(f *fixture, who, user string, body map[string]any) tests.ApiScenario {
		return f.as(who, http.MethodPatch, recordsURL(c, "/"+f.id(user)), body)
	}
	signup := map[string]any{"email": "new@example.com", "password": "secret-pass-1", "passwordConfirm": "secret-pass-1"}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{k: v}
		for kk, vv := range m {
			out[kk] = vv
		}
		return out
	}
	runCases(t, []apiCase{
		{name: "user gives themself a role → 403", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "alice", "alice", map[string]any{"roles": []string{"admin"}, "name": "Boss"}), 403,
				[]string{`"message":"Only superusers can change roles."`}), f, "alice")
		}},
		{name: "admin drops own role → 403", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "admin", "admin", map[string]any{"roles": []string{}}), 403,
				[]string{`"message":"Only superusers can change roles."`}), f, "admin", "admin")
		}},
		{name: "user updates the rest of their profile", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "alice", "alice", map[string]any{"name": "Alicia", "username": "alicia"}), 200,
				[]string{`"name":"Alicia"`, `"username":"alicia"`}), f, "alice")
		}},
		{name: "user resends the roles they already have", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "admin", "admin", map[string]any{"roles": []string{"admin"}, "name": "Root"}), 200,
				[]string{`"name":"Root"`}), f, "admin", "admin")
		}},
		{name: "signup with a role → 403", build: func(f *fixture) tests.ApiScenario {
			s := f.as("", http.MethodPost, recordsURL(c, ""), with(signup, "roles", []string{"moderator"}))
			return countIs(expect(s, 403, []string{`"message":"Only superusers can change roles."`}), c, 6)
		}},
		{name: "signup without a role", build: func(f *fixture) tests.ApiScenario {
			s := f.as("", http.MethodPost, recordsURL(c, ""), with(signup, "name", "Newbie"))
			return countIs(expect(s, 200, []string{`"name":"Newbie"`}), c, 7)
		}},
		{name: "superuser gives a role", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "superuser", "alice", map[string]any{"roles": []string{"moderator"}}), 200,
				[]string{`"roles":["moderator"]`}), f, "alice", "moderator")
		}},
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

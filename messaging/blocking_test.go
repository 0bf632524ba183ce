package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

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

// isBlocked fails the test on a lookup error.
func (f *fixture) isBlocked(user, other string) bool {
	f.t.Helper()
	b, err := f.pm.IsBlocked(f.id(user), f.id(other))
	f.must(err)
	return b
}

func TestRoutes_BlockList(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/blocks"
	runCases(t, []apiCase{
		worldCase("blocker sees whom they blocked, without emails", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url, nil), 200,
				[]string{`"items":[{"id":"` + f.id("erin") + `","name":"Erin","username":"erin","avatar":""}]`}, "@example.com")
		}),
		worldCase("blocked user can't see who blocked them", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodGet, url, nil), 200, []string{`"items":[]`}, f.id("alice"), "Alice")
		}),
		worldCase("nobody reads another user's blocks", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, url, nil), 200, []string{`"items":[]`}, f.id("erin"), "Erin")
		}),
		worldCase("newest block first", func(f *fixture, w world) tests.ApiScenario {
			tick()
			f.must(f.pm.Block(f.id("alice"), f.id("dave")))
			return expect(f.as("alice", http.MethodGet, url, nil), 200,
				[]string{`"items":[{"id":"` + f.id("dave") + `","name":"Dave","username":"dave","avatar":""},{"id":"` + f.id("erin") + `"`})
		}),
	})
}

func TestRoutes_Block(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/blocks"
	block := func(f *fixture, who, user string) tests.ApiScenario {
		return f.as(who, http.MethodPost, url, map[string]any{"user": user})
	}
	// none checks an invalid block stored nothing.
	none := func(s tests.ApiScenario) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if n, _ := app.CountRecords(messaging.CollectionNameBlocks); n != 0 {
				t.Errorf("%d blocks stored", n)
			}
		}
		return s
	}
	runCases(t, []apiCase{
		{name: "block a user: the answer is the updated list", build: func(f *fixture) tests.ApiScenario {
			s := expect(block(f, "alice", f.id("bob")), 200,
				[]string{`"items":[{"id":"` + f.id("bob") + `","name":"Bob"`}, "@example.com")
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if !f.isBlocked("alice", "bob") || f.isBlocked("bob", "alice") {
					t.Error("want exactly alice → bob blocked")
				}
			}
			return s
		}},
		{name: "blocking twice keeps one block", build: func(f *fixture) tests.ApiScenario {
			f.must(f.pm.Block(f.id("alice"), f.id("bob")))
			s := expect(block(f, "alice", f.id("bob")), 200, []string{`"items":[{"id":"` + f.id("bob") + `"`})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(messaging.CollectionNameBlocks); n != 1 {
					t.Errorf("%d blocks, want 1", n)
				}
			}
			return s
		}},
		{name: "unblockable role → 400", build: func(f *fixture) tests.ApiScenario {
			return none(expect(block(f, "alice", f.id("admin")), 400, []string{fieldError("blocked", "unblockable")}))
		}},
		{name: "no unblockable roles configured: admins can be blocked", cfg: messaging.Config{UnblockableRoles: []string{}},
			build: func(f *fixture) tests.ApiScenario {
				return expect(block(f, "alice", f.id("admin")), 200, []string{`"name":"Admin"`})
			}},
		{name: "yourself → 400", build: func(f *fixture) tests.ApiScenario {
			return none(expect(block(f, "alice", f.id("alice")), 400, []string{fieldError("blocked", "block_self")}))
		}},
		{name: "unknown user → 400", build: func(f *fixture) tests.ApiScenario {
			return none(expect(block(f, "alice", "nosuchuser12345"), 400, []string{fieldError("blocked", "unknown_user")}))
		}},
		{name: "missing user → 400", build: func(f *fixture) tests.ApiScenario {
			return none(expect(block(f, "alice", ""), 400, []string{fieldError("user", "required")}))
		}},
		{name: "malformed JSON → 400", build: func(f *fixture) tests.ApiScenario {
			return none(expect(f.as("alice", http.MethodPost, url, `{"user":`), 400, []string{`"message":"Invalid JSON body."`}))
		}},
	})
}

func TestRoutes_Unblock(t *testing.T) {
	t.Parallel()
	unblock := func(f *fixture, who, user string) tests.ApiScenario {
		return f.as(who, http.MethodDelete, "/api/messaging/blocks/"+f.id(user), nil)
	}
	runCases(t, []apiCase{
		worldCase("blocker unblocks", func(f *fixture, w world) tests.ApiScenario {
			s := expect(unblock(f, "alice", "erin"), 204, nil)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if f.isBlocked("alice", "erin") {
					t.Error("still blocked")
				}
			}
			return s
		}),
		worldCase("unblocking someone not blocked is a no-op", func(f *fixture, w world) tests.ApiScenario {
			s := expect(unblock(f, "alice", "bob"), 204, nil)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if !f.isBlocked("alice", "erin") {
					t.Error("an unrelated block went away")
				}
			}
			return s
		}),
		worldCase("the blocked user can't lift the blocker's block", func(f *fixture, w world) tests.ApiScenario {
			s := expect(unblock(f, "erin", "alice"), 204, nil)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if !f.isBlocked("alice", "erin") {
					t.Error("the blocked user removed the block")
				}
			}
			return s
		}),
	})
}

// Unblocking gives the blocked user back every way to write: each case
// unblocks through the API, then sends through the API.
func TestRoutes_UnblockRestoresSending(t *testing.T) {
	t.Parallel()
	unblockFirst := func(t testing.TB, f *fixture, e *core.ServeEvent, _ *tests.ApiScenario) {
		mux, err := e.Router.BuildMux()
		f.must(err)
		s := f.as("alice", http.MethodDelete, "/api/messaging/blocks/"+f.id("erin"), nil)
		req := newRequest(s)
		rec := recordResponse(mux, req)
		if rec.Code != http.StatusNoContent {
			t.Fatalf("unblock: %d %s", rec.Code, rec.Body)
		}
	}
	cases := []apiCase{
		worldCase("blocked: reply → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodPost, threadURL(w.blocked, "/messages"), map[string]any{"body": "again"}), 403,
				[]string{refusedBody})
		}),
		worldCase("blocked: start → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodPost, "/api/messaging/threads",
				map[string]any{"recipients": []string{f.id("alice")}, "body": "again"}), 403, []string{refusedBody})
		}),
		worldCase("blocked: recipients search hides the blocker", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("erin", http.MethodGet, "/api/messaging/recipients?q=al", nil), 200,
				[]string{`"items":[]`}, "Alice")
		}),
	}
	cases = append(cases, apiCase{name: "unblocked: reply works again", build: func(f *fixture) tests.ApiScenario {
		w := f.world()
		return expect(f.as("erin", http.MethodPost, threadURL(w.blocked, "/messages"), map[string]any{"body": "again"}), 200,
			[]string{`"body":"again"`, `"author":"` + f.id("erin") + `"`})
	}, before: unblockFirst})
	cases = append(cases, apiCase{name: "unblocked: start works again", build: func(f *fixture) tests.ApiScenario {
		w := f.world()
		return expect(f.as("erin", http.MethodPost, "/api/messaging/threads",
			map[string]any{"recipients": []string{f.id("alice")}, "body": "again"}), 200,
			[]string{`"thread":{"id":"` + w.blocked + `"`, `"body":"again"`})
	}, before: unblockFirst})
	cases = append(cases, apiCase{name: "unblocked: recipients search shows the former blocker", build: func(f *fixture) tests.ApiScenario {
		f.world()
		return expect(f.as("erin", http.MethodGet, "/api/messaging/recipients?q=al", nil), 200, []string{`"name":"Alice"`})
	}, before: unblockFirst})
	runCases(t, cases)
}

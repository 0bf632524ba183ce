package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

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

func TestRoutes_Recipients(t *testing.T) {
	t.Parallel()
	search := func(f *fixture, who, query string) tests.ApiScenario {
		return f.as(who, http.MethodGet, "/api/messaging/recipients"+query, nil)
	}
	runCases(t, []apiCase{
		worldCase("prefix of the name, case-insensitive, without emails", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "alice", "?q=B"), 200,
				[]string{`"items":[{"id":"` + f.id("bob") + `","name":"Bob","username":"bob","avatar":""}]`}, "@example.com")
		}),
		worldCase("two people called Bob are told apart by username", func(f *fixture, w world) tests.ApiScenario {
			other := f.mustUser("bob.demo")
			other.Set("name", "Bob")
			f.must(f.app.Save(other))
			return expect(search(f, "alice", "?q=bob"), 200, []string{
				`{"id":"` + f.id("bob") + `","name":"Bob","username":"bob","avatar":""}`,
				`{"id":"` + other.Id + `","name":"Bob","username":"bob.demo","avatar":""}`,
			})
		}),
		worldCase("never the caller", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "alice", "?q=a"), 200, []string{`"name":"Admin"`}, `"name":"Alice"`)
		}),
		worldCase("never someone with messaging off", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "alice", "?q=of"), 200, []string{`"items":[]`}, f.id("off"))
		}),
		worldCase("never someone who blocked the caller", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "erin", "?q=a"), 200, []string{`"name":"Admin"`}, `"name":"Alice"`)
		}),
		worldCase("the blocker still finds the blocked user", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "alice", "?q=er"), 200, []string{`"name":"Erin"`})
		}),
		worldCase("empty query finds nobody", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "alice", "?q=+"), 200, []string{`{"items":[]}`})
		}),
		worldCase("limit caps the list, in name order", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "bob", "?q=a&limit=1"), 200, []string{`"name":"Admin"`}, `"name":"Alice"`)
		}),
		worldCase("bad limit → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "bob", "?q=a&limit=x"), 400, []string{fieldError("limit", "not_a_number")})
		}),
	})
}

func TestRoutes_Unread(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/unread"
	counts := func(name, who string, threads, messages string, setup func(f *fixture, w world)) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			if setup != nil {
				setup(f, w)
			}
			return expect(f.as(who, http.MethodGet, url, nil), 200,
				[]string{`{"threads":` + threads + `,"messages":` + messages + `}`})
		})
	}
	runCases(t, []apiCase{
		// alice: group 2 (bob, carol), direct 1 (bob), blocked 1 (erin).
		counts("every message counts for everyone but its author", "alice", "3", "4", nil),
		// bob: group 1 (carol; he had read alice's by replying), direct 0.
		counts("system notes never count", "bob", "1", "1", nil),
		counts("a member who left counts nothing there", "carol", "0", "0", nil),
		counts("the recipient of another thread", "dave", "1", "1", nil),
		counts("read sets the thread to 0", "alice", "2", "2", func(f *fixture, w world) {
			f.must(f.pm.MarkRead(f.id("alice"), w.group))
		}),
		counts("mark unread gives 1", "alice", "1", "1", func(f *fixture, w world) {
			for _, th := range []string{w.group, w.direct, w.blocked} {
				f.must(f.pm.MarkRead(f.id("alice"), th))
			}
			f.must(f.pm.MarkUnread(f.id("alice"), w.group))
		}),
		counts("a deleted message stops counting", "alice", "2", "3", func(f *fixture, w world) {
			f.must(f.pm.DeleteMessage(f.id("bob"), w.directBob.Id))
		}),
		counts("a new message adds one", "alice", "3", "5", func(f *fixture, w world) {
			f.send("bob", w.direct, "one more")
		}),
		counts("the blocked user still receives the blocker's messages", "erin", "1", "1", func(f *fixture, w world) {
			f.send("alice", w.blocked, "from the blocker")
		}),
	})
}

// The refused answer is byte for byte the same whatever the reason, so a
// blocked user can't tell a block from "messaging off".
func TestRoutes_RefusalsLookAlike(t *testing.T) {
	t.Parallel()
	start := func(name string, setup func(f *fixture)) apiCase {
		return apiCase{name: name, build: func(f *fixture) tests.ApiScenario {
			setup(f)
			s := expect(f.as("alice", http.MethodPost, "/api/messaging/threads",
				map[string]any{"recipients": []string{f.id("bob")}, "body": "hi"}), 403, []string{refusedBody},
				"block", "off", "role")
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				var raw map[string]any
				decode(t, res, &raw)
				if len(raw) != 3 || raw["message"] != "Unable to send message." || len(raw["data"].(map[string]any)) != 0 {
					t.Errorf("refusal says more than it should: %v", raw)
				}
			}
			return s
		}}
	}
	runCases(t, []apiCase{
		start("recipient blocked the sender", func(f *fixture) { f.must(f.pm.Block(f.id("bob"), f.id("alice"))) }),
		start("recipient has messaging off", func(f *fixture) {
			f.setOff("bob")
		}),
		start("sender has messaging off", func(f *fixture) {
			f.setOff("alice")
		}),
	})
}

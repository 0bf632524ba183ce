package messaging_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"
)

// countQueries counts the SQL statements the app runs from now on.
func countQueries(f *fixture) *atomic.Int64 {
	var n atomic.Int64
	for _, b := range []dbx.Builder{f.app.ConcurrentDB(), f.app.NonconcurrentDB()} {
		db := b.(*dbx.DB)
		db.QueryLogFunc = func(context.Context, time.Duration, string, *sql.Rows, error) { n.Add(1) }
		db.ExecLogFunc = func(context.Context, time.Duration, string, sql.Result, error) { n.Add(1) }
	}
	return &n
}

// Every reason to refuse a conversation gives the same error after the
// same statements, so a blocked sender can't tell a block from "messaging
// off" by the answer or by its timing.
func TestPermissions_EveryRefusalTakesTheSamePath(t *testing.T) {
	t.Parallel()
	reasons := map[string]func(f *fixture){
		"recipient blocked the sender": func(f *fixture) { f.must(f.pm.Block(f.id("bob"), f.id("alice"))) },
		"recipient has messaging off":  func(f *fixture) { f.setOff("bob") },
		"sender has messaging off":     func(f *fixture) { f.setOff("alice") },
		"another recipient blocked the sender, one has messaging off": func(f *fixture) {
			f.must(f.pm.Block(f.id("carol"), f.id("alice")))
			f.setOff("bob")
		},
		"recipient lets nobody message them":        func(f *fixture) { f.setReach("bob", messaging.ReachNobody) },
		"recipient lets only contacts message them": func(f *fixture) { f.setReach("bob", messaging.ReachContacts) },
		"the site's default is nobody": func(f *fixture) {
			r, err := f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
			f.must(err)
			r.Set("who_can_message", messaging.ReachNobody)
			f.must(f.app.Save(r))
		},
	}
	counts := map[string]int64{}
	for reason, setup := range reasons {
		f := newFixture(t, messaging.Config{})
		setup(f)
		f.pm.Limits() // cached in a running app; a block's setup loads it
		n := countQueries(f)
		_, _, err := f.pm.Start(f.id("alice"), []string{f.id("bob"), f.id("carol")}, "", "hello")
		if !errors.Is(err, messaging.ErrRefused) || err.Error() != "Unable to send message." {
			t.Errorf("%s: %v, want the refusal", reason, err)
		}
		counts[reason] = n.Load()
		f.app.Cleanup()
	}
	want := counts["recipient blocked the sender"]
	for reason, got := range counts {
		if got != want {
			t.Errorf("%s ran %d statements, a block %d", reason, got, want)
		}
	}
}

// The autocomplete leaves out exactly the people a send would refuse.
func TestPermissions_AutocompleteMatchesSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.must(f.pm.Block(f.id("bob"), f.id("alice")))
	f.setOff("carol")
	for _, name := range []string{"bob", "carol", "dave", "off"} {
		items, err := f.pm.Recipients(f.id("alice"), name, 10)
		f.must(err)
		_, _, sendErr := f.pm.Start(f.id("alice"), []string{f.id(name)}, "", "hi")
		if offered := len(items) == 1; offered != (sendErr == nil) {
			t.Errorf("%s: offered=%v but send error %v", name, offered, sendErr)
		}
	}
}

func TestRoutes_Recipients(t *testing.T) {
	t.Parallel()
	search := func(f *fixture, who, query string) tests.ApiScenario {
		return f.as(who, http.MethodGet, "/api/messaging/recipients"+query, nil)
	}
	runCases(t, []apiCase{
		worldCase("prefix of the name, case-insensitive, without emails", func(f *fixture, w world) tests.ApiScenario {
			return expect(search(f, "alice", "?q=B"), 200,
				[]string{`"items":[{"id":"` + f.id("bob") + `","name":"Bob","username":"bob","avatar":"","type":"user"}]`}, "@example.com")
		}),
		worldCase("two people called Bob are told apart by username", func(f *fixture, w world) tests.ApiScenario {
			other := f.mustUser("bob.demo")
			other.Set("name", "Bob")
			f.must(f.app.Save(other))
			return expect(search(f, "alice", "?q=bob"), 200, []string{
				`{"id":"` + f.id("bob") + `","name":"Bob","username":"bob","avatar":"","type":"user"}`,
				`{"id":"` + other.Id + `","name":"Bob","username":"bob.demo","avatar":"","type":"user"}`,
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

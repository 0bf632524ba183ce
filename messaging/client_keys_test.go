package messaging_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// worldMessages is the number of messages in the world (see
// TestRecords_Messages).
const worldMessages = 9

// sendKeyed sends with a key through the Go API and fails on error.
func (f *fixture) sendKeyed(from, thread, body, key string) *core.Record {
	f.t.Helper()
	msg, err := f.pm.SendWithKey(f.id(from), thread, body, key)
	if err != nil {
		f.t.Fatalf("send %s with key %q: %v", from, key, err)
	}
	return msg
}

// retryUnchanged checks after a retry that no message was added and nobody's
// count moved.
func retryUnchanged(f *fixture, s tests.ApiScenario, thread string, counts map[string]int) tests.ApiScenario {
	s = countIs(s, messaging.CollectionNameMessages, worldMessages+1)
	after := s.AfterTestFunc
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
		after(t, app, res)
		for user, want := range counts {
			if got := f.unread(user, thread); got != want {
				t.Errorf("%s unread %d, want %d", user, got, want)
			}
		}
	}
	// A retry writes nothing: no record event beyond the refused create.
	s.ExpectedEvents = map[string]int{"OnRecordAfterCreateSuccess": 0, "OnRecordUpdate": 0, "OnModelUpdate": 0}
	return s
}

func TestRoutes_ReplyWithKey(t *testing.T) {
	t.Parallel()
	post := func(f *fixture, who, thread string, body map[string]any) tests.ApiScenario {
		return f.as(who, http.MethodPost, threadURL(thread, "/messages"), body)
	}
	idOf := func(r *core.Record) string { return `"id":"` + r.Id + `"` }
	runCases(t, []apiCase{
		worldCase("first send with a key: 200, the key back to the author", func(f *fixture, w world) tests.ApiScenario {
			s := expect(post(f, "bob", w.group, map[string]any{"body": "keyed", "clientKey": "k-1"}), 200,
				[]string{`"body":"keyed"`, `"clientKey":"k-1"`, `"seq":5`})
			return countIs(s, messaging.CollectionNameMessages, worldMessages+1)
		}),
		worldCase("retry: the original, nothing written, counts unmoved", func(f *fixture, w world) tests.ApiScenario {
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(post(f, "bob", w.group, map[string]any{"body": " keyed ", "clientKey": "k-1"}), 200,
				[]string{idOf(orig), `"seq":5`, `"clientKey":"k-1"`})
			return retryUnchanged(f, s, w.group, map[string]int{"alice": 3, "bob": 0})
		}),
		worldCase("retry with the Idempotency-Key header", func(f *fixture, w world) tests.ApiScenario {
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := post(f, "bob", w.group, map[string]any{"body": "keyed"})
			s.Headers["Idempotency-Key"] = "k-1"
			return retryUnchanged(f, expect(s, 200, []string{idOf(orig)}), w.group, map[string]int{"alice": 3})
		}),
		worldCase("field and header disagree → 400", func(f *fixture, w world) tests.ApiScenario {
			s := post(f, "bob", w.group, map[string]any{"body": "keyed", "clientKey": "k-1"})
			s.Headers["Idempotency-Key"] = "k-2"
			return countIs(expect(s, 400, []string{fieldError("clientKey", "bad_client_key")}), messaging.CollectionNameMessages, worldMessages)
		}),
		worldCase("same key, another body → 409", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(post(f, "bob", w.group, map[string]any{"body": "other", "clientKey": "k-1"}), 409,
				[]string{`"status":409`, `"clientKey":{"code":"validation_messaging_key_conflict"`}, "keyed")
			return retryUnchanged(f, s, w.group, map[string]int{"alice": 3})
		}),
		worldCase("same key, another thread → 409", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(post(f, "bob", w.direct, map[string]any{"body": "keyed", "clientKey": "k-1"}), 409,
				[]string{`"clientKey":{"code":"validation_messaging_key_conflict"`})
			return retryUnchanged(f, s, w.direct, map[string]int{"alice": 1})
		}),
		worldCase("keys are per author: another member's key is a new message", func(f *fixture, w world) tests.ApiScenario {
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(post(f, "alice", w.group, map[string]any{"body": "keyed", "clientKey": "k-1"}), 200,
				[]string{`"author":"` + f.id("alice") + `"`, `"seq":6`}, idOf(orig))
			return countIs(s, messaging.CollectionNameMessages, worldMessages+2)
		}),
		worldCase("a key older than 24 hours is free again", func(f *fixture, w world) tests.ApiScenario {
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			f.age(orig.Id, 25*time.Hour)
			s := expect(post(f, "bob", w.group, map[string]any{"body": "keyed", "clientKey": "k-1"}), 200,
				[]string{`"seq":6`, `"clientKey":"k-1"`}, idOf(orig))
			return countIs(s, messaging.CollectionNameMessages, worldMessages+2)
		}),
		worldCase("retry of a deleted message: the original, deleted", func(f *fixture, w world) tests.ApiScenario {
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			f.must(f.pm.DeleteMessage(f.id("bob"), orig.Id))
			s := expect(post(f, "bob", w.group, map[string]any{"body": "keyed", "clientKey": "k-1"}), 200,
				[]string{idOf(orig), `"body":"","deleted":true`})
			return retryUnchanged(f, s, w.group, map[string]int{"alice": 2})
		}),
		worldCase("retry of a message edited since: the original, edited", func(f *fixture, w world) tests.ApiScenario {
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			_, err := f.pm.Edit(f.id("bob"), orig.Id, "keyed, edited")
			f.must(err)
			s := expect(post(f, "bob", w.group, map[string]any{"body": "keyed", "clientKey": "k-1"}), 200,
				[]string{idOf(orig), `"body":"keyed, edited"`})
			return retryUnchanged(f, s, w.group, map[string]int{"alice": 3})
		}),
		worldCase("malformed key → 400", func(f *fixture, w world) tests.ApiScenario {
			s := expect(post(f, "bob", w.group, map[string]any{"body": "keyed", "clientKey": "has space"}), 400,
				[]string{fieldError("clientKey", "bad_client_key")})
			return countIs(s, messaging.CollectionNameMessages, worldMessages)
		}),
		worldCase("key over 100 characters → 400", func(f *fixture, w world) tests.ApiScenario {
			s := expect(post(f, "bob", w.group, map[string]any{"body": "keyed", "clientKey": strings.Repeat("k", 101)}), 400,
				[]string{fieldError("clientKey", "bad_client_key")})
			return countIs(s, messaging.CollectionNameMessages, worldMessages)
		}),
		worldCase("anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return expect(post(f, "", w.group, map[string]any{"body": "keyed", "clientKey": "k-1"}), 401, []string{`"status":401`})
		}),
		worldCase("non-member with a member's key → 404, no hint", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(post(f, "dave", w.group, map[string]any{"body": "keyed", "clientKey": "k-1"}), 404, []string{notFoundBody}, "keyed")
			return countIs(s, messaging.CollectionNameMessages, worldMessages+1)
		}),
		worldCase("own key into a thread the caller isn't in → 404, as for no thread", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("dave", w.others, "daves", "k-1")
			s := expect(post(f, "dave", w.group, map[string]any{"body": "daves", "clientKey": "k-1"}), 404, []string{notFoundBody})
			return countIs(s, messaging.CollectionNameMessages, worldMessages+1)
		}),
		worldCase("own key into a thread that doesn't exist → the same 404", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("dave", w.others, "daves", "k-1")
			s := expect(post(f, "dave", "nosuchthread123", map[string]any{"body": "daves", "clientKey": "k-1"}), 404, []string{notFoundBody})
			return countIs(s, messaging.CollectionNameMessages, worldMessages+1)
		}),
		worldCase("left member retrying their own key → 404", func(f *fixture, w world) tests.ApiScenario {
			s := expect(post(f, "carol", w.group, map[string]any{"body": bodyGroupCarol, "clientKey": "k-1"}), 404,
				[]string{notFoundBody}, bodyGroupCarol)
			return countIs(s, messaging.CollectionNameMessages, worldMessages)
		}),
		worldCase("blocked user with a key → 403, same text", func(f *fixture, w world) tests.ApiScenario {
			s := expect(post(f, "erin", w.blocked, map[string]any{"body": "keyed", "clientKey": "k-1"}), 403, []string{refusedBody})
			return countIs(s, messaging.CollectionNameMessages, worldMessages)
		}),
	})
}

func TestRoutes_StartWithKey(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/threads"
	start := func(f *fixture, key, body string, to ...string) tests.ApiScenario {
		ids := make([]string, len(to))
		for i, n := range to {
			ids[i] = f.id(n)
		}
		return f.as("alice", http.MethodPost, url, map[string]any{"recipients": ids, "body": body, "clientKey": key})
	}
	threads := func(s tests.ApiScenario, want int) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if n, _ := app.CountRecords(messaging.CollectionNameThreads); int(n) != want {
				t.Errorf("%d threads, want %d", n, want)
			}
			if n, _ := app.CountRecords(messaging.CollectionNameMessages); int(n) != want {
				t.Errorf("%d messages, want %d", n, want)
			}
		}
		return s
	}
	runCases(t, []apiCase{
		{name: "retried group start: the same group, no second one", build: func(f *fixture) tests.ApiScenario {
			th, msg, err := f.pm.StartWithKey(f.id("alice"), []string{f.id("bob"), f.id("carol")}, "", "hi-group", "g-1")
			f.must(err)
			return threads(expect(start(f, "g-1", "hi-group", "carol", "bob"), 200,
				[]string{`"id":"` + th.Id + `"`, `"id":"` + msg.Id + `"`, `"clientKey":"g-1"`}), 1)
		}},
		{name: "same key, another recipient → 409", build: func(f *fixture) tests.ApiScenario {
			_, _, err := f.pm.StartWithKey(f.id("alice"), []string{f.id("bob"), f.id("carol")}, "", "hi-group", "g-1")
			f.must(err)
			return threads(expect(start(f, "g-1", "hi-group", "bob", "dave"), 409,
				[]string{`"clientKey":{"code":"validation_messaging_key_conflict"`}), 1)
		}},
		{name: "same key, another body → 409", build: func(f *fixture) tests.ApiScenario {
			_, _, err := f.pm.StartWithKey(f.id("alice"), []string{f.id("bob")}, "", "hi-bob", "g-1")
			f.must(err)
			return threads(expect(start(f, "g-1", "bye-bob", "bob"), 409,
				[]string{`"clientKey":{"code":"validation_messaging_key_conflict"`}), 1)
		}},
		{name: "malformed key → 400, nothing created", build: func(f *fixture) tests.ApiScenario {
			return threads(expect(start(f, "a/b", "hi", "bob"), 400, []string{fieldError("clientKey", "bad_client_key")}), 0)
		}},
	})
}

// The records and batch APIs take a key from the clientKey body field or
// the Idempotency-Key header, never show client_key, and refuse filters
// on it.
func TestRecords_MessagesWithKey(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameMessages
	create := func(f *fixture, who string, body map[string]any) tests.ApiScenario {
		return f.as(who, http.MethodPost, recordsURL(c, ""), body)
	}
	runCases(t, []apiCase{
		worldCase("retry with clientKey in the body: the original", func(f *fixture, w world) tests.ApiScenario {
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(create(f, "bob", map[string]any{"thread": w.group, "body": "keyed", "clientKey": "k-1"}), 200,
				[]string{`"id":"` + orig.Id + `"`}, "client_key", "k-1")
			return retryUnchanged(f, s, w.group, map[string]int{"alice": 3})
		}),
		worldCase("retry with the Idempotency-Key header: the original", func(f *fixture, w world) tests.ApiScenario {
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := create(f, "bob", map[string]any{"thread": w.group, "body": "keyed"})
			s.Headers["Idempotency-Key"] = "k-1"
			return retryUnchanged(f, expect(s, 200, []string{`"id":"` + orig.Id + `"`}, "k-1"), w.group, map[string]int{"alice": 3})
		}),
		worldCase("a user can't set client_key itself (hidden)", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(create(f, "bob", map[string]any{"thread": w.group, "body": "keyed", "client_key": "k-1"}), 200,
				[]string{`"seq":6`}, "k-1")
			return countIs(s, c, worldMessages+2)
		}),
		worldCase("same key, another body → 409", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(create(f, "bob", map[string]any{"thread": w.group, "body": "other", "clientKey": "k-1"}), 409,
				[]string{`"status":409`})
			return countIs(s, c, worldMessages+1)
		}),
		worldCase("malformed key → 400", func(f *fixture, w world) tests.ApiScenario {
			s := expect(create(f, "bob", map[string]any{"thread": w.group, "body": "x", "clientKey": "bad key"}), 400,
				[]string{`"client_key":{"code":"validation_invalid_format"`})
			return countIs(s, c, worldMessages)
		}),
		worldCase("non-member with a key → 400 like any create there", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := expect(create(f, "dave", map[string]any{"thread": w.group, "body": "keyed", "clientKey": "k-1"}), 400,
				[]string{createFailed}, "keyed")
			return countIs(s, c, worldMessages+1)
		}),
		worldCase("anonymous with a key → 400 like any create", func(f *fixture, w world) tests.ApiScenario {
			s := expect(create(f, "", map[string]any{"thread": w.group, "body": "keyed", "clientKey": "k-1"}), 400,
				[]string{createFailed})
			return countIs(s, c, worldMessages)
		}),
		worldCase("the author's own list doesn't show the key", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "secret-key-1")
			return expect(f.as("bob", http.MethodGet, recordsURL(c, "?perPage=100"), nil), 200, []string{`"body":"keyed"`},
				"secret-key-1", "client_key")
		}),
		worldCase("another member's list doesn't show the key", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "secret-key-1")
			return expect(f.as("alice", http.MethodGet, recordsURL(c, "?perPage=100"), nil), 200, []string{`"body":"keyed"`},
				"secret-key-1", "client_key")
		}),
		worldCase("filtering on client_key → 400", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "secret-key-1")
			return expect(f.as("alice", http.MethodGet, recordsURL(c, "?filter=client_key='secret-key-1'"), nil), 400,
				[]string{`"status":400`}, "keyed")
		}),
		worldCase("the messaging list doesn't show the key", func(f *fixture, w world) tests.ApiScenario {
			f.sendKeyed("bob", w.group, "keyed", "secret-key-1")
			return expect(f.as("bob", http.MethodGet, threadURL(w.group, "/messages"), nil), 200, []string{`"body":"keyed"`},
				"secret-key-1", "clientKey")
		}),
		worldCase("batch retry: the original", func(f *fixture, w world) tests.ApiScenario {
			f.enableBatch()
			orig := f.sendKeyed("bob", w.group, "keyed", "k-1")
			s := f.as("bob", http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{{
				"method": "POST", "url": "/api/collections/messages/records",
				"body": map[string]any{"thread": w.group, "body": "keyed", "clientKey": "k-1"}}}})
			return countIs(expect(s, 200, []string{`"id":"` + orig.Id + `"`}), c, worldMessages+1)
		}),
	})
}

// idFromJSON is the top-level "id" of a JSON object.
func idFromJSON(t testing.TB, raw string) string {
	var v struct {
		ID string `json:"id"`
	}
	decodeBytes(t, []byte(raw), &v)
	return v.ID
}

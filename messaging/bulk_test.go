package messaging_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

const bulkURL = "/api/messaging/threads/bulk"

// bulk is alice's (or who's) bulk request body.
func bulk(action string, threads ...string) map[string]any {
	return map[string]any{"action": action, "threads": threads}
}

// after adds a check that runs after the request, keeping any earlier one.
func after(s tests.ApiScenario, check func(t testing.TB)) tests.ApiScenario {
	prev := s.AfterTestFunc
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
		if prev != nil {
			prev(t, app, res)
		}
		check(t)
	}
	return s
}

// noDrift checks that `messaging recount` would fix nothing.
func noDrift(t testing.TB, f *fixture) {
	t.Helper()
	fixes, err := f.pm.Recount()
	if err != nil || len(fixes) != 0 {
		t.Errorf("recount fixed %+v (%v), want nothing", fixes, err)
	}
}

// box is the ids of user's threads in a box ("inbox", "archived", "requests").
func (f *fixture) box(user, box string) []string {
	f.t.Helper()
	q := messaging.InboxQuery{Archived: box == "archived", Requests: box == "requests"}
	page, err := f.pm.Inbox(f.id(user), q)
	if err != nil {
		f.t.Fatal(err)
	}
	ids := make([]string, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	return ids
}

// memberField is a field of user's membership of thread, as text.
func (f *fixture) memberField(user, thread, field string) string {
	f.t.Helper()
	return f.member(user, thread).GetString(field)
}

// aliceUnchanged checks after the request that alice's memberships of the world
// are as they were before it.
func aliceUnchanged(s tests.ApiScenario, f *fixture, w world) tests.ApiScenario {
	fields := []string{"unread", "last_read_seq", "muted", "archived", "tags", "hidden_before_seq"}
	before := map[string]string{}
	for _, th := range []string{w.group, w.direct, w.blocked} {
		for _, k := range fields {
			before[th+k] = f.memberField("alice", th, k)
		}
	}
	return after(s, func(t testing.TB) {
		for _, th := range []string{w.group, w.direct, w.blocked} {
			for _, k := range fields {
				if now := f.memberField("alice", th, k); now != before[th+k] {
					t.Errorf("alice's %s of %s changed: %q → %q", k, th, before[th+k], now)
				}
			}
		}
	})
}

func TestBulk_Actions(t *testing.T) {
	t.Parallel()
	mine := func(w world) []string { return []string{w.group, w.direct, w.blocked} }
	ok := func(name, action string, check func(t testing.TB, f *fixture, w world)) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("alice", http.MethodPost, bulkURL, bulk(action, mine(w)...)), 200,
				[]string{`"action":"` + action + `"`, w.group, w.direct, w.blocked}, append([]string{w.others}, allBodies...)...)
			return after(s, func(t testing.TB) { check(t, f, w); noDrift(t, f) })
		})
	}
	each := func(f *fixture, w world, field, want string, t testing.TB) {
		for _, th := range mine(w) {
			if got := f.memberField("alice", th, field); got != want {
				t.Errorf("%s of %s = %q, want %q", field, th, got, want)
			}
		}
	}
	runCases(t, []apiCase{
		ok("read → every count 0, totals 0", messaging.BulkRead, func(t testing.TB, f *fixture, w world) {
			each(f, w, "unread", "0", t)
			if c, _ := f.pm.Unread(f.id("alice")); c != (messaging.UnreadCounts{}) {
				t.Errorf("totals %+v", c)
			}
		}),
		ok("unread → one unread each", messaging.BulkUnread, func(t testing.TB, f *fixture, w world) {
			each(f, w, "unread", "1", t)
		}),
		ok("archive → all in the archived box", messaging.BulkArchive, func(t testing.TB, f *fixture, w world) {
			wantIDs(t, f.box("alice", "inbox"))
			if got := f.box("alice", "archived"); len(got) != 3 {
				t.Errorf("archived box %v", got)
			}
			if f.memberField("bob", w.group, "archived") != "false" {
				t.Error("bob's membership archived too")
			}
		}),
		ok("mute", messaging.BulkMute, func(t testing.TB, f *fixture, w world) { each(f, w, "muted", "true", t) }),
		ok("delete for me → out of every box, nothing else changes for others", messaging.BulkDelete,
			func(t testing.TB, f *fixture, w world) {
				for _, b := range []string{"inbox", "archived", "requests"} {
					wantIDs(t, f.box("alice", b))
				}
				each(f, w, "unread", "0", t)
				if got := f.box("bob", "inbox"); len(got) != 2 {
					t.Errorf("bob's inbox %v", got)
				}
			}),
		worldCase("unarchive and unmute undo", func(f *fixture, w world) tests.ApiScenario {
			_, err := f.pm.BulkAction(f.id("alice"), messaging.BulkArchive, mine(w), messaging.BulkOptions{})
			f.must(err)
			_, err = f.pm.BulkAction(f.id("alice"), messaging.BulkMute, mine(w), messaging.BulkOptions{})
			f.must(err)
			f.must(f.pm.SetArchived(f.id("alice"), w.direct, false))
			s := expect(f.as("alice", http.MethodPost, bulkURL, bulk(messaging.BulkUnarchive, mine(w)...)), 200,
				[]string{`"action":"unarchive"`})
			return after(s, func(t testing.TB) {
				each(f, w, "archived", "false", t)
				_, err := f.pm.BulkAction(f.id("alice"), messaging.BulkUnmute, mine(w), messaging.BulkOptions{})
				if err != nil {
					t.Fatal(err)
				}
				each(f, w, "muted", "false", t)
			})
		}),
		worldCase("tag then untag with an own tag; other tags stay", func(f *fixture, w world) tests.ApiScenario {
			work, keep := f.tag("alice", "work"), f.tag("alice", "keep")
			f.must(f.pm.SetTags(f.id("alice"), w.group, []string{keep.Id, work.Id}))
			body := bulk(messaging.BulkTag, mine(w)...)
			body["tag"] = work.Id
			s := expect(f.as("alice", http.MethodPost, bulkURL, body), 200, []string{`"action":"tag"`})
			return after(s, func(t testing.TB) {
				for _, th := range mine(w) {
					if tags := f.member("alice", th).GetStringSlice("tags"); !strings.Contains(strings.Join(tags, ","), work.Id) {
						t.Errorf("%s tags %v, no %s", th, tags, work.Id)
					}
				}
				if tags := f.member("alice", w.group).GetStringSlice("tags"); len(tags) != 2 {
					t.Errorf("group tagged twice: %v", tags)
				}
				_, err := f.pm.BulkAction(f.id("alice"), messaging.BulkUntag, mine(w), messaging.BulkOptions{Tag: work.Id})
				if err != nil {
					t.Fatal(err)
				}
				wantIDs(t, f.member("alice", w.group).GetStringSlice("tags"), keep.Id)
				wantIDs(t, f.member("alice", w.direct).GetStringSlice("tags"))
			})
		}),
		worldCase("blocked member still manages their own copy", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("erin", http.MethodPost, bulkURL, bulk(messaging.BulkArchive, w.blocked)), 200,
				[]string{`"threads":["` + w.blocked + `"]`}, bodyBlocked, bodyBlockedErin)
			return after(s, func(t testing.TB) {
				if f.memberField("erin", w.blocked, "archived") != "true" || f.memberField("alice", w.blocked, "archived") != "false" {
					t.Error("archive did not apply to erin's membership only")
				}
			})
		}),
	})
}

// Every caller who is not a current member of every thread named gets the
// same 404, and nothing at all changes (one transaction).
func TestBulk_Outsiders(t *testing.T) {
	t.Parallel()
	refused := func(name, who string, ids func(f *fixture, w world) []string, missing func(f *fixture, w world) string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as(who, http.MethodPost, bulkURL, bulk(messaging.BulkArchive, ids(f, w)...)), 404,
				[]string{`"status":404`, fieldError("threads", "unknown_thread"), `No such conversation: ` + missing(f, w) + `.`},
				allBodies...)
			s.ExpectedEvents = map[string]int{"OnModelUpdate": 0, "OnModelCreate": 0, "OnModelDelete": 0}
			return aliceUnchanged(s, f, w)
		})
	}
	others := func(_ *fixture, w world) string { return w.others }
	runCases(t, []apiCase{
		refused("member + another's thread → 404, own threads untouched", "alice",
			func(_ *fixture, w world) []string { return []string{w.group, w.direct, w.others} }, others),
		refused("member + unknown id → the same 404", "alice",
			func(_ *fixture, w world) []string { return []string{w.group, "nosuchthread123"} },
			func(*fixture, world) string { return "nosuchthread123" }),
		refused("non-member → 404", "dave",
			func(_ *fixture, w world) []string { return []string{w.group} },
			func(_ *fixture, w world) string { return w.group }),
		refused("left member → 404", "carol",
			func(_ *fixture, w world) []string { return []string{w.group} },
			func(_ *fixture, w world) string { return w.group }),
		worldCase("declined request → the same 404", func(f *fixture, w world) tests.ApiScenario {
			req := f.requestFrom("dave")
			f.must(f.pm.DeclineRequest(f.id("alice"), req))
			s := expect(f.as("alice", http.MethodPost, bulkURL, bulk(messaging.BulkArchive, w.direct, req)), 404,
				[]string{`"status":404`, fieldError("threads", "unknown_thread"), `No such conversation: ` + req + `.`},
				"first-contact-from-dave")
			s.ExpectedEvents = map[string]int{"OnModelUpdate": 0, "OnModelCreate": 0, "OnModelDelete": 0}
			return aliceUnchanged(s, f, w)
		}),
	})
}

func TestBulk_BadInput(t *testing.T) {
	t.Parallel()
	bad := func(name string, body func(f *fixture, w world) any, content ...string) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("alice", http.MethodPost, bulkURL, body(f, w)), 400, content, allBodies...)
			return aliceUnchanged(s, f, w)
		})
	}
	many := func(n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = strings.Repeat("x", 12) + string(rune('a'+i/26%26)) + string(rune('a'+i%26)) + "z"
		}
		return ids
	}
	runCases(t, []apiCase{
		bad("unknown action", func(_ *fixture, w world) any { return bulk("explode", w.group) }, fieldError("action", "bad_action")),
		bad("no threads", func(*fixture, world) any { return bulk(messaging.BulkArchive) }, fieldError("threads", "required")),
		bad("101 threads → 400 naming the limit", func(_ *fixture, w world) any {
			return bulk(messaging.BulkArchive, append(many(100), w.group)...)
		}, fieldError("threads", "too_many_threads"), "At most 100 conversations per request."),
		bad("tag without a tag", func(_ *fixture, w world) any { return bulk(messaging.BulkTag, w.group) }, fieldError("tag", "required")),
		bad("another user's tag reads as unknown", func(f *fixture, w world) any {
			b := bulk(messaging.BulkTag, w.group)
			b["tag"] = f.tag("bob", "bobs").Id
			return b
		}, fieldError("tag", "unknown_tag")),
		bad("a thread would get more tags than allowed", func(f *fixture, w world) any {
			col, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreadMembers)
			f.must(err)
			// (2, not 1: a relation of one is stored as a plain id.)
			col.Fields.GetByName("tags").(*core.RelationField).MaxSelect = 2
			f.must(f.app.Save(col))
			f.must(f.pm.SetTags(f.id("alice"), w.group, []string{f.tag("alice", "first").Id, f.tag("alice", "second").Id}))
			b := bulk(messaging.BulkTag, w.direct, w.group)
			b["tag"] = f.tag("alice", "third").Id
			return b
		}, fieldError("tags", "too_many_tags"), "at most 2 tags"),
		bad("malformed JSON", func(*fixture, world) any { return `{"action":` }, `"message":"Invalid JSON body."`),
	})
}

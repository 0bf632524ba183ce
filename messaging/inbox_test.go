package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

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

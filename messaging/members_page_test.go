package messaging_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// membersPage is the JSON of GET /api/messaging/threads/{id}/members.
type membersPage struct {
	Items      []messaging.Member `json:"items"`
	NextCursor string             `json:"nextCursor"`
}

// itemsAre checks after the request that the page lists n members and has
// a next cursor exactly when more is wanted.
func itemsAre(s tests.ApiScenario, n int, more bool) tests.ApiScenario {
	s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		var p membersPage
		decode(t, res, &p)
		if len(p.Items) != n || (p.NextCursor != "") != more {
			t.Errorf("%d members, next cursor %q; want %d, more = %v", len(p.Items), p.NextCursor, n, more)
		}
	}
	return s
}

// The paged member list answers current members only; everyone else gets
// the 404 of a thread that doesn't exist, guests a 401.
func TestThreadMembers_Callers(t *testing.T) {
	t.Parallel()
	groupMembers := func(w world) string { return threadURL(w.group, "/members") }
	runCases(t, []apiCase{
		worldCase("member → the current members", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("bob", http.MethodGet, groupMembers(w), nil), 200,
				[]string{`"id":"` + f.id("alice") + `"`, `"id":"` + f.id("bob") + `"`, `"nextCursor":""`},
				`"id":"`+f.id("carol")+`"`, "@example.com")
			return itemsAre(s, 2, false)
		}),
		worldCase("non-member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("dave", http.MethodGet, groupMembers(w), nil), 404, []string{notFoundBody}, f.id("alice"))
		}),
		worldCase("left member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("carol", http.MethodGet, groupMembers(w), nil), 404, []string{notFoundBody}, f.id("alice"))
		}),
		worldCase("guest → 401", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, groupMembers(w), nil), 401, []string{`"status":401`}, f.id("alice"))
		}),
		worldCase("unknown thread → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, threadURL("nosuchthread123", "/members"), nil), 404, []string{notFoundBody})
		}),
		worldCase("bad cursor → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, groupMembers(w)+"?cursor=%25%25", nil), 400, []string{fieldError("cursor", "bad_cursor")})
		}),
		{name: "member of a big thread → one page and a cursor", build: func(f *fixture) tests.ApiScenario {
			th := f.bigThread()
			s := expect(f.as("dave", http.MethodGet, threadURL(th, "/members?limit=100"), nil), 200, []string{`"nextCursor":"`})
			return itemsAre(s, 100, true)
		}},
		{name: "left member of a big thread → 404", build: func(f *fixture) tests.ApiScenario {
			th := f.bigThread()
			return expect(f.as("carol", http.MethodGet, threadURL(th, "/members"), nil), 404, []string{notFoundBody})
		}},
	})
}

// Paging a big thread's members visits every current member once, in id
// order, and no one who left.
func TestThreadMembers_PagesEveryone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	var ids []string
	q := messaging.MembersQuery{Limit: 100}
	for pages := 0; ; pages++ {
		if pages > bigMembers/100+1 {
			t.Fatal("paging does not end")
		}
		p, err := f.pm.ThreadMembers(f.id("dave"), th, q)
		f.must(err)
		for _, m := range p.Items {
			ids = append(ids, m.ID)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	if len(ids) != bigMembers {
		t.Errorf("paged %d members, want %d", len(ids), bigMembers)
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Error("members not in strict id order")
	}
	if slices.Contains(ids, f.id("carol")) || !slices.Contains(ids, f.id("dave")) {
		t.Error("carol (left) listed or dave (last to join) missing")
	}
}

// Thread and inbox views of a big thread carry its member count and at
// most 50 members, never the whole list.
func TestThreadView_BoundedMembers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	view, err := f.pm.Thread(f.id("dave"), th)
	f.must(err)
	if view.MemberCount != bigMembers || len(view.Members) != 50 || view.Members[0].ID != f.id("alice") {
		t.Errorf("thread view: memberCount %d, %d members; want %d and the first 50 from alice",
			view.MemberCount, len(view.Members), bigMembers)
	}
	inbox, err := f.pm.Inbox(f.id("dave"), messaging.InboxQuery{})
	f.must(err)
	if len(inbox.Items) != 1 || inbox.Items[0].MemberCount != bigMembers || len(inbox.Items[0].Members) != 50 {
		t.Errorf("inbox: %+v", inbox.Items)
	}
	small, _ := f.start("alice", []string{"bob"}, "", "small-one")
	view, err = f.pm.Thread(f.id("alice"), small.Id)
	f.must(err)
	if view.MemberCount != 2 || len(view.Members) != 2 {
		t.Errorf("direct view: memberCount %d, %d members; want 2 and 2", view.MemberCount, len(view.Members))
	}
}

// The thread route shows the same bounded view.
func TestThreadView_MemberCountRoute(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		{name: "member of a big thread → memberCount", build: func(f *fixture) tests.ApiScenario {
			th := f.bigThread()
			return expect(f.as("dave", http.MethodGet, threadURL(th, ""), nil), 200,
				[]string{`"memberCount":` + strconv.Itoa(bigMembers)}, `"id":"big000000001100"`)
		}},
	})
}

package messaging_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/types"
)

// bigSeeded is how many members bigThread seeds: enough to push dave past
// the 1,000 ids that threads.members holds.
const bigSeeded = 1200

// bigBody is the first message of the big thread.
const bigBody = "hello-everyone-big"

// bigThread makes a group of alice, bob and carol, then seeds bigSeeded
// more members and, last, dave, so dave is a current member who is not in
// the threads.members preview; carol has left. Members are inserted with
// SQL (saving 1,200 records would take most of a minute) and the plugin's
// derived fields are brought up to date with Recount, as after any write
// that bypasses the hooks.
func (f *fixture) bigThread() string {
	f.t.Helper()
	thread, _ := f.start("alice", []string{"bob", "carol"}, "Everyone", bigBody)
	f.must(f.pm.Leave(f.id("carol"), thread.Id))
	tick()
	var seq int
	f.must(f.app.DB().NewQuery("SELECT last_seq FROM threads WHERE id = {:t}").Bind(dbx.Params{"t": thread.Id}).Row(&seq))
	at := types.NowDateTime().String()
	p := dbx.Params{"n": bigSeeded, "t": thread.Id, "seq": seq, "at": at}
	_, err := f.app.DB().NewQuery(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {:n})
		INSERT INTO users (id, email, password, tokenKey, name, username)
		SELECT printf('big%012d', n), printf('big%d@example.com', n), 'x', printf('tk%d', n),
			printf('Big %d', n), printf('big%d', n) FROM seq`).Bind(p).Execute()
	f.must(err)
	_, err = f.app.DB().NewQuery(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {:n})
		INSERT INTO thread_members (id, thread, user, last_read_seq, last_activity, created, updated)
		SELECT printf('bgm%012d', n), {:t}, printf('big%012d', n), {:seq}, {:at}, {:at}, {:at} FROM seq`).Bind(p).Execute()
	f.must(err)
	tick()
	p["at"] = types.NowDateTime().String()
	p["u"] = f.id("dave")
	_, err = f.app.DB().NewQuery(`INSERT INTO thread_members (id, thread, user, last_read_seq, last_activity, created, updated)
		VALUES ('bgmdave00000000', {:t}, {:u}, {:seq}, {:at}, {:at}, {:at})`).Bind(p).Execute()
	f.must(err)
	_, err = f.pm.Recount()
	f.must(err)
	return thread.Id
}

// bigMembers is the member count of bigThread: alice, bob, the seeded
// members and dave.
const bigMembers = bigSeeded + 3

// The records API rules check the caller's own membership row, so a member
// beyond the first 1,000 reads and writes like any other, and a member who
// left, a non-member and a guest get nothing.
func TestBigThread_RecordsRules(t *testing.T) {
	t.Parallel()
	big := func(build func(f *fixture, thread string) tests.ApiScenario) func(f *fixture) tests.ApiScenario {
		return func(f *fixture) tests.ApiScenario { return build(f, f.bigThread()) }
	}
	inThread := func(thread string) string {
		return recordsURL(messaging.CollectionNameMessages, "?filter="+url.QueryEscape("thread='"+thread+"'"))
	}
	count := `"member_count":` + strconv.Itoa(bigMembers)
	runCases(t, []apiCase{
		{name: "member past the preview views the thread", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("dave", http.MethodGet, recordsURL("threads", "/"+th), nil), 200, []string{`"id":"` + th + `"`, count})
		})},
		{name: "member past the preview lists threads", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("dave", http.MethodGet, recordsURL("threads", ""), nil), 200, []string{`"id":"` + th + `"`, `"totalItems":1`})
		})},
		{name: "member past the preview lists messages", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("dave", http.MethodGet, inThread(th), nil), 200, []string{bigBody})
		})},
		{name: "member past the preview posts through the records API", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("dave", http.MethodPost, recordsURL("messages", ""), map[string]any{"thread": th, "body": "from-dave-records"}),
				200, []string{"from-dave-records"})
		})},
		{name: "member past the preview posts through the messaging API", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("dave", http.MethodPost, threadURL(th, "/messages"), map[string]any{"body": "from-dave-api"}),
				200, []string{"from-dave-api"})
		})},
		{name: "left member can't view the thread", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("carol", http.MethodGet, recordsURL("threads", "/"+th), nil), 404, []string{recordNotFound}, count)
		})},
		{name: "left member lists no messages", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("carol", http.MethodGet, inThread(th), nil), 200, []string{`"totalItems":0`}, bigBody)
		})},
		{name: "left member can't post through the records API", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("carol", http.MethodPost, recordsURL("messages", ""), map[string]any{"thread": th, "body": "from-carol"}),
				400, []string{createFailed})
		})},
		{name: "first member views the thread", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL("threads", "/"+th), nil), 200, []string{count})
		})},
		{name: "outsider can't view the thread", build: big(func(f *fixture, th string) tests.ApiScenario {
			f.users["erin"] = f.mustUser("erin")
			return expect(f.as("erin", http.MethodGet, recordsURL("threads", "/"+th), nil), 404, []string{recordNotFound}, count)
		})},
		{name: "outsider lists no messages", build: big(func(f *fixture, th string) tests.ApiScenario {
			f.users["erin"] = f.mustUser("erin")
			return expect(f.as("erin", http.MethodGet, inThread(th), nil), 200, []string{`"totalItems":0`}, bigBody)
		})},
		{name: "outsider can't post through the records API", build: big(func(f *fixture, th string) tests.ApiScenario {
			f.users["erin"] = f.mustUser("erin")
			return expect(f.as("erin", http.MethodPost, recordsURL("messages", ""), map[string]any{"thread": th, "body": "from-erin"}),
				400, []string{createFailed})
		})},
		{name: "guest can't view the thread", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, recordsURL("threads", "/"+th), nil), 404, []string{recordNotFound}, count)
		})},
		{name: "guest lists no messages", build: big(func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, inThread(th), nil), 200, []string{`"totalItems":0`}, bigBody)
		})},
	})
}

// A big thread keeps exact derived fields: members is the first 1,000
// current members in join order and member_count counts all of them; a
// post gives everyone but the author one unread, dave included.
func TestBigThread_DerivedFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	thread, err := f.app.FindRecordById(messaging.CollectionNameThreads, th)
	f.must(err)
	tv := &messaging.Thread{Record: thread}
	if got := tv.MemberCount(); got != bigMembers {
		t.Errorf("member_count = %d, want %d", got, bigMembers)
	}
	ids := tv.Members()
	if len(ids) != 1000 || ids[0] != f.id("alice") || ids[1] != f.id("bob") {
		t.Errorf("members: %d ids starting %v, want the first 1000 from alice, bob", len(ids), ids[:2])
	}
	f.send("dave", th, "dave-writes")
	f.send("bob", th, "bob-writes")
	f.must(messaging.DrainFanOutsForTest(f.app)) // over 500 members: counted in the background
	if got := f.unread("dave", th); got != 1 {
		t.Errorf("dave's unread = %d, want 1", got)
	}
	if got := f.unread("alice", th); got != 2 {
		t.Errorf("alice's unread = %d, want 2", got)
	}
	fixes, err := f.pm.Recount()
	f.must(err)
	if len(fixes) != 0 {
		t.Errorf("recount fixed %d counts after sends in a big thread: %+v", len(fixes), fixes[0])
	}
}

// The membership rules stay an index lookup: PocketBase joins
// thread_members once on its thread column and SQLite finds the caller's
// row with an index, never by scanning the memberships or a JSON list.
func TestBigThreadRules_SQL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	for _, tc := range []struct{ collection, index string }{
		{messaging.CollectionNameThreads, "idx_messaging_members_"},
		{messaging.CollectionNameMessages, "idx_messaging_members_thread_user (thread=? AND user=?)"},
	} {
		c, err := f.app.FindCollectionByNameOrId(tc.collection)
		f.must(err)
		r := core.NewRecordFieldResolver(f.app, c, &core.RequestInfo{Auth: f.users["alice"]}, true)
		expr, err := search.FilterData(*c.ListRule).BuildExpr(r)
		f.must(err)
		q := f.app.RecordQuery(c).AndWhere(expr)
		f.must(r.UpdateQuery(q))
		built := q.Build()
		if strings.Contains(built.SQL(), "json_each") {
			t.Errorf("%s: the rule reads a JSON list: %s", tc.collection, built.SQL())
		}
		var plan []struct {
			Detail string `db:"detail"`
		}
		f.must(f.app.DB().NewQuery("EXPLAIN QUERY PLAN " + built.SQL()).Bind(built.Params()).All(&plan))
		var lines []string
		for _, p := range plan {
			lines = append(lines, p.Detail)
		}
		all := strings.Join(lines, "\n")
		if !strings.Contains(all, "USING INDEX "+tc.index) && !strings.Contains(all, "USING COVERING INDEX "+tc.index) {
			t.Errorf("%s: thread_members not found through %s:\n%s", tc.collection, tc.index, all)
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "SCAN") && strings.Contains(l, "thread_members") {
				t.Errorf("%s: scans memberships: %s", tc.collection, all)
			}
		}
	}
}

// The big-threads migration comes down to the members-list rules and goes
// up again, member counts filled in.
func TestBigThreadsMigration_DownAndUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th, _ := f.start("alice", []string{"bob", "carol"}, "Three", "hi")
	check := func(up bool) {
		t.Helper()
		threads, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreads)
		f.must(err)
		messages, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
		f.must(err)
		for _, rule := range []*string{threads.ListRule, threads.ViewRule, messages.ListRule, messages.ViewRule,
			messages.CreateRule, messages.UpdateRule} {
			if strings.Contains(*rule, "thread_members_via_thread.left ?= false") != up ||
				strings.Contains(*rule, "members.id ?=") == up {
				t.Errorf("up=%v, rule %s", up, *rule)
			}
		}
		if (threads.Fields.GetByName("member_count") != nil) != up {
			t.Errorf("up=%v, member_count present = %v", up, !up)
		}
		if !strings.Contains(*messages.UpdateRule, "@request.body.seq:isset = false") {
			t.Errorf("the edit rule lost its body checks: %s", *messages.UpdateRule)
		}
	}
	check(true)
	mig := messaging.BigThreadsMigrationForTest()
	f.must(mig[1](f.app))
	check(false)
	f.must(mig[0](f.app))
	check(true)
	r, err := f.app.FindRecordById(messaging.CollectionNameThreads, th.Id)
	f.must(err)
	if got := r.GetInt("member_count"); got != 3 {
		t.Errorf("member_count after up = %d, want 3", got)
	}
}

// A post into a thread bigger than its members preview reaches the live
// connection of a member past the preview (the fan-out reads
// thread_members), PocketBase's own record events, checked against the new
// view rule, reach them too, and the background count sends their new
// unread state; an outsider gets nothing.
func TestRealtime_BigThreadReachesEveryMember(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	srv := f.serve()
	f.users["erin"] = f.mustUser("erin")
	topics := []string{messaging.RealtimeTopic, "messages/*"}
	dave := f.connect(srv, "dave", topics...)
	erin := f.connect(srv, "erin", topics...)

	f.send("bob", th, "live-to-everyone")
	// The counts move in the background (over 500 members): once dave is
	// counted, the worker sends him his new state.
	got := map[string]bool{}
	for !got["live message"] || !got["messages/*"] || !got["live read"] {
		ev := dave.next(t, 10*time.Second)
		key := ev.Name
		if ev.Name == messaging.RealtimeTopic {
			key = "live " + ev.Data["type"].(string)
			if key == "live read" && ev.Data["unread"] != float64(1) {
				t.Errorf("dave's state after the fan-out: %v, want unread 1", ev.Data)
			}
		}
		got[key] = true
	}
	for _, ev := range erin.drain(300 * time.Millisecond) {
		t.Errorf("erin received %q: %v", ev.Name, ev.Data)
	}
}

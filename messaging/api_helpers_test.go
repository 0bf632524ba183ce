package messaging_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// apiCase is one tests.ApiScenario run against its own fresh fixture.
// build seeds what the case needs and returns the request and the
// expectations; runCases points TestAppFactory at the fixture's app (and
// lets the scenario clean it up).
type apiCase struct {
	name  string
	cfg   messaging.Config
	build func(f *fixture) tests.ApiScenario
	// before, when set, runs once the routes are bound and may still
	// change the scenario (its URL, say) before the request is made.
	before func(t testing.TB, f *fixture, e *core.ServeEvent, s *tests.ApiScenario)
}

// runCases runs every case in parallel, each on a new fixture. A case must
// assert a status and, unless it expects an empty 204, some content: a
// scenario that checks nothing can't fail.
func runCases(t *testing.T, cases []apiCase) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, c.cfg)
			s := c.build(f)
			if s.ExpectedStatus == 0 {
				t.Fatal("case sets no ExpectedStatus")
			}
			if s.ExpectedStatus != http.StatusNoContent && len(s.ExpectedContent) == 0 {
				t.Fatal("case asserts no ExpectedContent")
			}
			s.Name = s.Method + " " + idPattern.ReplaceAllString(strings.SplitN(s.URL, "?", 2)[0], "{id}")
			s.TestAppFactory = func(testing.TB) *tests.TestApp { return f.app }
			if c.before != nil {
				s.BeforeTestFunc = func(t testing.TB, _ *tests.TestApp, e *core.ServeEvent) { c.before(t, f, e, &s) }
			}
			s.Test(t)
		})
	}
}

// idPattern matches record ids in URLs, to keep subtest names stable.
var idPattern = regexp.MustCompile(`[a-z0-9]{15}`)

// serve sends one request through the router of the scenario being run
// and returns the response body, failing on any status but 200. Cases
// that follow a cursor use it from before: PocketBase's test app can't
// serve two ApiScenarios (its OnServe handlers pile up), so the earlier
// pages are fetched here and the scenario checks the last one.
func serve(t testing.TB, e *core.ServeEvent, method, url string, headers map[string]string) []byte {
	t.Helper()
	mux, err := e.Router.BuildMux()
	if err != nil {
		t.Fatal(err)
	}
	rec := recordResponse(mux, newRequest(tests.ApiScenario{Method: method, URL: url, Headers: headers}))
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", method, url, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// newRequest is the request ApiScenario would make for s.
func newRequest(s tests.ApiScenario) *http.Request {
	req := httptest.NewRequest(s.Method, s.URL, s.Body)
	req.Header.Set("content-type", "application/json")
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	return req
}

func recordResponse(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// as fills in the request part of a scenario: who is "" for anonymous,
// "superuser", or a fixture user; body is marshalled to JSON unless it is
// already a string (sent as is, to test malformed JSON) or nil.
func (f *fixture) as(who, method, url string, body any) tests.ApiScenario {
	f.t.Helper()
	s := tests.ApiScenario{Method: method, URL: url}
	if who != "" {
		s.Headers = f.token(who)
	}
	switch b := body.(type) {
	case nil:
	case string:
		s.Body = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		s.Body = strings.NewReader(string(raw))
	}
	return s
}

// decode reads a JSON response into dst.
func decode(t testing.TB, res *http.Response, dst any) {
	t.Helper()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	decodeBytes(t, raw, dst)
}

func decodeBytes(t testing.TB, raw []byte, dst any) {
	t.Helper()
	if err := json.Unmarshal(raw, dst); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// world is the cast most cases share, seen from alice:
//   - group: alice, bob and carol, "Weekend plans"; alice, bob and carol
//     each wrote once, then carol left (a system note says so);
//   - direct: alice and bob, one message each;
//   - blocked: alice and erin, one message each, then alice blocked erin;
//   - others: carol and dave, a thread alice and bob are not in.
type world struct {
	group, direct, blocked, others string

	groupAlice, groupBob, groupCarol *core.Record
	directAlice, directBob           *core.Record
	blockedErin                      *core.Record
	othersMsg                        *core.Record
}

// Bodies that must only ever reach the members of their thread.
const (
	bodyGroupAlice  = "group-alpha-from-alice"
	bodyGroupBob    = "group-bravo-from-bob"
	bodyGroupCarol  = "group-charlie-from-carol"
	bodyDirectAlice = "direct-alpha-from-alice"
	bodyDirectBob   = "direct-bravo-from-bob"
	bodyBlocked     = "blocked-alpha-from-alice"
	bodyBlockedErin = "blocked-echo-from-erin"
	bodyOthers      = "others-secret-carol-dave"
	subjectGroup    = "Weekend plans"
)

func (f *fixture) world() world {
	f.t.Helper()
	if f.users["erin"] == nil {
		f.users["erin"] = f.mustUser("erin")
	}
	var w world
	var thread *core.Record

	thread, w.groupAlice = f.start("alice", []string{"bob", "carol"}, subjectGroup, bodyGroupAlice)
	w.group = thread.Id
	w.groupBob = f.send("bob", w.group, bodyGroupBob)
	w.groupCarol = f.send("carol", w.group, bodyGroupCarol)
	if err := f.pm.Leave(f.id("carol"), w.group); err != nil {
		f.t.Fatal(err)
	}

	tick() // distinct last_activity, so the inbox order is certain
	thread, w.directAlice = f.start("alice", []string{"bob"}, "", bodyDirectAlice)
	w.direct = thread.Id
	w.directBob = f.send("bob", w.direct, bodyDirectBob)

	tick()
	thread, _ = f.start("alice", []string{"erin"}, "", bodyBlocked)
	w.blocked = thread.Id
	w.blockedErin = f.send("erin", w.blocked, bodyBlockedErin)
	if err := f.pm.Block(f.id("alice"), f.id("erin")); err != nil {
		f.t.Fatal(err)
	}

	tick()
	thread, w.othersMsg = f.start("carol", []string{"dave"}, "", bodyOthers)
	w.others = thread.Id
	return w
}

// tick waits out the millisecond resolution of PocketBase timestamps.
func tick() { time.Sleep(2 * time.Millisecond) }

// tag creates a tag owned by user.
func (f *fixture) tag(user, name string) *core.Record {
	f.t.Helper()
	col, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameTags)
	if err != nil {
		f.t.Fatal(err)
	}
	r := core.NewRecord(col)
	r.Set("user", f.id(user))
	r.Set("name", name)
	r.Set("color", "blue")
	if err := f.app.Save(r); err != nil {
		f.t.Fatal(err)
	}
	return r
}

// member returns user's thread_members row for thread.
func (f *fixture) member(user, thread string) *core.Record {
	f.t.Helper()
	m, err := f.app.FindFirstRecordByFilter(messaging.CollectionNameThreadMembers, "thread = {:t} && user = {:u}",
		map[string]any{"t": thread, "u": f.id(user)})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// must fails the test on a Go API error.
func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// refusedBody is the exact response to every refused send, whatever the
// reason (block, messaging off, role): clients can't tell them apart.
const refusedBody = `{"data":{},"message":"Unable to send message.","status":403}`

// notFoundBody is the exact 404 of the messaging API.
const notFoundBody = `{"data":{},"message":"The requested resource wasn't found.","status":404}`

// fieldError is the start of PocketBase's JSON for a 400 on one field.
func fieldError(field, code string) string {
	return `"data":{"` + field + `":{"code":"validation_messaging_` + code + `"`
}

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

// memberActionCases are the outsiders' cases shared by every per-member
// action on a thread: a non-member, a member who left and an unknown
// thread all get the same 404 and change nothing.
func memberActionCases(action, method, suffix string, body any) []apiCase {
	outsider := func(name, who string, id func(w world) string) apiCase {
		return worldCase(action+": "+name, func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as(who, method, "/api/messaging/threads/"+id(w)+suffix, body), 404, []string{notFoundBody}, allBodies...)
			s.ExpectedEvents = map[string]int{"OnModelUpdate": 0, "OnModelCreate": 0, "OnModelDelete": 0}
			return s
		})
	}
	return []apiCase{
		outsider("non-member → 404", "dave", func(w world) string { return w.group }),
		outsider("left member → 404", "carol", func(w world) string { return w.group }),
		outsider("unknown thread → 404", "alice", func(world) string { return "nosuchthread123" }),
	}
}

func threadURL(id, suffix string) string { return "/api/messaging/threads/" + id + suffix }

// expect sets a scenario's expectations.
func expect(s tests.ApiScenario, status int, content []string, notContent ...string) tests.ApiScenario {
	s.ExpectedStatus = status
	s.ExpectedContent = content
	s.NotExpectedContent = notContent
	return s
}

// worldCase is a case on the shared cast with the default config.
func worldCase(name string, build func(f *fixture, w world) tests.ApiScenario) apiCase {
	return apiCase{name: name, build: func(f *fixture) tests.ApiScenario { return build(f, f.world()) }}
}

// allBodies is every message body of the world; a response for someone
// who may read nothing must contain none of them.
var allBodies = []string{bodyGroupAlice, bodyGroupBob, bodyGroupCarol, bodyDirectAlice, bodyDirectBob,
	bodyBlocked, bodyBlockedErin, bodyOthers, subjectGroup}

// inboxIDs decodes a page of threads into its ids, in order.
func inboxIDs(t testing.TB, res *http.Response) []string {
	t.Helper()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	decode(t, res, &page)
	ids := make([]string, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	return ids
}

func wantIDs(t testing.TB, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got ids %v, want %v", got, want)
	}
}

// inboxFirst is the id of user's newest thread.
func inboxFirst(f *fixture, user string) string {
	f.t.Helper()
	page, err := f.pm.Inbox(f.id(user), messaging.InboxQuery{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		f.t.Fatalf("inbox of %s: %v", user, err)
	}
	return page.Items[0].ID
}

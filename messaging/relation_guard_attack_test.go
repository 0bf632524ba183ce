package messaging_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// TestRelationGuard_AttackerLearnsNothing is the attacker's script: dave
// shares one group with alice and reads every collection through every
// relation path he can name (forward relations and _via_ back-relations,
// from every collection, up to PocketBase's depth limit), as filters,
// sorts and expands. Then alice's private state changes — a new message in
// her direct thread with bob, her read position, mute, archive, tag names,
// preferences, blocks, a new conversation — and every answer must be
// byte for byte what it was.
//
// A control run of a few of the same requests with the guard unbound must
// see answers change, so the harness can tell a leak from none.
func TestRelationGuard_AttackerLearnsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of requests")
	}
	if raceDetector {
		// Sequential HTTP requests with nothing concurrent to check:
		// test.sh runs it once more without -race, where it takes a
		// fifth of the time.
		t.Skip("run without -race (see test.sh)")
	}
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	a := newAttackScene(f)

	guarded, open := f.handlers("__messagingRelationGuard__")
	probes := a.probes(guarded)
	controls := []string{
		recordsURL("messages", "?filter="+url.QueryEscape("thread.members.messages_via_author.body !~ '0000'")),
		recordsURL("users", "?filter="+url.QueryEscape("blocks_via_blocked.id ?= ''")),
		recordsURL("thread_members", "?filter="+url.QueryEscape("thread.members.thread_members_via_user.muted != true")),
	}

	before := a.run(guarded, probes)
	controlBefore := a.run(open, controls)
	a.changeSecrets()
	after := a.run(guarded, probes)
	controlAfter := a.run(open, controls)

	refused, leaks := 0, 0
	for _, p := range probes {
		if strings.Contains(before[p], "validation_messaging_private_relation") {
			refused++
		}
		if before[p] != after[p] {
			leaks++
			if leaks <= 10 {
				t.Errorf("answer changed with alice's secrets:\n  %s\n  before %s\n  after  %s", p, before[p], after[p])
			}
		}
	}
	if leaks > 0 {
		t.Errorf("%d of %d requests learned something", leaks, len(probes))
	}
	changed := 0
	for _, c := range controls {
		if controlBefore[c] != controlAfter[c] {
			changed++
		}
	}
	if changed != len(controls) {
		t.Errorf("without the guard only %d of %d control requests saw the secrets change: the harness can't see leaks", changed, len(controls))
	}
	t.Logf("%d requests, %d refused by the guard, %d answered; %d controls leak without it", len(probes), refused, len(probes)-refused, changed)
}

// attackScene is dave's view of a small site: a group with alice and bob,
// alice's private direct thread with bob, a site collection of posts with
// a single and a multiple relation to users, and a users list the site
// opened to everyone (as sites that show profiles do).
type attackScene struct {
	f                  *fixture
	secret, group      string
	aliceTag, bobBlock *core.Record
	requests           int
}

func newAttackScene(f *fixture) *attackScene {
	t := f.t
	users, err := f.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	users.ListRule, users.ViewRule = types.Pointer(""), types.Pointer("")
	f.must(f.app.Save(users))
	posts := core.NewBaseCollection("posts")
	posts.ListRule, posts.ViewRule = types.Pointer(""), types.Pointer("")
	posts.Fields.Add(
		&core.TextField{Name: "title"},
		&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1},
		&core.RelationField{Name: "readers", CollectionId: users.Id, MaxSelect: 10},
	)
	f.must(f.app.Save(posts))
	for _, p := range [][]string{{"alice", "bob", "dave"}, {"dave", "alice"}} {
		r := core.NewRecord(posts)
		r.Set("title", "post by "+p[0])
		r.Set("author", f.id(p[0]))
		r.Set("readers", []string{f.id(p[1]), f.id(p[len(p)-1])})
		f.must(f.app.Save(r))
	}

	a := &attackScene{f: f}
	group, _ := f.start("alice", []string{"bob", "dave"}, "Club", "welcome to the club")
	f.send("dave", group.Id, "hi all")
	a.group = group.Id
	secret, _ := f.start("alice", []string{"bob"}, "", "the pin is 4711")
	f.send("bob", secret.Id, "thanks, work stuff")
	a.secret = secret.Id
	a.aliceTag = f.tag("alice", "work")
	f.must(f.pm.SetTags(f.id("alice"), secret.Id, []string{a.aliceTag.Id}))
	f.tag("dave", "mine")
	f.must(f.pm.Block(f.id("dave"), f.id("carol")))
	return a
}

// changeSecrets changes everything of alice's that dave must not learn,
// and nothing that dave may read.
func (a *attackScene) changeSecrets() {
	f := a.f
	f.start("carol", []string{"alice"}, "", "psst 0000")
	f.send("bob", a.secret, "new code 0000")
	f.must(f.pm.MarkRead(f.id("alice"), a.secret))
	f.must(f.pm.SetMuted(f.id("alice"), a.secret, true))
	f.must(f.pm.SetArchived(f.id("alice"), a.secret, true))
	a.aliceTag.Set("name", "home")
	f.must(f.app.Save(a.aliceTag))
	f.must(f.pm.SetTags(f.id("alice"), a.secret, nil))
	f.must(f.pm.SetPreferences(f.id("alice"), messaging.Preferences{MessagingOff: true, EmailNotifications: messaging.EmailNone}))
	f.must(f.pm.Block(f.id("alice"), f.id("dave")))
	f.must(f.pm.Block(f.id("bob"), f.id("carol")))
}

// hop is one step of a relation path.
type hop struct {
	name string
	to   *core.Collection
}

// hopsFrom lists every step PocketBase's resolver can take from c: its
// relation fields, and a back-relation for every relation field anywhere
// that points at c.
func hopsFrom(all []*core.Collection, c *core.Collection) []hop {
	var out []hop
	byID := map[string]*core.Collection{}
	for _, x := range all {
		byID[x.Id] = x
	}
	for _, f := range c.Fields {
		if rel, ok := f.(*core.RelationField); ok && byID[rel.CollectionId] != nil {
			out = append(out, hop{f.GetName(), byID[rel.CollectionId]})
		}
	}
	for _, x := range all {
		for _, f := range x.Fields {
			if rel, ok := f.(*core.RelationField); ok && rel.CollectionId == c.Id {
				out = append(out, hop{x.Name + "_via_" + f.GetName(), x})
			}
		}
	}
	return out
}

// conditions are the filters tried on a field, chosen by type so that the
// secrets (texts 4711/0000/work/home, flags, counts, rows that appear)
// would change their answer if any of them got through.
func conditions(f core.Field, path string) []string {
	switch f.Type() {
	case core.FieldTypeText, core.FieldTypeEditor, core.FieldTypeEmail:
		return []string{path + " ~ '4711'", path + " !~ '0000'", path + " ?~ '0000'", path + " !~ 'work'", path + " ?~ 'home'"}
	case core.FieldTypeBool:
		return []string{path + " = true", path + " != true", path + " ?= true"}
	case core.FieldTypeNumber:
		return []string{path + " > 1", path + " != 0", path + " ?> 2"}
	}
	return []string{path + " != ''", path + " ?= ''"}
}

// probes walks every relation path from every collection dave can name.
// A path the guard refuses is tried once and not extended (every longer
// path shares its refused hop); paths through site data are followed to
// PocketBase's limit of 6 hops, at most a few per depth once past 3.
func (a *attackScene) probes(guard http.Handler) []string {
	all, err := a.f.app.FindAllCollections()
	if err != nil {
		a.f.t.Fatal(err)
	}
	all = slices.DeleteFunc(all, func(c *core.Collection) bool { return c.System })
	var out []string
	add := func(u string) { out = append(out, u) }
	for _, root := range all {
		type prefix struct {
			path []string
			c    *core.Collection
		}
		level := []prefix{{nil, root}}
		for depth := 0; depth <= 6 && len(level) > 0; depth++ {
			var next []prefix
			for _, p := range level {
				join := func(field string) string { return strings.Join(append(slices.Clone(p.path), field), ".") }
				for _, fld := range p.c.Fields {
					if fld.GetHidden() {
						continue
					}
					for _, cond := range conditions(fld, join(fld.GetName())) {
						add(recordsURL(root.Name, "?filter="+url.QueryEscape(cond)))
					}
					add(recordsURL(root.Name, "?sort=-"+url.QueryEscape(join(fld.GetName()))+",id"))
				}
				if len(p.path) > 0 {
					add(recordsURL(root.Name, "?expand="+url.QueryEscape(strings.Join(p.path, "."))))
				}
				probe := recordsURL(root.Name, "?filter="+url.QueryEscape(join("id")+" != ''"))
				if depth == 0 || a.answer(guard, probe)[0] != '4' {
					for _, h := range hopsFrom(all, p.c) {
						next = append(next, prefix{append(slices.Clone(p.path), h.name), h.to})
					}
				}
			}
			if depth >= 3 && len(next) > 4 {
				next = next[:4]
			}
			level = next
		}
	}
	return out
}

// run sends every request as dave and returns status and body by URL.
func (a *attackScene) run(h http.Handler, urls []string) map[string]string {
	out := make(map[string]string, len(urls))
	for _, u := range urls {
		out[u] = a.answer(h, u)
	}
	return out
}

func (a *attackScene) answer(h http.Handler, u string) string {
	req := httptest.NewRequest(http.MethodGet, u, nil)
	for k, v := range a.f.token("dave") {
		req.Header.Set(k, v)
	}
	// A new client address per request keeps PocketBase's throttle of
	// empty filtered lists (keyed by IP) from slowing the run down.
	a.requests++
	req.RemoteAddr = fmt.Sprintf("127.%d.%d.%d:1234", a.requests>>16&255, a.requests>>8&255, a.requests&255)
	rec := recordResponse(h, req)
	return fmt.Sprintf("%d %s", rec.Code, rec.Body.String())
}

// handlers builds the app's router the way serve does, and returns its
// handler as served and without the middleware whose id is given.
// (OnServe can run only once per test app: its handlers pile up.)
func (f *fixture) handlers(without string) (all, less http.Handler) {
	f.t.Helper()
	router, err := apis.NewRouter(f.app)
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.app.OnServe().Trigger(&core.ServeEvent{App: f.app, Router: router}, func(e *core.ServeEvent) error {
		if all, err = e.Router.BuildMux(); err != nil {
			return err
		}
		e.Router.Unbind(without)
		less, err = e.Router.BuildMux()
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return all, less
}

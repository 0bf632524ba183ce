package messaging_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// expansionFixture is a role fixture whose support role has n (1,200:
// three pages) seeded holders plus bob, carol, dave (who blocked sam) and off
// (messaging off), with the threshold at 10: a role message to support
// goes to the background. It returns the users who must
// end up members: sam and every holder but dave and off.
func expansionFixture(t testing.TB, n int) (*fixture, []string) {
	return expansionFixtureWith(t, n, messaging.Config{RoleExpandThreshold: 10})
}

// expansionFixtureWith is expansionFixture with cfg.
func expansionFixtureWith(t testing.TB, n int, cfg messaging.Config) (*fixture, []string) {
	f := newRoleFixture(t, cfg)
	f.giveRole("support", "bob", "carol", "dave", "off")
	f.must(f.pm.Block(f.id("dave"), f.id("sam")))
	want := append(f.seedRole("support", "sup", n), f.id("sam"), f.id("bob"), f.id("carol"))
	slices.Sort(want)
	return f, want
}

// wantExpanded checks that thread's members are exactly want, each
// counting every message by someone else, and that Recount fixes nothing.
func wantExpanded(t testing.TB, app core.App, pm *messaging.Messaging, thread string, want []string) {
	t.Helper()
	if got := memberIDs(t, app, thread); !slices.Equal(got, want) {
		t.Fatalf("%d members, want %d", len(got), len(want))
	}
	var wrong int
	err := app.DB().NewQuery(`SELECT COUNT(*) FROM thread_members tm WHERE tm.thread = {:t} AND tm.unread !=
		(SELECT COUNT(*) FROM messages m WHERE m.thread = tm.thread AND m.author != tm.user AND m.author != ''
			AND m.seq > tm.last_read_seq)`).Bind(dbx.Params{"t": thread}).Row(&wrong)
	if err != nil || wrong > 0 {
		t.Fatalf("%d unread counts wrong (%v)", wrong, err)
	}
	var count int
	if err := app.DB().NewQuery(`SELECT member_count FROM threads WHERE id = {:t}`).Bind(dbx.Params{"t": thread}).Row(&count); err != nil || count != len(want) {
		t.Fatalf("member_count %d, want %d (%v)", count, len(want), err)
	}
	noFixes(t, pm)
}

// A background expansion stopped after one batch (the process gone)
// resumes in a new app on the same data: nobody is added twice or missed,
// and a message posted between the two counts for everyone.
func TestExpansion_ResumesAfterRestart(t *testing.T) {
	t.Parallel()
	f, want := expansionFixture(t, 1200)
	defer f.app.Cleanup()
	th, _ := f.startRoles("sam", nil, messaging.StartOptions{Roles: []string{"support"}})
	if n := len(memberIDs(t, f.app, th.Id)); n != 1 {
		t.Fatalf("%d members at the start, want the sender alone", n)
	}
	view, err := f.pm.Thread(f.id("sam"), th.Id)
	f.must(err)
	if !view.Expanding {
		t.Error("the view doesn't say expanding")
	}
	more, err := messaging.ExpansionStepForTest(f.pm, f.app)
	f.must(err)
	if !more {
		t.Fatal("the expansion ended after one batch")
	}
	after1 := len(memberIDs(t, f.app, th.Id))
	if after1 <= 1 || after1 >= len(want) {
		t.Fatalf("%d members after one batch", after1)
	}
	f.send("sam", th.Id, "second")

	app2, err := tests.NewTestApp(f.app.DataDir())
	f.must(err)
	defer app2.Cleanup()
	pm2, err := messaging.Register(app2, messaging.Config{})
	f.must(err)
	if n := expansionsLeft(t, app2); n != 1 {
		t.Fatalf("%d expansions left after the restart, want 1", n)
	}
	f.must(messaging.DrainExpansionsForTest(pm2))
	if n := expansionsLeft(t, app2); n != 0 {
		t.Fatalf("%d expansions left after draining", n)
	}
	wantExpanded(t, app2, pm2, th.Id, want)
	job, err := app2.FindFirstRecordByData(messaging.CollectionNameExpansions, "thread", th.Id)
	f.must(err)
	if job.GetString("state") != messaging.ExpansionDone || job.GetInt("added") != len(want)-1 {
		t.Errorf("job %s, added %d, want done and %d", job.GetString("state"), job.GetInt("added"), len(want)-1)
	}
	v, err := pm2.Thread(f.id("bob"), th.Id)
	f.must(err)
	if v.Expanding || v.Unread != 2 || v.MemberCount != len(want) {
		t.Errorf("bob's view: expanding %v, unread %d, members %d", v.Expanding, v.Unread, v.MemberCount)
	}
}

// With the worker running, posts during the expansion (by the sender and
// by members already added) keep every count exact.
func TestExpansion_ConcurrentPosts(t *testing.T) {
	t.Parallel()
	// Past FanOutThreshold (500) once grown: later posts are counted by
	// fan-outs, which must agree with the expansion too.
	f, want := expansionFixture(t, 700)
	defer f.app.Cleanup()
	th, _ := f.startRoles("sam", []string{"mod"}, messaging.StartOptions{Roles: []string{"support"}})
	want = append(want, f.id("mod"))
	slices.Sort(want)
	f.serve() // starts the worker, racing the posts
	var wg sync.WaitGroup
	for _, who := range []string{"sam", "mod"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := f.pm.Send(f.id(who), th.Id, "during"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	wait := 20 * time.Second
	if raceDetector {
		wait = 90 * time.Second
	}
	deadline := time.Now().Add(wait)
	// Posts into the grown thread are counted by fan-outs (fanout.go).
	for expansionsLeft(t, f.app)+fanOuts(t, f.app) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("expansion and fan-outs not done within %v", wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantExpanded(t, f.app, f.pm, th.Id, want)
}

// A post whose counter fan-out (fanout.go) is still pending when the
// expansion adds more members is counted once for them: in the count the
// expansion gives them, not again by the fan-out.
func TestExpansion_PendingFanOut(t *testing.T) {
	t.Parallel()
	f, want := expansionFixtureWith(t, 600, messaging.Config{RoleExpandThreshold: 10, FanOutThreshold: 3})
	defer f.app.Cleanup()
	th, _ := f.startRoles("sam", nil, messaging.StartOptions{Roles: []string{"support"}})
	_, err := messaging.ExpansionStepForTest(f.pm, f.app)
	f.must(err)
	f.send("sam", th.Id, "pending-fan-out")
	if fanOuts(t, f.app) != 1 {
		t.Fatal("the post was counted at once; the test needs a pending fan-out")
	}
	f.must(messaging.DrainExpansionsForTest(f.pm))
	f.must(messaging.DrainFanOutsForTest(f.app))
	wantExpanded(t, f.app, f.pm, th.Id, want)
}

// A custom recipient type, registered from a test: small entries join at
// once, big ones in the background, page by page.
func TestRecipientType_Custom(t *testing.T) {
	t.Parallel()
	f := newRoleFixture(t, messaging.Config{RoleExpandThreshold: 2})
	defer f.app.Cleanup()
	pt := projectType(f)
	f.must(f.pm.RegisterRecipientType(pt))
	th, _ := f.startRoles("sam", nil, messaging.StartOptions{To: []messaging.Recipient{{Type: "project", ID: "p1"}}})
	if n := expansionsLeft(t, f.app); n != 1 {
		t.Fatalf("%d expansions, want 1 (3 members over the threshold of 2)", n)
	}
	f.must(messaging.DrainExpansionsForTest(f.pm))
	want := []string{f.id("sam"), f.id("bob"), f.id("carol"), f.id("dave")}
	slices.Sort(want)
	wantExpanded(t, f.app, f.pm, th.Id, want)

	// An empty project is fine; registering twice or badly is not.
	f.startRoles("sam", []string{"alice"}, messaging.StartOptions{To: []messaging.Recipient{{Type: "project", ID: "p2"}}})
	bad := []messaging.RecipientType{pt, {Name: "role", Members: pt.Members}, {Name: "user", Members: pt.Members},
		{Name: "Bad Name", Members: pt.Members}, {Name: "nomembers"}, {Name: ""}}
	for _, rt := range bad {
		if err := f.pm.RegisterRecipientType(rt); err == nil {
			t.Errorf("registered %q", rt.Name)
		}
	}
}

// A type that fails marks its job failed with the reason, and the other
// jobs go on.
func TestExpansion_FailedJob(t *testing.T) {
	t.Parallel()
	f := newRoleFixture(t, messaging.Config{RoleExpandThreshold: 1})
	defer f.app.Cleanup()
	pt := projectType(f)
	f.must(f.pm.RegisterRecipientType(pt))
	th, _ := f.startRoles("sam", nil, messaging.StartOptions{To: []messaging.Recipient{{Type: "project", ID: "p1"}}})
	_, err := f.app.DB().NewQuery(`UPDATE messaging_expansions SET type = 'gone'`).Execute()
	f.must(err)
	if err := messaging.DrainExpansionsForTest(f.pm); err != nil {
		t.Fatal(err)
	}
	job, err := f.app.FindFirstRecordByData(messaging.CollectionNameExpansions, "thread", th.Id)
	f.must(err)
	if job.GetString("state") != messaging.ExpansionFailed || job.GetString("error") == "" {
		t.Errorf("job %s %q", job.GetString("state"), job.GetString("error"))
	}
}

// A member added in the background who is online gets their new state
// live (a "read" event with the message unread); someone outside the role
// gets nothing.
func TestExpansion_LiveEvent(t *testing.T) {
	t.Parallel()
	f, _ := expansionFixture(t, 600)
	defer f.app.Cleanup()
	srv := f.serve()
	topics := []string{messaging.RealtimeTopic}
	bob := f.connect(srv, "bob", topics...)
	alice := f.connect(srv, "alice", topics...)
	th, _ := f.startRoles("sam", nil, messaging.StartOptions{Roles: []string{"support"}})
	for {
		ev := bob.next(t, 10*time.Second)
		if ev.Data["type"] == "read" && ev.Data["thread"] == th.Id {
			if ev.Data["unread"] != float64(1) {
				t.Errorf("bob's state: %v, want unread 1", ev.Data)
			}
			break
		}
	}
	for _, ev := range alice.drain(300 * time.Millisecond) {
		t.Errorf("alice received %q: %v", ev.Name, ev.Data)
	}
}

// Two workers stepping the same job at once (a second process's, or
// recount's drain beside the server's) add each member once and count
// each once: a step whose page was taken meanwhile adds nothing.
func TestExpansion_ConcurrentStepsAddEachMemberOnce(t *testing.T) {
	t.Parallel()
	f := newRoleFixture(t, messaging.Config{RoleExpandThreshold: 1})
	defer f.app.Cleanup()
	f.seedRole("support", "sup", 900)
	th, _ := f.startRoles("sam", nil, messaging.StartOptions{Roles: []string{"support"}})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				more, err := messaging.ExpansionStepForTest(f.pm, f.app)
				if err != nil {
					t.Error(err)
					return
				}
				if !more {
					return
				}
			}
		})
	}
	wg.Wait()
	var added, members int
	f.must(f.app.DB().NewQuery("SELECT added FROM " + messaging.CollectionNameExpansions).Row(&added))
	f.must(f.app.DB().NewQuery("SELECT member_count FROM threads WHERE id = {:t}").Bind(dbx.Params{"t": th.Id}).Row(&members))
	if added != 900 || members != 901 || len(memberIDs(t, f.app, th.Id)) != 901 {
		t.Errorf("added %d, member_count %d, members %d; want 900, 901, 901", added, members, len(memberIDs(t, f.app, th.Id)))
	}
	f.noCountDrift()
}

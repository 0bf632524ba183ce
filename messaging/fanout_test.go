package messaging_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// unreadByUser is every membership's unread count in thread (left members
// included), by user id.
func unreadByUser(t testing.TB, app core.App, thread string) map[string]int {
	t.Helper()
	var rows []struct {
		User   string `db:"user"`
		Unread int    `db:"unread"`
	}
	err := app.DB().NewQuery("SELECT user, unread FROM thread_members WHERE thread = {:t}").
		Bind(dbx.Params{"t": thread}).All(&rows)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.User] = r.Unread
	}
	return out
}

// fanOuts is how many counter fan-outs are pending.
func fanOuts(t testing.TB, app core.App) int {
	t.Helper()
	n, err := app.CountRecords(messaging.CollectionNameFanOuts)
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// wantCounts checks got against before plus one for everyone but bob, the
// author (who has read everything up to his own message), and carol (who
// left), with except overriding, and that Recount then fixes nothing.
func wantCounts(t testing.TB, f *fixture, pm *messaging.Messaging, app core.App, before, got map[string]int, except map[string]int) {
	t.Helper()
	wrong := 0
	for u, was := range before {
		want := was + 1
		switch u {
		case f.id("bob"):
			want = 0
		case f.id("carol"):
			want = was
		}
		if n, ok := except[u]; ok {
			want = n
		}
		if got[u] != want {
			if wrong++; wrong <= 5 {
				t.Errorf("user %s: unread %d, want %d", u, got[u], want)
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d counts wrong", wrong, len(before))
	}
	fixes, err := pm.Recount()
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 0 {
		t.Errorf("recount fixed %d counts, first %+v", len(fixes), fixes[0])
	}
}

// seeded is the id of the nth seeded member of bigThread; they sort after
// the first batch from about no. 510 on.
func seeded(n int) string { return "big" + leftPad(strconv.Itoa(n), 12) }

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// A post into a thread over the threshold moves only the author's row
// while the sender waits; the background fan-out then counts everyone
// else once, in batches of 500.
func TestFanOut_CountsInBatchesAfterTheSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	before := unreadByUser(t, f.app, th)
	f.send("bob", th, "to-everyone")
	if got := unreadByUser(t, f.app, th); got[f.id("alice")] != before[f.id("alice")] || got[seeded(1)] != 0 {
		t.Errorf("counted in the sending transaction: alice %d, %s %d", got[f.id("alice")], seeded(1), got[seeded(1)])
	}
	if n := fanOuts(t, f.app); n != 1 {
		t.Fatalf("%d fan-outs pending, want 1", n)
	}
	counted := func() int {
		n := 0
		for u, c := range unreadByUser(t, f.app, th) {
			if c > before[u] {
				n++
			}
		}
		return n
	}
	for i, want := range []int{500, 1000, bigMembers - 1} {
		more, err := messaging.FanOutStepForTest(f.app)
		f.must(err)
		if got := counted(); got > want || got < want-3 { // the batch may hold left carol and the author bob
			t.Errorf("after batch %d: %d counted, want about %d", i+1, got, want)
		}
		if more != (i < 2) {
			t.Errorf("after batch %d: more = %v", i+1, more)
		}
	}
	if n := fanOuts(t, f.app); n != 0 {
		t.Errorf("%d fan-outs left", n)
	}
	wantCounts(t, f, f.pm, f.app, before, unreadByUser(t, f.app, th), nil)
}

// Members who read, mark unread or read up to a message while the fan-out
// is on its way are not counted twice: their count is already exact.
func TestFanOut_ExactUnderConcurrentReads(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	before := unreadByUser(t, f.app, th)
	f.send("bob", th, "to-everyone")
	_, err := messaging.FanOutStepForTest(f.app)
	f.must(err)
	// seeded(1) was in the first batch; the others are still to come.
	for _, n := range []int{1, 1199} {
		f.must(f.pm.MarkRead(seeded(n), th))
	}
	f.must(f.pm.MarkUnread(seeded(1198), th))
	f.must(f.pm.MarkReadUpTo(seeded(1197), th, "1")) // alice's first message: bob's is still unread
	f.send("alice", th, "second-to-everyone")        // a second job queued behind the first
	f.must(messaging.DrainFanOutsForTest(f.app))
	carolWas := before[f.id("carol")] // left: counts nothing
	for u := range before {
		before[u]++ // alice's second message too
	}
	before[f.id("carol")] = carolWas
	wantCounts(t, f, f.pm, f.app, before, unreadByUser(t, f.app, th), map[string]int{
		seeded(1): 1, seeded(1199): 1, // read bob's, then alice's second came
		seeded(1198):  2, // marked bob's unread, then alice's second
		seeded(1197):  2, // read up to alice's first: bob's and alice's second
		f.id("alice"): 0, // wrote the newest
		f.id("bob"):   1, // alice's second
	})
}

// A message deleted while its fan-out is on its way is taken back from
// those already counted and never counted for the rest.
func TestFanOut_MessageDeletedMidway(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	f.send("alice", th, "everyone-has-one-unread") // so a wrong take-back shows
	f.must(messaging.DrainFanOutsForTest(f.app))
	before := unreadByUser(t, f.app, th)
	msg := f.send("bob", th, "oops-to-everyone")
	_, err := messaging.FanOutStepForTest(f.app)
	f.must(err)
	f.must(f.pm.DeleteMessage(f.id("bob"), msg.Id))
	f.must(messaging.DrainFanOutsForTest(f.app))
	got := unreadByUser(t, f.app, th)
	before[f.id("bob")] = 0 // sending read everything before for him
	for u, was := range before {
		if got[u] != was {
			t.Fatalf("user %s: unread %d, want %d as before the deleted message", u, got[u], was)
		}
	}
	if n := fanOuts(t, f.app); n != 0 {
		t.Errorf("%d fan-outs left", n)
	}
	fixes, err := f.pm.Recount()
	f.must(err)
	if len(fixes) != 0 {
		t.Errorf("recount fixed %d counts", len(fixes))
	}
}

// A fan-out stopped midway (the app closed after one batch) resumes in a
// new app on the same data: everyone counted exactly once.
func TestFanOut_ResumesAfterRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	before := unreadByUser(t, f.app, th)
	f.send("bob", th, "to-everyone")
	_, err := messaging.FanOutStepForTest(f.app)
	f.must(err)

	// The new app starts from a copy of the old one's data dir, as a
	// restarted process would find it.
	app2, err := tests.NewTestApp(f.app.DataDir())
	f.must(err)
	defer app2.Cleanup()
	pm2, err := messaging.Register(app2, messaging.Config{})
	f.must(err)
	if n := fanOuts(t, app2); n != 1 {
		t.Fatalf("%d fan-outs pending after the restart, want 1", n)
	}
	f.must(messaging.DrainFanOutsForTest(app2))
	wantCounts(t, f, pm2, app2, before, unreadByUser(t, app2, th), nil)
}

// The worker runs with the app: a post into a big thread is counted for
// everyone within seconds of the send.
func TestFanOut_WorkerCountsInTheBackground(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th := f.bigThread()
	f.serve() // OnServe starts the worker
	before := unreadByUser(t, f.app, th)
	f.send("bob", th, "to-everyone")
	deadline := time.Now().Add(10 * time.Second)
	for fanOuts(t, f.app) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("fan-out not done within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantCounts(t, f, f.pm, f.app, before, unreadByUser(t, f.app, th), nil)
}

// Small threads are counted in the sending transaction, as before.
func TestFanOut_SmallThreadsCountAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th, _ := f.start("alice", []string{"bob", "carol"}, "Three", "hi-three")
	if f.unread("bob", th.Id) != 1 || fanOuts(t, f.app) != 0 {
		t.Errorf("bob's unread %d, %d fan-outs", f.unread("bob", th.Id), fanOuts(t, f.app))
	}
}

// The fan-out migration comes down (no counted_seq, no job collection, the
// member update rule as before) and goes up again.
func TestFanOutMigration_DownAndUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	check := func(up bool) {
		t.Helper()
		members, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreadMembers)
		f.must(err)
		_, jobsErr := f.app.FindCollectionByNameOrId(messaging.CollectionNameFanOuts)
		if (members.Fields.GetByName("counted_seq") != nil) != up || (jobsErr == nil) != up ||
			strings.Contains(*members.UpdateRule, "counted_seq") != up {
			t.Errorf("up=%v: counted_seq field, job collection (%v) or rule %s", up, jobsErr, *members.UpdateRule)
		}
	}
	check(true)
	mig := messaging.FanOutMigrationForTest()
	f.must(mig[1](f.app))
	check(false)
	f.must(mig[0](f.app))
	check(true)
}

// Members can't write their counted_seq through the records API.
func TestFanOut_CountedSeqIsThePlugins(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		worldCase("member sets counted_seq → 404", func(f *fixture, w world) tests.ApiScenario {
			url := recordsURL(messaging.CollectionNameThreadMembers, "/"+f.member("alice", w.direct).Id)
			return expect(f.as("alice", http.MethodPatch, url, map[string]any{"counted_seq": 99}), 404, []string{notFoundBody})
		}),
		worldCase("member lists fan-outs → 403", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(messaging.CollectionNameFanOuts, ""), nil), 403, []string{onlySuperusers})
		}),
	})
}

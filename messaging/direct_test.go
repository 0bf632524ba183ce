package messaging_test

import (
	"sync"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
)

// Both people pressing "message" at once, many times, still share one
// direct thread.
func TestConcurrency_DirectThreadIsUnique(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()

	const n = 20
	ids := make(chan string, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		from, to := "alice", "bob"
		if i%2 == 1 {
			from, to = to, from
		}
		wg.Go(func() {
			thread, _, err := f.pm.Start(f.id(from), []string{f.id(to)}, "", "hello")
			if err != nil {
				t.Error(err)
				return
			}
			ids <- thread.Id
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != 1 {
		t.Fatalf("got %d direct threads, want 1", len(seen))
	}
	total, err := f.app.CountRecords("threads")
	if err != nil || total != 1 {
		t.Fatalf("threads in db = %d (%v), want 1", total, err)
	}
	// Nobody read anything, so each one's count is exactly the other's
	// messages after their own last one, worked out here from the stored
	// messages without the plugin's definition of a count.
	for id := range seen {
		var msgs []struct {
			Author string `db:"author"`
			Seq    int    `db:"seq"`
		}
		err := f.app.DB().Select("author", "seq").From("messages").Where(dbx.HashExp{"thread": id}).OrderBy("seq").All(&msgs)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2*n || msgs[0].Seq != 1 || msgs[len(msgs)-1].Seq != 2*n {
			t.Fatalf("%d messages, seqs %d..%d; want %d, 1..%d", len(msgs), msgs[0].Seq, msgs[len(msgs)-1].Seq, 2*n, 2*n)
		}
		sum, wantSum := 0, 0
		for _, u := range []string{"alice", "bob"} {
			want := 0
			for _, m := range msgs {
				switch m.Author {
				case f.id(u):
					want = 0
				default:
					want++
				}
			}
			got := f.unread(u, id)
			if got != want {
				t.Errorf("%s unread = %d, want %d", u, got, want)
			}
			sum, wantSum = sum+got, wantSum+want
		}
		if sum != wantSum {
			t.Errorf("unread sum = %d, want %d", sum, wantSum)
		}
	}
	if fixes, err := f.pm.Recount(); err != nil || len(fixes) != 0 {
		t.Fatalf("recount: %v %+v", err, fixes)
	}
}

package messaging_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
)

// countQueries counts the SQL statements the app runs from now on.
func countQueries(f *fixture) *atomic.Int64 {
	var n atomic.Int64
	for _, b := range []dbx.Builder{f.app.ConcurrentDB(), f.app.NonconcurrentDB()} {
		db := b.(*dbx.DB)
		db.QueryLogFunc = func(context.Context, time.Duration, string, *sql.Rows, error) { n.Add(1) }
		db.ExecLogFunc = func(context.Context, time.Duration, string, sql.Result, error) { n.Add(1) }
	}
	return &n
}

// Every reason to refuse a conversation gives the same error after the
// same statements, so a blocked sender can't tell a block from "messaging
// off" by the answer or by its timing.
func TestPermissions_EveryRefusalTakesTheSamePath(t *testing.T) {
	t.Parallel()
	reasons := map[string]func(f *fixture){
		"recipient blocked the sender": func(f *fixture) { f.must(f.pm.Block(f.id("bob"), f.id("alice"))) },
		"recipient has messaging off":  func(f *fixture) { f.setOff("bob") },
		"sender has messaging off":     func(f *fixture) { f.setOff("alice") },
		"another recipient blocked the sender, one has messaging off": func(f *fixture) {
			f.must(f.pm.Block(f.id("carol"), f.id("alice")))
			f.setOff("bob")
		},
	}
	counts := map[string]int64{}
	for reason, setup := range reasons {
		f := newFixture(t, messaging.Config{})
		setup(f)
		f.pm.Limits() // cached in a running app; a block's setup loads it
		n := countQueries(f)
		_, _, err := f.pm.Start(f.id("alice"), []string{f.id("bob"), f.id("carol")}, "", "hello")
		if !errors.Is(err, messaging.ErrRefused) || err.Error() != "Unable to send message." {
			t.Errorf("%s: %v, want the refusal", reason, err)
		}
		counts[reason] = n.Load()
		f.app.Cleanup()
	}
	want := counts["recipient blocked the sender"]
	for reason, got := range counts {
		if got != want {
			t.Errorf("%s ran %d statements, a block %d", reason, got, want)
		}
	}
}

// The autocomplete leaves out exactly the people a send would refuse.
func TestPermissions_AutocompleteMatchesSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.must(f.pm.Block(f.id("bob"), f.id("alice")))
	f.setOff("carol")
	for _, name := range []string{"bob", "carol", "dave", "off"} {
		items, err := f.pm.Recipients(f.id("alice"), name, 10)
		f.must(err)
		_, _, sendErr := f.pm.Start(f.id("alice"), []string{f.id(name)}, "", "hi")
		if offered := len(items) == 1; offered != (sendErr == nil) {
			t.Errorf("%s: offered=%v but send error %v", name, offered, sendErr)
		}
	}
}

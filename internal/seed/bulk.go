package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Options sizes the data Bulk generates.
type Options struct {
	Users      int    // users to create
	Threads    int    // threads to create
	Messages   int    // messages, spread over the threads
	MinMembers int    // smallest thread, in members (2 = direct thread)
	MaxMembers int    // largest thread, in members
	Password   string // password of every seeded user
	Seed       uint64 // random seed; the same seed gives the same shape
	Progress   io.Writer
}

// Stats reports what Bulk wrote and how fast.
type Stats struct {
	Users, Threads, Members, Messages int
	Elapsed                           time.Duration
}

// Rows is the number of rows written.
func (s Stats) Rows() int { return s.Users + s.Threads + s.Members + s.Messages }

func seedBody(r *rand.Rand) string {
	n := 3 + r.IntN(14)
	var sb strings.Builder
	for i := range n {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(seedWords[r.IntN(len(seedWords))])
	}
	sb.WriteByte('.')
	return sb.String()
}

// Bulk bulk-inserts benchmark data into app, whose messaging plugin is pm
// and whose messaging collections are empty. It bypasses the record hooks for speed (raw multi-row INSERTs
// on the app's write connection, committed every ~100k rows) but writes
// every derived value the hooks would: messages.seq 1..n per thread,
// threads.members/last_seq/last_message/last_message_at, and each
// membership's last_read_seq, unread and last_activity. Every thread's
// first message is by its creator, as with Start; each member has read up
// to their own last message, and about half of the members have read the
// whole thread.
func Bulk(ctx context.Context, app core.App, pm *messaging.Messaging, o Options) (Stats, error) {
	var stats Stats
	switch {
	case o.Users < 2:
		return stats, errors.New("seed: need at least 2 users")
	case o.Threads < 0 || o.Messages < 0:
		return stats, errors.New("seed: negative size")
	case o.MinMembers < 2 || o.MaxMembers < o.MinMembers:
		return stats, errors.New("seed: need 2 <= min-members <= max-members")
	case o.MaxMembers > o.Users:
		return stats, errors.New("seed: max-members is larger than the number of users")
	case o.MaxMembers > pm.Limits().MaxGroupSize:
		return stats, fmt.Errorf("seed: max-members is larger than the group size limit (%d)", pm.Limits().MaxGroupSize)
	case len(o.Password) < 8:
		return stats, errors.New("seed: the password needs at least 8 characters")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var existing int
	if err := app.DB().Select("count(*)").From(messaging.CollectionNameThreads).Row(&existing); err != nil {
		return stats, err
	}
	if existing > 0 {
		return stats, fmt.Errorf("seed: the database already has %d threads; bulk-seed a fresh --dir", existing)
	}

	hash, err := sharedHash(app, o.Password)
	if err != nil {
		return stats, err
	}

	db, ok := app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return stats, errors.New("seed: run outside a transaction")
	}
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return stats, err
	}
	defer conn.Close()
	for _, p := range []string{"PRAGMA synchronous = OFF", "PRAGMA cache_size = -262144"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return stats, err
		}
	}
	defer func() {
		conn.ExecContext(context.Background(), "PRAGMA synchronous = NORMAL")
		conn.ExecContext(context.Background(), "PRAGMA cache_size = -32000")
	}()

	var done atomic.Int64
	avgMembers := float64(o.MinMembers+o.MaxMembers) / 2
	total := int64(o.Users + o.Threads + int(float64(o.Threads)*avgMembers) + o.Messages)
	began := time.Now()
	stopProgress := startSeedProgress(o.Progress, &done, total, began)
	defer stopProgress()

	inTx := false
	begin := func() error {
		_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		inTx = err == nil
		return err
	}
	commit := func() error {
		inTx = false
		_, err := conn.ExecContext(ctx, "COMMIT")
		return err
	}
	defer func() {
		if inTx {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()

	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	now := time.Now().UTC().Truncate(time.Millisecond)
	date := func(t time.Time) string { return t.Format(types.DefaultDateLayout) }

	// Users.
	userTab := newBulkTable(ctx, conn, messaging.CollectionNameUsers, []string{"id", "email", "emailVisibility", "verified",
		"password", "tokenKey", "name", "username", "avatar", "roles", "created", "updated"}, &done)
	defer userTab.close()
	userIDs := make([]string, o.Users)
	uid := newIDGen()
	if err := begin(); err != nil {
		return stats, err
	}
	userTime := date(now.Add(-120 * 24 * time.Hour))
	for i := range o.Users {
		userIDs[i] = uid.next()
		n := strconv.Itoa(i + 1)
		err := userTab.add(userIDs[i], "user"+n+"@example.com", false, true, string(hash),
			security.PseudorandomString(50), "User "+n, "user"+n, "", "[]", userTime, userTime)
		if err != nil {
			return stats, err
		}
	}
	if err := userTab.flush(); err != nil {
		return stats, err
	}
	stats.Users = o.Users

	// Threads with their members and messages, thread by thread.
	perThread := make([]int32, o.Threads)
	if o.Threads > 0 {
		rest := o.Messages
		if o.Messages >= o.Threads {
			for i := range perThread {
				perThread[i] = 1
			}
			rest -= o.Threads
		}
		for range rest {
			perThread[r.IntN(o.Threads)]++
		}
	}
	threadTab := newBulkTable(ctx, conn, messaging.CollectionNameThreads, []string{"id", "subject", "kind", "created_by", "members",
		"direct_key", "last_seq", "last_message_at", "last_message", "created", "updated"}, &done)
	memberTab := newBulkTable(ctx, conn, messaging.CollectionNameThreadMembers, []string{"id", "thread", "user", "unread",
		"last_read_seq", "muted", "archived", "left", "tags", "last_activity", "created", "updated"}, &done)
	msgTab := newBulkTable(ctx, conn, messaging.CollectionNameMessages, []string{"id", "thread", "author", "body", "html", "deleted",
		"seq", "created", "updated"}, &done)
	defer threadTab.close()
	defer memberTab.close()
	defer msgTab.close()
	tid, mid, msgid := newIDGen(), newIDGen(), newIDGen()
	directKeys := map[string]struct{}{}
	window := int64(60 * 24 * time.Hour / time.Millisecond)
	var (
		members  []int
		times    []int64
		authors  []int
		lastOwn  []int
		sinceTx  int
		jsonBuf  strings.Builder
		msgIDBuf []string
	)
	for t := range o.Threads {
		// Members: distinct random users; a two-member thread is the
		// pair's one direct thread when the pair has none yet.
		size := o.MinMembers + r.IntN(o.MaxMembers-o.MinMembers+1)
		kind, key, subject := messaging.KindGroup, "", ""
		for attempt := 0; ; attempt++ {
			members = members[:0]
			for len(members) < size {
				u := r.IntN(o.Users)
				if !slices.Contains(members, u) {
					members = append(members, u)
				}
			}
			if size != 2 {
				break
			}
			key = messaging.DirectKey(userIDs[members[0]], userIDs[members[1]])
			if _, taken := directKeys[key]; !taken {
				directKeys[key] = struct{}{}
				kind = messaging.KindDirect
				break
			}
			if attempt == 10 {
				key = ""
				break
			}
		}
		if kind == messaging.KindGroup {
			subject = "Group " + strconv.Itoa(t+1)
		}

		// Messages: the first at the thread's start, by its creator, the
		// others at sorted random times since, by random members.
		count := int(perThread[t])
		startMs := now.UnixMilli() - window + r.Int64N(window-int64(time.Hour/time.Millisecond))
		created := time.UnixMilli(startMs).UTC()
		times = times[:0]
		for i := range count {
			if i == 0 {
				times = append(times, startMs)
				continue
			}
			times = append(times, startMs+r.Int64N(now.UnixMilli()-startMs))
		}
		slices.Sort(times)
		authors = authors[:0]
		lastOwn = append(lastOwn[:0], make([]int, size)...)
		for i := range count {
			a := 0
			if i > 0 {
				a = r.IntN(size)
			}
			authors = append(authors, a)
			lastOwn[a] = i + 1
		}

		threadID := tid.next()
		msgIDBuf = msgIDBuf[:0]
		for range count {
			msgIDBuf = append(msgIDBuf, msgid.next())
		}
		lastMsg, lastAt := "", ""
		activity := date(created)
		if count > 0 {
			lastMsg = msgIDBuf[count-1]
			lastAt = date(time.UnixMilli(times[count-1]).UTC())
			activity = lastAt
		}
		jsonBuf.Reset()
		jsonBuf.WriteByte('[')
		for i, u := range members {
			if i > 0 {
				jsonBuf.WriteByte(',')
			}
			jsonBuf.WriteString(`"` + userIDs[u] + `"`)
		}
		jsonBuf.WriteByte(']')
		createdStr := date(created)
		if err := threadTab.add(threadID, subject, kind, userIDs[members[0]], jsonBuf.String(), key,
			count, lastAt, lastMsg, createdStr, activity); err != nil {
			return stats, err
		}
		for i, u := range members {
			readSeq := lastOwn[i]
			if r.IntN(2) == 0 {
				readSeq = count
			}
			if err := memberTab.add(mid.next(), threadID, userIDs[u], count-readSeq, readSeq,
				false, false, false, "[]", activity, createdStr, createdStr); err != nil {
				return stats, err
			}
		}
		for i := range count {
			at := date(time.UnixMilli(times[i]).UTC())
			body := seedBody(r)
			// The html the plain format stores (format.go): the words need no escaping.
			if err := msgTab.add(msgIDBuf[i], threadID, userIDs[members[authors[i]]], body, "<p>"+body+"</p>",
				false, i+1, at, at); err != nil {
				return stats, err
			}
		}
		stats.Threads++
		stats.Members += size
		stats.Messages += count

		sinceTx += 1 + size + count
		if sinceTx >= 200000 {
			sinceTx = 0
			for _, b := range []*bulkTable{threadTab, memberTab, msgTab} {
				if err := b.flush(); err != nil {
					return stats, err
				}
			}
			if err := commit(); err != nil {
				return stats, err
			}
			if err := begin(); err != nil {
				return stats, err
			}
		}
	}
	for _, b := range []*bulkTable{threadTab, memberTab, msgTab} {
		if err := b.flush(); err != nil {
			return stats, err
		}
	}
	if err := commit(); err != nil {
		return stats, err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return stats, err
	}
	stats.Elapsed = time.Since(began)
	stopProgress()
	return stats, nil
}

// startSeedProgress redraws a one-line progress bar on w (when it is not
// nil) until the returned function is called.
func startSeedProgress(w io.Writer, done *atomic.Int64, total int64, began time.Time) func() {
	if w == nil || total <= 0 {
		return func() {}
	}
	draw := func(final bool) {
		n := done.Load()
		frac := min(float64(n)/float64(total), 1)
		if final {
			frac = 1
		}
		const width = 30
		bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
		secs := time.Since(began).Seconds()
		fmt.Fprintf(w, "\rseeding [%s] %3.0f%%  %d rows  %.1fs  %.0f rows/s   ", bar, frac*100, n, secs, float64(n)/max(secs, 0.001))
		if final {
			fmt.Fprintln(w)
		}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				draw(false)
			case <-stop:
				draw(true)
				return
			}
		}
	}()
	stopped := false
	return func() {
		if !stopped {
			stopped = true
			close(stop)
			<-finished
		}
	}
}

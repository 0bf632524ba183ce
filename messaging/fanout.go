package messaging

import (
	"database/sql"
	"errors"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Counter fan-out for big threads. A message posted into a thread with
// more than Config.FanOutThreshold current members moves only its
// author's row while the sender waits; the others' unread counts and
// inbox positions are moved after the commit by a worker, fanOutBatch
// members per transaction along the (thread, user) index, so senders get
// the write lock between batches.
//
// It is restart-safe and exact because all of its state is in the
// database: the job row (messaging_fanouts) holds the last member counted
// and advances in the same transaction as the batch, and each member's
// counted_seq is the newest seq already in their unread count. A batch
// counts a member only while counted_seq and last_read_seq are both below
// the message's seq, so a member who read past it, or whose count was
// recomputed from the messages after it was posted (MarkRead, MarkUnread,
// read up to, Recount, joining: all set counted_seq to the thread's
// last_seq), is not counted twice; a deletion takes the message back only
// from members whose counted_seq covers it, and a job whose message is
// gone or deleted is dropped. A thread's jobs run in seq order, and a
// thread with a job pending counts every new message through a job too
// (however small it has become), so counted_seq only grows.

// fanOutPending reports whether thread has a counter fan-out unfinished.
func fanOutPending(tx core.App, threadID string) (bool, error) {
	var n int
	err := tx.DB().NewQuery(`SELECT COUNT(*) FROM messaging_fanouts WHERE thread = {:thread}`).
		Bind(dbx.Params{"thread": threadID}).Row(&n)
	return n > 0, err
}

// countNewMessageLater is countNewMessage for a big thread: in the sending
// transaction, the author's own row and the job that counts the others.
func countNewMessageLater(tx core.App, msgID, threadID, author string, seq int, at string) error {
	_, err := tx.DB().NewQuery(`UPDATE thread_members SET unread = 0, last_read_seq = {:seq}, counted_seq = {:seq},
			request = '', last_activity = {:at}, archived = FALSE
		WHERE thread = {:thread} AND user = {:author} AND ` + memberIsCurrent).
		Bind(dbx.Params{"author": author, "seq": seq, "at": at, "thread": threadID}).Execute()
	if err != nil {
		return err
	}
	_, err = tx.DB().NewQuery(`INSERT INTO messaging_fanouts (id, thread, message, seq, author, at, cursor, created, updated)
		VALUES ({:id}, {:thread}, {:msg}, {:seq}, {:author}, {:at}, '', {:at}, {:at})`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "thread": threadID, "msg": msgID, "seq": seq,
			"author": author, "at": at}).Execute()
	return err
}

// fanOutJob is one row of messaging_fanouts.
type fanOutJob struct {
	ID      string `db:"id"`
	Thread  string `db:"thread"`
	Message string `db:"message"`
	Seq     int    `db:"seq"`
	Author  string `db:"author"`
	At      string `db:"at"`
	Cursor  string `db:"cursor"`
}

// fanOutRange is the members one step counted: those of Thread after
// After up to UpTo ("" for the end); Thread is "" when nothing was counted.
type fanOutRange struct {
	Thread, After, UpTo string
}

// fanOutStep counts one batch of the oldest job, in one transaction, and
// reports whether any job is left and whom it counted.
func fanOutStep(app core.App) (more bool, counted fanOutRange, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		var job fanOutJob
		err := tx.DB().NewQuery(`SELECT id, thread, message, seq, author, at, cursor FROM messaging_fanouts
			ORDER BY rowid LIMIT 1`).One(&job)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var deleted bool
		err = tx.DB().NewQuery(`SELECT deleted FROM messages WHERE id = {:id}`).Bind(dbx.Params{"id": job.Message}).Row(&deleted)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && deleted) {
			// Counted so far was taken back by the deletion; nobody
			// else is to count it.
			return deleteFanOut(tx, job.ID, &more)
		}
		if err != nil {
			return err
		}
		// The last member of this batch, or none: the batch runs to the end.
		var upTo string
		err = tx.DB().NewQuery(`SELECT user FROM thread_members WHERE thread = {:thread} AND user > {:cursor}
			ORDER BY user LIMIT 1 OFFSET {:offset}`).
			Bind(dbx.Params{"thread": job.Thread, "cursor": job.Cursor, "offset": fanOutBatch - 1}).Row(&upTo)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Spelled out either way, so the index range ends at upTo.
		upper := " AND user <= {:upTo}"
		if upTo == "" {
			upper = ""
		}
		_, err = tx.DB().NewQuery(`UPDATE thread_members SET
				unread = unread + (last_read_seq < {:seq}),
				archived = CASE WHEN last_read_seq < {:seq} THEN FALSE ELSE archived END,
				last_activity = MAX(last_activity, {:at}),
				counted_seq = {:seq}
			WHERE thread = {:thread} AND user > {:cursor}` + upper + `
				AND user != {:author} AND counted_seq < {:seq} AND ` + memberIsCurrent).
			Bind(dbx.Params{"seq": job.Seq, "at": job.At, "thread": job.Thread, "cursor": job.Cursor,
				"upTo": upTo, "author": job.Author}).Execute()
		if err != nil {
			return err
		}
		counted = fanOutRange{Thread: job.Thread, After: job.Cursor, UpTo: upTo}
		if upTo == "" {
			return deleteFanOut(tx, job.ID, &more)
		}
		more = true
		_, err = tx.DB().NewQuery(`UPDATE messaging_fanouts SET cursor = {:cursor}, updated = {:now} WHERE id = {:id}`).
			Bind(dbx.Params{"cursor": upTo, "now": types.NowDateTime().String(), "id": job.ID}).Execute()
		return err
	})
	if err != nil {
		counted = fanOutRange{}
	}
	return more, counted, err
}

// deleteFanOut removes a finished job and sets *more when others wait.
func deleteFanOut(tx core.App, id string, more *bool) error {
	if _, err := tx.DB().NewQuery(`DELETE FROM messaging_fanouts WHERE id = {:id}`).Bind(dbx.Params{"id": id}).Execute(); err != nil {
		return err
	}
	var n int
	err := tx.DB().NewQuery(`SELECT COUNT(*) FROM messaging_fanouts`).Row(&n)
	*more = n > 0
	return err
}

// drainFanOuts runs every pending fan-out to its end (Recount, tests).
func drainFanOuts(app core.App) error {
	for {
		more, _, err := fanOutStep(app)
		if err != nil || !more {
			return err
		}
	}
}

// announceCounted sends the online members that a step counted their new
// unread state: the "message" event went out at the commit, before they
// were counted, with the count as it was then. It starts from the online
// users in the step's range (usually far fewer than the batch, often
// none: then no query at all) and reads their states in one statement,
// instead of reading the batch's 500 member ids and each online member's
// state apart (at 10,000 members and 200 clients that was a third of the
// fan-out's CPU, BENCHMARKS.md "Big threads"). liveStates returns rows
// only for current members who have not declined, as readStateChanged
// would send them.
func (m *Messaging) announceCounted(r fanOutRange) {
	if r.Thread == "" {
		return
	}
	users := m.live.onlineBetween(r.After, r.UpTo)
	if len(users) == 0 {
		return
	}
	m.live.ordered(users, func() {
		rows, err := liveStates(m.app, r.Thread, users, "")
		if err != nil {
			logLiveError(m.app, "read", r.Thread, err)
			return
		}
		for _, u := range users {
			if s, ok := rows[u]; ok {
				m.live.send(u, map[string]any{
					"type": "read", "thread": r.Thread, "unread": s.Unread,
					"lastReadSeq": s.LastReadSeq, "totals": s.totals(),
				})
			}
		}
	})
}

// onlineMemberIDs returns the current members of thread who have a live
// client: the recipients of its live events when the thread is bigger
// than its members preview. It starts from the online users (a hub
// lookup) and checks their memberships along the (thread, user) index,
// rather than reading every member's id (10,000 rows, about 40 ms of the
// sender's wait at 10,000 members) to keep the few online.
func (m *Messaging) onlineMemberIDs(app core.App, threadID string) ([]string, error) {
	users := m.live.onlineBetween("", "")
	if len(users) == 0 {
		return nil, nil
	}
	var ids []string
	err := app.DB().NewQuery(`SELECT user FROM thread_members WHERE thread = {:thread}
		AND user IN (SELECT value FROM json_each({:users})) AND ` + memberIsCurrent).
		Bind(dbx.Params{"thread": threadID, "users": inParam(users)}).Column(&ids)
	return ids, err
}

// onlineBetween returns the users with a live client whose id is after
// after and up to upTo ("" for no upper end): a fan-out step's range.
func (h *liveHub) onlineBetween(after, upTo string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for u, clients := range h.byUser {
		if len(clients) > 0 && u > after && (upTo == "" || u <= upTo) {
			out = append(out, u)
		}
	}
	return out
}

// fanOutYield is the shortest pause between two batches, the senders' turn
// at the write lock, and fanOutRest the pause in batches' lengths: the
// fan-out takes at most half the time while it has work.
const (
	fanOutYield = 5 * time.Millisecond
	fanOutRest  = 1
)

// bindFanOutHooks runs the fan-out on a stepWorker (worker.go) with the
// app's life: each step counts one batch, then tells the online members
// it counted.
func (m *Messaging) bindFanOutHooks() {
	m.fanOut = newStepWorker(m.app, "counter fan-out", fanOutYield, fanOutRest, func() (bool, error) {
		more, counted, err := fanOutStep(m.app)
		m.announceCounted(counted)
		return more, err
	})
	m.fanOut.runWithApp(m.app, "FanOut")
}

package messaging

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The notification worker: one goroutine per app, started by OnServe and
// stopped (waiting for the step in progress) by OnTerminate. It wakes on
// a one-second tick and, without waiting for it, after each committed
// message. Each step does a bounded amount of work in short transactions
// — fan-out, then due emails, then the digest, then cleanup — and reads
// everything it needs from the queue's rows, so a restart resumes where
// the last commit left off.

const (
	// pollInterval is how often the worker looks for due windows.
	pollInterval = time.Second
	// wakeBatch is how long the worker lets messages gather after being
	// woken by one, and stepYield its pause between steps while work is
	// waiting: without them a busy site has the worker take the single
	// write connection for a fan-out and a claim after every message,
	// between every two senders. Both are far below any notification
	// delay.
	wakeBatch = 100 * time.Millisecond
	stepYield = 20 * time.Millisecond
	// busyShare: while messages are being sent (one committed within
	// busyWindow), the worker works at most 1/busyShare of the time, pausing
	// after each step for (busyShare-1) times as long as it took. On two
	// cores a worker sending flat out cost the senders a fifth of their
	// throughput (msgbench); the queue catches up once the rush is over.
	busyShare    = 5
	busyWindow   = time.Second
	maxBusyPause = 4 * pollInterval
	// fanOutBatch is the most members one fan-out transaction handles:
	// a 10,000-member conversation is 20 short transactions, between
	// which senders get the write lock.
	fanOutBatch = 500
	// outboxPerStep and sendsPerStep bound one step.
	outboxPerStep = 20
	sendsPerStep  = 10
	// sendLease is how long a "sending" row is left alone before it is
	// taken to be lost with a crashed process, and sent again.
	sendLease = 10 * time.Minute
	// maxAttempts is the number of tries before a notification (or an
	// outbox row that can't be fanned out) is given up as failed.
	maxAttempts = 8
	// keepFinished is how long finished rows stay visible in the dashboard.
	keepFinished = 7 * 24 * time.Hour
)

// notifier is the worker's state; its fields are set in newNotifier or
// guarded by life.
type notifier struct {
	m    *Messaging
	wake chan struct{}
	// step serializes steps (the loop, and tests driving steps directly).
	step sync.Mutex
	// life guards quit and done, the running loop's channels.
	life sync.Mutex
	quit chan struct{}
	done chan struct{}
	// links signs the one-click links of an email; tests replace it.
	links func(app core.App, recipient, thread, sender string) (emailLinks, error)
	// lastPoke is when the last message was committed (unix ns).
	lastPoke atomic.Int64
	// digestDay is the last day whose digest run is known to exist, and
	// lastCleanup the time of the last cleanup (both under step).
	digestDay   string
	lastCleanup time.Time
}

func newNotifier(m *Messaging) *notifier {
	return &notifier{m: m, wake: make(chan struct{}, 1), links: m.emailLinksFor}
}

// poke wakes the worker without ever blocking the caller.
func (n *notifier) poke() {
	n.lastPoke.Store(time.Now().UnixNano())
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// start runs the loop unless it runs already.
func (n *notifier) start() {
	n.life.Lock()
	defer n.life.Unlock()
	if n.quit != nil {
		return
	}
	n.quit, n.done = make(chan struct{}), make(chan struct{})
	go n.loop(n.quit, n.done)
}

// stop ends the loop and waits for its step in progress to finish.
func (n *notifier) stop() {
	n.life.Lock()
	defer n.life.Unlock()
	if n.quit == nil {
		return
	}
	close(n.quit)
	<-n.done
	n.quit, n.done = nil, nil
}

func (n *notifier) loop(quit, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		began := time.Now()
		more, err := n.runStep(began.UTC())
		if err != nil {
			n.m.app.Logger().Error("messaging: notification worker", "error", err)
		}
		if time.Since(time.Unix(0, n.lastPoke.Load())) < busyWindow {
			select {
			case <-quit:
				return
			case <-time.After(min((busyShare-1)*time.Since(began), maxBusyPause)):
			}
		}
		if more && err == nil {
			select {
			case <-quit:
				return
			case <-time.After(stepYield):
				continue
			}
		}
		select {
		case <-quit:
			return
		case <-n.wake:
			select {
			case <-quit:
				return
			case <-time.After(wakeBatch):
			}
		case <-tick.C:
		}
	}
}

// runStep does one bounded round of work as of now and reports whether
// more is waiting.
func (n *notifier) runStep(now time.Time) (more bool, err error) {
	n.step.Lock()
	defer n.step.Unlock()
	if err := n.scheduleDigest(now); err != nil {
		return false, err
	}
	fanMore, err := n.fanOut(now)
	if err != nil {
		return false, err
	}
	sendMore, err := n.sendDue(now)
	if err != nil {
		return false, err
	}
	if now.Sub(n.lastCleanup) >= time.Minute {
		n.lastCleanup = now
		if err := n.cleanup(now); err != nil {
			return false, err
		}
	}
	return fanMore || sendMore, nil
}

// dbTime is t as PocketBase stores dates, so stored dates compare as text.
func dbTime(t time.Time) string {
	d, _ := types.ParseDateTime(t.UTC())
	return d.String()
}

// purgeTime is when a row finished at now is deleted.
func purgeTime(now time.Time) string { return dbTime(now.Add(keepFinished)) }

// backoff is the wait before attempt number attempts+1: 30 s, doubling,
// at most an hour.
func backoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// outboxRow is a pending outbox entry.
type outboxRow struct {
	ID       string `db:"id"`
	Kind     string `db:"kind"`
	Thread   string `db:"thread"`
	Author   string `db:"author"`
	Seq      int    `db:"seq"`
	Day      string `db:"day"`
	Due      string `db:"due"`
	Cursor   string `db:"cursor"`
	Attempts int    `db:"attempts"`
}

// fanOut turns pending outbox rows into notifications: up to fanOutBatch
// members in one transaction, each row's progress (cursor) committed with
// the rows it produced, so nothing is fanned out twice or lost.
func (n *notifier) fanOut(now time.Time) (more bool, err error) {
	app := n.m.app
	var rows []outboxRow
	err = app.DB().NewQuery(`SELECT id, kind, thread, author, seq, day, due, cursor, attempts FROM messaging_outbox
		WHERE state = 'pending' AND next_attempt <= {:now} ORDER BY next_attempt LIMIT {:n}`).
		Bind(dbx.Params{"now": dbTime(now), "n": outboxPerStep}).All(&rows)
	if err != nil || len(rows) == 0 {
		return false, err
	}
	more = len(rows) == outboxPerStep
	err = app.RunInTransaction(func(tx core.App) error {
		budget := fanOutBatch
		for i := range rows {
			if budget <= 0 {
				more = true
				break
			}
			used, done, err := n.fanOutRow(tx, &rows[i], budget, now)
			if err != nil {
				return err
			}
			budget -= max(used, 1)
			more = more || !done
		}
		return nil
	})
	if err == nil {
		return more, nil
	}
	// One bad row must not hold up the others: retry them one by one and
	// put the failing one off with backoff.
	for i := range rows {
		err := app.RunInTransaction(func(tx core.App) error {
			_, _, err := n.fanOutRow(tx, &rows[i], fanOutBatch, now)
			return err
		})
		if err != nil {
			n.outboxFailed(rows[i], err, now)
		}
	}
	return true, nil
}

// fanOutRow handles the next batch of row's members (of the thread for a
// message, of the members with unread messages for a digest) and records
// how far it got.
func (n *notifier) fanOutRow(tx core.App, row *outboxRow, limit int, now time.Time) (used int, done bool, err error) {
	var users []string
	if row.Kind == outboxDigest {
		err = tx.DB().NewQuery(`SELECT user FROM thread_members INDEXED BY idx_messaging_members_unread
			WHERE user > {:cursor} AND unread > 0 AND "left" = 0 GROUP BY user ORDER BY user LIMIT {:n}`).
			Bind(dbx.Params{"cursor": row.Cursor, "n": limit}).Column(&users)
	} else {
		err = tx.DB().NewQuery(`SELECT user FROM thread_members WHERE thread = {:thread} AND user > {:cursor}
			ORDER BY user LIMIT {:n}`).Bind(dbx.Params{"thread": row.Thread, "cursor": row.Cursor, "n": limit}).Column(&users)
	}
	if err != nil {
		return 0, false, err
	}
	params := dbx.Params{"from": row.Cursor, "now": dbTime(now), "default": n.m.Limits().EmailNotifications,
		"thread": row.Thread, "author": row.Author, "seq": row.Seq, "due": row.Due, "day": row.Day}
	if len(users) > 0 {
		params["to"] = users[len(users)-1]
		q := fanOutMessageSQL
		if row.Kind == outboxDigest {
			q = fanOutDigestSQL
		}
		if _, err := tx.DB().NewQuery(q).Bind(params).Execute(); err != nil {
			return 0, false, err
		}
		if row.Kind == outboxMessage {
			if err := n.fanOutChannels(tx, params); err != nil {
				return 0, false, err
			}
		}
		row.Cursor = users[len(users)-1]
	}
	done = len(users) < limit
	state, next := outboxPending, dbTime(now)
	if done {
		state, next = outboxDone, purgeTime(now)
	}
	_, err = tx.DB().NewQuery(`UPDATE messaging_outbox SET cursor = {:cursor}, state = {:state}, next_attempt = {:next},
		updated = {:now} WHERE id = {:id}`).Bind(dbx.Params{"cursor": row.Cursor, "state": state, "next": next,
		"now": dbTime(now), "id": row.ID}).Execute()
	return len(users), done, err
}

// newIDSQL makes a record id ([a-z0-9]{15}) in SQL.
const newIDSQL = `substr(lower(hex(randomblob(8))), 1, 15)`

// recipientModeSQL is a member's effective email mode (p: their
// preferences row, possibly missing; {:default}: the site's default).
const recipientModeSQL = `CASE WHEN COALESCE(p.messaging_off, FALSE) THEN 'none'
	ELSE COALESCE(NULLIF(p.email_notifications, ''), {:default}) END`

// fanOutMessageSQL opens a window for each member in (from, to] who gets
// an email about this message: a current member other than the author,
// who has not read it, hasn't muted the thread, hasn't blocked the author,
// isn't being asked to accept it as a message request (reach.go),
// has an email address and is in conversation mode. A member with a
// window open already is left alone (the unique index): the window is
// fixed. So is a member who was emailed about messages they still haven't
// read: only the first unread message opens a window, so someone who
// stays away gets one email per conversation until they read it, however
// long the conversation (or a sender timing a message to each window)
// goes on.
const fanOutMessageSQL = `INSERT OR IGNORE INTO messaging_notifications
	(id, kind, user, thread, day, state, first_seq, last_seq, count, due, attempts, last_error, sent_at, next_attempt, created, updated)
	SELECT ` + newIDSQL + `, 'conversation', tm.user, tm.thread, '', 'waiting', {:seq}, 0, 0, {:due}, 0, '', '', {:due}, {:now}, {:now}
	FROM thread_members tm JOIN users u ON u.id = tm.user
	LEFT JOIN messaging_preferences p ON p.user = tm.user
	WHERE tm.thread = {:thread} AND tm.user > {:from} AND tm.user <= {:to}
		AND tm.user != {:author} AND tm."left" = FALSE AND tm.muted = FALSE AND tm.last_read_seq < {:seq}
		AND tm.request = '' AND u.email != '' AND ` + recipientModeSQL + ` = 'conversation'
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user = tm.user AND b.blocked = {:author})
		AND NOT EXISTS (SELECT 1 FROM messaging_notifications n WHERE n.user = tm.user AND n.thread = tm.thread
			AND n.channel = '' AND n.kind = 'conversation' AND n.state = 'sent' AND n.last_seq > tm.last_read_seq)`

// fanOutDigestSQL queues today's digest for each user in (from, to] in
// digest mode with an unread message in a conversation they haven't muted.
const fanOutDigestSQL = `INSERT OR IGNORE INTO messaging_notifications
	(id, kind, user, thread, day, state, first_seq, last_seq, count, due, attempts, last_error, sent_at, next_attempt, created, updated)
	SELECT ` + newIDSQL + `, 'digest', u.id, '', {:day}, 'waiting', 0, 0, 0, {:now}, 0, '', '', {:now}, {:now}, {:now}
	FROM users u LEFT JOIN messaging_preferences p ON p.user = u.id
	WHERE u.id > {:from} AND u.id <= {:to} AND u.email != '' AND ` + recipientModeSQL + ` = 'digest'
		AND EXISTS (SELECT 1 FROM thread_members tm WHERE tm.user = u.id AND tm.unread > 0 AND tm."left" = FALSE AND tm.muted = FALSE
			AND tm.request = '')`

// outboxFailed puts a row that can't be fanned out off with backoff, and
// gives it up after maxAttempts.
func (n *notifier) outboxFailed(row outboxRow, cause error, now time.Time) {
	n.m.app.Logger().Error("messaging: notification fan-out failed", "outbox", row.ID, "error", cause)
	state, next := outboxPending, dbTime(now.Add(backoff(row.Attempts+1)))
	if row.Attempts+1 >= maxAttempts {
		state, next = outboxGaveUp, purgeTime(now)
	}
	_, err := n.m.app.DB().NewQuery(`UPDATE messaging_outbox SET state = {:state}, attempts = attempts + 1,
		last_error = {:err}, next_attempt = {:next}, updated = {:now} WHERE id = {:id}`).
		Bind(dbx.Params{"state": state, "err": truncate(cause.Error(), 2000), "next": next, "now": dbTime(now), "id": row.ID}).Execute()
	if err != nil {
		n.m.app.Logger().Error("messaging: can't record a fan-out failure", "error", err)
	}
}

// cleanup deletes finished rows whose time is up, a batch at a time.
func (n *notifier) cleanup(now time.Time) error {
	for _, q := range []string{
		`DELETE FROM messaging_notifications WHERE id IN (SELECT id FROM messaging_notifications
			WHERE state IN ('sent', 'read', 'skipped', 'failed') AND next_attempt <= {:now} LIMIT 1000)`,
		`DELETE FROM messaging_outbox WHERE id IN (SELECT id FROM messaging_outbox
			WHERE state IN ('done', 'failed') AND next_attempt <= {:now} LIMIT 1000)`,
	} {
		if _, err := n.m.app.DB().NewQuery(q).Bind(dbx.Params{"now": dbTime(now)}).Execute(); err != nil {
			return err
		}
	}
	return nil
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

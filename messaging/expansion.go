package messaging

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Background expansion of roles and recipient types too big to add while
// the sender waits (roles_start.go). Each job (a messaging_expansions
// row: thread, type, key) is worked by a worker of the fan-out's pattern
// (fanout.go): started OnServe, stopped OnTerminate, woken after the
// start commits and every second. A step reads one page of the type's
// Members from the job's cursor and, in one transaction, adds them
// (addExpandedMembers: INSERT OR IGNORE, exact unread counts) and moves
// the cursor and the added count, so a restart resumes where the last
// committed step ended and nobody is added twice. For roles a page reads
// a bounded window of users (roleType), so no step grows with the number
// of users. Whoever gets the role after the job passed their id is not
// added.
//
// Email notifications: the first message's outbox row is fanned out over
// the thread's members when it is due (Config.NotifyDelaySeconds, 300 by
// default), in user id order; members the expansion adds before then
// get their email, members added behind the fan-out's cursor later do
// not (they still have the message unread). Site owners who need every
// email should keep the delay above the expansion's duration.

// expansionBatch is how many members one step asks a type for, and
// expansionRest how long the worker rests after a step, in steps' lengths
// (at least expansionYield): small steps and a rest give other members'
// sends the write lock and the CPU between them (at 500 a step, 5 ms
// apart, those sends halved during an expansion; BENCHMARKS.md, "Role
// messages"), and 10,000 members still take a few seconds.
const (
	expansionBatch = 200
	expansionYield = 20 * time.Millisecond
	expansionRest  = 2
)

// expandingSQL is the thread view's "expanding": a job of the thread t is
// unfinished.
const expandingSQL = `EXISTS (SELECT 1 FROM messaging_expansions x WHERE x.thread = t.id AND x.state IN ('` +
	ExpansionPending + `', '` + ExpansionRunning + `'))`

// expansionJob is one row of messaging_expansions.
type expansionJob struct {
	ID     string `db:"id"`
	Thread string `db:"thread"`
	Type   string `db:"type"`
	Key    string `db:"key"`
	Cursor string `db:"cursor"`
}

// expansionStep runs one batch of the oldest unfinished job, and reports
// whether any is left, whom it added to which thread, and whether that
// job finished.
func (m *Messaging) expansionStep(app core.App) (more bool, thread string, added []string, finished bool, err error) {
	var job expansionJob
	err = app.DB().NewQuery(`SELECT id, thread, type, key, cursor FROM messaging_expansions
		WHERE state IN ('` + ExpansionPending + `', '` + ExpansionRunning + `') ORDER BY created, rowid LIMIT 1`).One(&job)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", nil, false, nil
	}
	if err != nil {
		return false, "", nil, false, err
	}
	t, ok := m.recipientType(job.Type)
	if !ok {
		return true, job.Thread, nil, true, failExpansion(app, job.ID, "Unknown recipient type "+job.Type+": register it before the app serves.")
	}
	// The page is read before the write transaction, which then holds
	// the write lock only for the inserts, once it has checked the job
	// is still where this step found it.
	ids, next, err := t.Members(app, job.Key, job.Cursor, expansionBatch)
	if err == nil {
		err = app.RunInTransaction(func(tx core.App) error {
			// Still the job's next page? Another worker may have taken
			// it, and a purge of the thread (oversight_purge.go deletes
			// the job with the memberships) may have committed since:
			// its members must not come back.
			var live bool
			err := tx.DB().NewQuery(`SELECT EXISTS (SELECT 1 FROM messaging_expansions WHERE id = {:id}
				AND cursor = {:cursor} AND state IN ('` + ExpansionPending + `', '` + ExpansionRunning + `'))`).
				Bind(dbx.Params{"id": job.ID, "cursor": job.Cursor}).Row(&live)
			if err != nil || !live {
				return err
			}
			if added, err = addExpandedMembers(tx, job.Thread, ids); err != nil {
				return err
			}
			state := ExpansionRunning
			if next == "" {
				state, finished = ExpansionDone, true
			}
			_, err = tx.DB().NewQuery(`UPDATE messaging_expansions SET cursor = {:cursor}, added = added + {:n},
				state = {:state}, updated = {:now} WHERE id = {:id}`).
				Bind(dbx.Params{"cursor": next, "n": len(added), "state": state, "now": types.NowDateTime().String(),
					"id": job.ID}).Execute()
			return err
		})
	}
	if err != nil {
		// The batch rolled back: the job stays where it was. A broken
		// type would fail forever, so it is marked failed; the site owner
		// sets it back to pending to retry.
		return true, job.Thread, nil, true, errors.Join(err, failExpansion(app, job.ID, err.Error()))
	}
	return true, job.Thread, added, finished, nil
}

// failExpansion marks a job failed with why.
func failExpansion(app core.App, id, why string) error {
	if len(why) > 2000 {
		why = why[:2000]
	}
	_, err := app.DB().NewQuery(`UPDATE messaging_expansions SET state = 'failed', error = {:why}, updated = {:now}
		WHERE id = {:id}`).Bind(dbx.Params{"why": why, "now": types.NowDateTime().String(), "id": id}).Execute()
	return err
}

// drainExpansions runs every unfinished expansion to its end (tests).
func (m *Messaging) drainExpansions() error {
	for {
		more, thread, added, finished, err := m.expansionStep(m.app)
		if err != nil {
			return err
		}
		m.announceExpanded(thread, added, finished)
		if !more {
			return nil
		}
	}
}

// announceExpanded tells the online users a step added their new unread
// state (the thread is new to them: clients load it), and, once a job is
// done, the thread's online members that its member list changed.
func (m *Messaging) announceExpanded(thread string, added []string, finished bool) {
	if thread == "" {
		return
	}
	for _, u := range m.live.online(added) {
		m.live.readStateChanged(m.app, u, thread)
	}
	if finished {
		m.live.membersChanged(m.app, thread, nil)
	}
}

// bindExpansionHooks runs the expansion on a stepWorker (worker.go) with
// the app's life: each step adds one page of members, then tells the
// online ones.
func (m *Messaging) bindExpansionHooks() {
	m.expansions = newStepWorker(m.app, "role expansion", expansionYield, expansionRest, func() (bool, error) {
		more, thread, added, finished, err := m.expansionStep(m.app)
		m.announceExpanded(thread, added, finished)
		if err != nil {
			return more, fmt.Errorf("thread %s: %w", thread, err)
		}
		return more, nil
	})
	m.expansions.runWithApp(m.app, "Expansion")
}

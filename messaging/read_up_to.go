package messaging

import (
	"database/sql"
	"errors"
	"strconv"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Marking a thread read up to a message: a client that has shown the
// messages up to one marks exactly those read, so a message that arrived
// unseen (while the tab was hidden, or just after the page was drawn) stays
// unread. The read position only moves forward (MarkUnread moves it back),
// and the count is recomputed from expectedUnreadSQL, the definition Recount
// checks, in the same transaction.

// MarkReadUpTo marks thread read for user up to the message upTo: a
// message id of this thread, or a seq (capped at the newest message).
// Messages after it stay unread; a position behind the current one changes
// nothing. Sends "read" to the user's other connections when it moves.
// Errors: ErrNotFound (not a current member; checked first, so a
// non-member learns nothing about upTo), ErrInvalid (upTo malformed or not
// a message of this thread).
func (m *Messaging) MarkReadUpTo(user, threadID, upTo string) error {
	return m.app.RunInTransaction(func(tx core.App) error {
		member, err := activeMember(tx, user, threadID)
		if err != nil {
			return err
		}
		seq, err := upToSeq(tx, threadID, upTo)
		if err != nil {
			return err
		}
		res, err := tx.DB().NewQuery(`UPDATE {{thread_members}} SET [[last_read_seq]] = {:seq}
			WHERE [[id]] = {:id} AND [[last_read_seq]] < {:seq}`).
			Bind(dbx.Params{"seq": seq, "id": member.Id}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already read that far
		}
		_, err = tx.DB().NewQuery(`UPDATE {{thread_members}} AS tm SET [[unread]] = ` + expectedUnreadSQL + `,
				[[counted_seq]] = (SELECT t.[[last_seq]] FROM {{threads}} t WHERE t.[[id]] = tm.[[thread]])
			WHERE tm.[[id]] = {:id}`).Bind(dbx.Params{"id": member.Id}).Execute()
		if err == nil {
			err = m.cancelReadWindows(tx, user, threadID)
		}
		if err == nil {
			m.readStateAfterCommit(tx, user, threadID)
			m.seenAfterCommit(tx, member)
		}
		return err
	})
}

// upToSeq resolves MarkReadUpTo's upTo in thread.
func upToSeq(tx core.App, threadID, upTo string) (int, error) {
	if n, err := strconv.Atoi(upTo); err == nil {
		if n < 1 {
			return 0, errInvalid("upTo", "unknown_message", "No such message in this thread.")
		}
		var last int
		err := tx.DB().NewQuery(`SELECT [[last_seq]] FROM {{threads}} WHERE [[id]] = {:id}`).
			Bind(dbx.Params{"id": threadID}).Row(&last)
		return min(n, last), err
	}
	var seq int
	err := tx.DB().NewQuery(`SELECT [[seq]] FROM {{messages}} WHERE [[id]] = {:id} AND [[thread]] = {:thread}`).
		Bind(dbx.Params{"id": upTo, "thread": threadID}).Row(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errInvalid("upTo", "unknown_message", "No such message in this thread.")
	}
	return seq, err
}

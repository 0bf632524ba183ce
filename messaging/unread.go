package messaging

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// Unread counts. thread_members.unread is exact at every commit: a new
// message adds one for every other current member in its own transaction
// (countNewMessage), a deletion takes one back from those who had not read
// it (withUncount), and reading sets it to 0 (MarkRead) or 1 (MarkUnread).
// System notes never count. expectedUnreadSQL is the definition all of
// these maintain; Recount checks every count against it and repairs drift.

// countNewMessage counts an authored message in, inside its sending
// transaction and in one statement whatever the group size: every other
// current member gains one unread; the author has read up to their own
// message; the thread comes back to everyone's inbox. Writing into a
// request accepts it for its author (reach.go).
func countNewMessage(tx core.App, threadID, author string, seq int, at string) error {
	_, err := tx.DB().NewQuery(`UPDATE thread_members SET
			unread = CASE WHEN user = {:author} THEN 0 ELSE unread + 1 END,
			last_read_seq = CASE WHEN user = {:author} THEN {:seq} ELSE last_read_seq END,
			counted_seq = {:seq},
			request = CASE WHEN user = {:author} THEN '' ELSE request END,
			last_activity = {:at}, archived = FALSE
		WHERE thread = {:thread} AND ` + memberIsCurrent).
		Bind(dbx.Params{"author": author, "seq": seq, "at": at, "thread": threadID}).Execute()
	return err
}

// withUncount runs the write in e.Next() and, in the same transaction,
// takes the message out of the unread count of every member who had not
// read it yet.
func (m *Messaging) withUncount(e *core.RecordEvent) error {
	return inRecordTransaction(e, func(tx core.App) error {
		if err := e.Next(); err != nil {
			return err
		}
		msg := &Message{e.Record}
		author := msg.Author()
		if author == "" && !msg.AuthorDeleted() {
			return nil // a system note counted for no one
		}
		_, err := tx.DB().NewQuery(`UPDATE {{thread_members}} SET [[unread]] = [[unread]] - 1
			WHERE [[thread]] = {:thread} AND ` + memberIsCurrent + ` AND [[user]] != {:author}
				AND [[last_read_seq]] < {:seq} AND [[counted_seq]] >= {:seq} AND [[unread]] > 0`).
			Bind(dbx.Params{"thread": msg.Thread(), "author": author, "seq": msg.Seq()}).
			Execute()
		return err
	})
}

// UnreadCounts is a user's unread total: threads with unread messages and
// unread messages across them, requests left out; and their pending
// message requests, the Requests badge (reach.go).
type UnreadCounts struct {
	Threads  int `json:"threads"`
	Messages int `json:"messages"`
	Requests int `json:"requests"`
}

// Unread returns user's unread totals from a partial index of the
// memberships that have unread messages.
func (m *Messaging) Unread(user string) (UnreadCounts, error) {
	var c UnreadCounts
	rows, err := m.query(unreadTotalsSQL("user = ?"), user)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	if rows.Next() { // no row: nothing unread
		var u string
		err = rows.Scan(&u, &c.Threads, &c.Messages)
	}
	if err == nil {
		err = rows.Err()
	}
	if err == nil {
		err = m.app.DB().NewQuery(requestsCountSQL("{:user}")).Bind(dbx.Params{"user": user}).Row(&c.Requests)
	}
	return c, err
}

// unreadTotalsSQL selects (user, threads, messages) for the users that
// userCond (a condition on the user column) matches and who have anything
// unread: threads with unread messages and the unread messages across
// them. It is the one definition of a user's totals, for GET
// /api/messaging/unread and for every live event, and reads only the
// partial index of memberships with unread messages (its WHERE must keep
// implying that index's "unread > 0 AND left = 0"). Requests count in
// their own badge, not here (reach.go).
func unreadTotalsSQL(userCond string) string {
	return `SELECT user, COUNT(*) AS threads, SUM(unread) AS messages
		FROM thread_members INDEXED BY idx_messaging_members_unread
		WHERE ` + userCond + ` AND unread > 0 AND "left" = 0 AND request = ''
		GROUP BY user`
}

// CountFix is one unread count that Recount found wrong and corrected.
type CountFix struct {
	Member string `db:"id" json:"member"`
	Thread string `db:"thread" json:"thread"`
	User   string `db:"user" json:"user"`
	Was    int    `db:"unread" json:"was"`
	Now    int    `db:"expected" json:"now"`
}

// expectedUnreadSQL is the definition of an unread count: messages by
// someone else (system notes excluded; messages of a deleted user
// included, see deletion.go), not deleted, after the member's last read
// position; zero for a member who left. insertMessage, withUncount,
// MarkRead and MarkUnread maintain exactly this.
const expectedUnreadSQL = `CASE WHEN tm.[[left]] THEN 0 ELSE (
	SELECT COUNT(*) FROM {{messages}} msg
	WHERE msg.[[thread]] = tm.[[thread]] AND msg.[[seq]] > tm.[[last_read_seq]]
		AND (msg.[[author]] != '' OR msg.[[author_deleted]]) AND msg.[[author]] != tm.[[user]]
		AND msg.[[deleted]] = FALSE) END`

// Recount recomputes every member's unread count from the messages, in one
// transaction, and returns the counts it had to fix (none, when the
// counters never drifted). It also re-derives threads.members and threads.member_count.
func (m *Messaging) Recount() ([]CountFix, error) {
	var fixes []CountFix
	// Pending fan-outs are counts not made yet, not drift: finish them.
	if err := drainFanOuts(m.app); err != nil {
		return nil, err
	}
	err := m.app.RunInTransaction(func(tx core.App) error {
		err := tx.DB().NewQuery(`SELECT * FROM (SELECT tm.[[id]], tm.[[thread]], tm.[[user]], tm.[[unread]],
				` + expectedUnreadSQL + ` AS expected FROM {{thread_members}} tm)
			WHERE [[unread]] != [[expected]]`).All(&fixes)
		if err != nil {
			return err
		}
		for _, f := range fixes {
			_, err := tx.DB().NewQuery(`UPDATE thread_members SET unread = {:unread},
					counted_seq = (SELECT last_seq FROM threads WHERE threads.id = thread_members.thread) WHERE id = {:id}`).
				Bind(dbx.Params{"unread": f.Now, "id": f.Member}).Execute()
			if err != nil {
				return err
			}
		}
		_, err = tx.DB().NewQuery(refreshMembersSQL).Execute()
		return err
	})
	return fixes, err
}

func (m *Messaging) recountCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "recount",
		Short: "Recompute every unread count from the messages and report the ones it fixed",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.app.RunAllMigrations(); err != nil {
				return err
			}
			fixes, err := m.Recount()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, f := range fixes {
				fmt.Fprintf(out, "fixed thread %s user %s: unread %d -> %d\n", f.Thread, f.User, f.Was, f.Now)
			}
			fmt.Fprintf(out, "%d unread count(s) fixed\n", len(fixes))
			return nil
		},
	}
}

// MarkRead marks everything in thread as read for user.
//
// The read state is written with one plain UPDATE (opening a thread is the
// most frequent write there is, and a record save would validate and
// rewrite the whole row for two counters), so no record event fires and
// the "read" event is fired here, after the commit, through
// readStateAfterCommit, as MarkUnread does. A record save that changes
// the same fields (the records API as a superuser, Go, a JS hook) fires
// it from afterMembershipUpdate. The other plain-SQL writers of read
// state send their own events: a new message ("message", to the author
// too) and a deletion ("deleted").
func (m *Messaging) MarkRead(user, threadID string) error {
	return m.app.RunInTransaction(func(tx core.App) error {
		member, err := activeMember(tx, user, threadID)
		if err != nil {
			return err
		}
		err = markMembersRead(tx, []string{member.Id}) // the bulk action's statement (bulk.go)
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

// readStateAfterCommit sends user's "read" event for thread once tx has
// committed; nothing on rollback.
func (m *Messaging) readStateAfterCommit(tx core.App, user, threadID string) {
	m.afterCommit(tx, func() { m.live.readStateChanged(m.app, user, threadID) })
}

// MarkUnread marks the newest message from someone else as unread, so the
// thread shows one unread message; a thread with none stays read. Messages
// hidden by "delete for me" don't count: the read position never goes
// back behind hidden_before_seq (bulk.go), so hidden messages are never
// unread.
func (m *Messaging) MarkUnread(user, threadID string) error {
	return m.app.RunInTransaction(func(tx core.App) error {
		member, err := activeMember(tx, user, threadID)
		if err != nil {
			return err
		}
		n, err := markMembersUnread(tx, []string{member.Id}) // the bulk action's statement (bulk.go)
		if err != nil || n == 0 {
			return err
		}
		m.readStateAfterCommit(tx, user, threadID)
		m.seenAfterCommit(tx, member)
		return nil
	})
}

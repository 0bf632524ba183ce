package messaging

import (
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// The read-state side of the bulk actions (bulk.go): the statements that
// MarkRead, MarkUnread and the bulk read, unread and delete-for-me share,
// the "seen" receipts they owe, and marking everything read.

// markMembersRead marks the memberships memberIDs read up to their
// thread's last message: MarkRead's statement.
func markMembersRead(tx core.App, memberIDs []string) error {
	return execOnMembers(tx, `unread = 0,
		last_read_seq = (SELECT last_seq FROM threads WHERE id = thread_members.thread),
		counted_seq = (SELECT last_seq FROM threads WHERE id = thread_members.thread)`, memberIDs, nil)
}

// newestFromOthersSQL is the seq of the newest message the member of the
// thread_members row being updated can count as unread: by someone else
// (no system notes), not deleted, not hidden by "delete for me"; 0 for none.
const newestFromOthersSQL = `(SELECT COALESCE(MAX(msg.seq), 0) FROM messages msg
	WHERE msg.thread = thread_members.thread AND (msg.author != '' OR msg.author_deleted)
		AND msg.author != thread_members.user AND msg.deleted = FALSE
		AND msg.seq >= thread_members.hidden_before_seq)`

// markMembersUnread makes the newest message from someone else the one
// unread message of each of the memberships memberIDs: MarkUnread's
// statement. A thread with no such message stays as it is; n is the
// number of memberships changed.
func markMembersUnread(tx core.App, memberIDs []string) (n int64, err error) {
	return updateMembers(tx, `unread = 1, last_read_seq = `+newestFromOthersSQL+` - 1,
		counted_seq = (SELECT last_seq FROM threads WHERE id = thread_members.thread)`, memberIDs, nil,
		newestFromOthersSQL+` > 0`)
}

// seenMovedAfterCommit sends, after the commit, the "seen" receipts of the
// memberships whose read position the action moved (for a direct thread's
// other member; see receipts.go).
func (m *Messaging) seenMovedAfterCommit(tx core.App, user string, before []bulkMember, memberIDs []string) error {
	var now []bulkMember
	err := tx.DB().NewQuery(`SELECT id, thread, last_read_seq, '' AS tags FROM thread_members
		WHERE id IN (SELECT value FROM json_each({:members}))`).
		Bind(dbx.Params{"members": inParam(memberIDs)}).All(&now)
	if err != nil {
		return err
	}
	var moved []string
	for _, n := range now {
		i := slices.IndexFunc(before, func(b bulkMember) bool { return b.ID == n.ID })
		if i >= 0 && before[i].LastReadSeq != n.LastReadSeq {
			moved = append(moved, n.Thread)
		}
	}
	if len(moved) > 0 {
		m.afterCommit(tx, func() {
			for _, t := range moved {
				m.live.seen(m.app, user, t)
			}
		})
	}
	return nil
}

// MarkAllRead marks every conversation in user's inbox and archive read
// (pending requests keep their own badge), in one statement over the
// memberships with unread messages and one over the notification windows,
// whatever their number. The result lists the threads it changed.
func (m *Messaging) MarkAllRead(user string) (BulkResult, error) {
	var threads []string
	err := m.app.RunInTransaction(func(tx core.App) error {
		err := tx.DB().NewQuery(`UPDATE thread_members SET unread = 0,
				last_read_seq = (SELECT last_seq FROM threads WHERE id = thread_members.thread),
				counted_seq = (SELECT last_seq FROM threads WHERE id = thread_members.thread)
			WHERE user = {:user} AND unread > 0 AND "left" = 0 AND request = ''
			RETURNING thread`).Bind(dbx.Params{"user": user}).Column(&threads)
		if err != nil || len(threads) == 0 {
			return err
		}
		if err := m.cancelReadWindowsIn(tx, user, threads); err != nil {
			return err
		}
		m.afterCommit(tx, func() {
			for _, t := range threads {
				m.live.seen(m.app, user, t)
			}
		})
		return nil
	})
	if err != nil {
		return BulkResult{}, err
	}
	if threads == nil {
		threads = []string{}
	}
	return m.bulkDone(user, "read-all", threads)
}

// bulkChanged tells user's clients, in one event, that a bulk action
// changed threads, with their totals as they are now.
func (h *liveHub) bulkChanged(m *Messaging, user, action string, threads []string) {
	if len(h.online([]string{user})) == 0 {
		return
	}
	h.ordered([]string{user}, func() {
		c, err := m.Unread(user)
		if err != nil {
			logLiveError(m.app, "bulk", "", err)
			return
		}
		h.send(user, map[string]any{"type": "bulk", "action": action, "threads": threads, "totals": c})
	})
}

package messaging

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Read receipts: in a direct conversation each member sees how far the
// other has read (ThreadView.PeerLastReadSeq, and a live "seen" event when
// it moves), from the read position that already exists
// (thread_members.last_read_seq). Both must have receipts on (a member
// who turns them off neither shows nor sees them) and neither may have
// blocked the other: a blocked member learns nothing of the other's
// reading, and a receipt that stops looks the same as one turned off.
// Groups show none. Every path that shows a read position to someone
// else goes through receiptsAllowedSQL; the records API shows a member
// only their own thread_members rows (and the relation guard keeps
// filters and expands from reaching the others').

// receiptsAllowedSQL is true when the users of the thread_members rows
// tm and p may see each other's read position: neither turned receipts
// off and neither blocked the other. Each test is a unique-index lookup.
const receiptsAllowedSQL = `(NOT EXISTS (SELECT 1 FROM messaging_preferences rp
			WHERE rp.user IN (tm.user, p.user) AND rp.read_receipts_off)
		AND NOT EXISTS (SELECT 1 FROM blocks rb
			WHERE (rb.user = tm.user AND rb.blocked = p.user) OR (rb.user = p.user AND rb.blocked = tm.user)))`

// peerReadSeqSQL is the column of threadRowsSQL that shows the member of
// tm (in thread t) how far the other member of a direct thread has read;
// 0 when there is nothing to show.
const peerReadSeqSQL = `CASE WHEN t.kind = '` + KindDirect + `' THEN COALESCE((
		SELECT p.last_read_seq FROM thread_members p
		WHERE p.thread = tm.thread AND p.user != tm.user AND p."left" = 0 AND p.request = '' AND ` + receiptsAllowedSQL + `
		LIMIT 1), 0) ELSE 0 END`

// seenAfterCommit sends the "seen" event once tx commits if the read
// position of member (as loaded before the write) has moved: reading a
// thread again with nothing new must not tell the other person anything.
func (m *Messaging) seenAfterCommit(tx core.App, member *core.Record) {
	var now int
	err := tx.DB().Select("last_read_seq").From(CollectionNameThreadMembers).
		Where(dbx.HashExp{"id": member.Id}).Row(&now)
	if err != nil || now == member.GetInt("last_read_seq") {
		return
	}
	reader, thread := member.GetString("user"), member.GetString("thread")
	m.afterCommit(tx, func() { m.live.seen(m.app, reader, thread) })
}

// seen tells the other member of a direct thread how far reader has read
// now, if receipts are allowed between them. The position is read under
// the recipient's ordering lock, so two quick reads arrive in order.
func (h *liveHub) seen(app core.App, reader, threadID string) {
	if !h.anyone() {
		return
	}
	var row struct {
		Peer string `db:"peer"`
	}
	err := app.DB().NewQuery(`SELECT p.user AS peer FROM threads t
		JOIN thread_members p ON p.thread = t.id AND p.user != {:reader} AND p."left" = 0 AND p.` + memberNotDeclined + `
		WHERE t.id = {:thread} AND t.kind = {:direct} LIMIT 1`).
		Bind(dbx.Params{"thread": threadID, "reader": reader, "direct": KindDirect}).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return // a group, or nobody else
	}
	if err != nil {
		logLiveError(app, "seen", threadID, err)
		return
	}
	if len(h.online([]string{row.Peer})) == 0 {
		return
	}
	h.ordered([]string{row.Peer}, func() {
		var state struct {
			Seq int `db:"seq"`
		}
		err := app.DB().NewQuery(`SELECT tm.last_read_seq AS seq FROM thread_members tm
			JOIN thread_members p ON p.thread = tm.thread AND p.user = {:peer} AND p."left" = 0
			WHERE tm.thread = {:thread} AND tm.user = {:reader} AND tm."left" = 0 AND tm.request = '' AND ` + receiptsAllowedSQL).
			Bind(dbx.Params{"thread": threadID, "reader": reader, "peer": row.Peer}).One(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return // receipts off or a block: nothing to tell
		}
		if err != nil {
			logLiveError(app, "seen", threadID, err)
			return
		}
		h.send(row.Peer, map[string]any{"type": "seen", "thread": threadID, "seq": state.Seq})
	})
}

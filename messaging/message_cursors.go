package messaging

import (
	"math"
	"strconv"
)

// Cursors for a live client: open a thread at a message (around=, e.g. the
// first unread one), catch up after a reconnect (after=), and page back
// (before=, as Messages does). A cursor is a message's seq, or its id
// (resolved within the thread, after the membership check, so that a
// non-member learns nothing and a member can't probe other threads). Every
// page says whether there is more on either side and hands out the
// cursors to get it. Each page is two or three index range reads on
// (thread, seq): its cost doesn't grow with the thread.

// FirstUnread is the Around value that opens a thread at the member's first
// unread message (the one after ThreadView.LastReadSeq).
const FirstUnread = "first_unread"

// MessageQuery selects a page of a thread's messages. At most one of
// Before, After and Around is set; none means the newest page.
type MessageQuery struct {
	Before string // messages older than this cursor, newest first
	After  string // messages newer than this cursor, oldest first ("0": from the start)
	Around string // a window around this message (or FirstUnread), oldest first
	Limit  int    // 0 means Config.PageSize
}

// MessagePage is a page of a thread's messages with cursors both ways.
type MessagePage struct {
	Items []MessageView `json:"items"`
	// NextCursor goes on in the page's own direction (before= for the
	// newest page and before=, after= for after=); "" at the end, and
	// always for around=.
	NextCursor string `json:"nextCursor"`
	// HasOlder and HasNewer tell whether messages exist before the
	// oldest and after the newest item.
	HasOlder bool `json:"hasOlder"`
	HasNewer bool `json:"hasNewer"`
	// OlderCursor is the before= value for the older page ("" when there
	// is none); NewerCursor is the after= value for newer messages, set
	// even when there are none yet, so that a client can catch up from it
	// after a reconnect.
	OlderCursor string `json:"olderCursor"`
	NewerCursor string `json:"newerCursor"`
}

// MessagesPage returns a page of thread's messages as q selects it.
// Errors: ErrNotFound (no such thread or not a current member: checked
// before any cursor is looked at), ErrInvalid (a malformed cursor, a
// message that isn't in this thread, or more than one cursor).
func (m *Messaging) MessagesPage(user, threadID string, q MessageQuery) (MessagePage, error) {
	limit := m.limit(q.Limit)
	set := 0
	for _, c := range []string{q.Before, q.After, q.Around} {
		if c != "" {
			set++
		}
	}
	if set > 1 {
		return MessagePage{}, errInvalid("cursor", "cursor_conflict", "Give only one of before, after and around.")
	}
	switch {
	case q.Around != "":
		return m.aroundPage(user, threadID, q.Around, limit)
	case q.After != "":
		seq, err := m.cursorSeq(user, threadID, "after", q.After, 0)
		if err != nil {
			return MessagePage{}, err
		}
		return m.afterPage(user, threadID, seq, limit)
	default:
		seq := math.MaxInt64
		if q.Before != "" {
			var err error
			if seq, err = m.cursorSeq(user, threadID, "before", q.Before, 1); err != nil {
				return MessagePage{}, err
			}
		}
		return m.beforePage(user, threadID, seq, limit)
	}
}

// beforePage is the newest page (seq = MaxInt64) or the page older than seq.
func (m *Messaging) beforePage(user, threadID string, seq, limit int) (MessagePage, error) {
	rows, err := m.messageRows(user, threadID, seq, false, limit+1)
	if err != nil {
		return MessagePage{}, err
	}
	p := MessagePage{Items: rows.Items, HasOlder: len(rows.Items) > limit}
	if p.HasOlder {
		p.Items = p.Items[:limit]
	}
	// newest is what the client has once it holds this page.
	newest := seq - 1
	switch {
	case len(p.Items) > 0:
		newest = p.Items[0].Seq
	case seq == math.MaxInt64:
		newest = 0 // a thread without messages
	}
	if seq != math.MaxInt64 {
		if p.HasNewer, err = m.hasMessages(user, threadID, ">", newest); err != nil {
			return MessagePage{}, err
		}
	}
	p.NewerCursor = strconv.Itoa(newest)
	if p.HasOlder {
		p.OlderCursor = strconv.Itoa(p.Items[len(p.Items)-1].Seq)
		p.NextCursor = p.OlderCursor
	}
	return p, nil
}

// afterPage is the page newer than seq, oldest first.
func (m *Messaging) afterPage(user, threadID string, seq, limit int) (MessagePage, error) {
	rows, err := m.messageRows(user, threadID, seq, true, limit+1)
	if err != nil {
		return MessagePage{}, err
	}
	p := MessagePage{Items: rows.Items, HasNewer: len(rows.Items) > limit, NewerCursor: strconv.Itoa(seq)}
	if p.HasNewer {
		p.Items = p.Items[:limit]
	}
	oldest := seq + 1
	if n := len(p.Items); n > 0 {
		oldest = p.Items[0].Seq
		p.NewerCursor = strconv.Itoa(p.Items[n-1].Seq)
	} else if last, err := m.lastSeq(threadID); err != nil {
		return MessagePage{}, err
	} else if last < seq {
		// A cursor past the end must not make the client skip the
		// messages still to come below it.
		p.NewerCursor = strconv.Itoa(last)
	}
	if p.HasNewer {
		p.NextCursor = p.NewerCursor
	}
	if p.HasOlder, err = m.hasMessages(user, threadID, "<", oldest); err != nil {
		return MessagePage{}, err
	}
	if p.HasOlder {
		p.OlderCursor = strconv.Itoa(oldest)
	}
	return p, nil
}

// aroundPage is a window of limit messages, oldest first: up to limit/2
// before the anchor and the rest from the anchor on.
func (m *Messaging) aroundPage(user, threadID, around string, limit int) (MessagePage, error) {
	var anchor int
	if around == FirstUnread {
		read, err := m.memberReadSeq(user, threadID)
		if err != nil {
			return MessagePage{}, err
		}
		anchor = read + 1
	} else {
		var err error
		if anchor, err = m.cursorSeq(user, threadID, "around", around, 1); err != nil {
			return MessagePage{}, err
		}
	}
	half := limit / 2
	older, err := m.messageRows(user, threadID, anchor, false, half+1)
	if err != nil {
		return MessagePage{}, err
	}
	newer, err := m.messageRows(user, threadID, anchor-1, true, limit-half+1)
	if err != nil {
		return MessagePage{}, err
	}
	p := MessagePage{HasOlder: len(older.Items) > half, HasNewer: len(newer.Items) > limit-half}
	if p.HasOlder {
		older.Items = older.Items[:half]
	}
	if p.HasNewer {
		newer.Items = newer.Items[:limit-half]
	}
	p.Items = make([]MessageView, 0, len(older.Items)+len(newer.Items))
	for i := len(older.Items) - 1; i >= 0; i-- {
		p.Items = append(p.Items, older.Items[i])
	}
	p.Items = append(p.Items, newer.Items...)
	p.NewerCursor = strconv.Itoa(anchor - 1)
	if n := len(p.Items); n > 0 {
		p.NewerCursor = strconv.Itoa(p.Items[n-1].Seq)
		if p.HasOlder {
			p.OlderCursor = strconv.Itoa(p.Items[0].Seq)
		}
	}
	return p, nil
}

// cursorSeq turns a cursor into a seq: digits are a seq (at least min),
// anything else a message id of this thread. An id is only looked up
// once user is known to be a current member.
func (m *Messaging) cursorSeq(user, threadID, field, cursor string, min int) (int, error) {
	if n, err := strconv.Atoi(cursor); err == nil {
		if n < min {
			return 0, errInvalid(field, "bad_cursor", "Invalid cursor.")
		}
		return n, nil
	}
	if _, err := m.memberReadSeq(user, threadID); err != nil {
		return 0, err
	}
	seq, ok, err := m.seqOf(threadID, cursor)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errInvalid(field, "bad_cursor", "Invalid cursor: no such message in this thread.")
	}
	return seq, nil
}

// memberReadSeq is user's read position in thread; ErrNotFound when user
// is not a current member.
func (m *Messaging) memberReadSeq(user, threadID string) (int, error) {
	var seq int
	ok, err := m.queryRow(`SELECT last_read_seq FROM thread_members
		WHERE thread = ? AND user = ? AND `+memberIsCurrent+` AND `+memberNotDeclined, []any{threadID, user}, &seq)
	if err == nil && !ok {
		err = errNotFound()
	}
	return seq, err
}

// seqOf is the seq of message id in thread; ok is false when there is no
// such message in that thread.
func (m *Messaging) seqOf(threadID, id string) (seq int, ok bool, err error) {
	ok, err = m.queryRow(`SELECT seq FROM messages WHERE id = ? AND thread = ?`, []any{id, threadID}, &seq)
	return seq, ok, err
}

// hasMessages reports whether thread has a message with seq cmp ("<" or
// ">") than seq that user has not hidden with "delete for me" (bulk.go).
func (m *Messaging) hasMessages(user, threadID, cmp string, seq int) (bool, error) {
	var found bool
	_, err := m.queryRow(`SELECT EXISTS (SELECT 1 FROM messages WHERE thread = ?1 AND seq `+cmp+` ?2
		AND seq >= COALESCE((SELECT hidden_before_seq FROM thread_members WHERE thread = ?1 AND user = ?3), 0))`,
		[]any{threadID, seq, user}, &found)
	return found, err
}

// lastSeq is the seq of thread's newest message (0 for none).
func (m *Messaging) lastSeq(threadID string) (int, error) {
	var seq int
	_, err := m.queryRow(`SELECT last_seq FROM threads WHERE id = ?`, []any{threadID}, &seq)
	return seq, err
}

// queryRow scans the first row of a cached read statement into dst; ok is
// false when there is none.
func (m *Messaging) queryRow(text string, args []any, dst ...any) (ok bool, err error) {
	rows, err := m.query(text, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return false, rows.Err()
	}
	return true, rows.Scan(dst...)
}

package messaging

import (
	"math"
	"strconv"

	"github.com/pocketbase/pocketbase/tools/types"
)

// Reading a thread's messages, newest first, a page at a time by seq; the
// after= and around= cursors are message_cursors.go.

// Messages returns a page of thread's messages, newest first; before is
// the previous page's nextCursor. Errors: ErrNotFound, ErrInvalid.
func (m *Messaging) Messages(user, threadID, before string, limit int) (Page[MessageView], error) {
	limit = m.limit(limit)
	seq := math.MaxInt64
	if before != "" {
		n, err := strconv.Atoi(before)
		if err != nil || n < 1 {
			return Page[MessageView]{}, errInvalid("before", "bad_cursor", "Invalid cursor.")
		}
		seq = n
	}
	page, err := m.messageRows(user, threadID, seq, false, limit+1)
	if err != nil {
		return Page[MessageView]{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = strconv.Itoa(page.Items[limit-1].Seq)
	}
	return page, nil
}

// messageRows reads up to n of thread's messages on one side of seq: older
// ones (seq < seq), newest first, or with newer, newer ones (seq > seq),
// oldest first (message_cursors.go). Errors: ErrNotFound.
func (m *Messaging) messageRows(user, threadID string, seq int, newer bool, n int) (Page[MessageView], error) {
	cmp, order := "<", "DESC"
	if newer {
		cmp, order = ">", "ASC"
	}
	// The membership check is in the same statement: a non-member gets no
	// rows (the subquery is NULL), like a member of an empty thread, so it
	// is told apart below. The same subquery leaves out what the member
	// hid with "delete for me" (bulk.go).
	items, err := m.messageViews(`WHERE thread = ?1 AND seq `+cmp+` ?2 AND seq >= (SELECT hidden_before_seq FROM thread_members
			WHERE thread = ?1 AND user = ?3 AND `+memberIsCurrent+` AND `+memberNotDeclined+`)
		ORDER BY seq `+order+` LIMIT ?4`, threadID, seq, user, n)
	if err != nil {
		return Page[MessageView]{}, err
	}
	page := Page[MessageView]{Items: items}
	if len(page.Items) == 0 {
		if _, err := activeMember(m.app, user, threadID); err != nil {
			return Page[MessageView]{}, err
		}
	}
	return page, nil
}

// messageViews reads the messages that where (a WHERE clause with its
// ORDER BY and LIMIT, over messages) selects as views: a deleted
// message's body, html and files are never read out.
func (m *Messaging) messageViews(where string, args ...any) ([]MessageView, error) {
	col, err := m.app.FindCachedCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil, err
	}
	rows, err := m.query(`SELECT id, thread, author, author_deleted, deleted, seq, created,
			CASE WHEN deleted THEN '' ELSE body END, author = '' AND NOT author_deleted,
			CASE WHEN deleted THEN '' ELSE html END, edited,
			CASE WHEN deleted THEN '[]' ELSE files END
		FROM messages `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []MessageView{}
	for rows.Next() {
		var v MessageView
		var files types.JSONArray[string]
		if err := rows.Scan(&v.ID, &v.Thread, &v.Author, &v.AuthorDeleted, &v.Deleted, &v.Seq, &v.Created, &v.Body, &v.System, &v.HTML, &v.Edited, &files); err != nil {
			return nil, err
		}
		v.Files = fileViews(col.Id, v.ID, files, v.Deleted)
		items = append(items, v)
	}
	return items, rows.Err()
}

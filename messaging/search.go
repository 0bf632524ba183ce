package messaging

import (
	"strconv"

	"github.com/pocketbase/pocketbase/tools/types"
)

// Full-text search over the message bodies a member can read, newest
// first. The index (schema_search.go) is an FTS5 table whose rowids follow
// sending order; a search walks its matches from the newest down and stops
// after a page of rows the caller may read. A member of up to
// searchThreadsInQuery conversations (most people) has their threads
// written into the FTS query itself, so FTS5 intersects the words with
// those threads, skipping through the posting lists, and never visits
// anyone else's matches: the cost follows the caller's conversations, not
// the site's messages. A member of more conversations gets the plain walk
// with a membership check per match, which visits others' matches until a
// page is found (they read a larger share of the matches, so it ends
// sooner, but a rare word in a busy site costs a walk of its matches).
// Either way every row is checked against the caller's current membership
// in SQL before it is returned.

// SearchOptions narrows a search.
type SearchOptions struct {
	Thread string // only this thread (the caller must be a current member)
	Before string // nextCursor of the previous page
	Limit  int    // 0 means Config.PageSize
}

// SearchHit is a matching message with a snippet of its body around the
// matched words: HTML-escaped text in which the matches are wrapped in
// <mark>…</mark>, safe to insert as HTML.
type SearchHit struct {
	MessageView
	Snippet string `json:"snippet"`
}

// SearchPage is one page of search results, newest first, with the
// threads they belong to as the caller sees them.
type SearchPage struct {
	Items      []SearchHit  `json:"items"`
	Threads    []ThreadView `json:"threads"`
	NextCursor string       `json:"nextCursor"`
}

const (
	// maxSearchTerms caps the words of one query: each is a posting list
	// FTS5 walks.
	maxSearchTerms = 16
	// searchThreadsInQuery is the most conversations written into the FTS
	// query as a thread filter; beyond that the walk checks membership
	// per match instead.
	searchThreadsInQuery = 200
	// Snippet markers: private-use characters that snippet() puts around a
	// match, turned into <mark> after the text is escaped.
	markOpen  = '\uE000'
	markClose = '\uE001'
)

// searchSQL walks the FTS matches newest first; ?2 is the cursor (a key),
// ?3 the caller. Everything returned is checked here, in the statement:
// the caller's current membership of the message's thread, not deleted,
// not a system note, not hidden from the caller by "delete for me".
var searchSQL = `SELECT m.id, m.thread, m.author, m.author_deleted, m.seq, m.created, m.body,
		m.html, m.edited, COALESCE(m.files, '[]'), snippet(` + searchTable + `, 0, char(57344), char(57345), '…', 24), s.rowid
	FROM ` + searchTable + ` s
	JOIN ` + searchKeysTable + ` k ON k.key = s.rowid
	JOIN messages m ON m.id = k.message
	WHERE ` + searchTable + ` MATCH ?1 AND s.rowid < ?2 AND ` + searchIndexable("m") + `
		AND EXISTS (SELECT 1 FROM thread_members tm WHERE tm.thread = m.thread AND tm.user = ?3 AND tm.` + memberIsCurrent + ` AND tm.` + memberNotDeclined + `
			AND m.seq >= tm.hidden_before_seq)
	ORDER BY s.rowid DESC LIMIT ?4`

// Search finds the messages user can read whose body contains every word
// of query (whole words, any case, accents ignored), newest first.
// The query is plain words: quotes, operators and column names in it are
// just text. Errors: ErrInvalid (empty, too long, bad cursor), ErrNotFound
// (opts.Thread is not a thread user is a current member of).
func (m *Messaging) Search(user, query string, opts SearchOptions) (SearchPage, error) {
	page := SearchPage{Items: []SearchHit{}, Threads: []ThreadView{}}
	words, err := searchMatch(query)
	if err != nil {
		return page, err
	}
	before := int64(1) << 62
	if opts.Before != "" {
		n, err := strconv.ParseInt(opts.Before, 10, 64)
		if err != nil || n < 1 {
			return page, errInvalid("before", "bad_cursor", "Invalid cursor.")
		}
		before = n
	}
	limit := m.limit(opts.Limit)

	threads := []string{opts.Thread}
	if opts.Thread != "" {
		if _, err := activeMember(m.app, user, opts.Thread); err != nil {
			return page, err
		}
	} else if threads, err = m.searchThreads(user); err != nil {
		return page, err
	} else if threads != nil && len(threads) == 0 {
		return page, nil
	}
	match := "body : (" + words + ")"
	if len(threads) > 0 {
		match = "thread : (" + threadTokens(threads) + ") AND " + match
	}

	messages, err := m.app.FindCachedCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return page, err
	}
	rows, err := m.query(searchSQL, match, before, user, limit+1)
	if err != nil {
		return page, searchError(err)
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var h SearchHit
		var key int64
		var files types.JSONArray[string]
		if err := rows.Scan(&h.ID, &h.Thread, &h.Author, &h.AuthorDeleted, &h.Seq, &h.Created, &h.Body,
			&h.HTML, &h.Edited, &files, &h.Snippet, &key); err != nil {
			return page, err
		}
		h.Files = fileViews(messages.Id, h.ID, files, false)
		h.Snippet = markSnippet(h.Snippet)
		page.Items = append(page.Items, h)
		keys = append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return page, searchError(err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = strconv.FormatInt(keys[limit-1], 10)
	}
	page.Threads, err = m.searchResultThreads(user, page.Items)
	return page, err
}

// searchThreads returns the threads user is a current member of, or nil
// when there are more than searchThreadsInQuery (then the query walks all
// matches, checking membership per match).
func (m *Messaging) searchThreads(user string) ([]string, error) {
	rows, err := m.query(`SELECT thread FROM thread_members WHERE user = ?1 AND `+memberIsCurrent+` AND `+memberNotDeclined+` LIMIT ?2`,
		user, searchThreadsInQuery+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	threads := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		threads = append(threads, t)
	}
	if len(threads) > searchThreadsInQuery {
		return nil, rows.Err()
	}
	return threads, rows.Err()
}

// searchThreadsSQL selects the thread rows of the caller's (?1) current
// memberships of the threads in ?2, a JSON array. CROSS JOIN keeps the
// join order: each id is one lookup in the (thread, user) index, however
// many conversations the caller is in.
var searchThreadsSQL = threadRowsSQL + ` WHERE tm.id IN (SELECT mm.id FROM json_each(?2) j CROSS JOIN
	thread_members mm ON mm.thread = j.value AND mm.user = ?1 AND mm.` + memberIsCurrent + ` AND mm.` + memberNotDeclined + `)`

// searchResultThreads is the threads of the hits as user sees them, in
// order of first appearance.
func (m *Messaging) searchResultThreads(user string, hits []SearchHit) ([]ThreadView, error) {
	var ids []string
	seen := map[string]bool{}
	for _, h := range hits {
		if !seen[h.Thread] {
			seen[h.Thread] = true
			ids = append(ids, h.Thread)
		}
	}
	if len(ids) == 0 {
		return []ThreadView{}, nil
	}
	views, err := m.queryThreadViews(searchThreadsSQL, user, inParam(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[string]ThreadView, len(views))
	for _, v := range views {
		byID[v.ID] = v
	}
	out := make([]ThreadView, 0, len(ids))
	for _, id := range ids {
		if v, ok := byID[id]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

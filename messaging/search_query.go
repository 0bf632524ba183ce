package messaging

import (
	"encoding/hex"
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A member's search text as an FTS5 query, and FTS5's snippets as safe
// HTML.

// searchMatch turns a user's query into an FTS5 expression that can only
// mean "all these words": each word becomes a quoted FTS5 string (a double
// quote inside is doubled), so FTS5 operators (AND, OR, NOT, NEAR), column
// filters (body:), prefix stars, carets and parentheses are plain text,
// which the tokenizer then drops or keeps as words. Words with no letter
// or digit can match nothing and are left out.
//
// Words match whole, not as prefixes: FTS5 answers a prefix query by
// merging the posting lists of every word with that prefix before it
// returns the first row, work that grows with the number of matching
// messages on the site (at 100,000 messages it tripled the time of a
// search; see BENCHMARKS.md), where a whole word is walked lazily and
// skipped through to the caller's threads.
func searchMatch(query string) (string, error) {
	query = strings.TrimSpace(query)
	if err := checkSearch(query); err != nil {
		return "", err
	}
	// Control characters go: FTS5 reads a NUL as the end of the query.
	query = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, query)
	var words []string
	for _, w := range strings.Fields(query) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue
		}
		words = append(words, w)
	}
	switch {
	case len(words) == 0:
		return "", errInvalid("q", "search_empty", "Search for at least one word.")
	case len(words) > maxSearchTerms:
		return "", errInvalid("q", "search_too_many_words",
			"The search can have at most "+strconv.Itoa(maxSearchTerms)+" words.")
	}
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + strings.ReplaceAll(w, `"`, `""`) + `"`)
	}
	return b.String(), nil
}

// markSnippet HTML-escapes a snippet and turns its match markers into
// <mark> tags, always balanced: a marker character a member typed into
// their own message can at most highlight their own text.
func markSnippet(s string) string {
	var b strings.Builder
	open := false
	for {
		i := strings.IndexAny(s, string([]rune{markOpen, markClose}))
		if i < 0 {
			b.WriteString(html.EscapeString(s))
			break
		}
		b.WriteString(html.EscapeString(s[:i]))
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == markOpen && !open:
			b.WriteString("<mark>")
			open = true
		case r == markClose && open:
			b.WriteString("</mark>")
			open = false
		}
		s = s[i+size:]
	}
	if open {
		b.WriteString("</mark>")
	}
	return b.String()
}

// searchError makes an FTS5 query error a 400, should a query ever get
// past searchMatch's quoting: the input was bad, not the server.
func searchError(err error) error {
	if msg := err.Error(); strings.Contains(msg, "fts5") || strings.Contains(msg, "unterminated string") {
		return errInvalid("q", "search_invalid", "Invalid search.")
	}
	return err
}

// threadTokens is the FTS5 alternatives matching the threads' index
// tokens (their ids, hex-encoded as in the triggers).
func threadTokens(threads []string) string {
	var b strings.Builder
	for i, t := range threads {
		if i > 0 {
			b.WriteString(" OR ")
		}
		// lower(hex(thread)) in SQL: the id's bytes as lowercase hex.
		b.WriteString(`"` + hex.EncodeToString([]byte(t)) + `"`)
	}
	return b.String()
}

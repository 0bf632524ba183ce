package messaging

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"
)

// Input limits, checked before any database work: a request's cost must
// not grow with what a client chooses to send.
const (
	// maxSearchLength caps the inbox and recipient search text, in
	// characters. SQLite refuses LIKE patterns over 50,000 bytes (a 500),
	// and no one searches names with more than a few words.
	maxSearchLength = 200
	// defaultMaxTags is thread_members.tags' MaxSelect as shipped, used
	// when the field can't be read.
	defaultMaxTags = 100
)

// cleanIDs trims ids and drops empty and repeated ones, keeping the first
// occurrence's order, in one pass with a set; ok is false as soon as more
// than max distinct ids remain, so the caller refuses the input before any
// other work. (The per-id slices.Contains it replaces was quadratic:
// 40,000 ids cost 2 s of CPU per request.)
func cleanIDs(ids []string, max int) (clean []string, ok bool) {
	limit := min(len(ids), max)
	clean = make([]string, 0, limit)
	seen := make(map[string]struct{}, limit)
	for _, id := range ids {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if _, dup := seen[id]; dup {
			continue
		}
		if len(clean) == max {
			return nil, false
		}
		seen[id] = struct{}{}
		clean = append(clean, id)
	}
	return clean, true
}

// errGroupTooLarge refuses a conversation of more than max members; field
// names the input that asked for them.
func errGroupTooLarge(field string, max int) error {
	return errInvalid(field, "group_too_large", "A conversation can have at most "+strconv.Itoa(max)+" members.")
}

// maxTags is the most tags one membership may carry: the MaxSelect of
// thread_members.tags, which a site owner may change in the dashboard.
func maxTags(app core.App) int {
	col, err := app.FindCachedCollectionByNameOrId(CollectionNameThreadMembers)
	if err != nil {
		return defaultMaxTags
	}
	if f, ok := col.Fields.GetByName("tags").(*core.RelationField); ok && f.MaxSelect > 0 {
		return f.MaxSelect
	}
	return defaultMaxTags
}

// errTooManyTags refuses more than max tags on one conversation.
func errTooManyTags(max int) error {
	return errInvalid("tags", "too_many_tags", "A conversation can have at most "+strconv.Itoa(max)+" tags.")
}

// checkSearch refuses a search text longer than maxSearchLength
// characters (surrounding white space aside) with a 400 on field "q".
func checkSearch(q string) error {
	if utf8.RuneCountInString(strings.TrimSpace(q)) > maxSearchLength {
		return errInvalid("q", "search_too_long",
			"The search can't be longer than "+strconv.Itoa(maxSearchLength)+" characters.")
	}
	return nil
}

package messaging

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ganigeorgiev/fexpr"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/search"
)

// The relation guard keeps client-side filters, sorts and expands from
// reading messaging data that the caller's API rules don't let them list.
//
// Why it is needed (../shared/POCKETBASE.md §12, core/record_field_resolver.go
// in PocketBase v0.40.4): a client filter may follow relations. For every
// collection it joins into the main query PocketBase adds that collection's
// list rule ("registerRuleJoin"), but a condition on a path that goes
// through a multiple relation or a `_via_` back-relation is also built as a
// "multi-match" NOT EXISTS subquery, and that subquery joins the related
// tables with no rule at all ("for now the joins are not applied for
// multi-match conditions"). So
//
//	messages?filter=thread.members.messages_via_author.body !~ 'pin'
//
// answers, one bit per request, whether *any* message of any co-member
// contains a text. Even with `?` operators, a back-relation join changes
// which rows survive the top-level list-rule check, which tells whether
// related rows that the caller can't see exist (someone blocked X, X has
// messages elsewhere). And a back-relation expand first collects up to
// 1,000 related ids with no rule (core/record_query_expand.go).
//
// The guard is decided by the schema alone, never by data, so a refusal
// itself discloses nothing. Walking a path hop by hop:
//
//  1. A hop may land on a private collection (pluginCollections) only
//     through a single, forward relation from another private collection,
//     or the path must start there. PocketBase checks the landing
//     collection's list rule for exactly those hops, row for row.
//  2. Once a path has touched a private collection it may take no
//     multiple relation and no back-relation hop, wherever it leads
//     (`thread.members.email` would read co-members' hidden emails through
//     the unruled subquery).
//  3. An expand may not follow a back-relation into a private collection;
//     forward expands fetch exactly the ids stored in a visible record,
//     each under the target's view rule.
//
// Everything a member filters on their own data stays allowed: a field of
// the listed collection (`thread = 'x'`, `muted = true`, `tags:length > 0`,
// `members ~ 'id'`), the ids a relation holds (`members.id ?= 'id'`,
// `tags.id ?= 'id'`: only the stored ids are read), single forward hops (`thread.subject ~ 'x'`,
// `author.name = 'Bob'`, `last_message.seq > 3`) and forward expands
// (`expand=author,thread,tags`). Superusers are not checked.
//
// It runs before PocketBase builds any query, at the three ways in that
// carry client filters: every request whose route names a collection
// (records list/view/create/update, auth and file routes), each request of
// a batch, and each realtime subscription's options.

// errPrivateRelation is the one answer for a refused path.
func errPrivateRelation(param string) *router.ApiError {
	msg := "This " + param + " can't follow relations into other members' messaging data."
	return errInvalid(param, "private_relation", msg)
}

// isPrivate reports whether c is one of the plugin's collections, whose
// rows all belong to conversations, to one member's messaging state or to
// the site's settings.
func isPrivate(c *core.Collection) bool {
	return slices.Contains(pluginCollections(), c.Name)
}

// viaPattern is PocketBase's back-relation syntax, collection_via_field.
var viaPattern = regexp.MustCompile(`^(\w+)_via_(\w+)$`)

// clientQuery is what a client asks PocketBase to resolve against a
// collection: its filter, sort and expand parameters.
type clientQuery struct {
	Filter, Sort, Expand []string
}

func queryFrom(values url.Values) clientQuery {
	return clientQuery{
		Filter: values[search.FilterQueryParam],
		Sort:   values[search.SortQueryParam],
		Expand: values["expand"],
	}
}

// check refuses q against collection (name or id) for a caller signed in
// as auth (nil for guests). Unknown collections are left to PocketBase.
func checkClientQuery(app core.App, auth *core.Record, collection string, q clientQuery) error {
	if len(q.Filter)+len(q.Sort)+len(q.Expand) == 0 {
		return nil
	}
	c, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil || c == nil {
		return nil
	}
	w := pathWalker{app: app, auth: auth}
	for _, f := range q.Filter {
		if err := w.checkExpression(c, f); err != nil {
			return errPrivateRelation("filter")
		}
	}
	for _, s := range q.Sort {
		for _, field := range search.ParseSortFromString(s) {
			// PocketBase resolves a sort name whole, as one field path
			// (search.SortField.BuildExpr), not through the filter
			// scanner, which would split "1st.x" into a number and "st.x".
			if err := w.checkIdentifier(c, field.Name); err != nil {
				return errPrivateRelation("sort")
			}
		}
	}
	for _, e := range q.Expand {
		for _, path := range strings.Split(e, ",") {
			if err := w.checkExpand(c, strings.TrimSpace(path)); err != nil {
				return errPrivateRelation("expand")
			}
		}
	}
	return nil
}

var errRefusedPath = errors.New("path refused")

type pathWalker struct {
	app  core.App
	auth *core.Record
}

// checkExpression checks every identifier of a filter expression (or of one
// sort field), in groups and function arguments too. Text the filter
// scanner can't read is refused: PocketBase would refuse it as well.
func (w pathWalker) checkExpression(c *core.Collection, text string) error {
	s := fexpr.NewScanner([]byte(text))
	for {
		t, err := s.Scan()
		if err != nil {
			return errRefusedPath
		}
		switch t.Type {
		case fexpr.TokenEOF:
			return nil
		case fexpr.TokenGroup:
			err = w.checkExpression(c, t.Literal)
		case fexpr.TokenIdentifier, fexpr.TokenFunction:
			err = w.checkToken(c, t)
		}
		if err != nil {
			return err
		}
	}
}

func (w pathWalker) checkToken(c *core.Collection, t fexpr.Token) error {
	if t.Type == fexpr.TokenIdentifier {
		return w.checkIdentifier(c, t.Literal)
	}
	args, _ := t.Meta.([]fexpr.Token)
	for _, a := range args {
		if a.Type == fexpr.TokenIdentifier || a.Type == fexpr.TokenFunction {
			if err := w.checkToken(c, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkIdentifier checks one field path, such as thread.members.name:lower.
func (w pathWalker) checkIdentifier(c *core.Collection, ident string) error {
	props := strings.Split(ident, ".")
	for i, p := range props {
		props[i], _, _ = strings.Cut(p, ":") // modifiers don't change the hops
	}
	switch {
	case props[0] == "@collection" && len(props) > 2:
		// A join with no relation at all: only ever for public data.
		target := w.collection(props[1])
		if target == nil || isPrivate(target) {
			return errRefusedPath
		}
		return w.walk(target, props[2:], false)
	case props[0] == "@request" && len(props) > 3 && props[1] == "auth":
		if w.auth == nil {
			return nil // resolves to NULL
		}
		return w.walk(w.auth.Collection(), props[2:], false)
	case props[0] == "@request" && len(props) > 3:
		// @request.body.rel.field joins by ids the client sends.
		return errRefusedPath
	case strings.HasPrefix(props[0], "@"):
		return nil // static request values and date macros
	}
	return w.walk(c, props, isPrivate(c))
}

// walk follows the relation hops of props (the last one names a field)
// from c, applying rules 1 and 2 of the guard.
func (w pathWalker) walk(c *core.Collection, props []string, touched bool) error {
	last := len(props) - 1
	for i, prop := range props[:last] {
		next, single, ok := w.hop(c, prop)
		if !ok {
			return nil // a JSON path, or a path PocketBase itself refuses
		}
		if i == last-1 && props[last] == core.FieldNameId && c.Fields.GetByName(prop) != nil {
			// rel.id of a forward relation reads only the ids the
			// field already holds, whatever the relation's size.
			return nil
		}
		if isPrivate(next) && !(single && isPrivate(c)) {
			return errRefusedPath
		}
		if touched && !single {
			return errRefusedPath
		}
		touched = touched || isPrivate(next)
		c = next
	}
	return nil
}

// checkExpand applies rule 3 to one expand path, such as thread.members.
func (w pathWalker) checkExpand(c *core.Collection, path string) error {
	for _, prop := range strings.Split(path, ".") {
		next, _, ok := w.hop(c, prop)
		if !ok {
			return nil
		}
		if viaPattern.MatchString(prop) && c.Fields.GetByName(prop) == nil && isPrivate(next) {
			return errRefusedPath
		}
		c = next
	}
	return nil
}

// hop resolves one step of a path the way PocketBase's resolver does:
// a relation field (single unless it allows several values) or a
// back-relation (always treated as multiple, which is the stricter
// reading). ok is false when the step leads to no collection.
func (w pathWalker) hop(c *core.Collection, prop string) (next *core.Collection, single, ok bool) {
	field := c.Fields.GetByName(prop)
	if field == nil {
		parts := viaPattern.FindStringSubmatch(prop)
		if parts == nil {
			return nil, false, false
		}
		next = w.collection(parts[1])
		return next, false, next != nil
	}
	rel, isRel := field.(*core.RelationField)
	if !isRel {
		return nil, false, false
	}
	next = w.collection(rel.CollectionId)
	return next, !rel.IsMultiple(), next != nil
}

func (w pathWalker) collection(nameOrID string) *core.Collection {
	c, err := w.app.FindCachedCollectionByNameOrId(nameOrID)
	if err != nil {
		return nil
	}
	return c
}

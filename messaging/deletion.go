package messaging

import (
	"fmt"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Deleting a user.
//
// PocketBase's record delete (core/record_model.go, onRecordDeleteExecute
// and cascadeRecordDelete) walks every relation field of every collection
// that points at users: for each row still referencing the deleted user it
// loads the record and either deletes it (CascadeDelete), or removes the id
// and saves it with SaveNoValidate, which runs the update hooks. That made
// deleting anyone who ever wrote a message fail (messages.author is
// immutable, see validateMessageUpdate), and would cost one save and one
// set of record events per message, membership, block and tag: thousands
// for an active user, all inside the write transaction.
//
// So before PocketBase's own handler (priority 99, ours runs at the
// default 0) the plugin clears every reference from its own collections
// with a few set-based statements, in one transaction that the delete
// itself then joins. PocketBase's walk finds nothing left in them and
// saves nothing; only the site's own collections still go through it.
// What remains of the walk's cost is its search of threads.members, a JSON
// relation no index covers: one scan of the threads table (about 0.3 s per
// 100,000 threads here), which the plugin can't avoid without dropping the
// relation every read rule relies on. Every other lookup, ours and the
// walk's, uses an index (threads.created_by has one for this).
//
// What a deleted user leaves behind (the README has the table):
//   - their messages stay, readable to the other members, with author ""
//     and author_deleted set: "from a deleted user", not a system note;
//     or, when the deleted_user_messages setting is "remove", as deleted
//     messages (deleted_user_messages.go);
//   - their unread messages keep counting for the others (they are real
//     messages nobody has read yet), so no one's count changes and Recount
//     (expectedUnreadSQL) counts them too;
//   - their memberships, blocks (both ways), tags and every other row of a
//     plugin collection owned by them are deleted; threads they created
//     keep existing with created_by cleared;
//   - threads.members is re-derived for their threads, so a direct thread
//     keeps only the other person: still readable by them, but checkCanPost
//     refuses any new message there (there is no one to send to).
//
// The delete fires record events for the user alone (and whatever site
// collections reference them); no events for the rows cleared here, no
// OnUnblock for the dropped blocks.
func (m *Messaging) bindDeletionHooks() {
	m.app.OnRecordDeleteExecute(CollectionNameUsers).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingUserDelete__", Func: m.clearDeletedUser,
	})
}

// clearDeletedUser runs the plugin's clean-up and then the delete itself
// (e.Next(): PocketBase's handler, which opens its transaction inside ours)
// as one transaction: all of it, or none of it.
func (m *Messaging) clearDeletedUser(e *core.RecordEvent) error {
	return inRecordTransaction(e, func(tx core.App) error {
		if _, err := tx.FindCachedCollectionByNameOrId(CollectionNameMessages); err == nil {
			if err := m.removeMessagesOf(tx, e.Record.Id); err != nil {
				return fmt.Errorf("messaging: removing the messages of deleted user %s: %w", e.Record.Id, err)
			}
		}
		threads, err := clearUserReferences(tx, e.Record)
		if err != nil {
			return fmt.Errorf("messaging: clearing the references to deleted user %s: %w", e.Record.Id, err)
		}
		// The others in those threads get their "members" event after
		// the commit, as for any other change of who is in a thread.
		if c := m.memberChangesOf(tx); c != nil {
			for _, t := range threads {
				c.remove(t, e.Record.Id, false)
			}
		}
		return e.Next()
	})
}

// clearUserReferences removes every reference to user from the plugin's
// collections, each kind of reference in one statement whatever its
// number of rows.
func clearUserReferences(tx core.App, user *core.Record) (threads []string, err error) {
	if _, err := tx.FindCachedCollectionByNameOrId(CollectionNameMessages); err != nil {
		return nil, nil // not migrated (yet, or any more): nothing of ours to clear
	}
	db := tx.DB()
	p := dbx.Params{"user": user.Id}

	// The threads whose member list changes, read while the memberships
	// still exist.
	err = db.NewQuery("SELECT DISTINCT [[thread]] FROM {{" + CollectionNameThreadMembers + "}} WHERE [[user]] = {:user}").
		Bind(p).Column(&threads)
	if err != nil {
		return nil, err
	}

	_, err = db.NewQuery("UPDATE {{" + CollectionNameMessages + "}} SET [[author]] = '', [[author_deleted]] = TRUE WHERE [[author]] = {:user}").
		Bind(p).Execute()
	if err != nil {
		return nil, err
	}

	// The first-contact budget keeps ids as text (budget.go): its rows
	// about the user go with them.
	budget := []string{}
	if _, err := tx.FindCachedCollectionByNameOrId(CollectionNameFirstContacts); err == nil {
		budget = []string{
			"DELETE FROM " + CollectionNameContactBudgets + " WHERE user = {:user}",
			"DELETE FROM " + CollectionNameFirstContacts + " WHERE sender = {:user}",
			"DELETE FROM " + CollectionNameFirstContacts + " WHERE recipient = {:user}",
		}
	}
	// Reports keep their sealed evidence (a purge decides about that);
	// the user's own ids leave the reports, and their suspension goes
	// (reports.go, suspension.go). Audit rows stay as written.
	if _, err := tx.FindCachedCollectionByNameOrId(CollectionNameReports); err == nil {
		budget = append(budget,
			"UPDATE "+CollectionNameReports+" SET reporter = '' WHERE reporter = {:user}",
			"UPDATE "+CollectionNameReports+" SET author = '' WHERE author = {:user}",
			"DELETE FROM "+CollectionNameSuspensions+" WHERE user = {:user}",
		)
	}
	// Their notifications waiting to go and their anti-spam counters
	// (ids as text too) have no one left to be about.
	if _, err := tx.FindCachedCollectionByNameOrId(CollectionNameNotifications); err == nil {
		budget = append(budget, "DELETE FROM "+CollectionNameNotifications+" WHERE user = {:user}")
	}
	if tx.HasTable(rateTable) {
		budget = append(budget, "DELETE FROM "+rateTable+" WHERE user = {:user}")
	}
	for _, q := range budget {
		if _, err := db.NewQuery(q).Bind(p).Execute(); err != nil {
			return nil, err
		}
	}

	refs, err := tx.FindCachedCollectionReferences(user.Collection())
	if err != nil {
		return nil, err
	}
	own := pluginCollections()
	for col, fields := range refs {
		if !slices.Contains(own, col.Name) || col.IsView() {
			continue
		}
		for _, f := range fields {
			rel, ok := f.(*core.RelationField)
			if !ok {
				continue
			}
			stmt := referenceClearSQL(tx, col, rel, own)
			if stmt == "" {
				continue
			}
			if _, err := db.NewQuery(stmt).Bind(p).Execute(); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", col.Name, rel.Name, err)
			}
		}
	}

	if len(threads) > 0 {
		_, err = db.NewQuery(refreshMembersSQL +
			" WHERE id IN (SELECT value FROM json_each({:threads}))").
			Bind(dbx.Params{"threads": inParam(threads)}).Execute()
	}
	return threads, err
}

// referenceClearSQL is the statement that does to every row of col whose
// field rel is {:user} what PocketBase's walk would do to it one record at
// a time, or "" to leave the field to the walk: a required relation
// without cascade (PocketBase refuses the delete), a multiple relation
// (threads.members is re-derived instead), messages.author (done above),
// and rows that other, non-plugin collections reference (deleting them by
// SQL would skip the cascade that PocketBase runs for those).
func referenceClearSQL(tx core.App, col *core.Collection, rel *core.RelationField, own []string) string {
	table, field := "{{"+col.Name+"}}", "[["+rel.Name+"]]"
	switch {
	case rel.IsMultiple():
		return ""
	case col.Name == CollectionNameMessages && rel.Name == "author":
		return ""
	case rel.CascadeDelete:
		if referencedOutside(tx, col, own) {
			return ""
		}
		return "DELETE FROM " + table + " WHERE " + field + " = {:user}"
	case rel.Required:
		return ""
	}
	return "UPDATE " + table + " SET " + field + " = '' WHERE " + field + " = {:user}"
}

// referencedOutside reports whether a collection that isn't the plugin's
// has a relation to col.
func referencedOutside(tx core.App, col *core.Collection, own []string) bool {
	refs, err := tx.FindCachedCollectionReferences(col)
	if err != nil {
		return true
	}
	for c := range refs {
		if !slices.Contains(own, c.Name) {
			return true
		}
	}
	return false
}

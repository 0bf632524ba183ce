package messaging

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// What deleting a user does to their messages (the deleted_user_messages
// setting). "keep" leaves them as from a "Deleted user" (deletion.go).
// "remove" erases every one as if its author had deleted it: the body
// goes (kept hidden for the retention days, like any deleted body), the
// files go, and the messages leave the unread counts of those who had not
// read them. Each step is one set-based statement in the deleting
// transaction, whatever the number of messages, so the counts are exact
// the moment the user is gone.

// removeMessagesOf applies the deleted_user_messages setting to user's
// messages, inside the user's deleting transaction and before their
// memberships go.
func (m *Messaging) removeMessagesOf(tx core.App, user string) error {
	if !tx.HasTable(deletedBodiesTable) {
		return nil // migrated down below retention: the setting is gone too
	}
	db := tx.DB()
	p := dbx.Params{"user": user}
	// A kept body outlives its author's account only as a body: the id
	// goes, like the message's own author field.
	if _, err := db.NewQuery(`UPDATE ` + deletedBodiesTable + ` SET author = '' WHERE author = {:user}`).
		Bind(p).Execute(); err != nil {
		return err
	}
	l := m.Limits()
	if l.DeletedUserMessages != DeletedUserRemove {
		return nil
	}

	// Counts first, while the messages still count: a member loses the
	// user's messages they had counted and not read (counted_seq, as
	// withUncount: a fan-out job still to come drops a deleted message).
	_, err := db.NewQuery(`UPDATE thread_members SET unread = MAX(0, unread - (
			SELECT COUNT(*) FROM messages msg WHERE msg.thread = thread_members.thread AND msg.author = {:user}
				AND msg.deleted = FALSE AND msg.seq > thread_members.last_read_seq AND msg.seq <= thread_members.counted_seq))
		WHERE thread IN (SELECT DISTINCT thread FROM messages WHERE author = {:user} AND deleted = FALSE)
			AND user != {:user} AND ` + memberIsCurrent + ` AND unread > 0`).Bind(p).Execute()
	if err != nil {
		return err
	}

	if days := l.DeletedRetentionDays; days > 0 {
		now := m.clock().UTC()
		_, err = db.NewQuery(`INSERT OR REPLACE INTO ` + deletedBodiesTable + `
				(message, thread, author, body, deleted, purge_after)
			SELECT id, thread, '', body, {:now}, {:purge} FROM messages
			WHERE author = {:user} AND deleted = FALSE AND body != ''`).
			Bind(dbx.Params{"user": user, "now": now.Format(types.DefaultDateLayout),
				"purge": now.Add(time.Duration(days) * 24 * time.Hour).Format(types.DefaultDateLayout)}).Execute()
		if err != nil {
			return err
		}
	}

	// The files' folders go after the commit, as PocketBase removes a
	// record's files only once its change is final.
	var withFiles []string
	err = db.NewQuery(`SELECT id FROM messages WHERE author = {:user} AND deleted = FALSE
			AND ` + filesFieldName + ` NOT IN ('', '[]')`).Bind(p).Column(&withFiles)
	if err != nil {
		return err
	}
	// The earlier bodies go with the body, as on an author's delete
	// (editing.go keepVersion): /versions must not show what was removed.
	_, err = db.NewQuery(`DELETE FROM ` + CollectionNameMessageVersions + ` WHERE message IN
			(SELECT id FROM messages WHERE author = {:user} AND deleted = FALSE)`).Bind(p).Execute()
	if err != nil {
		return err
	}
	_, err = db.NewQuery(`UPDATE messages SET body = '', html = '', ` + filesFieldName + ` = '[]', deleted = TRUE
		WHERE author = {:user} AND deleted = FALSE`).Bind(p).Execute()
	if err != nil {
		return err
	}
	if len(withFiles) > 0 {
		col, err := tx.FindCachedCollectionByNameOrId(CollectionNameMessages)
		if err != nil {
			return err
		}
		m.afterCommit(tx, func() { m.deleteMessageFiles(col.Id, withFiles) })
	}
	return nil
}

// deleteMessageFiles removes the storage folders of messages whose files
// were cleared by SQL. A failure is logged: the rows no longer name the
// files, so nothing can serve them.
func (m *Messaging) deleteMessageFiles(collectionID string, ids []string) {
	fsys, err := m.app.NewFilesystem()
	if err != nil {
		m.app.Logger().Error("messaging: removing a deleted user's files failed", "error", err)
		return
	}
	defer fsys.Close()
	for _, id := range ids {
		if errs := fsys.DeletePrefix(collectionID + "/" + id + "/"); len(errs) > 0 {
			m.app.Logger().Error("messaging: removing a deleted user's files failed", "message", id, "error", errs[0])
		}
	}
}

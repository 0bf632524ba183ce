package messaging

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// searchMigrationName adds the full-text index of message bodies (search.go).
const searchMigrationName = "1795000040_messaging_search.go"

func init() {
	core.AppMigrations.Register(migrateSearchUp, migrateSearchDown, searchMigrationName)
}

// The search index lives in plain SQLite tables, not collections: it is
// derived data, kept in sync by triggers on messages, so every writer (the
// records API, Go, JS hooks, the set-based SQL of deletion.go and
// message_deletion.go, the dashboard) updates it in the same transaction
// without knowing about it. The leading underscore keeps the names clear
// of collections a site may create.
//
//   - searchKeysTable maps each indexed message to an INTEGER PRIMARY KEY.
//     The FTS rowid is that key, not messages.rowid: messages has a TEXT
//     primary key, so its rowid is not stable (VACUUM, and the VACUUM INTO
//     of backups, may renumber it), while an INTEGER PRIMARY KEY is. Keys
//     grow as messages are indexed, so rowid order is sending order, which
//     is what lets a search walk its matches newest first and stop.
//   - searchTable is the FTS5 table: the body as it is now, and the thread
//     id hex-encoded as one token, so a search within some threads is part
//     of the FTS query rather than a filter applied after it. It keeps its
//     own copy of the body (snippet() needs the text; a contentless table
//     can't give it, an external-content one would point at an unstable
//     rowid).
//
// What is indexed: bodies of messages that are not deleted and not system
// notes (author set, or author_deleted: a deleted user's messages stay
// readable). Only messages.body is indexed; any other data a message
// carries (earlier versions of an edited body, a system note's fields)
// never reaches the index.
const (
	searchTable     = "_messaging_search"
	searchKeysTable = "_messaging_search_keys"
)

// searchIndexable is the condition on a messages row (alias r) that it
// belongs in the index.
func searchIndexable(r string) string {
	return "(NOT " + r + ".deleted AND (" + r + ".author != '' OR " + r + ".author_deleted))"
}

// searchReindexSQL are the trigger statements that make the index entry of
// message new.id match the row new: the old entry goes, the key stays when
// the message stays indexed (so an edited message keeps its place), and
// the body is indexed again if it should be.
var searchReindexSQL = `
	DELETE FROM ` + searchTable + ` WHERE rowid = (SELECT key FROM ` + searchKeysTable + ` WHERE message = new.id);
	DELETE FROM ` + searchKeysTable + ` WHERE message = new.id AND NOT ` + searchIndexable("new") + `;
	INSERT INTO ` + searchKeysTable + ` (message) SELECT new.id
		WHERE ` + searchIndexable("new") + ` AND NOT EXISTS (SELECT 1 FROM ` + searchKeysTable + ` WHERE message = new.id);
	INSERT INTO ` + searchTable + ` (rowid, body, thread)
		SELECT key, new.body, lower(hex(new.thread)) FROM ` + searchKeysTable + ` WHERE message = new.id;`

// searchSchemaSQL creates the index tables and the triggers that keep them
// in sync. PocketBase changes a collection's table with ALTER TABLE ADD,
// RENAME and DROP COLUMN (core/collection_record_table_sync.go), which
// keep triggers (a rename rewrites them); schema_search_test.go checks it.
var searchSchemaSQL = []string{
	`CREATE TABLE ` + searchKeysTable + ` (key INTEGER PRIMARY KEY, message TEXT NOT NULL UNIQUE)`,
	// columnsize=0: no per-row size table (only ranking needs it; results
	// are ordered by recency).
	`CREATE VIRTUAL TABLE ` + searchTable + ` USING fts5(body, thread,
		tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)`,
	`CREATE TRIGGER ` + searchTable + `_insert AFTER INSERT ON messages
		WHEN ` + searchIndexable("new") + ` BEGIN` + searchReindexSQL + `
	END`,
	// Only when something the index depends on changed: deleting a user
	// rewrites author on all their messages, and the body stays the same.
	`CREATE TRIGGER ` + searchTable + `_update AFTER UPDATE OF id, body, thread, deleted, author, author_deleted ON messages
		WHEN new.id IS NOT old.id OR new.body IS NOT old.body OR new.thread IS NOT old.thread
			OR ` + searchIndexable("new") + ` IS NOT ` + searchIndexable("old") + ` BEGIN
		UPDATE ` + searchKeysTable + ` SET message = new.id WHERE message = old.id AND new.id IS NOT old.id;` + searchReindexSQL + `
	END`,
	`CREATE TRIGGER ` + searchTable + `_delete AFTER DELETE ON messages BEGIN
		DELETE FROM ` + searchTable + ` WHERE rowid = (SELECT key FROM ` + searchKeysTable + ` WHERE message = old.id);
		DELETE FROM ` + searchKeysTable + ` WHERE message = old.id;
	END`,
}

// searchBackfillBatch is how many messages one statement of the migration
// indexes, so no single statement holds a million bodies at once.
const searchBackfillBatch = 20000

// migrateSearchUp creates the index and fills it with the existing
// messages, oldest first, so that key order is sending order for them too.
func migrateSearchUp(app core.App) error {
	for _, q := range searchSchemaSQL {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			return fmt.Errorf("messaging migration: search index: %w", err)
		}
	}
	return rebuildSearchIndex(app)
}

// rebuildSearchIndex (re)fills the index from messages, in batches.
func rebuildSearchIndex(app core.App) error {
	steps := []string{
		`DELETE FROM ` + searchTable,
		`DELETE FROM ` + searchKeysTable,
		`INSERT INTO ` + searchKeysTable + ` (message)
			SELECT id FROM messages r WHERE ` + searchIndexable("r") + ` ORDER BY created, rowid`,
	}
	for _, q := range steps {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			return fmt.Errorf("messaging: rebuilding the search index: %w", err)
		}
	}
	var last int64
	if err := app.DB().NewQuery(`SELECT COALESCE(MAX(key), 0) FROM ` + searchKeysTable).Row(&last); err != nil {
		return fmt.Errorf("messaging: rebuilding the search index: %w", err)
	}
	for from := int64(0); from < last; from += searchBackfillBatch {
		_, err := app.DB().NewQuery(`INSERT INTO ` + searchTable + ` (rowid, body, thread)
			SELECT k.key, m.body, lower(hex(m.thread)) FROM ` + searchKeysTable + ` k JOIN messages m ON m.id = k.message
			WHERE k.key > {:from} AND k.key <= {:to}`).
			Bind(dbx.Params{"from": from, "to": from + searchBackfillBatch}).Execute()
		if err != nil {
			return fmt.Errorf("messaging: rebuilding the search index: %w", err)
		}
	}
	// One segment: fastest to query, and the migration has the time.
	if _, err := app.DB().NewQuery(`INSERT INTO ` + searchTable + `(` + searchTable + `) VALUES ('optimize')`).Execute(); err != nil {
		return fmt.Errorf("messaging: optimizing the search index: %w", err)
	}
	return nil
}

func migrateSearchDown(app core.App) error {
	for _, q := range []string{
		`DROP TRIGGER IF EXISTS ` + searchTable + `_insert`,
		`DROP TRIGGER IF EXISTS ` + searchTable + `_update`,
		`DROP TRIGGER IF EXISTS ` + searchTable + `_delete`,
		`DROP TABLE IF EXISTS ` + searchTable,
		`DROP TABLE IF EXISTS ` + searchKeysTable,
	} {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			return fmt.Errorf("messaging migration: dropping the search index: %w", err)
		}
	}
	return nil
}

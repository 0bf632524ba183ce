package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// Migration of the retention of deleted messages (retention.go): three
// settings and the table of kept bodies, a plain table (not a
// collection) so that no API rule, filter, expand or realtime
// subscription can reach it.

const retentionMigrationName = "1795000180_messaging_retention.go"

func init() {
	core.AppMigrations.Register(migrateRetentionUp, migrateRetentionDown, retentionMigrationName)
}

func migrateRetentionUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(
		&core.TextField{Name: "deleted_retention_days", Max: 4, Pattern: `^[0-9]*$`,
			Help: "Days a deleted message's body is kept, hidden from members, before it is erased for good. " +
				"Empty: the default, 0 (erased at once)."},
		&core.BoolField{Name: "moderators_read_deleted",
			Help: "Moderators may read the kept bodies of deleted messages in conversations they are members of. Default: off."},
		&core.SelectField{Name: "deleted_user_messages", Values: deletedUserModes(), MaxSelect: 1,
			Help: `What deleting a user does to their messages: "keep" (the default; shown as from "Deleted user") ` +
				`or "remove" (erased as if they had deleted each one).`},
	)
	if err := app.Save(c); err != nil {
		return err
	}
	for _, q := range []string{
		`CREATE TABLE ` + deletedBodiesTable + ` (message TEXT PRIMARY KEY, thread TEXT NOT NULL,
			author TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, deleted TEXT NOT NULL, purge_after TEXT NOT NULL)`,
		`CREATE INDEX idx` + deletedBodiesTable + `_purge ON ` + deletedBodiesTable + ` (purge_after)`,
		`CREATE INDEX idx` + deletedBodiesTable + `_thread ON ` + deletedBodiesTable + ` (thread)`,
		`CREATE INDEX idx` + deletedBodiesTable + `_author ON ` + deletedBodiesTable + ` (author)`,
	} {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			return fmt.Errorf("messaging migration: %s: %w", deletedBodiesTable, err)
		}
	}
	return nil
}

func migrateRetentionDown(app core.App) error {
	if _, err := app.DB().NewQuery(`DROP TABLE IF EXISTS ` + deletedBodiesTable).Execute(); err != nil {
		return err
	}
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	for _, name := range []string{"deleted_retention_days", "moderators_read_deleted", "deleted_user_messages"} {
		c.Fields.RemoveByName(name)
	}
	return app.Save(c)
}

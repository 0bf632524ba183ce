package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// Migration of oversight (oversight.go, oversight_purge.go): the notice
// delay setting, the delayed staff notices, the purge jobs (plain tables:
// no API reaches them) and an index that keeps the oversight list of all
// conversations, newest activity first, one range read at any size.

const oversightMigrationName = "1795000181_messaging_oversight.go"

// Plain tables of oversight.
const (
	staffNoticesTable = "_messaging_staff_notices"
	purgesTable       = "_messaging_purges"
)

func init() {
	core.AppMigrations.Register(migrateOversightUp, migrateOversightDown, oversightMigrationName)
}

func migrateOversightUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(&core.TextField{Name: "staff_view_notice_delay_days", Max: 3, Pattern: `^[0-9]*$`,
		Help: `Days before members see "Staff viewed this conversation" after a superuser read it (for an ` +
			`investigation). Empty: the default, 0 (at once).`})
	if err := app.Save(c); err != nil {
		return err
	}
	threads, err := app.FindCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return err
	}
	threads.AddIndex("idx_messaging_threads_activity", false, "last_message_at, id", "")
	if err := app.Save(threads); err != nil {
		return err
	}
	for _, q := range []string{
		`CREATE TABLE ` + staffNoticesTable + ` (id INTEGER PRIMARY KEY, thread TEXT NOT NULL, text TEXT NOT NULL,
			due TEXT NOT NULL)`,
		`CREATE INDEX idx` + staffNoticesTable + `_due ON ` + staffNoticesTable + ` (due)`,
		`CREATE INDEX idx` + staffNoticesTable + `_thread ON ` + staffNoticesTable + ` (thread)`,
		`CREATE TABLE ` + purgesTable + ` (thread TEXT PRIMARY KEY, by_id TEXT NOT NULL DEFAULT '',
			by_kind TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL, with_reports BOOLEAN NOT NULL DEFAULT FALSE,
			messages INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL)`,
	} {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			return fmt.Errorf("messaging migration: oversight: %w", err)
		}
	}
	return nil
}

func migrateOversightDown(app core.App) error {
	for _, t := range []string{staffNoticesTable, purgesTable} {
		if _, err := app.DB().NewQuery(`DROP TABLE IF EXISTS ` + t).Execute(); err != nil {
			return err
		}
	}
	if threads, err := app.FindCollectionByNameOrId(CollectionNameThreads); err == nil {
		threads.RemoveIndex("idx_messaging_threads_activity")
		if err := app.Save(threads); err != nil {
			return err
		}
	}
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	c.Fields.RemoveByName("staff_view_notice_delay_days")
	return app.Save(c)
}

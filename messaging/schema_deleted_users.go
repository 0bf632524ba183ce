package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// deletedUsersMigrationName adds what deleting a user needs (deletion.go).
// The shipped migrations are never edited: sites have applied them.
const deletedUsersMigrationName = "1795000002_messaging_deleted_users.go"

func init() {
	core.AppMigrations.Register(migrateDeletedUsersUp, migrateDeletedUsersDown, deletedUsersMigrationName)
}

// migrateDeletedUsersUp adds messages.author_deleted, which tells a
// message whose author's account was deleted (author then empty) from a
// system note (author empty, flag unset), and an index on
// threads.created_by: both the deletion's UPDATE and PocketBase's own
// reference walk look threads up by it.
func migrateDeletedUsersUp(app core.App) error {
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameMessages, err)
	}
	if messages.Fields.GetByName("author_deleted") == nil {
		messages.Fields.Add(&core.BoolField{Name: "author_deleted",
			Help: "Set by the plugin when the author's account is deleted; author is then empty. Not a system note."})
	}
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("messaging migration: messages.author_deleted: %w", err)
	}

	threads, err := app.FindCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameThreads, err)
	}
	// Not partial: SQLite can't tell that "created_by = ?" implies a
	// "created_by != ''" condition, so PocketBase's walk wouldn't use it.
	threads.AddIndex("idx_messaging_threads_created_by", false, "created_by", "")
	if err := app.Save(threads); err != nil {
		return fmt.Errorf("messaging migration: threads.created_by index: %w", err)
	}
	return nil
}

func migrateDeletedUsersDown(app core.App) error {
	if threads, err := app.FindCollectionByNameOrId(CollectionNameThreads); err == nil {
		threads.RemoveIndex("idx_messaging_threads_created_by")
		if err := app.Save(threads); err != nil {
			return err
		}
	}
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil
	}
	messages.Fields.RemoveByName("author_deleted")
	return app.Save(messages)
}

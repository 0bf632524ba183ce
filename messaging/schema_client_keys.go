package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// clientKeysMigrationName adds messages.client_key, the key that makes a
// retried send return the original message (client_keys.go).
const clientKeysMigrationName = "1795000060_messaging_client_keys.go"

func init() {
	core.AppMigrations.Register(migrateClientKeysUp, migrateClientKeysDown, clientKeysMigrationName)
}

// clientKeyIndex is unique per author and partial: messages without a key
// (most, and every system note) take no room in it, and the cleanup job
// (client_keys.go) walks it to free keys older than a day.
const (
	clientKeyIndex        = "idx_messaging_messages_client_key"
	clientKeyCreatedIndex = "idx_messaging_messages_client_key_created"
)

// migrateClientKeysUp adds the hidden client_key field and its index. The
// field is hidden so that no member ever sees or filters on another's keys;
// the records API takes a key from the clientKey body field or the
// Idempotency-Key header instead (client_keys.go).
func migrateClientKeysUp(app core.App) error {
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameMessages, err)
	}
	if messages.Fields.GetByName("client_key") == nil {
		messages.Fields.Add(&core.TextField{Name: "client_key", Max: clientKeyMaxLength, Pattern: clientKeyPattern, Hidden: true,
			Help: "The sender's idempotency key: a retried send with it returns this message. Cleared after 24 hours."})
	}
	// author != '': deleting a user empties author on their messages
	// (deletion.go), and two deleted users' keys must not collide.
	messages.AddIndex(clientKeyIndex, true, "author, client_key", "client_key != '' AND author != ''")
	messages.AddIndex(clientKeyCreatedIndex, false, "created", "client_key != ''")
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("messaging migration: messages.client_key: %w", err)
	}
	return nil
}

func migrateClientKeysDown(app core.App) error {
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil
	}
	messages.RemoveIndex(clientKeyIndex)
	messages.RemoveIndex(clientKeyCreatedIndex)
	messages.Fields.RemoveByName("client_key")
	return app.Save(messages)
}

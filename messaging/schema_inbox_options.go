package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

const inboxOptionsMigrationName = "1795000053_messaging_inbox_options.go"

func init() {
	core.AppMigrations.Register(migrateInboxOptionsUp, migrateInboxOptionsDown, inboxOptionsMigrationName)
}

// migrateInboxOptionsUp adds the two layout settings clients read through
// GET /api/messaging/options (options.go).
func migrateInboxOptionsUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(
		&core.SelectField{Name: "message_order", Values: messageOrders(), MaxSelect: 1,
			Help: "Order clients show messages in: oldest_first (newest last) or newest_first. Empty: the default, oldest_first."},
		&core.SelectField{Name: "composer_position", Values: composerPositions(), MaxSelect: 1,
			Help: "Where clients put the message box: bottom or top. Empty: the default, bottom."},
	)
	return app.Save(c)
}

func migrateInboxOptionsDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	c.Fields.RemoveByName("message_order")
	c.Fields.RemoveByName("composer_position")
	return app.Save(c)
}

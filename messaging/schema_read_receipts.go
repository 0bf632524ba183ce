package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

const readReceiptsMigrationName = "1795000052_messaging_read_receipts.go"

func init() {
	core.AppMigrations.Register(migrateReadReceiptsUp, migrateReadReceiptsDown, readReceiptsMigrationName)
}

// migrateReadReceiptsUp adds the member's read receipts switch (see
// receipts.go) to their preferences.
func migrateReadReceiptsUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNamePreferences)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(&core.BoolField{Name: "read_receipts_off",
		Help: "The member neither shows others that they read a direct conversation nor sees when others did. Default: off (receipts on)."})
	return app.Save(c)
}

func migrateReadReceiptsDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNamePreferences)
	if err != nil {
		return nil
	}
	c.Fields.RemoveByName("read_receipts_off")
	return app.Save(c)
}

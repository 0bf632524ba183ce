package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

const moderatorRolesMigrationName = "1795000050_messaging_moderator_roles.go"

func init() {
	core.AppMigrations.Register(migrateModeratorRolesUp, migrateModeratorRolesDown, moderatorRolesMigrationName)
}

// migrateModeratorRolesUp adds the moderator_roles setting. It leaves a
// field of that name alone, so that whichever feature needing moderators
// lands first adds it.
func migrateModeratorRolesUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	if c.Fields.GetByName("moderator_roles") != nil {
		return nil
	}
	c.Fields.Add(&core.JSONField{Name: "moderator_roles", MaxSize: 10000,
		Help: `Roles whose holders moderate conversations, e.g. ["moderator","admin"] (the default when empty); [] for superusers only.`})
	return app.Save(c)
}

func migrateModeratorRolesDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	c.Fields.RemoveByName("moderator_roles")
	return app.Save(c)
}

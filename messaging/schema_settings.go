package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const settingsMigrationName = "1795000001_messaging_settings.go"

func init() {
	core.AppMigrations.Register(migrateSettingsUp, migrateSettingsDown, settingsMigrationName)
}

// migrateSettingsUp creates the settings collection (superusers only) and
// its one record, every field empty: the Config values apply until a site
// owner fills one in.
func migrateSettingsUp(app core.App) error {
	c := core.NewBaseCollection(CollectionNameSettings)
	zero := 0.0
	c.Fields.Add(
		&core.NumberField{Name: "max_group_size", OnlyInt: true, Min: types.Pointer(zero),
			Help: "Most members a group conversation may have (at least 2). Empty: the app's default, 20 unless main.go says otherwise."},
		&core.NumberField{Name: "max_body_length", OnlyInt: true, Min: types.Pointer(zero),
			Help: "Longest message, in characters. Empty: the default, 10000."},
		&core.JSONField{Name: "send_roles", MaxSize: 10000,
			Help: `Only users with one of these roles may send, e.g. ["member","admin"]. Empty: everyone may send.`},
		&core.JSONField{Name: "unblockable_roles", MaxSize: 10000,
			Help: `Roles that can't be blocked, e.g. ["admin","moderator"] (the default when empty); [] for none.`},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	if err := app.Save(c); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameSettings, err)
	}
	r := core.NewRecord(c)
	r.Id = settingsRecordID
	if err := app.Save(r); err != nil {
		return fmt.Errorf("messaging migration: settings record: %w", err)
	}
	return nil
}

func migrateSettingsDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	return app.Delete(c)
}

const settingsInForceMigrationName = "1795000011_messaging_settings_in_force.go"

func init() {
	core.AppMigrations.Register(migrateSettingsInForceUp, migrateSettingsInForceDown, settingsInForceMigrationName)
}

// migrateSettingsInForceUp adds in_force, first after the id, so the
// dashboard shows the values in force next to the empty fields that mean
// "default". The plugin rewrites it on every save and at start-up.
func migrateSettingsInForceUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	inForce := &core.JSONField{Name: "in_force", MaxSize: 100000,
		Help: "Read-only: every limit in force now, the fields below overriding the app's defaults. Edits here are replaced."}
	fields := core.NewFieldsList(c.Fields[0], inForce)
	for _, f := range c.Fields[1:] {
		fields.Add(f)
	}
	c.Fields = fields
	return app.Save(c)
}

func migrateSettingsInForceDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	c.Fields.RemoveByName("in_force")
	return app.Save(c)
}

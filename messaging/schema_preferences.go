package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const preferencesMigrationName = "1795000010_messaging_preferences.go"

func init() {
	core.AppMigrations.Register(migratePreferencesUp, migratePreferencesDown, preferencesMigrationName)
}

// The users fields that the first migration added and this one moves into
// messaging_preferences, with the help text that marks them as ours (a
// site's own field of the same name is left alone).
var movedUserFields = map[string]string{
	"messaging_off":      "When set, the user neither sends nor receives private messages.",
	"message_emails_off": "When set, no email notifications about new messages.",
}

const ruleOwnPreferences = "@request.auth.id != '' && user = @request.auth.id"

// migratePreferencesUp creates messaging_preferences, copies the values
// that were on users into it with one INSERT … SELECT, and drops the
// users fields.
func migratePreferencesUp(app core.App) error {
	users, err := app.FindCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c := core.NewBaseCollection(CollectionNamePreferences)
	c.ListRule = types.Pointer(ruleOwnPreferences)
	c.ViewRule = types.Pointer(ruleOwnPreferences)
	c.CreateRule = types.Pointer(ruleOwnPreferences)
	c.UpdateRule = types.Pointer(ruleOwnPreferences +
		" && (@request.body.user:isset = false || @request.body.user = @request.auth.id)")
	c.DeleteRule = types.Pointer(ruleOwnPreferences)
	c.Fields.Add(
		&core.RelationField{Name: "user", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.BoolField{Name: "messaging_off",
			Help: "The member neither sends nor receives private messages; group conversations they are in go on until they leave."},
		&core.BoolField{Name: "message_emails_off", Help: "No email notifications about new messages."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	c.AddIndex("idx_messaging_preferences_user", true, "user", "")
	if err := app.Save(c); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNamePreferences, err)
	}

	var moved []string
	for name, help := range movedUserFields {
		if f := users.Fields.GetByName(name); f != nil && f.Type() == core.FieldTypeBool {
			if bf, ok := f.(*core.BoolField); ok && bf.Help == help {
				moved = append(moved, name)
			}
		}
	}
	if len(moved) == len(movedUserFields) {
		_, err := app.DB().NewQuery(`INSERT INTO messaging_preferences (id, user, messaging_off, message_emails_off, created, updated)
			SELECT substr(lower(hex(randomblob(8))), 1, 15), id, messaging_off, message_emails_off,
				strftime('%Y-%m-%d %H:%M:%fZ', 'now'), strftime('%Y-%m-%d %H:%M:%fZ', 'now')
			FROM users WHERE messaging_off OR message_emails_off`).Execute()
		if err != nil {
			return fmt.Errorf("messaging migration: copying preferences: %w", err)
		}
	}
	for _, name := range moved {
		users.Fields.RemoveByName(name)
	}
	if err := app.Save(users); err != nil {
		return fmt.Errorf("messaging migration: users: %w", err)
	}
	return nil
}

// migratePreferencesDown puts the fields back on users with their values.
func migratePreferencesDown(app core.App) error {
	users, err := app.FindCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return nil
	}
	for name, help := range movedUserFields {
		if users.Fields.GetByName(name) == nil {
			users.Fields.Add(&core.BoolField{Name: name, Help: help})
		}
	}
	if err := app.Save(users); err != nil {
		return err
	}
	if _, err := app.DB().NewQuery(`UPDATE users SET
		messaging_off = COALESCE((SELECT p.messaging_off FROM messaging_preferences p WHERE p.user = users.id), FALSE),
		message_emails_off = COALESCE((SELECT p.message_emails_off FROM messaging_preferences p WHERE p.user = users.id), FALSE)`).Execute(); err != nil {
		return err
	}
	c, err := app.FindCollectionByNameOrId(CollectionNamePreferences)
	if err != nil {
		return nil
	}
	return app.Delete(c)
}

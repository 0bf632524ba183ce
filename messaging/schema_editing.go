package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const editingMigrationName = "1795000021_messaging_editing.go"

func init() {
	core.AppMigrations.Register(migrateEditingUp, migrateEditingDown, editingMigrationName)
}

// ruleEditOwnMessage lets a current member send a new body for their own
// message through the records and batch APIs, and nothing else; the
// window, deleted and system-note checks are the record hooks' (editing.go).
const ruleEditOwnMessage = "@request.auth.id != '' && author = @request.auth.id && thread.members.id ?= @request.auth.id" +
	" && @request.body.thread:isset = false && @request.body.author:isset = false" +
	" && @request.body.seq:isset = false && @request.body.deleted:isset = false" +
	" && @request.body.author_deleted:isset = false"

// migrateEditingUp adds messages.edited and its update rule, the
// message_versions collection (superusers only) and the settings
// edit_window_minutes and moderator_roles.
func migrateEditingUp(app core.App) error {
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	messages.Fields.Add(&core.DateField{Name: "edited", Help: "When the author last edited the body; set by the plugin."})
	messages.UpdateRule = types.Pointer(ruleEditOwnMessage)
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("messaging migration: messages.edited: %w", err)
	}

	users, err := app.FindCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	versions := core.NewBaseCollection(CollectionNameMessageVersions)
	versions.Fields.Add(
		&core.RelationField{Name: "message", CollectionId: messages.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.TextField{Name: "body", Max: 1000000},
		&core.TextField{Name: "html", Max: 5000000},
		&core.RelationField{Name: "editor", CollectionId: users.Id, MaxSelect: 1,
			Help: "Who made the edit that replaced this version; empty for a superuser or server code."},
		&core.DateField{Name: "created", Help: "When this version was replaced."},
	)
	versions.AddIndex("idx_messaging_message_versions_message", false, "message, created", "")
	versions.AddIndex("idx_messaging_message_versions_editor", false, "editor", "")
	if err := app.Save(versions); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameMessageVersions, err)
	}

	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	settings.Fields.Add(
		&core.NumberField{Name: "edit_window_minutes", OnlyInt: true,
			Help: "How long after sending an author may edit a message, in minutes. -1: never; empty or 0: the default, 15."},
		&core.JSONField{Name: "moderator_roles", MaxSize: 10000,
			Help: `Roles whose holders moderate (read earlier versions of edited messages, remove members from any group), e.g. ["moderator","admin"] (the default when empty); [] for superusers only.`},
	)
	return app.Save(settings)
}

func migrateEditingDown(app core.App) error {
	if settings, err := app.FindCollectionByNameOrId(CollectionNameSettings); err == nil {
		settings.Fields.RemoveByName("edit_window_minutes")
		settings.Fields.RemoveByName("moderator_roles")
		if err := app.Save(settings); err != nil {
			return err
		}
	}
	if versions, err := app.FindCollectionByNameOrId(CollectionNameMessageVersions); err == nil {
		if err := app.Delete(versions); err != nil {
			return err
		}
	}
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil
	}
	messages.Fields.RemoveByName("edited")
	messages.UpdateRule = nil
	return app.Save(messages)
}

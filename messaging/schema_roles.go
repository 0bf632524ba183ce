package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Messages to roles and recipient types (roles_start.go, expansion.go):
// the two settings, threads.announcement, and the collection of
// background expansions.
const rolesMigrationName = "1795000160_messaging_roles.go"

// CollectionNameExpansions holds the background expansions of role and
// recipient-type conversations (expansion.go), one row per thread and
// role or type entry; superusers only, so the site owner sees the
// progress in the dashboard.
const CollectionNameExpansions = "messaging_expansions"

// Expansion states, the values of messaging_expansions.state.
const (
	ExpansionPending = "pending"
	ExpansionRunning = "running"
	ExpansionDone    = "done"
	ExpansionFailed  = "failed"
)

func init() {
	core.AppMigrations.Register(migrateRolesUp, migrateRolesDown, rolesMigrationName)
}

func migrateRolesUp(app core.App) error {
	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	zero := 0.0
	settings.Fields.Add(
		&core.JSONField{Name: "role_message_roles", MaxSize: 10000,
			Help: `Roles whose holders may message whole roles and recipient types and make announcements, e.g. ["staff"]. Empty: the default, none (superusers and server code always may).`},
		&core.NumberField{Name: "role_expand_threshold", OnlyInt: true, Min: types.Pointer(zero),
			Help: "A role or recipient type with more members than this is added in the background, in batches. Empty: the default, 100."},
	)
	if err := app.Save(settings); err != nil {
		return fmt.Errorf("messaging migration: role settings: %w", err)
	}

	threads, err := app.FindCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return err
	}
	threads.Fields.Add(&core.BoolField{Name: "announcement",
		Help: "Only the creator (created_by) and moderators post; members' replies go to a direct conversation with the creator."})
	if err := app.Save(threads); err != nil {
		return fmt.Errorf("messaging migration: threads.announcement: %w", err)
	}

	jobs := core.NewBaseCollection(CollectionNameExpansions)
	jobs.Fields.Add(
		&core.RelationField{Name: "thread", CollectionId: threads.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.TextField{Name: "type", Max: 64, Required: true, Help: `The recipient type: "role" or one registered from Go.`},
		&core.TextField{Name: "key", Max: 200, Help: "The role name or the type's id."},
		&core.TextField{Name: "cursor", Max: 200, Help: "Where the next batch resumes (the type's own cursor; users by id for roles)."},
		&core.NumberField{Name: "added", OnlyInt: true, Help: "Members added so far."},
		&core.SelectField{Name: "state", MaxSelect: 1, Required: true,
			Values: []string{ExpansionPending, ExpansionRunning, ExpansionDone, ExpansionFailed}},
		&core.TextField{Name: "error", Max: 2000, Help: "Why it failed (state failed)."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	jobs.AddIndex("idx_messaging_expansions_thread", false, "thread", "")
	jobs.AddIndex("idx_messaging_expansions_state", false, "state", "")
	if err := app.Save(jobs); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameExpansions, err)
	}
	return nil
}

func migrateRolesDown(app core.App) error {
	if c, err := app.FindCollectionByNameOrId(CollectionNameExpansions); err == nil {
		if err := app.Delete(c); err != nil {
			return err
		}
	}
	if threads, err := app.FindCollectionByNameOrId(CollectionNameThreads); err == nil {
		threads.Fields.RemoveByName("announcement")
		if err := app.Save(threads); err != nil {
			return err
		}
	}
	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	settings.Fields.RemoveByName("role_message_roles")
	settings.Fields.RemoveByName("role_expand_threshold")
	return app.Save(settings)
}

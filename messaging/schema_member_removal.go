package messaging

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const memberRemovalMigrationName = "1795000051_messaging_member_removal.go"

func init() {
	core.AppMigrations.Register(migrateMemberRemovalUp, migrateMemberRemovalDown, memberRemovalMigrationName)
}

// ruleNoRemovedEdit keeps members from writing the removed mark through
// the records API, as the base rule does for left.
const ruleNoRemovedEdit = " && @request.body.removed:isset = false"

// migrateMemberRemovalUp adds thread_members.removed (see removal.go) and
// forbids members to set it.
func migrateMemberRemovalUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameThreadMembers)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(&core.BoolField{Name: "removed",
		Help: "Set with left when someone else removed the member; cleared when they are back. Maintained by the plugin."})
	if c.UpdateRule != nil && !strings.Contains(*c.UpdateRule, ruleNoRemovedEdit) {
		c.UpdateRule = types.Pointer(*c.UpdateRule + ruleNoRemovedEdit)
	}
	return app.Save(c)
}

func migrateMemberRemovalDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameThreadMembers)
	if err != nil {
		return nil
	}
	c.Fields.RemoveByName("removed")
	if c.UpdateRule != nil {
		c.UpdateRule = types.Pointer(strings.Replace(*c.UpdateRule, ruleNoRemovedEdit, "", 1))
	}
	return app.Save(c)
}

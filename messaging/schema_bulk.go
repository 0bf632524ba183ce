package messaging

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Migration of issue 14's bulk actions (bulk.go): the mark that "delete
// for me" leaves on a membership.

const bulkMigrationName = "1795000140_messaging_bulk.go"

func init() {
	core.AppMigrations.Register(migrateBulkUp, migrateBulkDown, bulkMigrationName)
}

// ruleNoHiddenEdit keeps members from writing hidden_before_seq through the
// records API: unread counting relies on the read position never being
// behind it (see hiddenBeforeSeq in bulk.go), which only the plugin keeps.
const ruleNoHiddenEdit = " && @request.body.hidden_before_seq:isset = false"

// migrateBulkUp adds thread_members.hidden_before_seq.
func migrateBulkUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameThreadMembers)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(&core.NumberField{Name: "hidden_before_seq", OnlyInt: true, Min: types.Pointer(0.0),
		Help: "Set by \"delete for me\": the member no longer sees this thread's messages with a lower seq, and the " +
			"thread is out of every box until a message with a seq at or above it. 0: nothing hidden. Maintained by the plugin."})
	if c.UpdateRule != nil && !strings.Contains(*c.UpdateRule, ruleNoHiddenEdit) {
		c.UpdateRule = types.Pointer(*c.UpdateRule + ruleNoHiddenEdit)
	}
	return app.Save(c)
}

func migrateBulkDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameThreadMembers)
	if err != nil {
		return nil
	}
	c.Fields.RemoveByName("hidden_before_seq")
	if c.UpdateRule != nil {
		c.UpdateRule = types.Pointer(strings.Replace(*c.UpdateRule, ruleNoHiddenEdit, "", 1))
	}
	return app.Save(c)
}

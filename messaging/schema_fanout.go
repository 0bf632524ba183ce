package messaging

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const fanOutMigrationName = "1795000151_messaging_fanout.go"

// CollectionNameFanOuts holds the counter fan-outs of messages posted into
// big threads that are not finished yet (fanout.go); superusers only.
const CollectionNameFanOuts = "messaging_fanouts"

func init() {
	core.AppMigrations.Register(migrateFanOutUp, migrateFanOutDown, fanOutMigrationName)
}

// ruleNoCountedSeqEdit keeps members from writing counted_seq through the
// records API, as the base rule does for unread.
const ruleNoCountedSeqEdit = " && @request.body.counted_seq:isset = false"

// migrateFanOutUp adds thread_members.counted_seq, every existing count
// taken as complete, and the fan-out job collection.
func migrateFanOutUp(app core.App) error {
	members, err := app.FindCollectionByNameOrId(CollectionNameThreadMembers)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	members.Fields.Add(&core.NumberField{Name: "counted_seq", OnlyInt: true,
		Help: "Newest message seq already counted in unread (big threads count in the background). Maintained by the plugin."})
	if members.UpdateRule != nil && !strings.Contains(*members.UpdateRule, ruleNoCountedSeqEdit) {
		members.UpdateRule = types.Pointer(*members.UpdateRule + ruleNoCountedSeqEdit)
	}
	if err := app.Save(members); err != nil {
		return fmt.Errorf("messaging migration: thread_members.counted_seq: %w", err)
	}
	_, err = app.DB().NewQuery(`UPDATE thread_members
		SET counted_seq = COALESCE((SELECT last_seq FROM threads WHERE threads.id = thread_members.thread), 0)`).Execute()
	if err != nil {
		return err
	}

	threads, err := app.FindCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return err
	}
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return err
	}
	jobs := core.NewBaseCollection(CollectionNameFanOuts)
	jobs.Fields.Add(
		&core.RelationField{Name: "thread", CollectionId: threads.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.RelationField{Name: "message", CollectionId: messages.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.NumberField{Name: "seq", OnlyInt: true},
		&core.TextField{Name: "author", Max: 64, Help: "The author's user id: their own row is counted when sending."},
		&core.TextField{Name: "at", Max: 64, Help: "The message's time, the members' new last_activity."},
		&core.TextField{Name: "cursor", Max: 64, Help: "The last member (user id) counted; members are counted in id order."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	jobs.AddIndex("idx_messaging_fanouts_thread_seq", true, "thread, seq", "")
	if err := app.Save(jobs); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameFanOuts, err)
	}
	return nil
}

func migrateFanOutDown(app core.App) error {
	if c, err := app.FindCollectionByNameOrId(CollectionNameFanOuts); err == nil {
		if err := app.Delete(c); err != nil {
			return err
		}
	}
	members, err := app.FindCollectionByNameOrId(CollectionNameThreadMembers)
	if err != nil {
		return nil
	}
	members.Fields.RemoveByName("counted_seq")
	if members.UpdateRule != nil {
		members.UpdateRule = types.Pointer(strings.Replace(*members.UpdateRule, ruleNoCountedSeqEdit, "", 1))
	}
	return app.Save(members)
}

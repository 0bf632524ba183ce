package messaging

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const bigThreadsMigrationName = "1795000150_messaging_big_threads.go"

func init() {
	core.AppMigrations.Register(migrateBigThreadsUp, migrateBigThreadsDown, bigThreadsMigrationName)
}

// The rules check membership on the caller's own thread_members row
// instead of the threads.members JSON list, which is capped at 1,000 ids
// and costs a json_each scan of every id per row checked. Both conditions
// name the same back-relation path, so PocketBase joins thread_members
// once (ON tm.thread = threads.id) and applies user and left to that one
// row, which the (thread, user) unique index finds. The migration swaps
// the old condition inside each rule, leaving the rest of the rule (the
// edit rule's body checks, anything a site added) as it is.
// TestBigThreadRules_SQL pins the statement PocketBase builds.
const (
	condMemberOfThread    = "members.id ?= @request.auth.id"
	condMemberRowOfThread = "thread_members_via_thread.user ?= @request.auth.id && thread_members_via_thread.left ?= false"
	condMemberOfParent    = "thread.members.id ?= @request.auth.id"
	condMemberRowOfParent = "thread.thread_members_via_thread.user ?= @request.auth.id" +
		" && thread.thread_members_via_thread.left ?= false"
)

// swapRules replaces old with new in each of rules.
func swapRules(old, new string, rules ...**string) {
	for _, r := range rules {
		if *r != nil {
			*r = types.Pointer(strings.Replace(**r, old, new, 1))
		}
	}
}

// migrateBigThreadsUp moves the threads and messages rules onto
// thread_members rows and adds threads.member_count (see membership.go),
// filled in from the memberships.
func migrateBigThreadsUp(app core.App) error {
	threads, err := app.FindCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	swapRules(condMemberOfThread, condMemberRowOfThread, &threads.ListRule, &threads.ViewRule)
	if threads.Fields.GetByName("member_count") == nil {
		threads.Fields.Add(&core.NumberField{Name: "member_count", OnlyInt: true,
			Help: "Current members; maintained by the plugin. members lists at most the first 1,000 of them."})
	}
	if err := app.Save(threads); err != nil {
		return fmt.Errorf("messaging migration: threads: %w", err)
	}
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	swapRules(condMemberOfParent, condMemberRowOfParent,
		&messages.ListRule, &messages.ViewRule, &messages.CreateRule, &messages.UpdateRule)
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("messaging migration: messages: %w", err)
	}
	_, err = app.DB().NewQuery(refreshMembersSQL).Execute()
	return err
}

func migrateBigThreadsDown(app core.App) error {
	threads, err := app.FindCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return nil
	}
	swapRules(condMemberRowOfThread, condMemberOfThread, &threads.ListRule, &threads.ViewRule)
	threads.Fields.RemoveByName("member_count")
	if err := app.Save(threads); err != nil {
		return err
	}
	if messages, err := app.FindCollectionByNameOrId(CollectionNameMessages); err == nil {
		swapRules(condMemberRowOfParent, condMemberOfParent,
			&messages.ListRule, &messages.ViewRule, &messages.CreateRule, &messages.UpdateRule)
		if err := app.Save(messages); err != nil {
			return err
		}
	}
	return nil
}

package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Collection names. The plugin looks its collections up by these names, so
// keep them when adding your own fields in the dashboard.
const (
	CollectionNameThreads       = "threads"
	CollectionNameThreadMembers = "thread_members"
	CollectionNameMessages      = "messages"
	CollectionNameBlocks        = "blocks"
	CollectionNameTags          = "tags"
	CollectionNameUsers         = "users"
)

// pluginCollections are the collections this plugin owns: every row in
// them belongs to a conversation, to one member's messaging state, or to
// the site's messaging settings. The relation guard keeps client filters
// out of them, and a user deletion clears them with set-based SQL; a new
// plugin collection belongs here (TestDeleteUser_PluginCollectionsCovered
// fails until a new one with a relation to users is).
func pluginCollections() []string {
	return []string{CollectionNameThreads, CollectionNameThreadMembers, CollectionNameMessages,
		CollectionNameBlocks, CollectionNameTags, CollectionNameSettings, CollectionNamePreferences,
		CollectionNameMessageVersions, CollectionNameFanOuts,
		CollectionNameReports, CollectionNameAudit, CollectionNameSuspensions, CollectionNameExpansions}
}

// Thread kinds, the values of threads.kind.
const (
	KindDirect = "direct"
	KindGroup  = "group"
)

// migrationName is explicit and prefixed: PocketBase keys applied
// migrations by name alone, and the default (the .go file's base name)
// would collide with other packages.
const migrationName = "1795000000_messaging_init.go"

func init() {
	core.AppMigrations.Register(migrateUp, migrateDown, migrationName)
}

const (
	ruleMemberOfThread  = "@request.auth.id != '' && members.id ?= @request.auth.id"
	ruleMemberOfParent  = "@request.auth.id != '' && thread.members.id ?= @request.auth.id"
	ruleOwner           = "@request.auth.id != '' && user = @request.auth.id"
	ruleOwnMembershipUp = ruleOwner + " && left = false" +
		" && @request.body.thread:isset = false && @request.body.user:isset = false" +
		" && @request.body.unread:isset = false && @request.body.last_read_seq:isset = false" +
		" && @request.body.left:isset = false && @request.body.last_activity:isset = false"
)

func migrateUp(app core.App) error {
	users, err := app.FindCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return fmt.Errorf("messaging migration: the %q auth collection is required: %w", CollectionNameUsers, err)
	}
	if err := extendUsers(app, users); err != nil {
		return err
	}

	threads := core.NewBaseCollection(CollectionNameThreads)
	threads.ListRule = types.Pointer(ruleMemberOfThread)
	threads.ViewRule = types.Pointer(ruleMemberOfThread)
	threads.Fields.Add(
		&core.TextField{Name: "subject", Max: 200, Help: "Optional; shown for group threads."},
		&core.SelectField{Name: "kind", Values: []string{KindDirect, KindGroup}, MaxSelect: 1, Required: true},
		&core.RelationField{Name: "created_by", CollectionId: users.Id, MaxSelect: 1},
		&core.RelationField{Name: "members", CollectionId: users.Id, MaxSelect: 1000,
			Help: "Current members, kept in sync from thread_members by the plugin; edit thread_members instead."},
		&core.TextField{Name: "direct_key", Max: 64, Hidden: true,
			Help: "Sorted member ids of a direct thread; a unique index keeps one direct thread per pair."},
		&core.NumberField{Name: "last_seq", OnlyInt: true, Help: "Sequence number of the newest message."},
		&core.DateField{Name: "last_message_at"},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	threads.AddIndex("idx_messaging_threads_direct_key", true, "direct_key", "direct_key != ''")
	if err := app.Save(threads); err != nil {
		return fmt.Errorf("messaging migration: threads: %w", err)
	}

	messages := core.NewBaseCollection(CollectionNameMessages)
	messages.ListRule = types.Pointer(ruleMemberOfParent)
	messages.ViewRule = types.Pointer(ruleMemberOfParent)
	messages.CreateRule = types.Pointer(ruleMemberOfParent)
	messages.Fields.Add(
		&core.RelationField{Name: "thread", CollectionId: threads.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1,
			Help: "Empty for system notes such as \"Dave left the conversation.\""},
		&core.TextField{Name: "body", Max: 1000000},
		&core.BoolField{Name: "deleted", Help: "Soft-deleted by its author; the body is erased."},
		&core.NumberField{Name: "seq", OnlyInt: true, Help: "Position in the thread, assigned on create."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	messages.AddIndex("idx_messaging_messages_thread_seq", true, "thread, seq", "")
	messages.AddIndex("idx_messaging_messages_author", false, "author", "")
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("messaging migration: messages: %w", err)
	}

	threads.Fields.Add(&core.RelationField{Name: "last_message", CollectionId: messages.Id, MaxSelect: 1})
	if err := app.Save(threads); err != nil {
		return fmt.Errorf("messaging migration: threads.last_message: %w", err)
	}

	tags := core.NewBaseCollection(CollectionNameTags)
	tags.ListRule = types.Pointer(ruleOwner)
	tags.ViewRule = types.Pointer(ruleOwner)
	tags.CreateRule = types.Pointer(ruleOwner)
	tags.UpdateRule = types.Pointer(ruleOwner + " && (@request.body.user:isset = false || @request.body.user = @request.auth.id)")
	tags.DeleteRule = types.Pointer(ruleOwner)
	tags.Fields.Add(
		&core.RelationField{Name: "user", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.TextField{Name: "name", Max: 50, Required: true},
		&core.TextField{Name: "color", Max: 20},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	tags.AddIndex("idx_messaging_tags_user_name", true, "user, name", "")
	if err := app.Save(tags); err != nil {
		return fmt.Errorf("messaging migration: tags: %w", err)
	}

	members := core.NewBaseCollection(CollectionNameThreadMembers)
	members.ListRule = types.Pointer(ruleOwner)
	members.ViewRule = types.Pointer(ruleOwner)
	members.UpdateRule = types.Pointer(ruleOwnMembershipUp)
	members.Fields.Add(
		&core.RelationField{Name: "thread", CollectionId: threads.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.RelationField{Name: "user", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.NumberField{Name: "unread", OnlyInt: true, Help: "Messages from others after last_read_seq; maintained by the plugin."},
		&core.NumberField{Name: "last_read_seq", OnlyInt: true},
		&core.BoolField{Name: "muted"},
		&core.BoolField{Name: "archived"},
		&core.BoolField{Name: "left"},
		&core.RelationField{Name: "tags", CollectionId: tags.Id, MaxSelect: 100},
		&core.DateField{Name: "last_activity", Help: "Inbox sort key: time of the thread's newest message."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	members.AddIndex("idx_messaging_members_thread_user", true, "thread, user", "")
	members.AddIndex("idx_messaging_members_inbox", false, "user, `left`, archived, last_activity, id", "")
	members.AddIndex("idx_messaging_members_unread", false, "user", "unread > 0 AND `left` = 0")
	if err := app.Save(members); err != nil {
		return fmt.Errorf("messaging migration: thread_members: %w", err)
	}

	blocks := core.NewBaseCollection(CollectionNameBlocks)
	blocks.ListRule = types.Pointer(ruleOwner)
	blocks.ViewRule = types.Pointer(ruleOwner)
	blocks.CreateRule = types.Pointer(ruleOwner)
	blocks.DeleteRule = types.Pointer(ruleOwner)
	blocks.Fields.Add(
		&core.RelationField{Name: "user", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true,
			Help: "Who blocks."},
		&core.RelationField{Name: "blocked", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true,
			Help: "Who is blocked."},
		&core.AutodateField{Name: "created", OnCreate: true},
	)
	blocks.AddIndex("idx_messaging_blocks_pair", true, "user, blocked", "")
	blocks.AddIndex("idx_messaging_blocks_blocked", false, "blocked", "")
	if err := app.Save(blocks); err != nil {
		return fmt.Errorf("messaging migration: blocks: %w", err)
	}
	return nil
}

// extendUsers adds the messaging fields to the users collection, leaving
// alone any field of the same name the site already has.
func extendUsers(app core.App, users *core.Collection) error {
	add := func(f core.Field) {
		if users.Fields.GetByName(f.GetName()) == nil {
			users.Fields.Add(f)
		}
	}
	// Site owners add roles as new select values in the dashboard.
	roles := []string{"member", "moderator", "admin"}
	add(&core.SelectField{Name: "roles", Values: roles, MaxSelect: len(roles),
		Help: "Messaging roles; add values here (and raise Max select) for new roles. Only superusers may change a user's roles."})
	add(&core.BoolField{Name: "messaging_off", Help: "When set, the user neither sends nor receives private messages."})
	add(&core.BoolField{Name: "message_emails_off", Help: "When set, no email notifications about new messages."})
	if users.Fields.GetByName("username") == nil {
		users.Fields.Add(&core.TextField{Name: "username", Max: 50, Pattern: `^[\w.\-]*$`,
			Help: "Optional public handle, used by the messaging recipient search."})
		users.AddIndex("idx_messaging_users_username", true, "username COLLATE NOCASE", "username != ''")
	}
	users.AddIndex("idx_messaging_users_name", false, "name COLLATE NOCASE", "")
	if err := app.Save(users); err != nil {
		return fmt.Errorf("messaging migration: users: %w", err)
	}
	return nil
}

func migrateDown(app core.App) error {
	for _, name := range []string{CollectionNameBlocks, CollectionNameThreadMembers, CollectionNameTags} {
		if c, err := app.FindCollectionByNameOrId(name); err == nil {
			if err := app.Delete(c); err != nil {
				return err
			}
		}
	}
	if threads, err := app.FindCollectionByNameOrId(CollectionNameThreads); err == nil {
		threads.Fields.RemoveByName("last_message")
		if err := app.Save(threads); err != nil {
			return err
		}
	}
	for _, name := range []string{CollectionNameMessages, CollectionNameThreads} {
		if c, err := app.FindCollectionByNameOrId(name); err == nil {
			if err := app.Delete(c); err != nil {
				return err
			}
		}
	}
	users, err := app.FindCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return nil
	}
	for _, f := range []string{"roles", "messaging_off", "message_emails_off", "username"} {
		users.Fields.RemoveByName(f)
	}
	users.RemoveIndex("idx_messaging_users_username")
	users.RemoveIndex("idx_messaging_users_name")
	return app.Save(users)
}

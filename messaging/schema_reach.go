package messaging

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Migration of issue 12 (who can message me, reach.go): the member's
// choice, the site's default, and the request state of a membership.

const reachMigrationName = "1795000120_messaging_reach.go"

func init() {
	core.AppMigrations.Register(migrateReachUp, migrateReachDown, reachMigrationName)
}

// ruleNoRequestEdit keeps members from writing their request state
// through the records API: a sender must not clear the recipient's (they
// can't reach that row anyway) and a recipient accepts through the API,
// which fires the events.
const ruleNoRequestEdit = " && @request.body.request:isset = false"

// migrateReachUp adds messaging_preferences.who_can_message,
// messaging_settings.who_can_message and thread_members.request, with the
// partial index the Requests box and badge read, and request in the inbox
// index.
func migrateReachUp(app core.App) error {
	prefs, err := app.FindCollectionByNameOrId(CollectionNamePreferences)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	prefs.Fields.Add(&core.SelectField{Name: "who_can_message", Values: reachModes(), MaxSelect: 1,
		Help: "Who may start a conversation with the member: everyone, contacts (people they share a direct or group " +
			"conversation with), nobody, or requests (everyone, strangers' first messages wait in Requests). " +
			"Empty: the site's default (messaging_settings.who_can_message)."})
	if err := app.Save(prefs); err != nil {
		return err
	}
	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	settings.Fields.Add(&core.SelectField{Name: "who_can_message", Values: reachModes(), MaxSelect: 1,
		Help: "Who may message members who chose nothing: everyone, contacts, nobody or requests. Empty: the default, everyone."})
	if err := app.Save(settings); err != nil {
		return err
	}
	members, err := app.FindCollectionByNameOrId(CollectionNameThreadMembers)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	members.Fields.Add(&core.SelectField{Name: "request", Values: []string{requestPending, requestDeclined}, MaxSelect: 1,
		Help: "pending: a stranger's conversation waiting in the member's Requests; declined: hidden from the member. " +
			"Empty: a normal membership. Maintained by the plugin."})
	if members.UpdateRule != nil && !strings.Contains(*members.UpdateRule, ruleNoRequestEdit) {
		members.UpdateRule = types.Pointer(*members.UpdateRule + ruleNoRequestEdit)
	}
	members.AddIndex("idx_messaging_members_requests", false, "user, last_activity", "request = 'pending' AND `left` = 0")
	// The inbox walks (user, left, archived, request = '', last_activity):
	// requests, however many a member declined, are never scanned past.
	members.RemoveIndex("idx_messaging_members_inbox")
	members.AddIndex("idx_messaging_members_inbox", false, "user, `left`, archived, request, last_activity, id", "")
	return app.Save(members)
}

func migrateReachDown(app core.App) error {
	if members, err := app.FindCollectionByNameOrId(CollectionNameThreadMembers); err == nil {
		members.RemoveIndex("idx_messaging_members_requests")
		members.RemoveIndex("idx_messaging_members_inbox")
		members.AddIndex("idx_messaging_members_inbox", false, "user, `left`, archived, last_activity, id", "")
		members.Fields.RemoveByName("request")
		if members.UpdateRule != nil {
			members.UpdateRule = types.Pointer(strings.Replace(*members.UpdateRule, ruleNoRequestEdit, "", 1))
		}
		if err := app.Save(members); err != nil {
			return err
		}
	}
	for _, name := range []string{CollectionNameSettings, CollectionNamePreferences} {
		if c, err := app.FindCollectionByNameOrId(name); err == nil {
			c.Fields.RemoveByName("who_can_message")
			if err := app.Save(c); err != nil {
				return err
			}
		}
	}
	return nil
}

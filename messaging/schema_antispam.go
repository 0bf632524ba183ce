package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// The anti-spam settings (antispam.go) and the table of its counters.
const (
	antiSpamSettingsMigrationName = "1795000110_messaging_antispam_settings.go"
	rateCountersMigrationName     = "1795000111_messaging_rate_counters.go"
)

func init() {
	core.AppMigrations.Register(migrateAntiSpamSettingsUp, migrateAntiSpamSettingsDown, antiSpamSettingsMigrationName)
	core.AppMigrations.Register(migrateRateCountersUp, migrateRateCountersDown, rateCountersMigrationName)
}

// antiSpamLimitFields are the limit settings, stored as text so that
// empty (the default) and 0 (off) differ.
var antiSpamLimitFields = []struct{ name, help string }{
	{"min_account_age_hours", "Hours an account must exist before it may send. Empty: the default, 0 (off)."},
	{"new_account_days", "Accounts younger than this many days are new. Empty: the default, 7; 0: no account is new."},
	{"new_account_conversations_per_day", "Conversations a new account may start per UTC day. Empty: the default, 10; 0: no limit."},
	{"new_account_max_recipients", "Most people a new account may write to in one conversation. Empty: the default, 5; 0: no limit."},
	{"messages_per_minute", "Messages anyone may send per minute. Empty: the default, 30; 0: no limit."},
}

func migrateAntiSpamSettingsUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(&core.JSONField{Name: "trusted_roles", MaxSize: 10000,
		Help: `Roles exempt from the anti-spam limits (moderator roles are too), e.g. ["trusted"]. Empty: the default, none.`})
	for _, f := range antiSpamLimitFields {
		c.Fields.Add(&core.TextField{Name: f.name, Max: 5, Pattern: `^[0-9]*$`, Help: f.help})
	}
	return app.Save(c)
}

func migrateAntiSpamSettingsDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	c.Fields.RemoveByName("trusted_roles")
	for _, f := range antiSpamLimitFields {
		c.Fields.RemoveByName(f.name)
	}
	return app.Save(c)
}

// rateTable holds the anti-spam counters: a plain table, not a
// collection (no API reaches it), one row per user, kind and slot. The
// leading underscore keeps it clear of collections a site may create.
const rateTable = "_messaging_rate"

func migrateRateCountersUp(app core.App) error {
	for _, q := range []string{
		`CREATE TABLE ` + rateTable + ` (id INTEGER PRIMARY KEY, user TEXT NOT NULL, kind TEXT NOT NULL,
			slot INTEGER NOT NULL, count INTEGER NOT NULL, expires INTEGER NOT NULL, UNIQUE (user, kind, slot))`,
		`CREATE INDEX idx` + rateTable + `_expires ON ` + rateTable + ` (expires)`,
	} {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			return fmt.Errorf("messaging migration: %s: %w", rateTable, err)
		}
	}
	return nil
}

func migrateRateCountersDown(app core.App) error {
	_, err := app.DB().NewQuery(`DROP TABLE IF EXISTS ` + rateTable).Execute()
	return err
}

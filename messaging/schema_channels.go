package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// Migrations of the notification channels (channels.go, webhook.go): a
// channel field on notifications, part of the one-open-window index, and
// the webhook's settings.

const (
	channelsMigrationName        = "1795000090_messaging_channels.go"
	webhookSettingsMigrationName = "1795000091_messaging_webhook_settings.go"
)

func init() {
	core.AppMigrations.Register(migrateChannelsUp, migrateChannelsDown, channelsMigrationName)
	core.AppMigrations.Register(migrateWebhookSettingsUp, migrateWebhookSettingsDown, webhookSettingsMigrationName)
}

const openWindowIndex = "idx_messaging_notifications_open"

// migrateChannelsUp adds channel ("" for email, so every row queued before
// is email) and makes the open window unique per channel too.
func migrateChannelsUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameNotifications)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(&core.TextField{Name: "channel", Max: 30,
		Help: "Empty: email. Otherwise the channel that delivers it: webhook, or one registered in Go (Config.Channels)."})
	c.RemoveIndex(openWindowIndex)
	c.AddIndex(openWindowIndex, true, "user, thread, day, channel", "state = 'waiting'")
	return app.Save(c)
}

// migrateChannelsDown drops the other channels' rows (the index without
// channel can't hold them) and the field.
func migrateChannelsDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameNotifications)
	if err != nil {
		return nil
	}
	if _, err := app.DB().NewQuery(`DELETE FROM messaging_notifications WHERE channel != ''`).Execute(); err != nil {
		return err
	}
	c.RemoveIndex(openWindowIndex)
	c.AddIndex(openWindowIndex, true, "user, thread, day", "state = 'waiting'")
	c.Fields.RemoveByName("channel")
	return app.Save(c)
}

// migrateWebhookSettingsUp adds the webhook's settings, empty (off). The
// secret is a hidden field: only superusers ever see it.
func migrateWebhookSettingsUp(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	c.Fields.Add(
		&core.TextField{Name: "webhook_url", Max: 2000,
			Help: "A signed JSON POST per notification goes to this http(s) URL (see the README). Empty: the default, no webhook."},
		&core.TextField{Name: "webhook_secret", Max: 500, Hidden: true,
			Help: "The webhook's signing secret (HMAC-SHA256), at least 16 characters. Required with webhook_url."},
		&core.BoolField{Name: "webhook_include_text",
			Help: "Put the messages' text in the webhook's payload. Off (the default): who, where and how many only."},
	)
	return app.Save(c)
}

func migrateWebhookSettingsDown(app core.App) error {
	c, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	for _, name := range []string{"webhook_url", "webhook_secret", "webhook_include_text"} {
		c.Fields.RemoveByName(name)
	}
	return app.Save(c)
}

package messaging

// Test access to the channel migrations.
var (
	MigrateChannelsDownForTest        = migrateChannelsDown
	MigrateChannelsUpForTest          = migrateChannelsUp
	MigrateWebhookSettingsDownForTest = migrateWebhookSettingsDown
	MigrateWebhookSettingsUpForTest   = migrateWebhookSettingsUp
)

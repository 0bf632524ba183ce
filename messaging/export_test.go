package messaging

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

// WrapRealtimeClientForTest exposes the realtime client wrapper to the
// external tests' benchmark.
func WrapRealtimeClientForTest(c *subscriptions.DefaultClient) subscriptions.Client {
	return newLiveClient(c)
}

// MigratePreferencesDownForTest and MigratePreferencesUpForTest run the
// preferences migration, to test how it moves existing values.
var (
	MigratePreferencesDownForTest = migratePreferencesDown
	MigratePreferencesUpForTest   = migratePreferencesUp
)

// PluginCollectionsForTest exposes the collections a user deletion clears
// with SQL.
func PluginCollectionsForTest() []string { return pluginCollections() }

// LiveIndexForTest returns how many clients and users the live index
// holds, so tests can check that nothing outlives its connection.
func LiveIndexForTest(m *Messaging) (clients, users int) {
	m.live.mu.RLock()
	defer m.live.mu.RUnlock()
	if len(m.live.clients) != len(m.live.owner) {
		panic("live index: clients and owners differ")
	}
	return len(m.live.clients), len(m.live.byUser)
}

// The formats and editing migrations, to test their downs.
var (
	MigrateFormatsDownForTest = migrateFormatsDown
	MigrateFormatsUpForTest   = migrateFormatsUp
	MigrateEditingDownForTest = migrateEditingDown
	MigrateEditingUpForTest   = migrateEditingUp
)

// DefaultAttachmentTypesForTest returns the attachment types allowed by
// default.
func DefaultAttachmentTypesForTest() []string {
	return append([]string(nil), defaultAttachmentTypes...)
}

// MembersMigrationsForTest are the up and down functions of the
// migrations for member removal, read receipts and the inbox options, in
// the order they run.
func MembersMigrationsForTest() [][2]func(core.App) error {
	return [][2]func(core.App) error{
		{migrateMemberRemovalUp, migrateMemberRemovalDown},
		{migrateReadReceiptsUp, migrateReadReceiptsDown},
		{migrateInboxOptionsUp, migrateInboxOptionsDown},
	}
}

// FanOutStepForTest counts one batch of the oldest pending counter
// fan-out and reports whether any is left.
func FanOutStepForTest(app core.App) (bool, error) {
	more, _, err := fanOutStep(app)
	return more, err
}

// DrainFanOutsForTest runs every pending counter fan-out to its end.
func DrainFanOutsForTest(app core.App) error { return drainFanOuts(app) }

// FanOutMigrationForTest is the up and down of the fan-out migration.
func FanOutMigrationForTest() [2]func(core.App) error {
	return [2]func(core.App) error{migrateFanOutUp, migrateFanOutDown}
}

// BigThreadsMigrationForTest is the up and down of the migration that moves
// the membership rules onto thread_members rows (schema_big_threads.go).
func BigThreadsMigrationForTest() [2]func(core.App) error {
	return [2]func(core.App) error{migrateBigThreadsUp, migrateBigThreadsDown}
}

// MigrateReadReceiptsUpForTest adds the read receipts preference, for
// tests that rebuild the preferences collection.
var MigrateReadReceiptsUpForTest = migrateReadReceiptsUp

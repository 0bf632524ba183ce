package messaging

import "github.com/pocketbase/pocketbase/tools/subscriptions"

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

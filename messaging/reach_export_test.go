package messaging

// MigrateReachUpForTest and MigrateReachDownForTest run the who-can-message
// migration (schema_reach.go), for the migration tests.
var (
	MigrateReachUpForTest   = migrateReachUp
	MigrateReachDownForTest = migrateReachDown
)

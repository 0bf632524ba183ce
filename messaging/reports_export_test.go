package messaging

// MigrateReportsDownForTest and MigrateReportsUpForTest run the reports
// migration's down and up.
var (
	MigrateReportsDownForTest = migrateReportsDown
	MigrateReportsUpForTest   = migrateReportsUp
)

package messaging

// ClearOldClientKeysForTest runs one pass of the cleanup job with the
// given batch size.
func ClearOldClientKeysForTest(m *Messaging, batch int) (int64, error) {
	return m.clearOldClientKeys(batch)
}

// MigrateClientKeysDownForTest and MigrateClientKeysUpForTest run the
// client keys migration.
var (
	MigrateClientKeysDownForTest = migrateClientKeysDown
	MigrateClientKeysUpForTest   = migrateClientKeysUp
)

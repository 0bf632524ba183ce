package messaging

import "github.com/pocketbase/pocketbase/core"

// ExpansionStepForTest runs one batch of the oldest unfinished role
// expansion on app and reports whether any is left.
func ExpansionStepForTest(m *Messaging, app core.App) (bool, error) {
	more, _, _, _, err := m.expansionStep(app)
	return more, err
}

// DrainExpansionsForTest runs every unfinished role expansion to its end.
func DrainExpansionsForTest(m *Messaging) error { return m.drainExpansions() }

// RolesMigrationForTest returns the roles migration's up and down.
func RolesMigrationForTest() [2]func(core.App) error {
	return [2]func(core.App) error{migrateRolesUp, migrateRolesDown}
}

// StopExpansionWorkerForTest stops the background expansion worker (a
// test that must see a job before it runs).
func StopExpansionWorkerForTest(m *Messaging) { m.expansions.stop() }

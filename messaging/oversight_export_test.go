package messaging

// DrainPurgesForTest runs every queued purge to its end.
func DrainPurgesForTest(m *Messaging) error { return m.drainPurges() }

// PurgeStepForTest runs one step of the purge worker.
func PurgeStepForTest(m *Messaging) (bool, error) { return m.purgeStep() }

// Oversight's plain tables.
const (
	StaffNoticesTableForTest = staffNoticesTable
	PurgesTableForTest       = purgesTable
)

// SearchKeysTableForTest maps the search index's rows to messages.
const SearchKeysTableForTest = searchKeysTable

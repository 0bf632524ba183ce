package messaging

import "time"

// SetClockForTest sets the anti-spam limits' clock, so that tests know
// where in its minute or day a send falls.
func SetClockForTest(m *Messaging, now func() time.Time) { m.clock = now }

// DeleteExpiredCountersForTest runs the counters' cleanup job once.
func DeleteExpiredCountersForTest(m *Messaging, batch int) (int64, error) {
	return m.deleteExpiredCounters(batch)
}

// RateTableForTest is the counters' table.
const RateTableForTest = rateTable

package messaging

import (
	"github.com/pocketbase/dbx"
)

// Deleting expired anti-spam counters (antispam.go). A counter is only
// read in its own slot, so an expired one is garbage; this job keeps the
// table at about one row per recent sender. Like the client keys' job it
// is restart-safe and bounded: short batches, each its own statement, and
// a cap per run.

const (
	// rateCleanupBatch is how many counters one statement deletes.
	rateCleanupBatch = 1000
	// rateCleanupMaxBatches caps one run; the next run goes on.
	rateCleanupMaxBatches = 100
)

// bindRateCleanup schedules the job every 10 minutes (the scheduler runs
// only under "serve").
func (m *Messaging) bindRateCleanup() {
	m.app.Cron().MustAdd("__messagingRateCounters__", "*/10 * * * *", func() {
		if _, err := m.deleteExpiredCounters(rateCleanupBatch); err != nil {
			m.app.Logger().Error("messaging: deleting old rate counters failed", "error", err)
		}
	})
}

// deleteExpiredCounters deletes the counters whose slot has ended, batch
// rows per statement and at most rateCleanupMaxBatches statements. It
// returns how many it deleted.
func (m *Messaging) deleteExpiredCounters(batch int) (int64, error) {
	q := m.app.DB().NewQuery(`DELETE FROM ` + rateTable + ` WHERE id IN (
			SELECT id FROM ` + rateTable + ` WHERE expires <= {:now} LIMIT {:n})`).
		Bind(dbx.Params{"now": m.clock().Unix(), "n": batch})
	return inBatches(q, batch, rateCleanupMaxBatches, 0)
}

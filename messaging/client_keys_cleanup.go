package messaging

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Freeing old client keys. A key binds for clientKeyTTL (client_keys.go);
// after that, reusing it clears the old one in the sending transaction
// anyway, so this job only keeps the index small. It is restart-safe (its
// state is the rows themselves) and bounded: short batches, each its own
// statement, so the write lock is never held long, and a cap per run.

const (
	// clientKeyBatch is how many keys one statement clears.
	clientKeyBatch = 1000
	// clientKeyMaxBatches caps one run; the next run goes on.
	clientKeyMaxBatches = 100
)

// bindClientKeyCleanup schedules the job every 10 minutes (the scheduler
// runs only under "serve").
func (m *Messaging) bindClientKeyCleanup() {
	m.app.Cron().MustAdd("__messagingClientKeys__", "*/10 * * * *", func() {
		if _, err := m.clearOldClientKeys(clientKeyBatch); err != nil {
			m.app.Logger().Error("messaging: clearing old client keys failed", "error", err)
		}
	})
}

// clearOldClientKeys frees the keys older than clientKeyTTL, batch rows
// per statement (each its own short write) and at most
// clientKeyMaxBatches statements per run. It returns how many it cleared.
// A partial index on created keeps each batch from reading fresh keys.
func (m *Messaging) clearOldClientKeys(batch int) (int64, error) {
	q := m.app.DB().NewQuery(`UPDATE messages SET client_key = '' WHERE id IN (
			SELECT id FROM messages INDEXED BY ` + clientKeyCreatedIndex + `
			WHERE client_key != '' AND created < {:cutoff} ORDER BY created LIMIT {:n})`).
		Bind(dbx.Params{"cutoff": types.NowDateTime().Add(-clientKeyTTL).String(), "n": batch})
	return inBatches(q, batch, clientKeyMaxBatches, 0)
}

package messaging

import "github.com/pocketbase/pocketbase/core"

// Transactions: record hooks that write more than their record, and work
// that must wait for the commit.

// afterCommit runs fn once tx has committed (at once when app is not in a
// transaction); it is dropped on rollback.
func (m *Messaging) afterCommit(app core.App, fn func()) {
	if info := app.TxInfo(); info != nil {
		info.OnComplete(func(txErr error) error {
			if txErr == nil {
				fn()
			}
			return nil
		})
		return
	}
	fn()
}

// inRecordTransaction runs fn in a transaction with e.App set to it, so
// that the write e.Next() does inside fn, and every hook after it, joins
// the same transaction. A record hook that must write more than its record
// (a count, a derived list) uses it: all of it commits, or none.
func inRecordTransaction(e *core.RecordEvent, fn func(tx core.App) error) error {
	original := e.App
	defer func() { e.App = original }()
	return e.App.RunInTransaction(func(tx core.App) error {
		e.App = tx
		return fn(tx)
	})
}

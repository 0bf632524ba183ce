package messaging

import (
	"database/sql"
	"errors"
	"sync"

	"github.com/pocketbase/dbx"
)

// readStmts caches prepared statements for the hot read queries (inbox,
// thread, messages, unread). Parsing SQL is a large part of a short
// query's cost in modernc.org/sqlite, and dbx prepares every query anew;
// a *sql.Stmt on PocketBase's concurrent (read) pool is prepared once per
// pooled connection and reused. Writes can't share this: they run inside
// PocketBase's transaction on its single write connection.
type readStmts struct {
	mu    sync.Mutex
	db    *sql.DB
	stmts map[string]*sql.Stmt
}

// query runs a cached read statement with positional (?) arguments on the
// app's read pool. m.app is never a transaction app, so its read pool is
// always a *dbx.DB; the error is for a custom core.App that breaks that.
func (m *Messaging) query(text string, args ...any) (*sql.Rows, error) {
	db, ok := m.app.ConcurrentDB().(*dbx.DB)
	if !ok {
		return nil, errNoReadPool
	}
	stmt, err := m.reads.get(db.DB(), text)
	if err != nil {
		return nil, err
	}
	return stmt.Query(args...)
}

func (c *readStmts) get(db *sql.DB, text string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db != db {
		// The app reopened its databases (bootstrap cleared): the old
		// statements belong to the closed pool.
		for _, s := range c.stmts {
			s.Close()
		}
		c.db, c.stmts = db, map[string]*sql.Stmt{}
	}
	if s, ok := c.stmts[text]; ok {
		return s, nil
	}
	s, err := db.Prepare(text)
	if err != nil {
		return nil, err
	}
	c.stmts[text] = s
	return s, nil
}

var errNoReadPool = errors.New("messaging: the app's read pool is not a *dbx.DB")

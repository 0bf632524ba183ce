// Package sqlitedb opens the app's SQLite databases the way PocketBase
// does, plus memory-mapped reads: the connection the messaging benchmark
// measures. Any PocketBase app can use it:
//
//	app := pocketbase.NewWithConfig(pocketbase.Config{DBConnect: sqlitedb.Connect})
package sqlitedb

import (
	"github.com/pocketbase/dbx"
	_ "modernc.org/sqlite" // the driver PocketBase uses by default
)

// Connect is a pocketbase.Config.DBConnect: PocketBase's own pragmas
// (core.DefaultDBConnect in v0.40.4) plus mmap_size. Each pooled
// connection keeps its own 32 MB page cache; with the file memory-mapped,
// reads are served from the OS page cache that every connection shares,
// without a read call and a copy per page, which keeps pages touching many
// scattered rows (an inbox page) fast once the database outgrows the
// caches. Mapped pages are file-backed: the kernel reclaims them under
// memory pressure.
//
// Transactions begin IMMEDIATE: a transaction that reads and then writes
// holds the write lock from its first statement. Begun DEFERRED, it fails
// at once with SQLITE_BUSY_SNAPSHOT (517, "database is locked") when
// another process wrote in between, e.g. "messaging seed" while the server's
// notification worker runs, and busy_timeout cannot help. Within one
// process PocketBase already sends every write through a single
// connection, so this only changes what happens across processes.
func Connect(dbPath string) (*dbx.DB, error) {
	const pragmas = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=journal_size_limit(200000000)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)" +
		"&_pragma=mmap_size(2147483648)&_defensive=1&_txlock=immediate"
	return dbx.Open("sqlite", dbPath+pragmas)
}

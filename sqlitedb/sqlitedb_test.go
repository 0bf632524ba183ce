package sqlitedb

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
)

// TestConnect_ReadThenWriteAcrossConnections is the case behind
// _txlock=immediate: a transaction that reads, then writes after another
// connection (standing in for another process) wrote. Begun DEFERRED, the
// write fails with SQLITE_BUSY_SNAPSHOT; begun IMMEDIATE, the other writer
// waits (busy_timeout) and both writes land.
func TestConnect_ReadThenWriteAcrossConnections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	a, err := Connect(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Connect(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.NewQuery("CREATE TABLE t (v INTEGER)").Execute(); err != nil {
		t.Fatal(err)
	}

	tx, err := a.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.NewQuery("SELECT COUNT(*) FROM t").Row(&n); err != nil {
		t.Fatal(err)
	}
	other := make(chan error, 1)
	go func() {
		_, err := b.Insert("t", dbx.Params{"v": 2}).Execute()
		other <- err
	}()
	// Give the other writer time to commit if nothing holds it back.
	time.Sleep(200 * time.Millisecond)
	if _, err := tx.Insert("t", dbx.Params{"v": 1}).Execute(); err != nil {
		tx.Rollback()
		t.Fatalf("the write after a read failed: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-other; err != nil {
		t.Fatalf("the other connection's write failed: %v", err)
	}
	if err := a.NewQuery("SELECT COUNT(*) FROM t").Row(&n); err != nil || n != 2 {
		t.Fatalf("rows = %d (%v), want 2", n, err)
	}
}

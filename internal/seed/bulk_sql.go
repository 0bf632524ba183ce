package seed

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/tools/security"
)

// idGen makes PocketBase-compatible record ids (15 chars of [a-z0-9]): a
// random 5-char prefix per run and table plus a zero-padded base-36
// counter, so ids are unique and ascending, which keeps the primary key
// index inserts appends.
type idGen struct {
	prefix string
	n      uint64
	buf    [15]byte
}

func newIDGen() *idGen {
	return &idGen{prefix: security.RandomStringWithAlphabet(5, "abcdefghijklmnopqrstuvwxyz0123456789")}
}

func (g *idGen) next() string {
	g.n++
	copy(g.buf[:5], g.prefix)
	n := g.n
	for i := 14; i >= 5; i-- {
		g.buf[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[n%36]
		n /= 36
	}
	return string(g.buf[:])
}

// bulkTable buffers rows of one table and writes them with a prepared
// multi-row INSERT.
type bulkTable struct {
	ctx     context.Context
	conn    *sql.Conn
	table   string
	cols    []string
	perStmt int
	stmt    *sql.Stmt
	args    []any
	rows    int
	counter *atomic.Int64
}

func newBulkTable(ctx context.Context, conn *sql.Conn, table string, cols []string, counter *atomic.Int64) *bulkTable {
	// modernc.org/sqlite matches each parameter to its argument with a
	// linear scan, so binding costs O(params²) per statement: keep
	// statements small; a few hundred parameters is the sweet spot.
	per := 320 / len(cols)
	return &bulkTable{ctx: ctx, conn: conn, table: table, cols: cols, perStmt: per, counter: counter,
		args: make([]any, 0, per*len(cols))}
}

func (b *bulkTable) insertSQL(rows int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO `" + b.table + "` (`" + strings.Join(b.cols, "`,`") + "`) VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(b.cols)), ",") + ")"
	for i := range rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(row)
	}
	return sb.String()
}

func (b *bulkTable) add(vals ...any) error {
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows == b.perStmt {
		return b.flush()
	}
	return nil
}

func (b *bulkTable) flush() error {
	if b.rows == 0 {
		return nil
	}
	var err error
	if b.rows == b.perStmt {
		if b.stmt == nil {
			if b.stmt, err = b.conn.PrepareContext(b.ctx, b.insertSQL(b.perStmt)); err != nil {
				return err
			}
		}
		_, err = b.stmt.ExecContext(b.ctx, b.args...)
	} else {
		_, err = b.conn.ExecContext(b.ctx, b.insertSQL(b.rows), b.args...)
	}
	if err != nil {
		return fmt.Errorf("seed: insert into %s: %w", b.table, err)
	}
	b.counter.Add(int64(b.rows))
	b.args = b.args[:0]
	b.rows = 0
	return nil
}

func (b *bulkTable) close() {
	if b.stmt != nil {
		b.stmt.Close()
	}
}

var seedWords = strings.Fields(`the a to and of in on for with about this that we you it is are was be
	meeting lunch tomorrow today tonight later soon thanks sure great sounds good please call
	project review draft invoice trip plan weekend train ticket photo link file notes update
	question answer idea team office coffee dinner party game book movie music weather run
	yes no maybe ok cool nice perfect agreed done send check see read let me know when where`)

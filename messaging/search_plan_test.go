package messaging

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
)

// The search statements must walk indexes in the order they return rows:
// the FTS5 matches newest first (rowid DESC, consumed by FTS5: no sort of
// all matches), then primary-key and unique-index lookups per match; the
// result threads from the caller's (thread, user) memberships.
func TestSearch_QueryPlans(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	db := app.ConcurrentDB().(interface{ DB() *sql.DB }).DB()
	plan := func(q string, args ...any) string {
		rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var steps []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, detail)
		}
		return strings.Join(steps, "\n")
	}
	for _, c := range []struct {
		name, sql string
		args      []any
		want      []string
	}{
		{"search", searchSQL, []any{`body : ("x")`, 5, "u", 5}, []string{
			"SCAN s VIRTUAL TABLE INDEX 192:", // 0x40|0x80: ORDER BY rowid DESC
			"SEARCH k USING INTEGER PRIMARY KEY (rowid=?)",
			"SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)",
			"SEARCH tm EXISTS USING INDEX idx_messaging_members_thread_user (thread=? AND user=?)",
		}},
		{"threads", searchThreadsSQL, []any{"u", `["a"]`}, []string{
			"SEARCH tm USING INDEX sqlite_autoindex_thread_members_1 (id=?)",
			"SEARCH mm USING INDEX idx_messaging_members_thread_user (thread=? AND user=?)",
		}},
	} {
		got := plan(c.sql, c.args...)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: plan lacks %q:\n%s", c.name, w, got)
			}
		}
		if strings.Contains(got, "TEMP B-TREE") || strings.Contains(got, "SCAN tm") || strings.Contains(got, "SCAN m") {
			t.Errorf("%s: plan sorts or scans a table:\n%s", c.name, got)
		}
	}
}

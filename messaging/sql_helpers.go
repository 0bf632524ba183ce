package messaging

import (
	"encoding/json/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
)

// Small SQL helpers shared by the queries.

// inList matches column against ids passed as one JSON parameter: the SQL
// text stays short and the same whatever the number of ids, so SQLite
// parses little (and modernc.org/sqlite's per-parameter binding, quadratic
// in the parameter count, stays trivial). param must be unique in the query.
func inList(column, param string, ids []string) dbx.Expression {
	unique := slices.Clone(ids)
	slices.Sort(unique)
	unique = slices.Compact(unique)
	return dbx.NewExp(column+" IN (SELECT value FROM json_each({:"+param+"}))", dbx.Params{param: inParam(unique)})
}

// inParam encodes ids for inList.
func inParam(ids []string) string {
	raw, _ := json.Marshal(ids)
	return string(raw)
}

// numberArgs turns the query's placeholders into numbered ones, in order:
// "?" is the next argument, and "?1x", "?2x", "?3x" name an argument used
// more than once (the first use takes the next number, later uses repeat
// it), so a cached statement can bind one argument in several places.
func numberArgs(text string) string {
	var b strings.Builder
	next, named := 1, map[string]int{}
	for i := 0; i < len(text); i++ {
		if text[i] != '?' {
			b.WriteByte(text[i])
			continue
		}
		if i+2 < len(text) && text[i+2] == 'x' && text[i+1] >= '0' && text[i+1] <= '9' {
			key := text[i+1 : i+2]
			n, ok := named[key]
			if !ok {
				n = next
				named[key] = n
				next++
			}
			b.WriteString("?" + strconv.Itoa(n))
			i += 2
			continue
		}
		b.WriteString("?" + strconv.Itoa(next))
		next++
	}
	return b.String()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// inBatches runs q, a statement over at most batch rows, until a run
// changes fewer than batch rows or maxRuns ran, and returns the rows
// changed in all: each run its own short write, so a clean-up job never
// holds the write lock long, and a cap per call (the next call goes on).
// pause, when not 0, is the least wait between two runs, and the wait is
// twice the run's own length when that is longer: when many runs follow
// each other, the job takes at most a third of the time, and the senders
// get the write lock and the CPU between runs (the workers' rule,
// worker.go).
func inBatches(q *dbx.Query, batch, maxRuns int, pause time.Duration) (int64, error) {
	var total int64
	for range maxRuns {
		began := time.Now()
		res, err := q.Execute()
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < int64(batch) {
			break
		}
		if pause > 0 {
			time.Sleep(max(pause, 2*time.Since(began)))
		}
	}
	return total, nil
}

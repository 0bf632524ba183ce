package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// The retention purge measure (issue 14): send p99 while the purge of
// deleted message bodies whose retention days are up runs, against send
// p99 without it, in rounds (the machine's load drifts).
//
// The kept bodies are seeded by a migration that a separate process
// applies while the server runs (one INSERT … SELECT of a recursive
// count, already due). The purge is "messaging purge-deleted", another
// process on the same database: the server's cron job runs the same
// statements (500 rows each) every 10 minutes, so the contention with the
// senders for SQLite's one writer is the same. The send measure runs until
// the purge ends, at most -duration.

// purgeRounds is how many times each of without and during is measured.
const purgeRounds = 2

// purgeRows is how many due bodies each round seeds.
func purgeRows(size string) int {
	if size == "full" {
		return 100000
	}
	return 5000
}

// purgeSeedMigration seeds n kept bodies of deleted messages, due since
// 2000, into the table the retention migration created.
func purgeSeedMigration(n, round int) string {
	return fmt.Sprintf(`migrate((app) => {
  app.db().newQuery("INSERT INTO _messaging_deleted_bodies (message, thread, author, body, deleted, purge_after) " +
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) " +
    "SELECT printf('purge%%d_%%09d', %d, i), 'benchpurgethrd1', '', " +
    "'a deleted message of about a hundred characters, kept hidden until its retention days were up.', " +
    "'2000-01-01 00:00:00.000Z', '2000-01-01 00:00:00.000Z' FROM n").execute();
}, (app) => {});
`, n, round)
}

var purgedLine = regexp.MustCompile(`erased (\d+) deleted message bodies in ([0-9.]+)s`)

// measurePurge alternates the send measure without and during a purge.
func measurePurge(ctx context.Context, cfg config, bin, dir, dataDir string, measure func(ctx context.Context, d time.Duration) Result, add func(Result), logf func(string, ...any)) error {
	n := purgeRows(cfg.Size)
	for round := 1; round <= purgeRounds; round++ {
		base := measure(ctx, cfg.Duration)
		base.Measure, base.Round = "send(no purge)", round
		add(base)

		name := fmt.Sprintf("1900000100_bench_purge_%d.js", round)
		if err := os.WriteFile(filepath.Join(dir, "pb_migrations", name), []byte(purgeSeedMigration(n, round)), 0o644); err != nil {
			return err
		}
		if _, err := appCmd(bin, dataDir, "migrate", "up"); err != nil {
			return err
		}
		purgeCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		var rows int
		var secs float64
		go func() {
			defer stop()
			out, err := exec.CommandContext(ctx, bin, "messaging", "purge-deleted", "--dir", dataDir, "--dev=false").CombinedOutput()
			if err == nil {
				m := purgedLine.FindStringSubmatch(string(out))
				if m == nil {
					err = fmt.Errorf("purge-deleted: unexpected output %q", out)
				} else {
					rows, _ = strconv.Atoi(m[1])
					secs, _ = strconv.ParseFloat(m[2], 64)
				}
			}
			done <- err
		}()
		during := measure(purgeCtx, cfg.Duration)
		if err := <-done; err != nil {
			return err
		}
		if rows != n {
			return fmt.Errorf("purge-deleted erased %d bodies, want %d", rows, n)
		}
		during = withRef(during, base)
		during.Measure, during.Round = "send(during purge)", round
		during.FirstErr = fmt.Sprintf("purged %d in %.1fs %s", rows, secs, during.FirstErr)
		add(during)
		logf("purge round %d: %d bodies erased in %.1fs; sends measured %.1fs of it", round, rows, secs, during.Seconds)
	}
	return nil
}

// purgeGoal is the bound: send p99 during a purge at most 1.5×
// without, on the medians of the rounds.
func purgeGoal(rep *Report, dataset string) (Goal, bool) {
	_, without, n := median(rep, "send(no purge)", dataset)
	_, during, m := median(rep, "send(during purge)", dataset)
	if n == 0 || m == 0 || without == 0 {
		return Goal{}, false
	}
	ratio := during / without
	return Goal{Goal: "send p99 during a purge of deleted messages vs without (" + dataset + ")", Target: "≤ 1.5×",
		Measured: fmt.Sprintf("%.2f× (%.1f vs %.1f ms, medians of %d rounds)", ratio, during, without, m), Met: ratio <= 1.5}, true
}

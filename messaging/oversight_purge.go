package messaging

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/spf13/cobra"
)

// Purging a conversation for good (issue 14's oversight), by a superuser
// (HTTP), a site owner (CLI) or server code (Go).
//
// It is two parts. The first, one transaction while the caller waits:
// the audit row (who, why, how many messages; no content), and everything
// that lets anyone see or be told about the conversation goes, so that
// from the commit on it is gone for every member on every path: the
// memberships (with their tags and unread counts), pending notifications,
// counter fan-outs, role expansions, first contacts, delayed staff
// notices, kept deleted bodies, and, when the purge says so (a legal
// erasure), the reports about it with their sealed evidence; a purge job
// is queued. The second, in the background (stepWorker), restart-safe:
// the messages, their earlier versions and their files, purgeStepBatch at
// a time, then the thread row itself through PocketBase (so a site's own
// collections that point at it get their cascade), and OnThreadPurged.
// Reports kept by default keep their evidence; their thread id no longer
// resolves.

// PurgeOptions say why a conversation is purged, and whether the reports
// about it (with their sealed evidence) go too.
type PurgeOptions struct {
	Reason      string
	WithReports bool
}

// PurgeEvent is fired once a purged conversation is gone for good.
type PurgeEvent struct {
	hook.Event
	App         core.App
	Thread      string // the purged conversation's id
	By          string // the superuser's id; "" for server code and the CLI
	ByKind      string // "superuser" or "system"
	Reason      string
	WithReports bool
	Messages    int // how many messages it held
}

// OnThreadPurged is triggered after a purged conversation's last row is
// deleted, in the process that finished the purge.
func (m *Messaging) OnThreadPurged() *hook.Hook[*PurgeEvent] { return m.onThreadPurged }

// purgeStepBatch is how many messages one background step deletes.
const purgeStepBatch = 500

// PurgeThread purges a conversation for good: at once for everyone, its
// rows in the background (see above). by is the superuser acting, or nil
// for server code. Errors: ErrInvalid without a reason, ErrNotFound for
// an unknown (or already purged) conversation.
func (m *Messaging) PurgeThread(by *core.Record, threadID string, opts PurgeOptions) (messages int, err error) {
	reason, err := checkReason(opts.Reason)
	if err != nil {
		return 0, err
	}
	var members []string
	err = m.app.RunInTransaction(func(tx core.App) error {
		thread, err := tx.FindRecordById(CollectionNameThreads, threadID)
		if err != nil {
			return errNotFound()
		}
		var queued int
		db := tx.DB()
		p := dbx.Params{"t": threadID}
		if err := db.NewQuery(`SELECT COUNT(*) FROM ` + purgesTable + ` WHERE thread = {:t}`).Bind(p).Row(&queued); err != nil {
			return err
		}
		if queued > 0 {
			return errNotFound()
		}
		messages = thread.GetInt("last_seq")
		if err := db.NewQuery(`SELECT user FROM thread_members WHERE thread = {:t} AND ` + memberIsCurrent).
			Bind(p).Column(&members); err != nil {
			return err
		}
		if err := writeAudit(tx, by, AuditThreadPurge, CollectionNameThreads, threadID, threadID, reason,
			map[string]any{"messages": messages, "members": thread.GetInt("member_count"), "withReports": opts.WithReports}); err != nil {
			return err
		}
		stmts := []string{
			`DELETE FROM thread_members WHERE thread = {:t}`,
			`DELETE FROM ` + CollectionNameNotifications + ` WHERE thread = {:t}`,
			`DELETE FROM ` + CollectionNameOutbox + ` WHERE thread = {:t}`,
			`DELETE FROM ` + CollectionNameFanOuts + ` WHERE thread = {:t}`,
			`DELETE FROM ` + CollectionNameExpansions + ` WHERE thread = {:t}`,
			`DELETE FROM ` + CollectionNameFirstContacts + ` WHERE thread = {:t}`,
			`DELETE FROM ` + staffNoticesTable + ` WHERE thread = {:t}`,
			`DELETE FROM ` + deletedBodiesTable + ` WHERE thread = {:t}`,
			refreshMembersSQL + ` WHERE id = {:t}`,
		}
		if opts.WithReports {
			stmts = append(stmts, `DELETE FROM `+CollectionNameReports+` WHERE thread = {:t}`)
		}
		for _, q := range stmts {
			if _, err := db.NewQuery(q).Bind(p).Execute(); err != nil {
				return err
			}
		}
		byID, kind := actorID(by), "system"
		if by != nil {
			kind = "superuser"
		}
		_, err = db.NewQuery(`INSERT INTO ` + purgesTable + ` (thread, by_id, by_kind, reason, with_reports, messages, created)
			VALUES ({:t}, {:by}, {:kind}, {:reason}, {:with}, {:n}, {:now})`).
			Bind(dbx.Params{"t": threadID, "by": byID, "kind": kind, "reason": reason, "with": opts.WithReports,
				"n": messages, "now": types.NowDateTime().String()}).Execute()
		if err != nil {
			return err
		}
		m.afterCommit(tx, func() {
			m.live.membersChanged(m.app, threadID, members)
			m.purges.poke()
		})
		return nil
	})
	return messages, err
}

// purgeJob is a queued purge (purgesTable).
type purgeJob struct {
	Thread      string `db:"thread"`
	ByID        string `db:"by_id"`
	ByKind      string `db:"by_kind"`
	Reason      string `db:"reason"`
	WithReports bool   `db:"with_reports"`
	Messages    int    `db:"messages"`
}

// purgeStep deletes one batch of the oldest queued purge's messages (with
// their versions; their files after the commit), or, when none is left,
// the thread row and the job, then fires OnThreadPurged.
func (m *Messaging) purgeStep() (more bool, err error) {
	var job purgeJob
	err = m.app.DB().NewQuery(`SELECT thread, by_id, by_kind, reason, with_reports, messages FROM ` + purgesTable +
		` ORDER BY created LIMIT 1`).One(&job)
	if err != nil {
		return false, nil // nothing queued
	}
	var ids, withFiles []string
	done := false
	err = m.app.RunInTransaction(func(tx core.App) error {
		db := tx.DB()
		p := dbx.Params{"t": job.Thread, "n": purgeStepBatch}
		if err := db.NewQuery(`SELECT id FROM messages WHERE thread = {:t} LIMIT {:n}`).Bind(p).Column(&ids); err != nil {
			return err
		}
		if len(ids) > 0 {
			in := dbx.Params{"ids": inParam(ids)}
			if err := db.NewQuery(`SELECT id FROM messages WHERE id IN (SELECT value FROM json_each({:ids}))
				AND ` + filesFieldName + ` NOT IN ('', '[]')`).Bind(in).Column(&withFiles); err != nil {
				return err
			}
			for _, q := range []string{
				`DELETE FROM ` + CollectionNameMessageVersions + ` WHERE message IN (SELECT value FROM json_each({:ids}))`,
				`DELETE FROM messages WHERE id IN (SELECT value FROM json_each({:ids}))`,
			} {
				if _, err := db.NewQuery(q).Bind(in).Execute(); err != nil {
					return err
				}
			}
			return nil
		}
		// The last step: the thread through PocketBase, for the site's
		// own relations to it, then the job.
		if thread, err := tx.FindRecordById(CollectionNameThreads, job.Thread); err == nil {
			if err := tx.Delete(thread); err != nil {
				return err
			}
		}
		done = true
		_, err := db.Delete(purgesTable, dbx.HashExp{"thread": job.Thread}).Execute()
		return err
	})
	if err != nil {
		return false, err
	}
	if len(withFiles) > 0 {
		if col, err := m.app.FindCachedCollectionByNameOrId(CollectionNameMessages); err == nil {
			m.deleteMessageFiles(col.Id, withFiles)
		}
	}
	if done {
		err = m.onThreadPurged.Trigger(&PurgeEvent{App: m.app, Thread: job.Thread, By: job.ByID, ByKind: job.ByKind,
			Reason: job.Reason, WithReports: job.WithReports, Messages: job.Messages})
		if err != nil {
			m.app.Logger().Error("messaging: OnThreadPurged handler failed", "error", err)
		}
	}
	return true, nil
}

// drainPurges runs every queued purge to its end, in this process (the
// CLI, which has no worker, and tests).
func (m *Messaging) drainPurges() error {
	for {
		more, err := m.purgeStep()
		if err != nil || !more {
			return err
		}
	}
}

// bindPurges runs queued purges on a stepWorker with the app's life.
func (m *Messaging) bindPurges() {
	m.purges = newStepWorker(m.app, "purge", 20*time.Millisecond, 1, m.purgeStep)
	m.purges.runWithApp(m.app, "Purge")
}

func (m *Messaging) handlePurge(e *core.RequestEvent) error {
	var in struct {
		Reason      string `json:"reason"`
		WithReports bool   `json:"withReports"`
	}
	if err := bind(e, &in); err != nil {
		return err
	}
	id := e.Request.PathValue("id")
	n, err := m.PurgeThread(e.Auth, id, PurgeOptions{Reason: in.Reason, WithReports: in.WithReports})
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusAccepted, map[string]any{"thread": id, "messages": n, "state": "purging"})
}

// purgeCommand is "messaging purge <thread> --reason …": it shows what
// will go, asks for "yes" (unless --yes) and purges to the end.
func (m *Messaging) purgeCommand() *cobra.Command {
	var reason string
	var withReports, yes bool
	cmd := &cobra.Command{
		Use:   "purge <thread id>",
		Short: "Delete a conversation for good, with its messages, memberships and notifications (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return fmt.Errorf("--reason is required: it is kept in messaging_audit")
			}
			if err := m.app.RunAllMigrations(); err != nil {
				return err
			}
			thread, err := m.app.FindRecordById(CollectionNameThreads, args[0])
			if err != nil {
				return fmt.Errorf("no conversation %q", args[0])
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Conversation %s: %q, %d members, %d messages.\n", thread.Id, thread.GetString("subject"),
				thread.GetInt("member_count"), thread.GetInt("last_seq"))
			if withReports {
				fmt.Fprintln(out, "The reports about it and their sealed evidence will be deleted too.")
			}
			if !yes {
				fmt.Fprint(out, `Type "yes" to delete it for good: `)
				answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if strings.TrimSpace(answer) != "yes" {
					return fmt.Errorf("not purged")
				}
			}
			n, err := m.PurgeThread(nil, thread.Id, PurgeOptions{Reason: reason, WithReports: withReports})
			if err != nil {
				return err
			}
			if err := m.drainPurges(); err != nil {
				return err
			}
			fmt.Fprintf(out, "purged conversation %s (%d messages)\n", thread.Id, n)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required; kept in messaging_audit)")
	cmd.Flags().BoolVar(&withReports, "with-reports", false, "also delete the reports about it and their sealed evidence (a legal erasure)")
	cmd.Flags().BoolVar(&yes, "yes", false, "don't ask for confirmation")
	return cmd
}

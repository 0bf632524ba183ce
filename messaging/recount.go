package messaging

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// CountFix is one unread count that Recount found wrong and corrected.
type CountFix struct {
	Member string `db:"id" json:"member"`
	Thread string `db:"thread" json:"thread"`
	User   string `db:"user" json:"user"`
	Was    int    `db:"unread" json:"was"`
	Now    int    `db:"expected" json:"now"`
}

// expectedUnreadSQL is the definition of an unread count: messages by
// someone else (system notes excluded; messages of a deleted user
// included, see deletion.go), not deleted, after the member's last read
// position; zero for a member who left. insertMessage, withUncount,
// MarkRead and MarkUnread maintain exactly this.
const expectedUnreadSQL = `CASE WHEN tm.[[left]] THEN 0 ELSE (
	SELECT COUNT(*) FROM {{messages}} msg
	WHERE msg.[[thread]] = tm.[[thread]] AND msg.[[seq]] > tm.[[last_read_seq]]
		AND (msg.[[author]] != '' OR msg.[[author_deleted]]) AND msg.[[author]] != tm.[[user]]
		AND msg.[[deleted]] = FALSE) END`

// Recount recomputes every member's unread count from the messages, in one
// transaction, and returns the counts it had to fix (none, when the
// counters never drifted). It also re-derives threads.members.
func (m *Messaging) Recount() ([]CountFix, error) {
	var fixes []CountFix
	err := m.app.RunInTransaction(func(tx core.App) error {
		err := tx.DB().NewQuery(`SELECT * FROM (SELECT tm.[[id]], tm.[[thread]], tm.[[user]], tm.[[unread]],
				` + expectedUnreadSQL + ` AS expected FROM {{thread_members}} tm)
			WHERE [[unread]] != [[expected]]`).All(&fixes)
		if err != nil {
			return err
		}
		for _, f := range fixes {
			_, err := tx.DB().Update(CollectionNameThreadMembers, dbx.Params{"unread": f.Now}, dbx.HashExp{"id": f.Member}).Execute()
			if err != nil {
				return err
			}
		}
		_, err = tx.DB().NewQuery("UPDATE threads SET members = " + currentMembersSQL).Execute()
		return err
	})
	return fixes, err
}

func (m *Messaging) recountCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "recount",
		Short: "Recompute every unread count from the messages and report the ones it fixed",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.app.RunAllMigrations(); err != nil {
				return err
			}
			fixes, err := m.Recount()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, f := range fixes {
				fmt.Fprintf(out, "fixed thread %s user %s: unread %d -> %d\n", f.Thread, f.User, f.Was, f.Now)
			}
			fmt.Fprintf(out, "%d unread count(s) fixed\n", len(fixes))
			return nil
		},
	}
}

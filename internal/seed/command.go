// Package seed fills a site with messaging data: a small demo (five users
// and their conversations, through the plugin's Go API) or benchmark-sized
// data (bulk SQL, see Bulk). It is the "messaging seed" command, which this
// repository's app adds under the plugin's "messaging" command:
//
//	pm := messaging.MustRegister(app, messaging.Config{RootCmd: app.RootCmd})
//	pm.Command().AddCommand(seed.Command(app, pm))
//
// It lives outside the messaging package because no site runs it to serve
// its members: it is development and benchmark tooling (cmd/msgbench
// drives it through the built app).
package seed

import (
	"fmt"
	"os"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// Command builds "seed" for app, whose messaging plugin is pm: demo data
// without size flags, bulk benchmark data with --users, --threads or
// --messages. Both run the app's migrations first.
func Command(app core.App, pm *messaging.Messaging) *cobra.Command {
	opts := Options{}
	var demo bool
	role := RoleOptions{}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Create demo data (default) or bulk benchmark data (--users/--threads/--messages)",
		Long: `Without size flags (or with --demo) seed creates five demo users
(alice, bob, carol, dave and erin @demo.example.com) with a few direct and group
conversations, through the plugin's Go API, and prints their logins.

With --users, --threads or --messages it bulk-inserts benchmark data with raw
SQL in large transactions: users user1..userN@example.com, threads of
--min-members..--max-members members (two-member threads are direct threads),
and messages spread over the threads, with every derived value (seq,
threads.members/last_seq/last_message, unread counts, inbox order) exactly as
the plugin maintains it, so "messaging recount" finds nothing to fix.
Seed a fresh --dir: bulk mode refuses a database that already has threads.

With --role-members N it then creates N users holding --role (default
"support"), <role>1..<role>N@example.com, with bulk SQL (the role is added
to the users.roles field when missing), after the demo data or the bulk
data; with --role-thread also one group conversation of all of them.
They sign in with --password when given (or in bulk mode), else with the
demo password.`,
		Example: `  pbmessaging messaging seed --dir pb_data
  pbmessaging messaging seed --users 10000 --threads 100000 --messages 1000000 --dir bench_data
  pbmessaging messaging seed --role support --role-members 10000 --dir pb_data`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			sized := cmd.Flags().Changed("users") || cmd.Flags().Changed("threads") || cmd.Flags().Changed("messages")
			if demo || !sized {
				if err := Demo(app, pm, cmd.OutOrStdout()); err != nil {
					return err
				}
			} else if err := bulkCommand(cmd, app, pm, opts); err != nil {
				return err
			}
			if role.Members == 0 {
				return nil
			}
			role.Password = demoPassword
			if sized || cmd.Flags().Changed("password") {
				role.Password = opts.Password
			}
			rs, err := RoleMembers(cmd.Context(), app, role)
			if err != nil {
				return err
			}
			// cmd/msgbench parses this line: keep its shape.
			fmt.Fprintf(cmd.OutOrStdout(), "seeded %d members of role %s in %.3fs", rs.Members, role.Role, rs.Elapsed.Seconds())
			if rs.Thread != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "; their conversation is thread %s", rs.Thread)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nthey sign in as %s … %s, password %q\n",
				roleEmail(role.Role, 1), roleEmail(role.Role, rs.Members), role.Password)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&demo, "demo", false, "create the small demo data set (the default when no sizes are given)")
	f.IntVar(&opts.Users, "users", 10000, "bulk mode: number of users")
	f.IntVar(&opts.Threads, "threads", 100000, "bulk mode: number of threads")
	f.IntVar(&opts.Messages, "messages", 100000, "bulk mode: number of messages")
	f.IntVar(&opts.MinMembers, "min-members", 2, "bulk mode: fewest members of a thread")
	f.IntVar(&opts.MaxMembers, "max-members", 5, "bulk mode: most members of a thread")
	f.StringVar(&opts.Password, "password", "benchpass123", "bulk mode: password of every user")
	f.Uint64Var(&opts.Seed, "seed", 1, "bulk mode: random seed")
	f.StringVar(&role.Role, "role", "support", "the role of the --role-members users")
	f.IntVar(&role.Members, "role-members", 0, "also create this many users holding --role (bulk SQL)")
	f.BoolVar(&role.Thread, "role-thread", false, "with --role-members: also one group conversation of all of them")
	return cmd
}

// bulkCommand runs Bulk and prints its summary.
func bulkCommand(cmd *cobra.Command, app core.App, pm *messaging.Messaging, opts Options) error {
	// PocketBase silences the root command's error writer.
	opts.Progress = os.Stderr
	stats, err := Bulk(cmd.Context(), app, pm, opts)
	if err != nil {
		return err
	}
	secs := stats.Elapsed.Seconds()
	// cmd/msgbench parses this line: keep its shape.
	fmt.Fprintf(cmd.OutOrStdout(), "seeded %d users, %d threads, %d memberships, %d messages (%d rows) in %.3fs: %.0f rows/s, %.0f messages/s\n",
		stats.Users, stats.Threads, stats.Members, stats.Messages, stats.Rows(), secs,
		float64(stats.Rows())/secs, float64(stats.Messages)/secs)
	fmt.Fprintf(cmd.OutOrStdout(), "users sign in as user1@example.com … user%d@example.com, password %q\n", stats.Users, opts.Password)
	return nil
}

package messaging

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// SeedOptions sizes the data "messaging seed" generates.
type SeedOptions struct {
	Users      int    // users to create
	Threads    int    // threads to create
	Messages   int    // messages, spread over the threads
	MinMembers int    // smallest thread, in members (2 = direct thread)
	MaxMembers int    // largest thread, in members
	Password   string // password of every seeded user
	Seed       uint64 // random seed; the same seed gives the same shape
	Progress   io.Writer
}

// SeedStats reports what Seed wrote and how fast.
type SeedStats struct {
	Users, Threads, Members, Messages int
	Elapsed                           time.Duration
}

// Rows is the number of rows written.
func (s SeedStats) Rows() int { return s.Users + s.Threads + s.Members + s.Messages }

// The demo users' password and email domain.
const (
	seedDemoPassword = "messaging123"
	seedDemoDomain   = "demo.example.com"
)

func (m *Messaging) seedCommand() *cobra.Command {
	opts := SeedOptions{}
	var demo bool
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
Seed a fresh --dir: bulk mode refuses a database that already has threads.`,
		Example: `  pbmessaging messaging seed --dir pb_data
  pbmessaging messaging seed --users 10000 --threads 100000 --messages 1000000 --dir bench_data`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.app.RunAllMigrations(); err != nil {
				return err
			}
			sized := cmd.Flags().Changed("users") || cmd.Flags().Changed("threads") || cmd.Flags().Changed("messages")
			if demo || !sized {
				return m.seedDemo(cmd.OutOrStdout())
			}
			// PocketBase silences the root command's error writer.
			opts.Progress = os.Stderr
			stats, err := m.Seed(cmd.Context(), opts)
			if err != nil {
				return err
			}
			secs := stats.Elapsed.Seconds()
			fmt.Fprintf(cmd.OutOrStdout(), "seeded %d users, %d threads, %d memberships, %d messages (%d rows) in %.3fs: %.0f rows/s, %.0f messages/s\n",
				stats.Users, stats.Threads, stats.Members, stats.Messages, stats.Rows(), secs,
				float64(stats.Rows())/secs, float64(stats.Messages)/secs)
			fmt.Fprintf(cmd.OutOrStdout(), "users sign in as user1@example.com … user%d@example.com, password %q\n", stats.Users, opts.Password)
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
	return cmd
}

// seedDemo creates the demo users and conversations through the Go API,
// so it exercises exactly the code paths of a real site. It does nothing
// but print the logins when the demo users already exist.
func (m *Messaging) seedDemo(out io.Writer) error {
	// Demo users get a domain of their own, so they never collide with
	// accounts the site already has.
	names := []string{"alice", "bob", "carol", "dave", "erin"}
	email := func(name string) string { return name + "@" + seedDemoDomain }
	printLogins := func() {
		fmt.Fprintln(out, "demo logins (password "+strconv.Quote(seedDemoPassword)+"):")
		for _, n := range names {
			fmt.Fprintf(out, "  %s\n", email(n))
		}
	}
	if existing, err := m.app.FindAuthRecordByEmail(CollectionNameUsers, email(names[0])); err == nil {
		if !existing.ValidatePassword(seedDemoPassword) {
			return fmt.Errorf("seed: %s exists with another password; delete the demo users to seed them again", email(names[0]))
		}
		fmt.Fprintln(out, "demo data already present")
		printLogins()
		return nil
	}
	col, err := m.app.FindCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return err
	}
	ids := map[string]string{}
	for _, n := range names {
		u := core.NewRecord(col)
		u.SetEmail(email(n))
		u.SetPassword(seedDemoPassword)
		u.SetVerified(true)
		u.Set("name", strings.ToUpper(n[:1])+n[1:])
		u.Set("username", n+".demo")
		if err := m.app.Save(u); err != nil {
			return fmt.Errorf("seed: user %s: %w", n, err)
		}
		ids[n] = u.Id
	}
	start := func(from string, to []string, subject string, bodies ...string) (string, error) {
		var rec []string
		for _, t := range to {
			rec = append(rec, ids[t])
		}
		thread, _, err := m.Start(ids[from], rec, subject, bodies[0])
		if err != nil {
			return "", err
		}
		return thread.Id, nil
	}
	type line struct{ from, body string }
	convos := []struct {
		from    string
		to      []string
		subject string
		lines   []line
		readBy  []string
	}{
		{"alice", []string{"bob"}, "", []line{
			{"alice", "Hi Bob! Are we still on for lunch tomorrow?"},
			{"bob", "Yes! 12:30 at the usual place?"},
			{"alice", "Perfect, see you there."},
			{"bob", "Bringing the printouts for the review too."},
		}, nil},
		{"carol", []string{"alice", "bob", "dave"}, "Weekend hike", []line{
			{"carol", "Who's in for the ridge trail on Saturday?"},
			{"dave", "Count me in."},
			{"alice", "Me too, if we start after 9."},
			{"carol", "9:30 at the trailhead then. Bring water!"},
			{"bob", "I'll drive, I have room for three."},
		}, []string{"carol", "dave"}},
		{"dave", []string{"erin"}, "", []line{
			{"dave", "Erin, did you get the invoice I sent?"},
			{"erin", "Got it, paying it today."},
		}, []string{"dave"}},
		{"erin", []string{"alice", "carol"}, "Book club", []line{
			{"erin", "Next book: suggestions please!"},
			{"alice", "How about The Left Hand of Darkness?"},
		}, nil},
	}
	for _, c := range convos {
		thread, err := start(c.from, c.to, c.subject, c.lines[0].body)
		if err != nil {
			return fmt.Errorf("seed: demo thread: %w", err)
		}
		for _, l := range c.lines[1:] {
			if _, err := m.Send(ids[l.from], thread, l.body); err != nil {
				return fmt.Errorf("seed: demo message: %w", err)
			}
		}
		for _, r := range c.readBy {
			if err := m.MarkRead(ids[r], thread); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(out, "seeded %d demo users and %d conversations\n", len(names), len(convos))
	printLogins()
	return nil
}

package seed

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
)

// The demo users' password and email domain, and the role alice holds.
const (
	demoPassword = "messaging123"
	demoDomain   = "demo.example.com"
	// demoStaffRole is alice's role: a site owner who lists it in the
	// role_message_roles setting lets her message whole roles and make
	// announcements (README walkthrough). It is no moderator role, so
	// alice is otherwise a member like the others.
	demoStaffRole = "staff"
)

// Demo creates five demo users and four conversations through pm's Go API,
// so it exercises exactly the code paths of a real site, and prints the
// logins to out. It does nothing but print them when the demo users
// already exist.
func Demo(app core.App, pm *messaging.Messaging, out io.Writer) error {
	// Demo users get a domain of their own, so they never collide with
	// accounts the site already has.
	names := []string{"alice", "bob", "carol", "dave", "erin"}
	email := func(name string) string { return name + "@" + demoDomain }
	printLogins := func() {
		fmt.Fprintln(out, "demo logins (password "+strconv.Quote(demoPassword)+"):")
		for _, n := range names {
			if n == "alice" {
				fmt.Fprintf(out, "  %s (role %q)\n", email(n), demoStaffRole)
				continue
			}
			fmt.Fprintf(out, "  %s\n", email(n))
		}
	}
	if existing, err := app.FindAuthRecordByEmail(messaging.CollectionNameUsers, email(names[0])); err == nil {
		if !existing.ValidatePassword(demoPassword) {
			return fmt.Errorf("seed: %s exists with another password; delete the demo users to seed them again", email(names[0]))
		}
		fmt.Fprintln(out, "demo data already present")
		printLogins()
		return nil
	}
	if err := EnsureRoleValue(app, demoStaffRole); err != nil {
		return err
	}
	col, err := app.FindCollectionByNameOrId(messaging.CollectionNameUsers)
	if err != nil {
		return err
	}
	ids := map[string]string{}
	for _, n := range names {
		u := core.NewRecord(col)
		u.SetEmail(email(n))
		u.SetPassword(demoPassword)
		u.SetVerified(true)
		u.Set("name", strings.ToUpper(n[:1])+n[1:])
		u.Set("username", n+".demo")
		if n == "alice" {
			u.Set("roles", []string{demoStaffRole})
		}
		if err := app.Save(u); err != nil {
			return fmt.Errorf("seed: user %s: %w", n, err)
		}
		ids[n] = u.Id
	}
	// Dave moderates (moderator_roles has "moderator" by default), so a
	// walkthrough can handle a report in the inbox's moderator view.
	if err := giveRole(app, ids["dave"], "moderator"); err != nil {
		return err
	}
	start := func(from string, to []string, subject string, bodies ...string) (string, error) {
		var rec []string
		for _, t := range to {
			rec = append(rec, ids[t])
		}
		thread, _, err := pm.Start(ids[from], rec, subject, bodies[0])
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
			if _, err := pm.Send(ids[l.from], thread, l.body); err != nil {
				return fmt.Errorf("seed: demo message: %w", err)
			}
		}
		for _, r := range c.readBy {
			if err := pm.MarkRead(ids[r], thread); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(out, "seeded %d demo users and %d conversations\n", len(names), len(convos))
	printLogins()
	return nil
}

// giveRole adds role to the user's roles.
func giveRole(app core.App, id, role string) error {
	u, err := app.FindRecordById(messaging.CollectionNameUsers, id)
	if err != nil {
		return err
	}
	u.Set("roles+", role)
	if err := app.Save(u); err != nil {
		return fmt.Errorf("seed: role %s: %w", role, err)
	}
	return nil
}

package seed_test

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/internal/seed"
	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/spf13/cobra"
)

// "messaging seed --role support --role-members 50 --role-thread" after
// nothing else: the demo (alice holding "staff"), then 50 users holding
// "support" who sign in with the demo password, the role added to
// users.roles, and their conversation exactly as the plugin derives it:
// Recount fixes nothing and re-derives the same preview and count, and a
// post through the plugin (a background fan-out: the threshold is below
// 50) carries on from the seeded counters. A second run refuses.
func TestSeedRoleMembers(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	root := &cobra.Command{Use: "app"}
	pm := messaging.MustRegister(app, messaging.Config{RootCmd: root, FanOutThreshold: 10})
	pm.Command().AddCommand(seed.Command(app, pm))
	run := func() (string, error) {
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs([]string{"messaging", "seed", "--role", "support", "--role-members", "50", "--role-thread"})
		err := root.Execute()
		return out.String(), err
	}
	out, err := run()
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`seeded 50 members of role support in [0-9.]+s; their conversation is thread (\w+)`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, `support50@example.com, password "messaging123"`) {
		t.Fatalf("output:\n%s", out)
	}
	thread := m[1]

	users, _ := app.FindCollectionByNameOrId(messaging.CollectionNameUsers)
	field := users.Fields.GetByName("roles").(*core.SelectField)
	if !slices.Contains(field.Values, "support") || !slices.Contains(field.Values, "staff") || field.MaxSelect != len(field.Values) {
		t.Fatalf("users.roles: values %v, max select %d", field.Values, field.MaxSelect)
	}
	alice, err := app.FindAuthRecordByEmail(messaging.CollectionNameUsers, "alice@demo.example.com")
	if err != nil || !slices.Equal(alice.GetStringSlice("roles"), []string{"staff"}) {
		t.Fatalf("demo alice: %v, roles %v", err, alice.GetStringSlice("roles"))
	}
	var holders int
	if err := app.DB().NewQuery(`SELECT COUNT(*) FROM users, json_each(users.roles) r WHERE r.value = 'support'`).Row(&holders); err != nil || holders != 50 {
		t.Fatalf("%d users hold support (%v)", holders, err)
	}
	last, err := app.FindAuthRecordByEmail(messaging.CollectionNameUsers, "support50@example.com")
	if err != nil || !last.ValidatePassword("messaging123") {
		t.Fatalf("support50 can't sign in with the printed password: %v", err)
	}

	type derived struct {
		Members string `db:"members"`
		Count   int    `db:"member_count"`
	}
	read := func() derived {
		var d derived
		if err := app.DB().NewQuery("SELECT members, member_count FROM threads WHERE id = {:t}").Bind(dbx.Params{"t": thread}).One(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	seeded := read()
	if fixes, err := pm.Recount(); err != nil || len(fixes) != 0 {
		t.Fatalf("recount fixed %d unread counts (%v): %+v", len(fixes), err, fixes)
	}
	if again := read(); again != seeded || seeded.Count != 50 || strings.Count(seeded.Members, ",") != 49 {
		t.Fatalf("seeded %+v, derived %+v", seeded, again)
	}

	unread := func(email string) int {
		var n int
		err := app.DB().NewQuery(`SELECT tm.unread FROM thread_members tm JOIN users u ON u.id = tm.user
			WHERE tm.thread = {:t} AND u.email = {:e}`).Bind(dbx.Params{"t": thread, "e": email}).Row(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	second, _ := app.FindAuthRecordByEmail(messaging.CollectionNameUsers, "support2@example.com")
	if _, err := pm.Send(second.Id, thread, "Hello, support."); err != nil {
		t.Fatal(err)
	}
	if fixes, err := pm.Recount(); err != nil || len(fixes) != 0 { // drains the fan-out first
		t.Fatalf("after a post, recount fixed %d unread counts (%v)", len(fixes), err)
	}
	for email, want := range map[string]int{"support1@example.com": 1, "support2@example.com": 0, "support3@example.com": 2, "support50@example.com": 2} {
		if got := unread(email); got != want {
			t.Errorf("%s: unread %d, want %d", email, got, want)
		}
	}

	if out, err := run(); err == nil || !strings.Contains(err.Error(), "seeded already") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
}

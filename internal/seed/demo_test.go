package seed_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/internal/seed"
	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/spf13/cobra"
)

// "messaging seed", wired as main.go does, creates demo users that can sign in with the printed
// password, next to the site's own alice@example.com, and a second run
// changes nothing.
func TestSeedDemo(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	root := &cobra.Command{Use: "app"}
	pm := messaging.MustRegister(app, messaging.Config{RootCmd: root})
	pm.Command().AddCommand(seed.Command(app, pm)) // as main.go does
	mustUser(t, app, "alice", "secret-pass-1")     // alice@example.com, another password

	run := func() string {
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs([]string{"messaging", "seed"})
		if err := root.Execute(); err != nil {
			t.Fatalf("seed: %v\n%s", err, out.String())
		}
		return out.String()
	}
	first := run()
	if !strings.Contains(first, "alice@demo.example.com") || !strings.Contains(first, `"messaging123"`) {
		t.Fatalf("logins not printed:\n%s", first)
	}
	demo, err := app.FindAuthRecordByEmail("users", "alice@demo.example.com")
	if err != nil || !demo.ValidatePassword("messaging123") {
		t.Fatalf("demo alice can't sign in with the printed password: %v", err)
	}
	// Demo dave moderates (the README's walkthrough of a report), the others don't.
	for name, want := range map[string]bool{"dave": true, "alice": false, "bob": false} {
		u, err := app.FindAuthRecordByEmail("users", name+"@demo.example.com")
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(u.GetStringSlice("roles"), "moderator"); got != want {
			t.Errorf("demo %s holds the moderator role: %v, want %v", name, got, want)
		}
	}
	page, err := pm.Inbox(demo.Id, messaging.InboxQuery{})
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("demo alice's inbox: %d threads, %v", len(page.Items), err)
	}
	threads, _ := app.CountRecords(messaging.CollectionNameThreads)
	if second := run(); !strings.Contains(second, "already present") {
		t.Fatalf("second run:\n%s", second)
	}
	if again, _ := app.CountRecords(messaging.CollectionNameThreads); again != threads {
		t.Fatalf("second run changed the threads: %d -> %d", threads, again)
	}
}

// mustUser creates name@example.com with password.
func mustUser(t *testing.T, app core.App, name, password string) *core.Record {
	t.Helper()
	col, err := app.FindCollectionByNameOrId(messaging.CollectionNameUsers)
	if err != nil {
		t.Fatal(err)
	}
	u := core.NewRecord(col)
	u.SetEmail(name + "@example.com")
	u.SetPassword(password)
	u.Set("name", strings.ToUpper(name[:1])+name[1:])
	u.Set("username", name)
	if err := app.Save(u); err != nil {
		t.Fatal(err)
	}
	return u
}

package messaging_test

import (
	"slices"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// newRoleFixture is the fixture with two more roles, "staff" (the
// role_message_roles unless cfg says otherwise) and "support", and two
// more users: sam (staff) and mod (moderator).
func newRoleFixture(t testing.TB, cfg messaging.Config) *fixture {
	t.Helper()
	f := newFixture(t, rolesConfig(cfg))
	f.addRoleCast()
	return f
}

// rolesConfig makes staff the role_message_roles unless cfg sets them.
func rolesConfig(cfg messaging.Config) messaging.Config {
	if cfg.RoleMessageRoles == nil {
		cfg.RoleMessageRoles = []string{"staff"}
	}
	return cfg
}

// addRoleCast adds the roles and users of newRoleFixture.
func (f *fixture) addRoleCast() {
	f.t.Helper()
	users, err := f.app.FindCollectionByNameOrId("users")
	f.must(err)
	sel := users.Fields.GetByName("roles").(*core.SelectField)
	sel.Values = append(sel.Values, "staff", "support")
	sel.MaxSelect = len(sel.Values)
	f.must(f.app.Save(users))
	for _, who := range [][2]string{{"sam", "staff"}, {"mod", "moderator"}} {
		u := f.mustUser(who[0])
		u.Set("roles", []string{who[1]})
		f.must(f.app.Save(u))
		f.users[who[0]] = u
	}
}

// seedRole creates n users holding role with SQL, ids prefix + a number
// (15 characters in all), and returns their ids in order.
func (f *fixture) seedRole(role, prefix string, n int) []string {
	f.t.Helper()
	at := types.NowDateTime().String()
	_, err := f.app.DB().NewQuery(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {:n})
		INSERT INTO users (id, email, password, tokenKey, name, username, roles, created, updated)
		SELECT printf('%s%012d', {:p}, n), printf('%s%d@example.com', {:p}, n), 'x', printf('tk%s%d', {:p}, n),
			printf('%s %d', {:p}, n), printf('%s%d', {:p}, n), json_array({:role}), {:at}, {:at} FROM seq`).
		Bind(dbx.Params{"n": n, "p": prefix, "role": role, "at": at}).Execute()
	f.must(err)
	var ids []string
	f.must(f.app.DB().NewQuery(`SELECT id FROM users WHERE id LIKE {:p} ORDER BY id`).
		Bind(dbx.Params{"p": prefix + "%"}).Column(&ids))
	return ids
}

// giveRole adds role to the named users.
func (f *fixture) giveRole(role string, names ...string) {
	f.t.Helper()
	for _, n := range names {
		u, err := f.app.FindRecordById("users", f.id(n)) // the collection changed since
		f.must(err)
		u.Set("roles", append(slices.Clone(u.GetStringSlice("roles")), role))
		f.must(f.app.Save(u))
		f.users[n] = u
	}
}

// startRoles has from start a conversation with opts from Go.
func (f *fixture) startRoles(from string, to []string, opts messaging.StartOptions) (thread, msg *core.Record) {
	f.t.Helper()
	ids := make([]string, len(to))
	for i, n := range to {
		ids[i] = f.id(n)
	}
	thread, msg, err := f.pm.StartWith(f.id(from), ids, "To a role", "hello-role", opts)
	if err != nil {
		f.t.Fatalf("start %s -> %v %+v: %v", from, to, opts, err)
	}
	return thread, msg
}

// memberIDs returns the thread's member rows' users (left ones too),
// failing on a user listed twice.
func memberIDs(t testing.TB, app core.App, thread string) []string {
	t.Helper()
	var ids []string
	if err := app.DB().NewQuery(`SELECT user FROM thread_members WHERE thread = {:t} ORDER BY user`).
		Bind(dbx.Params{"t": thread}).Column(&ids); err != nil {
		t.Fatal(err)
	}
	if c := slices.Compact(slices.Clone(ids)); len(c) != len(ids) {
		t.Fatalf("a member is in the thread twice")
	}
	return ids
}

// expansionsLeft is how many expansions are pending or running.
func expansionsLeft(t testing.TB, app core.App) int {
	t.Helper()
	var n int
	if err := app.DB().NewQuery(`SELECT COUNT(*) FROM messaging_expansions WHERE state IN ('pending', 'running')`).Row(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// noFixes fails unless Recount finds every count right.
func noFixes(t testing.TB, pm *messaging.Messaging) {
	t.Helper()
	fixes, err := pm.Recount()
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) > 0 {
		t.Fatalf("Recount fixed %d counts, e.g. %+v", len(fixes), fixes[0])
	}
}

// projectType is a custom recipient type for tests: projects "p1" (bob,
// carol, dave) and "p2" (nobody), pages of two members; only sam may use it.
func projectType(f *fixture) messaging.RecipientType {
	projects := map[string][]string{"p1": {f.id("bob"), f.id("carol"), f.id("dave")}, "p2": nil}
	return messaging.RecipientType{
		Name: "project",
		Lookup: func(_ core.App, _ *core.Record, q string, limit int) ([]messaging.RecipientEntry, error) {
			var out []messaging.RecipientEntry
			for _, id := range []string{"p1", "p2"} {
				if len(out) < limit && (q == "p" || q == id) {
					out = append(out, messaging.RecipientEntry{ID: id, Name: "Project " + id, MemberCount: len(projects[id])})
				}
			}
			return out, nil
		},
		Members: func(_ core.App, id, after string, limit int) ([]string, string, error) {
			all, ok := projects[id]
			if !ok {
				return nil, "", messaging.ErrUnknownRecipient
			}
			from := 0
			if after != "" {
				from = slices.Index(all, after) + 1
			}
			end := min(from+2, len(all))
			next := ""
			if end < len(all) {
				next = all[end-1]
			}
			return all[from:end], next, nil
		},
		MayUse: func(_ core.App, sender *core.Record) bool { return sender.Id == f.id("sam") },
	}
}

package messaging_test

import (
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"
)

// fixture is a fresh app with the plugin and a cast of users:
// alice, bob and carol are members; dave is nobody's contact; admin holds
// the admin role (unblockable); off has messaging turned off.
type fixture struct {
	t     testing.TB
	app   *tests.TestApp
	pm    *messaging.Messaging
	users map[string]*core.Record
}

func newFixture(t testing.TB, cfg messaging.Config) *fixture {
	t.Helper()
	dir, err := fixtureTemplate()
	if err != nil {
		t.Fatal(err)
	}
	app, err := tests.NewTestApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(cfg.AntiSpam).IsZero() {
		// Most tests seed in bulk (many messages a second, many threads
		// from one new account): anti-spam is off unless a test sets any
		// of its fields (antispam_test.go).
		cfg.AntiSpam = messaging.AntiSpamConfig{MinAccountAgeHours: -1, NewAccountDays: -1,
			NewAccountConversationsPerDay: -1, NewAccountMaxRecipients: -1, MessagesPerMinute: -1, NewPeoplePerWeek: -1}
	}
	pm, err := messaging.Register(app, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, app: app, pm: pm, users: map[string]*core.Record{}}
	for _, name := range cast {
		u, err := app.FindFirstRecordByData("users", "username", name)
		if err != nil {
			t.Fatal(err)
		}
		f.users[name] = u
	}
	return f
}

// cast are the fixture's users.
var cast = []string{"alice", "bob", "carol", "dave", "admin", "off"}

// fixtureTemplate returns a data dir with every migration applied and the
// cast created, made once per test binary (TestMain removes it): a fresh
// app runs every migration of PocketBase and the plugin, about a second
// on a busy machine, and the package builds hundreds of fixtures, each a
// copy of this one (tests.NewTestApp clones the dir it is given).
var fixtureTemplate = sync.OnceValues(func() (string, error) {
	empty, err := os.MkdirTemp("", "messaging-empty-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(empty)
	app, err := tests.NewTestApp(empty)
	if err != nil {
		return "", err
	}
	pm, err := messaging.Register(app, messaging.Config{})
	if err == nil {
		for _, name := range cast {
			var u *core.Record
			if u, err = newCastUser(app, name); err != nil {
				break
			}
			if name == "off" {
				if err = pm.SetPreferences(u.Id, messaging.Preferences{MessagingOff: true}); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		app.Cleanup()
		return "", err
	}
	// Closing the databases writes everything into the files copied.
	app.ResetBootstrapState()
	return app.DataDir(), nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := fixtureTemplate(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func (f *fixture) mustUser(name string) *core.Record {
	f.t.Helper()
	u, err := newCastUser(f.app, name)
	if err != nil {
		f.t.Fatal(err)
	}
	if name == "off" {
		f.must(f.pm.SetPreferences(u.Id, messaging.Preferences{MessagingOff: true}))
	}
	return u
}

// newCastUser creates the user name (e-mail name@example.com, password
// "secret-pass-1"; "admin" holds the admin role).
func newCastUser(app core.App, name string) (*core.Record, error) {
	col, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return nil, err
	}
	u := core.NewRecord(col)
	u.SetEmail(name + "@example.com")
	u.SetRaw(core.FieldNamePassword, &core.PasswordFieldValue{Hash: passwordHash(col)})
	u.Set("name", strings.ToUpper(name[:1])+name[1:])
	u.Set("username", name)
	if name == "admin" {
		u.Set("roles", []string{"admin"})
	}
	return u, app.Save(u)
}

// setOff turns messaging off for the named user, through their own
// preferences.
func (f *fixture) setOff(name string) {
	f.t.Helper()
	f.must(f.pm.SetPreferences(f.users[name].Id, messaging.Preferences{MessagingOff: true}))
}

// passwordHash is the bcrypt hash of "secret-pass-1", computed once: at
// about 60 ms a hash, hashing per user would dominate every fixture.
var passwordHash = func() func(*core.Collection) string {
	var once sync.Once
	var hash string
	return func(users *core.Collection) string {
		once.Do(func() {
			r := core.NewRecord(users)
			r.SetPassword("secret-pass-1")
			hash = r.GetString(core.FieldNamePassword + ":hash")
		})
		return hash
	}
}()

func (f *fixture) id(name string) string { return f.users[name].Id }

// token is an auth header for the named user, or a superuser for "superuser".
func (f *fixture) token(name string) map[string]string {
	f.t.Helper()
	var rec *core.Record
	if name == "superuser" {
		col, _ := f.app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
		rec = core.NewRecord(col)
		rec.SetEmail("root@example.com")
		rec.SetRaw(core.FieldNamePassword, &core.PasswordFieldValue{Hash: passwordHash(col)})
		if existing, err := f.app.FindAuthRecordByEmail(core.CollectionNameSuperusers, "root@example.com"); err == nil {
			rec = existing
		} else if err := f.app.Save(rec); err != nil {
			f.t.Fatal(err)
		}
	} else {
		rec = f.users[name]
	}
	tok, err := rec.NewAuthToken()
	if err != nil {
		f.t.Fatal(err)
	}
	return map[string]string{"Authorization": tok}
}

// start has from start a conversation and fails the test on error.
func (f *fixture) start(from string, to []string, subject, body string) (thread, msg *core.Record) {
	f.t.Helper()
	ids := make([]string, len(to))
	for i, n := range to {
		ids[i] = f.id(n)
	}
	thread, msg, err := f.pm.Start(f.id(from), ids, subject, body)
	if err != nil {
		f.t.Fatalf("start %s -> %v: %v", from, to, err)
	}
	return thread, msg
}

func (f *fixture) send(from, thread, body string) *core.Record {
	f.t.Helper()
	msg, err := f.pm.Send(f.id(from), thread, body)
	if err != nil {
		f.t.Fatalf("send %s: %v", from, err)
	}
	return msg
}

func (f *fixture) unread(user, thread string) int {
	f.t.Helper()
	m, err := f.app.FindFirstRecordByFilter("thread_members", "thread = {:t} && user = {:u}",
		map[string]any{"t": thread, "u": f.id(user)})
	if err != nil {
		f.t.Fatal(err)
	}
	return m.GetInt("unread")
}

// age moves a message's created time back, so that the edit window has
// passed without waiting for it.
func (f *fixture) age(msgID string, by time.Duration) {
	f.t.Helper()
	_, err := f.app.DB().NewQuery("UPDATE messages SET created = {:c} WHERE id = {:id}").
		Bind(dbx.Params{"c": types.NowDateTime().Add(-by).String(), "id": msgID}).Execute()
	f.must(err)
}

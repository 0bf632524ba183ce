package messaging_test

import (
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// Values that sites had on users before preferences had a collection of
// their own are moved, and the users fields go.
func TestPreferencesMigration_MovesValuesOffUsers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.must(messaging.MigrateReachDownForTest(f.app))     // which came later
	f.must(messaging.MigrateEmailModeDownForTest(f.app)) // which came later
	f.must(messaging.MigratePreferencesDownForTest(f.app))
	for name, vals := range map[string][2]bool{"alice": {true, false}, "bob": {false, true}} {
		u, err := f.app.FindRecordById("users", f.id(name))
		f.must(err)
		u.Set("messaging_off", vals[0])
		u.Set("message_emails_off", vals[1])
		f.must(f.app.Save(u))
	}
	f.must(messaging.MigratePreferencesUpForTest(f.app))
	f.must(messaging.MigrateReadReceiptsUpForTest(f.app)) // which came later
	f.must(messaging.MigrateEmailModeUpForTest(f.app))
	f.must(messaging.MigrateReachUpForTest(f.app))

	for name, want := range map[string]messaging.Preferences{
		"alice": {MessagingOff: true}, "bob": {EmailNotifications: messaging.EmailNone}, "carol": {}, "off": {MessagingOff: true},
	} {
		if want.EmailNotifications == "" {
			want.EmailNotifications = messaging.EmailDefault
		}
		want.WhoCanMessage = messaging.ReachDefault
		if got, err := f.pm.Preferences(f.id(name)); err != nil || got != want {
			t.Errorf("%s: %+v (%v), want %+v", name, got, err, want)
		}
	}
	users, err := f.app.FindCollectionByNameOrId("users")
	f.must(err)
	for _, name := range []string{"messaging_off", "message_emails_off"} {
		if users.Fields.GetByName(name) != nil {
			t.Errorf("users still has %s", name)
		}
	}
}

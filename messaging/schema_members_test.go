package messaging_test

import (
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// The migrations of member removal, read receipts and the inbox options
// come down cleanly, in reverse order, and go up again.
func TestMembersMigrations_DownAndUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	fields := map[string][]string{
		messaging.CollectionNameSettings:      {"message_order", "composer_position"},
		messaging.CollectionNameThreadMembers: {"removed"},
		messaging.CollectionNamePreferences:   {"read_receipts_off"},
	}
	check := func(want bool) {
		t.Helper()
		for col, names := range fields {
			c, err := f.app.FindCollectionByNameOrId(col)
			f.must(err)
			for _, n := range names {
				if (c.Fields.GetByName(n) != nil) != want {
					t.Errorf("%s.%s present = %v, want %v", col, n, !want, want)
				}
			}
		}
		members, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreadMembers)
		f.must(err)
		if strings.Contains(*members.UpdateRule, "removed") != want {
			t.Errorf("thread_members update rule: %s", *members.UpdateRule)
		}
	}
	check(true)
	migs := messaging.MembersMigrationsForTest()
	for i := len(migs) - 1; i >= 0; i-- {
		f.must(migs[i][1](f.app))
	}
	check(false)
	for _, m := range migs {
		f.must(m[0](f.app))
	}
	check(true)
}

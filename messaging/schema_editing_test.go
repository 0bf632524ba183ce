package messaging_test

import (
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
)

// The editing and formats migrations go down and up again: the columns,
// the collection, the settings fields and the update rule go and come
// back, and messages written before the formats migration get the plain
// html of their body.
func TestSchema_FormatsAndEditingDownUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, _ := f.start("alice", []string{"bob"}, "", "a < b\nsecond line")
	f.must(f.app.RunInTransaction(func(tx core.App) error {
		if err := messaging.MigrateEditingDownForTest(tx); err != nil {
			return err
		}
		return messaging.MigrateFormatsDownForTest(tx)
	}))
	messages, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
	f.must(err)
	if messages.Fields.GetByName("html") != nil || messages.Fields.GetByName("edited") != nil || messages.UpdateRule != nil {
		t.Fatal("down left messages.html, edited or the update rule")
	}
	if _, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameMessageVersions); err == nil {
		t.Fatal("down left message_versions")
	}
	f.must(f.app.RunInTransaction(func(tx core.App) error {
		if err := messaging.MigrateFormatsUpForTest(tx); err != nil {
			return err
		}
		return messaging.MigrateEditingUpForTest(tx)
	}))
	page, err := f.pm.Messages(f.id("bob"), thread.Id, "", 10)
	f.must(err)
	if got := page.Items[0].HTML; got != "<p>a &lt; b<br>\nsecond line</p>" {
		t.Errorf("backfilled html %q", got)
	}
	if _, err := f.pm.Edit(f.id("alice"), page.Items[0].ID, "edited"); err != nil {
		t.Fatal(err)
	}
	if v := f.versions(page.Items[0].ID); len(v) != 1 || v[0] != "a < b\nsecond line" {
		t.Errorf("versions after up: %q", v)
	}
}

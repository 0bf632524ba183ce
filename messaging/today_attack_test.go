package messaging_test

// An attacker's review of the features added for issues 13 and 14
// (roles, announcements, reports, moderation, retention, oversight,
// deleted users): each test is a path a hostile member or moderator
// tried. Tests named ..._Hole showed a hole before its fix.

import (
	"net/http"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// A deleted user's edited message, under deleted_user_messages =
// "remove", is erased as its author's delete would: its earlier bodies
// go too. Before the fix the versions stayed, and a moderator member (or
// a superuser) read the "removed" text through /versions.
func TestTodayAttack_RemovedUserVersions_Hole(t *testing.T) {
	t.Parallel()
	var msgID string
	runCases(t, []apiCase{{
		name: "moderator member reads no version of a removed user's message",
		cfg:  messaging.Config{ModeratorRoles: []string{"admin"}},
		build: func(f *fixture) tests.ApiScenario {
			f.setting("deleted_user_messages", "remove")
			thread, msg := f.start("alice", []string{"bob", "admin"}, "", "the first secret")
			_ = thread
			_, err := f.pm.Edit(f.id("alice"), msg.Id, "second")
			f.must(err)
			msgID = msg.Id
			f.must(f.app.Delete(f.users["alice"]))
			var n int
			f.must(f.app.DB().NewQuery("SELECT COUNT(*) FROM message_versions WHERE message = {:m}").
				Bind(dbx.Params{"m": msgID}).Row(&n))
			if n != 0 {
				f.t.Errorf("%d versions left of a removed message", n)
			}
			return expect(f.as("admin", http.MethodGet, "/api/messaging/messages/"+msgID+"/versions", nil), 200,
				[]string{`"items":[]`}, "first secret")
		},
	}})
}

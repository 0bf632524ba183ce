package messaging_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"github.com/pbmessaging/pbmessaging/messaging"
)

const keptSecret = "the kept secret"

// settingCase is a case on a fresh fixture, world not built.
func settingCase(name string, build func(f *fixture) tests.ApiScenario) apiCase {
	return apiCase{name: name, build: build}
}

// noCountDrift fails the test when Recount finds any count to fix.
func (f *fixture) noCountDrift() {
	f.t.Helper()
	if fixes, err := f.pm.Recount(); err != nil || len(fixes) != 0 {
		f.t.Errorf("recount: %v fixes (%v), want none", fixes, err)
	}
}

// lastMessage is the id of the thread's newest message.
func (f *fixture) lastMessage(threadID string) string {
	f.t.Helper()
	var id string
	f.must(f.app.DB().NewQuery("SELECT id FROM messages WHERE thread = {:t} ORDER BY seq DESC LIMIT 1").
		Bind(dbx.Params{"t": threadID}).Row(&id))
	return id
}

// keptRows counts the kept deleted bodies, all or of one message.
func (f *fixture) keptRows(msgID string) int {
	f.t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM " + messaging.DeletedBodiesTableForTest
	if msgID != "" {
		q += " WHERE message = {:m}"
	}
	f.must(f.app.DB().NewQuery(q).Bind(dbx.Params{"m": msgID}).Row(&n))
	return n
}

// deletedSecret is a message of alice's in the world's group, with the
// moderator admin a member of it, deleted by alice while the site keeps
// deleted bodies for 30 days and lets moderators read them.
func deletedSecret(f *fixture, w world) string {
	f.setting("deleted_retention_days", "30")
	f.setting("moderators_read_deleted", true)
	f.must(f.pm.AddMembers(f.id("alice"), w.group, []string{f.id("admin")}))
	msg := f.send("alice", w.group, keptSecret)
	f.must(f.pm.DeleteMessage(f.id("alice"), msg.Id))
	return msg.Id
}

func TestRetention_ReadDeleted(t *testing.T) {
	t.Parallel()
	get := func(f *fixture, who, id string) tests.ApiScenario {
		return f.as(who, http.MethodGet, editURL(id)+"/deleted", nil)
	}
	runCases(t, []apiCase{
		worldCase("anonymous → 401", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "", deletedSecret(f, w)), 401, []string{`"status":401`}, keptSecret)
		}),
		worldCase("author → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "alice", deletedSecret(f, w)), 404, []string{notFoundBody}, keptSecret)
		}),
		worldCase("other member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "bob", deletedSecret(f, w)), 404, []string{notFoundBody}, keptSecret)
		}),
		worldCase("non-member → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "dave", deletedSecret(f, w)), 404, []string{notFoundBody}, keptSecret)
		}),
		worldCase("moderator and member → 200, the body", func(f *fixture, w world) tests.ApiScenario {
			id := deletedSecret(f, w)
			return expect(get(f, "admin", id), 200, []string{`"body":"` + keptSecret + `"`,
				`"message":"` + id + `"`, `"author":"` + f.id("alice") + `"`, `"purgeAfter":"`})
		}),
		worldCase("moderator who left → 404", func(f *fixture, w world) tests.ApiScenario {
			id := deletedSecret(f, w)
			f.must(f.pm.Leave(f.id("admin"), w.group))
			return expect(get(f, "admin", id), 404, []string{notFoundBody}, keptSecret)
		}),
		worldCase("moderators may not read deleted messages → 404", func(f *fixture, w world) tests.ApiScenario {
			id := deletedSecret(f, w)
			f.setting("moderators_read_deleted", false)
			return expect(get(f, "admin", id), 404, []string{notFoundBody}, keptSecret)
		}),
		worldCase("superuser → 200, whatever the setting", func(f *fixture, w world) tests.ApiScenario {
			id := deletedSecret(f, w)
			f.setting("moderators_read_deleted", false)
			return expect(get(f, "superuser", id), 200, []string{`"body":"` + keptSecret + `"`})
		}),
		worldCase("a message not deleted → 404", func(f *fixture, w world) tests.ApiScenario {
			deletedSecret(f, w)
			return expect(get(f, "superuser", w.groupBob.Id), 404, []string{notFoundBody})
		}),
		worldCase("deleted while nothing is kept → 404", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("alice"), w.groupAlice.Id))
			return expect(get(f, "superuser", w.groupAlice.Id), 404, []string{notFoundBody}, bodyGroupAlice)
		}),
		// Every other path reads the message row, whose body is gone.
		worldCase("the records API shows the row without its body, even to superusers", func(f *fixture, w world) tests.ApiScenario {
			id := deletedSecret(f, w)
			return expect(f.as("superuser", http.MethodGet, recordsURL(messaging.CollectionNameMessages, "/"+id), nil), 200,
				[]string{`"body":""`, `"deleted":true`}, keptSecret)
		}),
		worldCase("the messages list → no body", func(f *fixture, w world) tests.ApiScenario {
			deletedSecret(f, w)
			return expect(f.as("admin", http.MethodGet, threadURL(w.group, "/messages"), nil), 200,
				[]string{`"deleted":true`}, keptSecret)
		}),
		worldCase("search → nothing", func(f *fixture, w world) tests.ApiScenario {
			deletedSecret(f, w)
			return expect(f.as("admin", http.MethodGet, "/api/messaging/search?q=kept", nil), 200,
				[]string{`"items":[]`}, keptSecret)
		}),
	})
}

func TestRetention_PurgeErasesWhenDaysAreUp(t *testing.T) {
	f := newFixture(t, messaging.Config{})
	w := f.world()
	now := time.Now().UTC()
	messaging.SetClockForTest(f.pm, func() time.Time { return now })
	id := deletedSecret(f, w)
	if n := f.keptRows(id); n != 1 {
		t.Fatalf("%d kept rows, want 1", n)
	}
	messaging.SetClockForTest(f.pm, func() time.Time { return now.Add(29 * 24 * time.Hour) })
	if n, err := f.pm.PurgeDeletedBodies(); err != nil || n != 0 {
		t.Fatalf("purged %d (%v) after 29 days, want 0", n, err)
	}
	messaging.SetClockForTest(f.pm, func() time.Time { return now.Add(30*24*time.Hour + time.Second) })
	if n, err := f.pm.PurgeDeletedBodies(); err != nil || n != 1 {
		t.Fatalf("purged %d (%v) after 30 days, want 1", n, err)
	}
	if n := f.keptRows(""); n != 0 {
		t.Errorf("%d kept rows after the purge", n)
	}
	f.noCountDrift()
}

func TestRetention_HardDeleteTakesTheKeptBody(t *testing.T) {
	f := newFixture(t, messaging.Config{})
	w := f.world()
	id := deletedSecret(f, w)
	msg, err := f.app.FindRecordById(messaging.CollectionNameMessages, id)
	f.must(err)
	f.must(f.app.Delete(msg))
	if n := f.keptRows(""); n != 0 {
		t.Errorf("%d kept rows after the message's hard delete", n)
	}
}

// A deleted user's messages under each setting: kept as "Deleted user",
// or removed with exact counts, kept bodies and no files left.
func TestRetention_DeletedUserMessages(t *testing.T) {
	for _, mode := range []string{"keep", "remove"} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t, messaging.Config{})
			f.setting("deleted_user_messages", mode)
			f.setting("deleted_retention_days", "7")
			thread, _ := f.start("alice", []string{"bob", "dave"}, "", "one")
			f.send("bob", thread.Id, "from bob")
			f.send("alice", thread.Id, "two")
			f.must(f.pm.MarkRead(f.id("bob"), thread.Id))
			f.send("alice", thread.Id, "three")
			_, err := f.pm.SendFiles(f.id("alice"), thread.Id, "four", []*filesystem.File{goFile(f.t, "a.txt", []byte("a"))})
			f.must(err)
			deleted, _ := f.start("alice", []string{"dave"}, "", "five")
			f.must(f.pm.DeleteMessage(f.id("alice"), f.lastMessage(deleted.Id)))

			aliceID := f.id("alice")
			// A notification waiting for her and an anti-spam counter of hers.
			_, err = f.app.DB().NewQuery(`INSERT INTO ` + messaging.CollectionNameNotifications +
				` (id, kind, user, thread, state) VALUES ('notifyalice0001', 'conversation', {:u}, {:t}, 'waiting')`).
				Bind(dbx.Params{"u": aliceID, "t": thread.Id}).Execute()
			f.must(err)
			_, err = f.app.DB().NewQuery(`INSERT INTO ` + messaging.RateTableForTest +
				` (user, kind, slot, count, expires) VALUES ({:u}, 'm', 1, 1, 9999999999)`).
				Bind(dbx.Params{"u": aliceID}).Execute()
			f.must(err)
			f.must(f.app.Delete(f.users["alice"]))

			var left int
			f.must(f.app.DB().NewQuery(`SELECT (SELECT COUNT(*) FROM ` + messaging.CollectionNameNotifications +
				` WHERE user = {:u}) + (SELECT COUNT(*) FROM ` + messaging.RateTableForTest + ` WHERE user = {:u})`).
				Bind(dbx.Params{"u": aliceID}).Row(&left))
			if left != 0 {
				t.Errorf("%d notification or counter rows left for the deleted user", left)
			}

			var bodies []string
			f.must(f.app.DB().NewQuery(`SELECT body FROM messages WHERE author = '' AND author_deleted = TRUE
				AND body != ''`).Column(&bodies))
			bob, dave := f.unread("bob", thread.Id), f.unread("dave", thread.Id)
			if mode == "keep" {
				if len(bodies) != 4 || bob != 2 || dave != 5 {
					t.Errorf("bodies %q, unread bob %d dave %d; want 4 kept, 2 and 5", bodies, bob, dave)
				}
				if n := len(storedFiles(t, f.app)); n == 0 {
					t.Errorf("the kept message's file is gone")
				}
			} else {
				if len(bodies) != 0 {
					t.Errorf("bodies left: %q", bodies)
				}
				if bob != 0 || dave != 1 { // dave: bob's message
					t.Errorf("unread bob %d dave %d, want 0 and 1", bob, dave)
				}
				if files := storedFiles(t, f.app); len(files) != 0 {
					t.Errorf("files left in storage: %v", files)
				}
			}
			// The kept bodies: the one deleted before, and in "remove" the
			// four removed; none with alice's id.
			want := map[string]int{"keep": 1, "remove": 5}[mode]
			if n := f.keptRows(""); n != want {
				t.Errorf("%d kept bodies, want %d", n, want)
			}
			var named int
			f.must(f.app.DB().NewQuery("SELECT COUNT(*) FROM " + messaging.DeletedBodiesTableForTest +
				" WHERE author != ''").Row(&named))
			if named != 0 {
				t.Errorf("%d kept bodies still name the deleted user", named)
			}
			f.noCountDrift()
		})
	}
}

func TestRetention_Settings(t *testing.T) {
	t.Parallel()
	url := recordsURL(messaging.CollectionNameSettings, "/messagingconfig")
	patch := func(f *fixture, body map[string]any) tests.ApiScenario {
		return f.as("superuser", http.MethodPatch, url, body)
	}
	runCases(t, []apiCase{
		settingCase("days over ten years → 400", func(f *fixture) tests.ApiScenario {
			return expect(patch(f, map[string]any{"deleted_retention_days": "3651"}), 400,
				[]string{`"deleted_retention_days":{"code":"validation_messaging_setting_range"`})
		}),
		settingCase("an unknown deleted-user mode → 400", func(f *fixture) tests.ApiScenario {
			return expect(patch(f, map[string]any{"deleted_user_messages": "shred"}), 400,
				[]string{`"deleted_user_messages":{"code":`})
		}),
		settingCase("in force", func(f *fixture) tests.ApiScenario {
			return expect(patch(f, map[string]any{"deleted_retention_days": "90", "moderators_read_deleted": true,
				"deleted_user_messages": "remove"}), 200,
				[]string{`"deleted_retention_days":90`, `"moderators_read_deleted":true`, `"deleted_user_messages":"remove"`})
		}),
	})
}

func TestRetention_PurgeCommand(t *testing.T) {
	f := newFixture(t, messaging.Config{})
	w := f.world()
	deletedSecret(f, w)
	// Due a day ago: the command erases it with the real clock.
	_, err := f.app.DB().NewQuery("UPDATE " + messaging.DeletedBodiesTableForTest +
		" SET purge_after = '2000-01-01 00:00:00.000Z'").Execute()
	f.must(err)
	var out bytes.Buffer
	cmd := f.pm.Command()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"purge-deleted"})
	f.must(cmd.Execute())
	if !strings.HasPrefix(out.String(), "erased 1 deleted message bodies in ") {
		t.Errorf("output %q", out.String())
	}
	if n := f.keptRows(""); n != 0 {
		t.Errorf("%d kept rows after the command", n)
	}
}

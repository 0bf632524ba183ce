package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

func TestOptions_Route(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/options"
	defaults := `{"messageOrder":"oldest_first","composerPosition":"bottom","maxBodyLength":10000,` +
		`"editWindowMinutes":15,"maxAttachments":5,"maxAttachmentSize":10485760,"attachmentTypes":["image/jpeg",`
	runCases(t, []apiCase{
		{name: "anonymous → 401", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, url, nil), 401, []string{`"status":401`}, "oldest_first")
		}},
		{name: "member reads the defaults", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url, nil), 200, []string{defaults, `"emailNotifications":"conversation","whoCanMessage":"everyone","moderator":false}`})
		}},
		// The inbox shows its moderator view only to moderators: the flag is the caller's own.
		{name: "a moderator (admin role) is told so", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("admin", http.MethodGet, url, nil), 200, []string{`"whoCanMessage":"everyone","moderator":true}`})
		}},
		{name: "the admin role no longer moderates when moderator_roles leaves it out", build: func(f *fixture) tests.ApiScenario {
			f.setSettings(map[string]any{"moderator_roles": []string{"moderator"}})
			return expect(f.as("admin", http.MethodGet, url, nil), 200, []string{`"moderator":false}`})
		}},
		{name: "member reads what the site owner set, and nothing else of the settings", build: func(f *fixture) tests.ApiScenario {
			f.setSettings(map[string]any{"message_order": "newest_first", "composer_position": "top",
				"max_body_length": 500, "send_roles": []string{"admin"}, "edit_window_minutes": -1,
				"max_attachments": 2, "max_attachment_size": 1000, "attachment_types": []string{"image/*"},
				"email_notifications": "digest", "who_can_message": "requests"})
			return expect(f.as("bob", http.MethodGet, url, nil), 200,
				[]string{`{"messageOrder":"newest_first","composerPosition":"top","maxBodyLength":500,` +
					`"editWindowMinutes":-1,"maxAttachments":2,"maxAttachmentSize":1000,"attachmentTypes":["image/*"],` +
					`"emailNotifications":"digest","whoCanMessage":"requests","moderator":false}`},
				"send_roles", "admin", "unblockable", "moderator_roles")
		}},
		{name: "Config values apply when the settings are empty",
			cfg: messaging.Config{MessageOrder: messaging.MessageOrderNewestFirst, ComposerPosition: messaging.ComposerTop, MaxBodyLength: 99},
			build: func(f *fixture) tests.ApiScenario {
				return expect(f.as("alice", http.MethodGet, url, nil), 200,
					[]string{`{"messageOrder":"newest_first","composerPosition":"top","maxBodyLength":99,`})
			}},
		{name: "the settings record stays superuser-only", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(messaging.CollectionNameSettings, "/messagingconfig"), nil),
				403, []string{`"status":403`}, "message_order")
		}},
		{name: "a superuser sets an unknown order → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, recordsURL(messaging.CollectionNameSettings, "/messagingconfig"),
				`{"message_order":"sideways"}`), 400, []string{`"message_order":{"code":`})
		}},
		{name: "a superuser sets the layout", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, recordsURL(messaging.CollectionNameSettings, "/messagingconfig"),
				`{"message_order":"newest_first","composer_position":"top","moderator_roles":["admin"]}`), 200,
				[]string{`"message_order":"newest_first"`, `"moderator_roles":["admin"]`, `"composer_position":"top"`})
		}},
	})
}

func TestOptions_BadConfig(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	if _, err := messaging.Register(app, messaging.Config{MessageOrder: "random"}); err == nil {
		t.Error("an unknown MessageOrder was accepted")
	}
	if _, err := messaging.Register(app, messaging.Config{ComposerPosition: "left"}); err == nil {
		t.Error("an unknown ComposerPosition was accepted")
	}
	if _, err := messaging.Register(app, messaging.Config{ModeratorRoles: []string{" "}}); err == nil {
		t.Error("an empty moderator role was accepted")
	}
}

package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"
)

// prefsAre checks after the request that user's stored preferences are want.
func prefsAre(s tests.ApiScenario, f *fixture, user string, want messaging.Preferences) tests.ApiScenario {
	if want.EmailNotifications == "" {
		want.EmailNotifications = messaging.EmailDefault
	}
	if want.WhoCanMessage == "" {
		want.WhoCanMessage = messaging.ReachDefault
	}
	s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
		got, err := f.pm.Preferences(f.id(user))
		if err != nil || got != want {
			t.Errorf("%s's preferences = %+v (%v), want %+v", user, got, err, want)
		}
	}
	return s
}

func TestPreferences_Routes(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/preferences"
	runCases(t, []apiCase{
		{name: "defaults for a member who never changed them", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("alice", http.MethodGet, url, nil), 200,
				[]string{`{"messagingOff":false,"emailNotifications":"default","readReceiptsOff":false,"whoCanMessage":"default"}`}), f, "alice", messaging.Preferences{})
		}},
		{name: "a member reads their own", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("off", http.MethodGet, url, nil), 200, []string{`"messagingOff":true`})
		}},
		{name: "a member changes one and keeps the other", build: func(f *fixture) tests.ApiScenario {
			f.must(f.pm.SetPreferences(f.id("alice"), messaging.Preferences{EmailNotifications: messaging.EmailNone}))
			return prefsAre(expect(f.as("alice", http.MethodPatch, url, map[string]any{"messagingOff": true}), 200,
				[]string{`{"messagingOff":true,"emailNotifications":"none","readReceiptsOff":false,"whoCanMessage":"default"}`}), f, "alice",
				messaging.Preferences{MessagingOff: true, EmailNotifications: messaging.EmailNone})
		}},
		{name: "a member chooses the daily digest", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("alice", http.MethodPatch, url, map[string]any{"emailNotifications": "digest"}), 200,
				[]string{`"emailNotifications":"digest"`}), f, "alice", messaging.Preferences{EmailNotifications: messaging.EmailDigest})
		}},
		{name: "back to the site default", build: func(f *fixture) tests.ApiScenario {
			f.must(f.pm.SetPreferences(f.id("alice"), messaging.Preferences{EmailNotifications: messaging.EmailNone}))
			return prefsAre(expect(f.as("alice", http.MethodPatch, url, map[string]any{"emailNotifications": "default"}), 200,
				[]string{`"emailNotifications":"default"`}), f, "alice", messaging.Preferences{})
		}},
		{name: "an unknown email mode → 400, nothing stored", build: func(f *fixture) tests.ApiScenario {
			f.must(f.pm.SetPreferences(f.id("alice"), messaging.Preferences{EmailNotifications: messaging.EmailDigest}))
			return prefsAre(expect(f.as("alice", http.MethodPatch, url, map[string]any{"emailNotifications": "weekly", "messagingOff": true}), 400,
				[]string{`"emailNotifications":{"code":"validation_messaging_email_mode"`}), f, "alice",
				messaging.Preferences{EmailNotifications: messaging.EmailDigest})
		}},
		{name: "messaging off takes effect at once, with the usual refusal", build: func(f *fixture) tests.ApiScenario {
			f.must(f.pm.SetPreferences(f.id("bob"), messaging.Preferences{MessagingOff: true}))
			return expect(f.as("alice", http.MethodPost, "/api/messaging/threads",
				map[string]any{"recipients": []string{f.id("bob")}, "body": "hello?"}), 403, []string{refusedBody})
		}},
		{name: "malformed JSON → 400, nothing stored", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("alice", http.MethodPatch, url, `{"messagingOff":`), 400,
				[]string{`"status":400`}), f, "alice", messaging.Preferences{})
		}},
	})
}

// The preferences records are the member's alone, and a site that opens
// its users list to show profiles publishes nobody's preferences.
func TestPreferences_RecordsAPI(t *testing.T) {
	t.Parallel()
	col := messaging.CollectionNamePreferences
	ownRow := func(f *fixture, user string) string {
		r, err := f.app.FindFirstRecordByData(col, "user", f.id(user))
		if err != nil {
			f.t.Fatal(err)
		}
		return r.Id
	}
	runCases(t, []apiCase{
		{name: "a member lists only their own", build: func(f *fixture) tests.ApiScenario {
			f.must(f.pm.SetPreferences(f.id("alice"), messaging.Preferences{EmailNotifications: messaging.EmailNone}))
			return expect(f.as("alice", http.MethodGet, recordsURL(col, ""), nil), 200,
				[]string{`"totalItems":1`, `"user":"` + f.id("alice") + `"`}, f.id("off"))
		}},
		{name: "another member's record → 404", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(col, "/"+ownRow(f, "off")), nil), 404, []string{recordNotFound})
		}},
		{name: "another member's record can't be changed", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("alice", http.MethodPatch, recordsURL(col, "/"+ownRow(f, "off")),
				map[string]any{"messaging_off": false}), 404, []string{recordNotFound}), f, "off", messaging.Preferences{MessagingOff: true})
		}},
		{name: "nobody creates preferences for someone else", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("alice", http.MethodPost, recordsURL(col, ""),
				map[string]any{"user": f.id("bob"), "messaging_off": true}), 400, []string{createFailed}), f, "bob", messaging.Preferences{})
		}},
		{name: "a member creates their own through the records API", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("bob", http.MethodPost, recordsURL(col, ""),
				map[string]any{"user": f.id("bob"), "email_notifications": "none"}), 200, []string{`"email_notifications":"none"`}),
				f, "bob", messaging.Preferences{EmailNotifications: messaging.EmailNone})
		}},
		{name: "a member can't move their record to someone else", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("off", http.MethodPatch, recordsURL(col, "/"+ownRow(f, "off")),
				map[string]any{"user": f.id("bob")}), 404, []string{recordNotFound}), f, "bob", messaging.Preferences{})
		}},
		{name: "guests see nothing", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, recordsURL(col, ""), nil), 200, []string{`"totalItems":0`})
		}},
		{name: "an open users list publishes no preferences", build: func(f *fixture) tests.ApiScenario {
			users, _ := f.app.FindCollectionByNameOrId("users")
			users.ListRule = types.Pointer("")
			f.must(f.app.Save(users))
			return expect(f.as("alice", http.MethodGet, recordsURL("users", "?filter="+q("username = 'off'")), nil), 200,
				[]string{`"totalItems":1`, `"username":"off"`}, "messaging_off", "emails_off")
		}},
	})
}

package messaging_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// A site owner changes limits in the dashboard (the settings record); an
// empty field keeps the Config value.
func TestSettings_OverrideConfigWithoutCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{MaxBodyLength: 100})
	defer f.app.Cleanup()

	if got := f.pm.Limits(); got.MaxBodyLength != 100 || got.MaxGroupSize != 20 || len(got.UnblockableRoles) != 2 {
		t.Fatalf("defaults: %+v", got)
	}

	settings, err := f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	if err != nil {
		t.Fatal(err)
	}
	settings.Set("max_body_length", 5)
	settings.Set("max_group_size", 2)
	settings.Set("send_roles", []string{"admin"})
	settings.Set("unblockable_roles", []string{})
	if err := f.app.Save(settings); err != nil {
		t.Fatal(err)
	}

	if _, _, err := f.pm.Start(f.id("admin"), []string{f.id("bob")}, "", "too long"); !errors.Is(err, messaging.ErrInvalid) {
		t.Errorf("body over the dashboard limit: %v", err)
	}
	if _, _, err := f.pm.Start(f.id("admin"), []string{f.id("bob"), f.id("carol")}, "", "hi"); !errors.Is(err, messaging.ErrInvalid) {
		t.Errorf("group over the dashboard limit: %v", err)
	}
	if _, _, err := f.pm.Start(f.id("alice"), []string{f.id("bob")}, "", "hi"); !errors.Is(err, messaging.ErrRefused) {
		t.Errorf("sender without a send role: %v", err)
	}
	if _, _, err := f.pm.Start(f.id("admin"), []string{f.id("bob")}, "", "hi"); err != nil {
		t.Errorf("admin may send: %v", err)
	}
	if err := f.pm.Block(f.id("bob"), f.id("admin")); err != nil {
		t.Errorf("no role is unblockable any more: %v", err)
	}

	// Clearing a field falls back to the config.
	settings.Set("max_body_length", nil)
	settings.Set("send_roles", nil)
	if err := f.app.Save(settings); err != nil {
		t.Fatal(err)
	}
	if got := f.pm.Limits(); got.MaxBodyLength != 100 || len(got.SendRoles) != 0 {
		t.Fatalf("after clearing: %+v", got)
	}
}

// Every settings case checks what is stored and in force afterwards, not
// only the status: a refused edit leaves the limits as they were.
func TestSettings_RecordsAPI(t *testing.T) {
	t.Parallel()
	url := "/api/collections/" + messaging.CollectionNameSettings + "/records"
	rec := url + "/messagingconfig"
	limitsAre := func(s tests.ApiScenario, f *fixture, want messaging.Limits) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
			if got := f.pm.Limits(); !reflect.DeepEqual(got, want) {
				t.Errorf("limits after the request = %+v, want %+v", got, want)
			}
		}
		return s
	}
	defaults := messaging.Limits{MaxGroupSize: 20, MaxBodyLength: 10000, UnblockableRoles: []string{"admin", "moderator"},
		TextFormat: "plain", EditWindowMinutes: 15, ModeratorRoles: []string{"moderator", "admin"},
		MaxAttachments: 5, MaxAttachmentSize: 10 << 20, AttachmentTypes: messaging.DefaultAttachmentTypesForTest(),
		MessageOrder: "oldest_first", ComposerPosition: "bottom",
		NotifyDelaySeconds: 300, DigestHour: 8, EmailNotifications: messaging.EmailConversation,
		WhoCanMessage: messaging.ReachEveryone, ReportsPerHour: 10, ReportContext: 5, RoleExpandThreshold: 100,
		PrivacyLimits: messaging.PrivacyLimits{DeletedUserMessages: messaging.DeletedUserKeep}}
	patch := func(name, body string, status int, content []string, want messaging.Limits) apiCase {
		return apiCase{name: name, build: func(f *fixture) tests.ApiScenario {
			who := "superuser"
			if strings.HasPrefix(name, "a member") {
				who = "alice"
			}
			return limitsAre(expect(f.as(who, http.MethodPatch, rec, body), status, content), f, want)
		}}
	}
	with := func(change func(*messaging.Limits)) messaging.Limits {
		l := defaults
		change(&l)
		return l
	}
	runCases(t, []apiCase{
		{name: "a member can't list the settings", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, url, nil), 403, []string{`"status":403`}, "max_group_size")
		}},
		{name: "a member can't view the settings", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, rec, nil), 403, []string{`"status":403`}, "max_group_size")
		}},
		patch("a member can't change the settings", `{"max_group_size":3}`, 403, []string{`"status":403`}, defaults),
		{name: "a second settings record is refused", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPost, url, `{"max_group_size":5}`), 400,
				[]string{fieldError("id", "single_settings")})
		}},
		patch("roles must be a list of names", `{"send_roles":{"admin":true}}`, 400,
			[]string{fieldError("send_roles", "bad_roles")}, defaults),
		patch("roles must exist on users", `{"unblockable_roles":["admin","owner"]}`, 400,
			[]string{fieldError("unblockable_roles", "unknown_role"), `Unknown role \"owner\"`}, defaults),
		patch("an empty role name is refused", `{"send_roles":[""]}`, 400,
			[]string{fieldError("send_roles", "unknown_role")}, defaults),
		patch("group size 1 is refused", `{"max_group_size":1}`, 400,
			[]string{fieldError("max_group_size", "setting_range"), "from 2 to 1000"}, defaults),
		patch("group size over the member list's capacity is refused", `{"max_group_size":1001}`, 400,
			[]string{fieldError("max_group_size", "setting_range")}, defaults),
		patch("a body limit over the field's size is refused", `{"max_body_length":1000001}`, 400,
			[]string{fieldError("max_body_length", "setting_range")}, defaults),
		patch("several bad fields are all named", `{"max_group_size":1,"send_roles":["nobody"]}`, 400,
			[]string{fieldError("max_group_size", "setting_range"), `"send_roles":{"code":"validation_messaging_unknown_role"`}, defaults),
		patch("the superuser changes a limit and sees it in force", `{"max_group_size":3}`, 200,
			[]string{`"max_group_size":3`, `"in_force":{"max_group_size":3,"max_body_length":10000,"send_roles":[],"unblockable_roles":["admin","moderator"]`},
			with(func(l *messaging.Limits) { l.MaxGroupSize = 3 })),
		patch("0 means the default", `{"max_group_size":0,"send_roles":["admin"]}`, 200,
			[]string{`"in_force":{"max_group_size":20,"max_body_length":10000,"send_roles":["admin"],`},
			with(func(l *messaging.Limits) { l.SendRoles = []string{"admin"} })),
		patch("[] means no unblockable role", `{"unblockable_roles":[]}`, 200,
			[]string{`"unblockable_roles":[],`},
			with(func(l *messaging.Limits) { l.UnblockableRoles = []string{} })),
		patch("an edit of in_force is replaced by the values in force", `{"in_force":{"max_group_size":999}}`, 200,
			[]string{`"in_force":{"max_group_size":20,`}, defaults),
	})
}

// The dashboard shows the values in force as soon as the app serves, also
// the ones that come from Config.
func TestSettings_InForceShownAtStart(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{{name: "config defaults in force", cfg: messaging.Config{MaxGroupSize: 7},
		build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodGet,
				"/api/collections/"+messaging.CollectionNameSettings+"/records/messagingconfig", nil), 200,
				[]string{`"in_force":{"max_group_size":7,"max_body_length":10000,`, `"max_group_size":0`})
		}}})
}

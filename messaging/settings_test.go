package messaging_test

import (
	"errors"
	"net/http"
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

func TestSettings_RecordsAPI(t *testing.T) {
	t.Parallel()
	var f *fixture
	factory := func(t testing.TB) *tests.TestApp {
		f = newFixture(t, messaging.Config{})
		return f.app
	}
	url := "/api/collections/" + messaging.CollectionNameSettings + "/records"
	scenarios := []tests.ApiScenario{
		{
			Name: "a member can't read the settings", Method: http.MethodGet, URL: url,
			TestAppFactory: factory, ExpectedStatus: http.StatusForbidden, ExpectedContent: []string{`"status":403`},
		},
		{
			Name: "a member can't change the settings", Method: http.MethodPatch, URL: url + "/messagingconfig",
			Body:           strings.NewReader(`{"max_group_size":1000}`),
			TestAppFactory: factory, ExpectedStatus: http.StatusForbidden, ExpectedContent: []string{`"status":403`},
		},
		{
			Name: "a second settings record is refused", Method: http.MethodPost, URL: url,
			Body:           strings.NewReader(`{"max_group_size":5}`),
			TestAppFactory: factory, ExpectedStatus: http.StatusBadRequest,
			ExpectedContent: []string{"validation_messaging_single_settings"},
		},
		{
			Name: "roles must be a list of names", Method: http.MethodPatch, URL: url + "/messagingconfig",
			Body:           strings.NewReader(`{"send_roles":{"admin":true}}`),
			TestAppFactory: factory, ExpectedStatus: http.StatusBadRequest,
			ExpectedContent: []string{"validation_messaging_bad_roles"},
		},
		{
			Name: "the superuser changes a limit", Method: http.MethodPatch, URL: url + "/messagingconfig",
			Body:           strings.NewReader(`{"max_group_size":3}`),
			TestAppFactory: factory, ExpectedStatus: http.StatusOK,
			ExpectedContent: []string{`"max_group_size":3`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if got := f.pm.Limits().MaxGroupSize; got != 3 {
					t.Errorf("MaxGroupSize after the dashboard edit = %d, want 3", got)
				}
			},
		},
	}
	for i := range scenarios {
		s := &scenarios[i]
		who := "superuser"
		if strings.HasPrefix(s.Name, "a member") {
			who = "alice"
		}
		s.Headers = map[string]string{}
		build := s.TestAppFactory
		s.TestAppFactory = func(t testing.TB) *tests.TestApp {
			app := build(t)
			for k, v := range f.token(who) {
				s.Headers[k] = v
			}
			return app
		}
		s.Test(t)
	}
}

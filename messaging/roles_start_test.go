package messaging_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

const noRoles = `{"data":{},"message":"You can't message roles.","status":403}`

// roleCase is an apiCase on the role fixture, three support holders
// (bob, carol and one seeded) and the project type registered.
// workerStopped is c with the expansion worker stopped once the
// scenario's server has started it.
func workerStopped(c apiCase) apiCase {
	c.before = func(_ testing.TB, f *fixture, _ *core.ServeEvent, _ *tests.ApiScenario) {
		messaging.StopExpansionWorkerForTest(f.pm)
	}
	return c
}

func roleCase(name string, cfg messaging.Config, build func(f *fixture) tests.ApiScenario) apiCase {
	return apiCase{name: name, cfg: rolesConfig(cfg), build: func(f *fixture) tests.ApiScenario {
		f.addRoleCast()
		f.giveRole("support", "bob", "carol")
		f.seedRole("support", "sup", 1)
		f.must(f.pm.RegisterRecipientType(projectType(f)))
		return build(f)
	}}
}

// Who may start a conversation with roles, types or as an announcement,
// and what they get back.
func TestRoleStart_API(t *testing.T) {
	t.Parallel()
	url := "/api/messaging/threads"
	roles := map[string]any{"roles": []string{"support"}, "body": "hello-role"}
	runCases(t, []apiCase{
		roleCase("anonymous → 401", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return countIs(expect(f.as("", "POST", url, roles), 401, []string{`"status":401`}), "threads", 0)
		}),
		roleCase("member without permission → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return countIs(expect(f.as("bob", "POST", url, roles), 403, []string{noRoles}), "threads", 0)
		}),
		roleCase("member without permission, announcement to a user → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"recipients": []string{f.id("carol")}, "announcement": true, "body": "x"}
			return countIs(expect(f.as("bob", "POST", url, body), 403, []string{noRoles}), "threads", 0)
		}),
		roleCase("moderator without the role → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return countIs(expect(f.as("mod", "POST", url, roles), 403, []string{noRoles}), "threads", 0)
		}),
		roleCase("superuser → 403 (the messaging API is for users)", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return countIs(expect(f.as("superuser", "POST", url, roles), 403, []string{`"status":403`}), "threads", 0)
		}),
		roleCase("permitted member, role → every holder at once", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			s := expect(f.as("sam", "POST", url, roles), 200, []string{`"memberCount":4`, `"announcement":false`,
				`"expanding":false`, `"creator":"` + f.id("sam") + `"`, `"kind":"group"`})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				th := inboxFirst(f, "sam")
				if f.unread("bob", th) != 1 || f.unread("carol", th) != 1 || f.unread("sam", th) != 0 {
					t.Errorf("unread bob %d carol %d sam %d", f.unread("bob", th), f.unread("carol", th), f.unread("sam", th))
				}
				noFixes(t, f.pm)
			}
			return s
		}),
		roleCase("permitted member, announcement with a user and a role", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"recipients": []string{f.id("mod")}, "roles": []string{"support"}, "announcement": true, "body": "x"}
			return expect(f.as("sam", "POST", url, body), 200, []string{`"announcement":true`, `"memberCount":5`})
		}),
		// The worker, started with the scenario's server, could add the
		// three holders before the answer is read: stopped first, the
		// answer shows the job still to do.
		workerStopped(roleCase("permitted member, role over the threshold → background", messaging.Config{RoleExpandThreshold: 2}, func(f *fixture) tests.ApiScenario {
			return countIs(expect(f.as("sam", "POST", url, roles), 200, []string{`"expanding":true`, `"memberCount":1`}),
				messaging.CollectionNameExpansions, 1)
		})),
		roleCase("permitted member, project type", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"to": []map[string]string{{"type": "project", "id": "p1"}}, "body": "x"}
			return expect(f.as("sam", "POST", url, body), 200, []string{`"memberCount":4`})
		}),
		roleCase("role as a \"to\" entry", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"to": []map[string]string{{"type": "role", "id": "support"}}, "body": "x"}
			return expect(f.as("sam", "POST", url, body), 200, []string{`"memberCount":4`})
		}),
		roleCase("holder whom the type's MayUse refuses → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			f.giveRole("staff", "alice")
			body := map[string]any{"to": []map[string]string{{"type": "project", "id": "p1"}}, "body": "x"}
			return countIs(expect(f.as("alice", "POST", url, body), 403, []string{noRoles}), "threads", 0)
		}),
		roleCase("unknown role → 400 on roles", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"roles": []string{"nosuch"}, "body": "x"}
			return countIs(expect(f.as("sam", "POST", url, body), 400, []string{fieldError("roles", "unknown_role")}), "threads", 0)
		}),
		roleCase("unknown type → 400 on to", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"to": []map[string]string{{"type": "team", "id": "t1"}}, "body": "x"}
			return expect(f.as("sam", "POST", url, body), 400, []string{fieldError("to", "unknown_recipient_type")})
		}),
		roleCase("unknown id of a type → 400 on to", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"to": []map[string]string{{"type": "project", "id": "p9"}}, "body": "x"}
			return countIs(expect(f.as("sam", "POST", url, body), 400, []string{fieldError("to", "unknown_recipient")}), "threads", 0)
		}),
		roleCase("group size limit counts explicit recipients only", messaging.Config{MaxGroupSize: 2}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"recipients": []string{f.id("alice")}, "roles": []string{"support"}, "body": "x"}
			return expect(f.as("sam", "POST", url, body), 200, []string{`"memberCount":5`})
		}),
	})
}

// The setting role_message_roles takes effect without a restart and
// role_expand_threshold refuses nonsense.
func TestRoleSettings(t *testing.T) {
	t.Parallel()
	f := newRoleFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.giveRole("support", "bob")
	opts := messaging.StartOptions{Roles: []string{"support"}}
	if l := f.pm.Limits(); len(l.RoleMessageRoles) != 1 || l.RoleExpandThreshold != 100 {
		t.Fatalf("defaults: %+v %d", l.RoleMessageRoles, l.RoleExpandThreshold)
	}
	s, err := f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	f.must(err)
	s.Set("role_expand_threshold", -3)
	if err := f.app.Save(s); err == nil {
		t.Error("a negative threshold was saved")
	}
	s.Set("role_expand_threshold", 7)
	s.Set("role_message_roles", []string{"moderator"})
	f.must(f.app.Save(s))
	if l := f.pm.Limits(); l.RoleExpandThreshold != 7 || l.RoleMessageRoles[0] != "moderator" {
		t.Fatalf("in force: %+v", l)
	}
	// Go callers may always: the setting only guards the HTTP API.
	f.startRoles("alice", nil, opts)
}

// The roles migration comes down (no settings, no announcement field, no
// job collection) and goes up again.
func TestRolesMigration_DownAndUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	check := func(up bool) {
		t.Helper()
		threads, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameThreads)
		f.must(err)
		settings, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameSettings)
		f.must(err)
		_, jobsErr := f.app.FindCollectionByNameOrId(messaging.CollectionNameExpansions)
		if (threads.Fields.GetByName("announcement") != nil) != up || (jobsErr == nil) != up ||
			(settings.Fields.GetByName("role_message_roles") != nil) != up || (settings.Fields.GetByName("role_expand_threshold") != nil) != up {
			t.Errorf("up=%v: a field or the job collection (%v) is not as it should be", up, jobsErr)
		}
	}
	check(true)
	mig := messaging.RolesMigrationForTest()
	f.must(mig[1](f.app))
	check(false)
	f.must(mig[0](f.app))
	check(true)
}

// The job collection is the superusers': members neither list nor write it.
func TestExpansions_SuperusersOnly(t *testing.T) {
	t.Parallel()
	url := recordsURL(messaging.CollectionNameExpansions, "")
	runCases(t, []apiCase{
		roleCase("member lists expansions → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return expect(f.as("sam", "GET", url, nil), 403, []string{onlySuperusers})
		}),
		roleCase("member creates an expansion → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			body := map[string]any{"thread": "x", "type": "role", "key": "support", "state": "pending"}
			return countIs(expect(f.as("sam", "POST", url, body), 403, []string{onlySuperusers}), messaging.CollectionNameExpansions, 0)
		}),
		roleCase("superuser lists expansions", messaging.Config{RoleExpandThreshold: 1}, func(f *fixture) tests.ApiScenario {
			f.startRoles("sam", nil, messaging.StartOptions{Roles: []string{"support"}})
			// The state depends on how far the worker, started with the
			// request's server, has got: pending, running or done.
			return expect(f.as("superuser", "GET", url, nil), 200, []string{`"totalItems":1`, `"type":"role"`, `"key":"support"`})
		}),
	})
}

// Role messages are staff messages: the anti-spam limits (here two new
// people a week) don't stop them, nor do members' "who can message me"
// modes; explicit recipients still follow the rules.
func TestRoleStart_StaffMessages(t *testing.T) {
	t.Parallel()
	f := newRoleFixture(t, messaging.Config{AntiSpam: messaging.AntiSpamConfig{NewPeoplePerWeek: 2}})
	defer f.app.Cleanup()
	f.giveRole("support", "bob", "carol")
	f.seedRole("support", "sup", 5)
	f.must(f.pm.SetPreferences(f.id("bob"), messaging.Preferences{WhoCanMessage: messaging.ReachNobody}))
	th, _ := f.startRoles("sam", nil, messaging.StartOptions{Roles: []string{"support"}})
	if n := len(memberIDs(t, f.app, th.Id)); n != 8 {
		t.Fatalf("%d members, want sam and 7 holders", n)
	}
	f.must(f.pm.SetPreferences(f.id("alice"), messaging.Preferences{WhoCanMessage: messaging.ReachNobody}))
	_, _, err := f.pm.StartWith(f.id("sam"), []string{f.id("alice")}, "", "x", messaging.StartOptions{Roles: []string{"support"}})
	if !errors.Is(err, messaging.ErrRefused) {
		t.Errorf("explicit recipient who takes no messages: %v, want ErrRefused", err)
	}
}

package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// Roles are the superusers' to give: no signup or profile update may
// change them, whatever else it changes.
func TestRecords_UserRoles(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameUsers
	rolesAre := func(s tests.ApiScenario, f *fixture, user string, want ...string) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			u, _ := app.FindRecordById(c, f.id(user))
			if got := u.GetStringSlice("roles"); len(got) != len(want) || (len(want) > 0 && got[0] != want[0]) {
				t.Errorf("roles %v, want %v", got, want)
			}
		}
		return s
	}
	patch := func(f *fixture, who, user string, body map[string]any) tests.ApiScenario {
		return f.as(who, http.MethodPatch, recordsURL(c, "/"+f.id(user)), body)
	}
	signup := map[string]any{"email": "new@example.com", "password": "secret-pass-1", "passwordConfirm": "secret-pass-1"}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{k: v}
		for kk, vv := range m {
			out[kk] = vv
		}
		return out
	}
	runCases(t, []apiCase{
		{name: "user gives themself a role → 403", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "alice", "alice", map[string]any{"roles": []string{"admin"}, "name": "Boss"}), 403,
				[]string{`"message":"Only superusers can change roles."`}), f, "alice")
		}},
		{name: "admin drops own role → 403", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "admin", "admin", map[string]any{"roles": []string{}}), 403,
				[]string{`"message":"Only superusers can change roles."`}), f, "admin", "admin")
		}},
		{name: "user updates the rest of their profile", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "alice", "alice", map[string]any{"name": "Alicia", "username": "alicia"}), 200,
				[]string{`"name":"Alicia"`, `"username":"alicia"`}), f, "alice")
		}},
		{name: "user resends the roles they already have", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "admin", "admin", map[string]any{"roles": []string{"admin"}, "name": "Root"}), 200,
				[]string{`"name":"Root"`}), f, "admin", "admin")
		}},
		{name: "signup with a role → 403", build: func(f *fixture) tests.ApiScenario {
			s := f.as("", http.MethodPost, recordsURL(c, ""), with(signup, "roles", []string{"moderator"}))
			return countIs(expect(s, 403, []string{`"message":"Only superusers can change roles."`}), c, 6)
		}},
		{name: "signup without a role", build: func(f *fixture) tests.ApiScenario {
			s := f.as("", http.MethodPost, recordsURL(c, ""), with(signup, "name", "Newbie"))
			return countIs(expect(s, 200, []string{`"name":"Newbie"`}), c, 7)
		}},
		{name: "superuser gives a role", build: func(f *fixture) tests.ApiScenario {
			return rolesAre(expect(patch(f, "superuser", "alice", map[string]any{"roles": []string{"moderator"}}), 200,
				[]string{`"roles":["moderator"]`}), f, "alice", "moderator")
		}},
	})
}

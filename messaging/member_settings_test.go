package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// thread_members rows belong to their user: they see and change only their
// own muted, archived and tags; the counters and membership are the
// plugin's.
func TestRecords_ThreadMembers(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameThreadMembers
	patch := func(f *fixture, who, user, thread string, body map[string]any) tests.ApiScenario {
		return f.as(who, http.MethodPatch, recordsURL(c, "/"+f.member(user, thread).Id), body)
	}
	// untouched checks a rejected update changed nothing on the row.
	untouched := func(s tests.ApiScenario, f *fixture, user, thread string) tests.ApiScenario {
		before := f.member(user, thread)
		s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
			after := f.member(user, thread)
			for _, k := range []string{"thread", "user", "unread", "last_read_seq", "left", "muted", "archived", "tags"} {
				if before.GetString(k) != after.GetString(k) {
					t.Errorf("%s changed: %q → %q", k, before.GetString(k), after.GetString(k))
				}
			}
		}
		return s
	}
	rejected := func(name, who, user string, body func(f *fixture, w world) map[string]any) apiCase {
		return worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			return untouched(expect(patch(f, who, user, w.group, body(f, w)), 404, []string{recordNotFound}), f, user, w.group)
		})
	}
	fixed := func(m map[string]any) func(*fixture, world) map[string]any {
		return func(*fixture, world) map[string]any { return m }
	}
	runCases(t, []apiCase{
		worldCase("user lists only own memberships", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":3`, `"user":"` + f.id("alice") + `"`},
				`"user":"`+f.id("bob")+`"`, `"user":"`+f.id("erin")+`"`, w.others)
		}),
		worldCase("left member's own row expands to nothing of the thread", func(f *fixture, w world) tests.ApiScenario {
			url := recordsURL(c, "/"+f.member("carol", w.group).Id+"?expand=thread,thread.last_message")
			return expect(f.as("carol", http.MethodGet, url, nil), 200,
				[]string{`"thread":"` + w.group + `"`, `"left":true`, `"expand":{}`}, `"expand":{"thread"`, subjectGroup, "left the conversation")
		}),
		worldCase("member's own row expands to the thread", func(f *fixture, w world) tests.ApiScenario {
			url := recordsURL(c, "/"+f.member("bob", w.group).Id+"?expand=thread,thread.last_message")
			return expect(f.as("bob", http.MethodGet, url, nil), 200,
				[]string{`"subject":"Weekend plans"`, `"body":"Carol left the conversation."`})
		}),
		worldCase("user can't view another's membership → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, recordsURL(c, "/"+f.member("bob", w.group).Id), nil), 404,
				[]string{recordNotFound}, f.id("bob"))
		}),
		worldCase("anonymous lists nothing", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, w.group)
		}),
		worldCase("superuser lists all", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":9`})
		}),
		worldCase("member mutes and archives own membership", func(f *fixture, w world) tests.ApiScenario {
			return expect(patch(f, "alice", "alice", w.group, map[string]any{"muted": true, "archived": true}), 200,
				[]string{`"muted":true`, `"archived":true`})
		}),
		worldCase("member tags own membership with own tag", func(f *fixture, w world) tests.ApiScenario {
			tag := f.tag("alice", "work")
			return expect(patch(f, "alice", "alice", w.group, map[string]any{"tags": []string{tag.Id}}), 200,
				[]string{`"tags":["` + tag.Id + `"]`})
		}),
		worldCase("member tags with another user's tag → 400", func(f *fixture, w world) tests.ApiScenario {
			tag := f.tag("bob", "bobs")
			return untouched(expect(patch(f, "alice", "alice", w.group, map[string]any{"tags": []string{tag.Id}}), 400,
				[]string{fieldError("tags", "unknown_tag")}), f, "alice", w.group)
		}),
		rejected("member resets own unread → 404", "alice", "alice", fixed(map[string]any{"unread": 0})),
		rejected("member moves own read position → 404", "alice", "alice", fixed(map[string]any{"last_read_seq": 99})),
		rejected("member marks self left → 404", "alice", "alice", fixed(map[string]any{"left": true})),
		rejected("member moves the row to another thread → 404", "alice", "alice",
			func(_ *fixture, w world) map[string]any { return map[string]any{"thread": w.others} }),
		rejected("member hands the row to another user → 404", "alice", "alice",
			func(f *fixture, _ world) map[string]any { return map[string]any{"user": f.id("dave")} }),
		rejected("member changes another's membership → 404", "alice", "bob", fixed(map[string]any{"muted": true})),
		rejected("left member rejoins → 404", "carol", "carol", fixed(map[string]any{"left": false})),
		rejected("left member changes own old row → 404", "carol", "carol", fixed(map[string]any{"muted": true})),
		worldCase("user can't add a membership → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("dave", http.MethodPost, recordsURL(c, ""), map[string]any{"thread": w.group, "user": f.id("dave")})
			return countIs(expect(s, 403, []string{onlySuperusers}), c, 9)
		}),
		worldCase("user can't delete a membership → 403", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("alice", http.MethodDelete, recordsURL(c, "/"+f.member("alice", w.group).Id), nil)
			return countIs(expect(s, 403, []string{onlySuperusers}), c, 9)
		}),
		worldCase("superuser deletes a membership: the thread's members follow", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("superuser", http.MethodDelete, recordsURL(c, "/"+f.member("bob", w.group).Id), nil), 204, nil)
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				th, _ := app.FindRecordById(messaging.CollectionNameThreads, w.group)
				if m := th.GetStringSlice("members"); len(m) != 1 || m[0] != f.id("alice") {
					t.Errorf("members %v, want only alice", m)
				}
			}
			return s
		}),
	})
}

// Tags are private to their owner.
func TestRecords_Tags(t *testing.T) {
	t.Parallel()
	c := messaging.CollectionNameTags
	withTag := func(name string, build func(f *fixture, tag string) tests.ApiScenario) apiCase {
		return apiCase{name: name, build: func(f *fixture) tests.ApiScenario {
			return build(f, f.tag("alice", "alices-secret-tag").Id)
		}}
	}
	runCases(t, []apiCase{
		withTag("owner lists own tags", func(f *fixture, tag string) tests.ApiScenario {
			f.tag("bob", "bobs-tag")
			return expect(f.as("alice", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":1`, `"name":"alices-secret-tag"`}, "bobs-tag")
		}),
		withTag("another user lists none of them", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, "alices-secret-tag")
		}),
		withTag("anonymous lists none", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("", http.MethodGet, recordsURL(c, ""), nil), 200, []string{`"totalItems":0`}, "alices-secret-tag")
		}),
		withTag("superuser lists all tags", func(f *fixture, tag string) tests.ApiScenario {
			f.tag("bob", "bobs-tag")
			return expect(f.as("superuser", http.MethodGet, recordsURL(c, ""), nil), 200,
				[]string{`"totalItems":2`, `"name":"alices-secret-tag"`, `"name":"bobs-tag"`})
		}),
		withTag("another user views → 404", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("bob", http.MethodGet, recordsURL(c, "/"+tag), nil), 404, []string{recordNotFound}, "alices-secret-tag")
		}),
		withTag("owner creates a tag", func(f *fixture, tag string) tests.ApiScenario {
			s := f.as("bob", http.MethodPost, recordsURL(c, ""), map[string]any{"user": f.id("bob"), "name": "mine"})
			return countIs(expect(s, 200, []string{`"name":"mine"`, `"user":"` + f.id("bob") + `"`}), c, 2)
		}),
		withTag("creating a tag for someone else → 400", func(f *fixture, tag string) tests.ApiScenario {
			s := f.as("bob", http.MethodPost, recordsURL(c, ""), map[string]any{"user": f.id("alice"), "name": "planted"})
			return countIs(expect(s, 400, []string{createFailed}), c, 1)
		}),
		withTag("owner renames", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPatch, recordsURL(c, "/"+tag), map[string]any{"name": "renamed"}), 200,
				[]string{`"name":"renamed"`})
		}),
		withTag("owner gives the tag away → 404", func(f *fixture, tag string) tests.ApiScenario {
			s := expect(f.as("alice", http.MethodPatch, recordsURL(c, "/"+tag), map[string]any{"user": f.id("bob")}), 404,
				[]string{recordNotFound})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, _ := app.FindRecordById(c, tag)
				if r.GetString("user") != f.id("alice") {
					t.Error("tag changed hands")
				}
			}
			return s
		}),
		withTag("another user renames → 404", func(f *fixture, tag string) tests.ApiScenario {
			return expect(f.as("bob", http.MethodPatch, recordsURL(c, "/"+tag), map[string]any{"name": "hijacked"}), 404,
				[]string{recordNotFound}, "alices-secret-tag")
		}),
		withTag("another user deletes → 404", func(f *fixture, tag string) tests.ApiScenario {
			return countIs(expect(f.as("bob", http.MethodDelete, recordsURL(c, "/"+tag), nil), 404, []string{recordNotFound}), c, 1)
		}),
		withTag("owner deletes", func(f *fixture, tag string) tests.ApiScenario {
			return countIs(expect(f.as("alice", http.MethodDelete, recordsURL(c, "/"+tag), nil), 204, nil), c, 0)
		}),
	})
}

func TestRoutes_MuteArchive(t *testing.T) {
	t.Parallel()
	var cases []apiCase
	for _, field := range []string{"muted", "archived"} {
		suffix := "/mute"
		if field == "archived" {
			suffix = "/archive"
		}
		cases = append(cases,
			worldCase(field+" true, for the caller only", func(f *fixture, w world) tests.ApiScenario {
				s := expect(f.as("alice", http.MethodPost, threadURL(w.direct, suffix), map[string]any{field: true}), 200,
					[]string{`"id":"` + w.direct + `"`, `"` + field + `":true`})
				s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
					if !f.member("alice", w.direct).GetBool(field) || f.member("bob", w.direct).GetBool(field) {
						t.Errorf("%s should be set for alice only", field)
					}
				}
				return s
			}),
			worldCase(field+" false undoes it", func(f *fixture, w world) tests.ApiScenario {
				m := f.member("alice", w.direct)
				m.Set(field, true)
				f.must(f.app.Save(m))
				s := expect(f.as("alice", http.MethodPost, threadURL(w.direct, suffix), map[string]any{field: false}), 200,
					[]string{`"id":"` + w.direct + `"`, `"` + field + `":false`})
				s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
					if f.member("alice", w.direct).GetBool(field) {
						t.Errorf("%s still set", field)
					}
				}
				return s
			}),
			worldCase(field+": blocked user may too", func(f *fixture, w world) tests.ApiScenario {
				return expect(f.as("erin", http.MethodPost, threadURL(w.blocked, suffix), map[string]any{field: true}), 200,
					[]string{`"` + field + `":true`})
			}),
			worldCase(field+": missing flag → 400", func(f *fixture, w world) tests.ApiScenario {
				return expect(f.as("alice", http.MethodPost, threadURL(w.direct, suffix), map[string]any{}), 400,
					[]string{fieldError(field, "required")})
			}),
			worldCase(field+": malformed JSON → 400", func(f *fixture, w world) tests.ApiScenario {
				return expect(f.as("alice", http.MethodPost, threadURL(w.direct, suffix), `{"`+field+`":`), 400,
					[]string{`"message":"Invalid JSON body."`})
			}),
		)
		cases = append(cases, memberActionCases(field, http.MethodPost, suffix, map[string]any{field: true})...)
	}
	runCases(t, cases)
}

func TestRoutes_Tags(t *testing.T) {
	t.Parallel()
	put := func(f *fixture, who, id string, tags ...string) tests.ApiScenario {
		if tags == nil {
			tags = []string{}
		}
		return f.as(who, http.MethodPut, threadURL(id, "/tags"), map[string]any{"tags": tags})
	}
	cases := []apiCase{
		worldCase("member tags a thread with own tags", func(f *fixture, w world) tests.ApiScenario {
			work, home := f.tag("alice", "work"), f.tag("alice", "home")
			s := expect(put(f, "alice", w.direct, work.Id, home.Id, work.Id), 200,
				[]string{`"tags":[{"id":"` + work.Id + `","name":"work","color":"blue"},{"id":"` + home.Id + `","name":"home"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if got := f.member("bob", w.direct).GetStringSlice("tags"); len(got) != 0 {
					t.Errorf("tags leaked onto bob's membership: %v", got)
				}
			}
			return s
		}),
		worldCase("blocked user may tag the thread", func(f *fixture, w world) tests.ApiScenario {
			tag := f.tag("erin", "later")
			return expect(put(f, "erin", w.blocked, tag.Id), 200, []string{`"name":"later"`})
		}),
		worldCase("empty list clears the tags", func(f *fixture, w world) tests.ApiScenario {
			work := f.tag("alice", "work")
			f.must(f.pm.SetTags(f.id("alice"), w.direct, []string{work.Id}))
			return expect(put(f, "alice", w.direct), 200, []string{`"tags":[]`}, `"name":"work"`)
		}),
		worldCase("another user's tag → 400", func(f *fixture, w world) tests.ApiScenario {
			theirs := f.tag("bob", "bobs-private-tag")
			s := expect(put(f, "alice", w.direct, theirs.Id), 400, []string{fieldError("tags", "unknown_tag")}, "bobs-private-tag")
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if got := f.member("alice", w.direct).GetStringSlice("tags"); len(got) != 0 {
					t.Errorf("foreign tag stored: %v", got)
				}
			}
			return s
		}),
		worldCase("unknown tag → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(put(f, "alice", w.direct, "nosuchtag123456"), 400, []string{fieldError("tags", "unknown_tag")})
		}),
		worldCase("malformed JSON → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodPut, threadURL(w.direct, "/tags"), `{"tags":`), 400,
				[]string{`"message":"Invalid JSON body."`})
		}),
	}
	runCases(t, append(cases, memberActionCases("tags", http.MethodPut, "/tags", map[string]any{"tags": []string{}})...))
}

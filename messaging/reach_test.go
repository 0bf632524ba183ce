package messaging_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// setReach sets name's who-can-message mode through their preferences.
func (f *fixture) setReach(name, mode string) {
	f.t.Helper()
	p, err := f.pm.Preferences(f.id(name))
	f.must(err)
	p.WhoCanMessage = mode
	f.must(f.pm.SetPreferences(f.id(name), p))
}

// reachCast gives alice a contact (bob, with whom she shares a group that
// admin started) and a blocked contact (carol, in the same group, whom she
// blocked); dave is a stranger and admin holds an unblockable role.
func (f *fixture) reachCast() (group string) {
	f.t.Helper()
	thread, _ := f.start("admin", []string{"alice", "bob", "carol"}, "Team", "team-hello")
	f.must(f.pm.Block(f.id("alice"), f.id("carol")))
	return thread.Id
}

// requestOf is name's request state in thread ("" normal, "pending",
// "declined").
func (f *fixture) requestOf(name, thread string) string {
	f.t.Helper()
	return f.member(name, thread).GetString("request")
}

// directWith is the id of the direct thread of a and b.
func (f *fixture) directWith(a, b string) string {
	f.t.Helper()
	t, err := f.app.FindFirstRecordByData(messaging.CollectionNameThreads, "direct_key", messaging.DirectKey(f.id(a), f.id(b)))
	f.must(err)
	return t.Id
}

// What each kind of caller gets when starting a conversation with alice,
// for each of her modes: a normal conversation, a request, or the one
// generic refusal a block gets.
func TestReach_StartByModeAndCaller(t *testing.T) {
	t.Parallel()
	const (
		open    = "open"
		request = "request"
		refused = "refused"
	)
	want := map[string]map[string]string{ // mode → caller → outcome
		messaging.ReachEveryone: {"dave": open, "bob": open, "carol": refused, "admin": open},
		messaging.ReachContacts: {"dave": refused, "bob": open, "carol": refused, "admin": open},
		messaging.ReachNobody:   {"dave": refused, "bob": refused, "carol": refused, "admin": open},
		messaging.ReachRequests: {"dave": request, "bob": open, "carol": refused, "admin": open},
	}
	kinds := map[string]string{"dave": "stranger", "bob": "contact", "carol": "blocked", "admin": "unblockable role"}
	var cases []apiCase
	for mode, callers := range want {
		for caller, outcome := range callers {
			// The mode chosen by alice, and the same as the site's default
			// for a member who chose none.
			for _, viaSite := range []bool{false, true} {
				name := mode + " / " + kinds[caller] + " → " + outcome
				cfg := messaging.Config{}
				if viaSite {
					name += " (site default)"
					cfg.WhoCanMessage = mode
				}
				cases = append(cases, apiCase{name: name, cfg: cfg, build: func(f *fixture) tests.ApiScenario {
					f.reachCast()
					if !viaSite {
						f.setReach("alice", mode)
					}
					s := f.as(caller, http.MethodPost, "/api/messaging/threads",
						map[string]any{"recipients": []string{f.id("alice")}, "body": "first-contact"})
					if outcome == refused {
						s = expect(s, 403, []string{refusedBody})
						s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
							if n, _ := app.CountRecords(messaging.CollectionNameThreads); n != 1 {
								t.Errorf("%d threads after a refusal, want 1", n)
							}
						}
						return s
					}
					s = expect(s, 200, []string{`"body":"first-contact"`})
					s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
						direct := f.directWith(caller, "alice")
						wantReq, wantBadge := "", messaging.UnreadCounts{Threads: 2, Messages: 2}
						if outcome == request {
							wantReq, wantBadge = "pending", messaging.UnreadCounts{Threads: 1, Messages: 1, Requests: 1}
						}
						if got := f.requestOf("alice", direct); got != wantReq {
							t.Errorf("alice's request state %q, want %q", got, wantReq)
						}
						if got := f.requestOf(caller, direct); got != "" {
							t.Errorf("the sender's own membership is a request: %q", got)
						}
						if got, err := f.pm.Unread(f.id("alice")); err != nil || got != wantBadge {
							t.Errorf("alice's counts %+v (%v), want %+v", got, err, wantBadge)
						}
					}
					return s
				}})
			}
		}
	}
	runCases(t, cases)
}

// Adding someone to a group reaches them: the same gate, and a request for
// a stranger in requests mode (the group goes on for the others).
func TestReach_AddToGroup(t *testing.T) {
	t.Parallel()
	add := func(f *fixture, who, group string) tests.ApiScenario {
		return f.as(who, http.MethodPost, threadURL(group, "/members"), map[string]any{"users": []string{f.id("alice")}})
	}
	groupOf := func(f *fixture) string {
		thread, _ := f.start("dave", []string{"carol", "bob"}, "Strangers", "hello")
		return thread.Id
	}
	runCases(t, []apiCase{
		{name: "nobody: a contact can't add her", build: func(f *fixture) tests.ApiScenario {
			f.start("bob", []string{"alice"}, "", "we are contacts")
			f.setReach("alice", messaging.ReachNobody)
			g := groupOf(f)
			return countIs(expect(add(f, "bob", g), 403, []string{refusedBody}), messaging.CollectionNameThreadMembers, 5)
		}},
		{name: "contacts: a stranger can't add her", build: func(f *fixture) tests.ApiScenario {
			f.setReach("alice", messaging.ReachContacts)
			return countIs(expect(add(f, "dave", groupOf(f)), 403, []string{refusedBody}), messaging.CollectionNameThreadMembers, 3)
		}},
		{name: "contacts: a contact can", build: func(f *fixture) tests.ApiScenario {
			f.start("bob", []string{"alice"}, "", "we are contacts")
			f.setReach("alice", messaging.ReachContacts)
			return countIs(expect(add(f, "bob", groupOf(f)), 200, []string{`"id"`}), messaging.CollectionNameThreadMembers, 6)
		}},
		{name: "requests: a stranger's group is a request for her", build: func(f *fixture) tests.ApiScenario {
			f.setReach("alice", messaging.ReachRequests)
			g := groupOf(f)
			s := expect(add(f, "dave", g), 200, []string{`"id"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if got := f.requestOf("alice", g); got != "pending" {
					t.Errorf("alice's membership %q, want pending", got)
				}
				// The others go on talking: no "waiting" in a group.
				f.send("bob", g, "carry on")
				f.send("dave", g, "and on")
			}
			return s
		}},
		{name: "nobody: an unblockable role can add her", build: func(f *fixture) tests.ApiScenario {
			f.setReach("alice", messaging.ReachNobody)
			thread, _ := f.start("admin", []string{"carol", "bob"}, "Staff", "hello")
			return countIs(expect(add(f, "admin", thread.Id), 200, []string{`"id"`}), messaging.CollectionNameThreadMembers, 4)
		}},
	})
}

// Superusers and server code write threads and memberships as records,
// with no actor to check: that is the explicit way around the modes.
func TestReach_SuperuserAddsAMemberRecord(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{{name: "superuser adds a nobody-mode member", build: func(f *fixture) tests.ApiScenario {
		f.setReach("alice", messaging.ReachNobody)
		thread, _ := f.start("dave", []string{"carol", "bob"}, "Staff", "hello")
		s := f.as("superuser", http.MethodPost, recordsURL(messaging.CollectionNameThreadMembers, ""),
			map[string]any{"thread": thread.Id, "user": f.id("alice")})
		return countIs(expect(s, 200, []string{`"user":"` + f.id("alice") + `"`}), messaging.CollectionNameThreadMembers, 4)
	}}})
}

// Posting into an existing direct thread obeys the mode too, through the
// messaging, records and batch APIs alike, with the same refusal.
func TestReach_PostPathsObeyTheMode(t *testing.T) {
	t.Parallel()
	type path func(f *fixture, who, thread string) tests.ApiScenario
	paths := map[string]path{
		"messaging API": func(f *fixture, who, thread string) tests.ApiScenario {
			return f.as(who, http.MethodPost, threadURL(thread, "/messages"), map[string]any{"body": "again"})
		},
		"records API": func(f *fixture, who, thread string) tests.ApiScenario {
			return f.as(who, http.MethodPost, recordsURL(messaging.CollectionNameMessages, ""),
				map[string]any{"thread": thread, "body": "again"})
		},
		"batch API": func(f *fixture, who, thread string) tests.ApiScenario {
			f.enableBatch()
			return f.as(who, http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{{
				"method": http.MethodPost, "url": recordsURL(messaging.CollectionNameMessages, ""),
				"body": map[string]any{"thread": thread, "body": "again"},
			}}})
		},
	}
	// The body each path answers a refusal with (the batch API wraps it).
	refusal := map[string][2]any{
		"messaging API": {403, refusedBody},
		"records API":   {403, refusedBody},
		"batch API":     {400, `"response":{"data":{},"message":"Unable to send message.","status":403}`},
	}
	waiting := map[string][2]any{
		"messaging API": {403, `"message":"Your message request hasn't been accepted yet."`},
		"records API":   {403, `"message":"Your message request hasn't been accepted yet."`},
		"batch API":     {400, `"message":"Your message request hasn't been accepted yet.","status":403`},
	}
	var cases []apiCase
	for name, p := range paths {
		cases = append(cases,
			apiCase{name: name + ": nobody refuses her direct contact", build: func(f *fixture) tests.ApiScenario {
				thread, _ := f.start("bob", []string{"alice"}, "", "hello")
				f.setReach("alice", messaging.ReachNobody)
				return countIs(expect(p(f, "bob", thread.Id), refusal[name][0].(int), []string{refusal[name][1].(string)}),
					messaging.CollectionNameMessages, 1)
			}},
			apiCase{name: name + ": contacts lets her direct contact write", build: func(f *fixture) tests.ApiScenario {
				thread, _ := f.start("bob", []string{"alice"}, "", "hello")
				f.setReach("alice", messaging.ReachContacts)
				return countIs(expect(p(f, "bob", thread.Id), 200, []string{`"body":"again"`}), messaging.CollectionNameMessages, 2)
			}},
			apiCase{name: name + ": a pending request takes no second message", build: func(f *fixture) tests.ApiScenario {
				f.setReach("alice", messaging.ReachRequests)
				thread, _ := f.start("dave", []string{"alice"}, "", "hello")
				return countIs(expect(p(f, "dave", thread.Id), waiting[name][0].(int), []string{waiting[name][1].(string)}),
					messaging.CollectionNameMessages, 1)
			}},
		)
	}
	runCases(t, cases)
}

// The autocomplete offers exactly the people a start would not refuse,
// whatever the reason, and never says which.
func TestReach_AutocompleteMatchesStarting(t *testing.T) {
	t.Parallel()
	for _, caller := range []string{"dave", "bob", "admin"} {
		f := newFixture(t, messaging.Config{})
		for _, n := range []string{"nora", "cora", "rita", "evan", "blake"} {
			f.users[n] = f.mustUser(n)
		}
		f.start("cora", []string{"bob"}, "", "bob is cora's contact")
		f.setReach("nora", messaging.ReachNobody)
		f.setReach("cora", messaging.ReachContacts)
		f.setReach("rita", messaging.ReachRequests)
		f.setReach("evan", messaging.ReachEveryone)
		if caller != "admin" { // an unblockable role can't be blocked
			f.must(f.pm.Block(f.id("blake"), f.id(caller)))
		}
		for _, name := range []string{"nora", "cora", "rita", "evan", "blake"} {
			items, err := f.pm.Recipients(f.id(caller), name, 10)
			f.must(err)
			_, _, sendErr := f.pm.Start(f.id(caller), []string{f.id(name)}, "", "hi")
			if offered := len(items) == 1; offered != (sendErr == nil) {
				t.Errorf("%s → %s: offered=%v but start error %v", caller, name, offered, sendErr)
			}
		}
		f.app.Cleanup()
	}
}

// The route: nobody and contacts-only are left out for a stranger.
func TestReach_RecipientsRoute(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		{name: "a stranger doesn't find nobody-mode members", build: func(f *fixture) tests.ApiScenario {
			f.setReach("bob", messaging.ReachNobody)
			return expect(f.as("dave", http.MethodGet, "/api/messaging/recipients?q=bo", nil), 200, []string{`"items":[]`})
		}},
		{name: "an unblockable role finds them", build: func(f *fixture) tests.ApiScenario {
			f.setReach("bob", messaging.ReachNobody)
			return expect(f.as("admin", http.MethodGet, "/api/messaging/recipients?q=bo", nil), 200, []string{`"username":"bob"`})
		}},
		{name: "requests-mode members are found", build: func(f *fixture) tests.ApiScenario {
			f.setReach("bob", messaging.ReachRequests)
			return expect(f.as("dave", http.MethodGet, "/api/messaging/recipients?q=bo", nil), 200, []string{`"username":"bob"`})
		}},
	})
}

// The preference through the API: stored, shown, validated.
func TestReach_PreferenceRoute(t *testing.T) {
	t.Parallel()
	const url = "/api/messaging/preferences"
	runCases(t, []apiCase{
		{name: "set requests", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("alice", http.MethodPatch, url, map[string]any{"whoCanMessage": "requests"}), 200,
				[]string{`"whoCanMessage":"requests"`}), f, "alice", messaging.Preferences{WhoCanMessage: messaging.ReachRequests})
		}},
		{name: "back to default", build: func(f *fixture) tests.ApiScenario {
			f.setReach("alice", messaging.ReachNobody)
			return prefsAre(expect(f.as("alice", http.MethodPatch, url, map[string]any{"whoCanMessage": "default"}), 200,
				[]string{`"whoCanMessage":"default"`}), f, "alice", messaging.Preferences{})
		}},
		{name: "unknown mode → 400", build: func(f *fixture) tests.ApiScenario {
			return prefsAre(expect(f.as("alice", http.MethodPatch, url, map[string]any{"whoCanMessage": "friends"}), 400,
				[]string{fieldError("whoCanMessage", "bad_who_can_message")}), f, "alice", messaging.Preferences{})
		}},
		{name: "site setting: unknown value refused", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, recordsURL(messaging.CollectionNameSettings, "/messagingconfig"),
				map[string]any{"who_can_message": "friends"}), 400, []string{`"who_can_message"`})
		}},
		{name: "site setting: in force at once", build: func(f *fixture) tests.ApiScenario {
			s := expect(f.as("superuser", http.MethodPatch, recordsURL(messaging.CollectionNameSettings, "/messagingconfig"),
				map[string]any{"who_can_message": "contacts"}), 200, []string{`"who_can_message":"contacts"`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				if _, _, err := f.pm.Start(f.id("dave"), []string{f.id("alice")}, "", "hi"); !errors.Is(err, messaging.ErrRefused) {
					t.Errorf("a stranger started a conversation under contacts: %v", err)
				}
			}
			return s
		}},
	})
}

package messaging_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

const announceReply = `{"data":{},"message":"Replies to an announcement go to its sender.","status":403}`

// announcement has sam announce to the support role (bob, carol) with
// mod as an explicit member, and returns the thread id.
func (f *fixture) announcement() string {
	f.t.Helper()
	th, _ := f.startRoles("sam", []string{"mod"}, messaging.StartOptions{Roles: []string{"support"}, Announcement: true})
	return th.Id
}

// announceCase is an apiCase on the role fixture with the announcement.
func announceCase(name string, build func(f *fixture, th string) tests.ApiScenario) apiCase {
	return roleCase(name, messaging.Config{}, func(f *fixture) tests.ApiScenario { return build(f, f.announcement()) })
}

// Only the creator and moderators post into an announcement; a plain
// member's reply through the messaging API goes to the creator; the
// records API refuses it.
func TestAnnouncement_Posting(t *testing.T) {
	t.Parallel()
	reply := map[string]any{"body": "a-reply"}
	runCases(t, []apiCase{
		announceCase("anonymous → 401", func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("", "POST", threadURL(th, "/messages"), reply), 401, []string{`"status":401`})
		}),
		announceCase("plain member → redirected to the sender", func(f *fixture, th string) tests.ApiScenario {
			s := expect(f.as("bob", "POST", threadURL(th, "/messages"), reply), 200,
				[]string{`"redirected":true`, `"body":"a-reply"`}, `"thread":"`+th+`"`)
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
				direct := inboxFirst(f, "sam")
				if direct == th || f.unread("sam", direct) != 1 || f.unread("carol", th) != 1 {
					t.Errorf("direct %s (announcement %s), sam's unread there %d, carol's %d",
						direct, th, f.unread("sam", direct), f.unread("carol", th))
				}
			}
			return s
		}),
		announceCase("the sender posts", func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("sam", "POST", threadURL(th, "/messages"), reply), 200,
				[]string{`"thread":"` + th + `"`}, `"redirected"`)
		}),
		announceCase("a moderator member posts", func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("mod", "POST", threadURL(th, "/messages"), reply), 200,
				[]string{`"thread":"` + th + `"`}, `"redirected"`)
		}),
		announceCase("non-member → 404", func(f *fixture, th string) tests.ApiScenario {
			return expect(f.as("alice", "POST", threadURL(th, "/messages"), reply), 404, []string{notFoundBody})
		}),
		announceCase("blocked by the sender: the redirect is refused like any message", func(f *fixture, th string) tests.ApiScenario {
			f.must(f.pm.Block(f.id("sam"), f.id("bob")))
			return countIs(expect(f.as("bob", "POST", threadURL(th, "/messages"), reply), 403, []string{refusedBody}), "threads", 1)
		}),
		announceCase("records API, plain member → 403", func(f *fixture, th string) tests.ApiScenario {
			body := map[string]any{"thread": th, "body": "a-reply"}
			return countIs(expect(f.as("bob", "POST", recordsURL("messages", ""), body), 403, []string{announceReply}), "messages", 1)
		}),
		announceCase("records API, the sender → 200", func(f *fixture, th string) tests.ApiScenario {
			body := map[string]any{"thread": th, "body": "more"}
			return countIs(expect(f.as("sam", "POST", recordsURL("messages", ""), body), 200, []string{`"body":"more"`}), "messages", 2)
		}),
		announceCase("batch API, plain member → refused", func(f *fixture, th string) tests.ApiScenario {
			s := f.app.Settings()
			s.Batch.Enabled = true
			f.must(f.app.Save(s))
			body := map[string]any{"requests": []map[string]any{{"method": "POST", "url": recordsURL("messages", ""),
				"body": map[string]any{"thread": th, "body": "a-reply"}}}}
			return countIs(expect(f.as("bob", "POST", "/api/batch", body), 400, []string{`Replies to an announcement go to its sender.`}), "messages", 1)
		}),
		announceCase("plain member adds people → 403", func(f *fixture, th string) tests.ApiScenario {
			body := map[string]any{"users": []string{f.id("alice")}}
			return expect(f.as("bob", "POST", threadURL(th, "/members"), body), 403, []string{`Only the sender and moderators`})
		}),
		announceCase("the sender adds people", func(f *fixture, th string) tests.ApiScenario {
			body := map[string]any{"users": []string{f.id("alice")}}
			return expect(f.as("sam", "POST", threadURL(th, "/members"), body), 200, []string{`"memberCount":6`})
		}),
		announceCase("a plain member reads, mutes and leaves", func(f *fixture, th string) tests.ApiScenario {
			f.must(f.pm.SetMuted(f.id("bob"), th, true))
			f.must(f.pm.Leave(f.id("bob"), th))
			return expect(f.as("carol", "GET", threadURL(th, "/messages"), nil), 200, []string{`"body":"hello-role"`})
		}),
	})
}

// Go's Send does what the reply route does.
func TestAnnouncement_GoSendRedirects(t *testing.T) {
	t.Parallel()
	f := newRoleFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.giveRole("support", "bob", "carol")
	th := f.announcement()
	msg, err := f.pm.Send(f.id("bob"), th, "go-reply")
	f.must(err)
	direct := msg.GetString("thread")
	if direct == th {
		t.Fatal("Send posted into the announcement")
	}
	view, err := f.pm.Thread(f.id("sam"), direct)
	f.must(err)
	if view.Kind != messaging.KindDirect || view.Unread != 1 {
		t.Errorf("sam's view of the reply: %+v", view)
	}
	// A second reply lands in the same direct thread.
	again, err := f.pm.SendWith(f.id("bob"), th, "go-again", messaging.SendOptions{})
	f.must(err)
	if again.GetString("thread") != direct {
		t.Errorf("second reply went to %s, want %s", again.GetString("thread"), direct)
	}
	// The creator gone, a reply has nowhere to go.
	f.must(f.app.Delete(f.users["sam"]))
	if _, err := f.pm.Send(f.id("bob"), th, "late"); !errors.Is(err, messaging.ErrForbidden) {
		t.Errorf("reply after the sender's deletion: %v, want ErrForbidden", err)
	}
}

// The autocomplete offers roles and types only to those who may use them.
func TestRecipients_RolesAndTypes(t *testing.T) {
	t.Parallel()
	q := func(s string) string { return "/api/messaging/recipients?q=" + s }
	runCases(t, []apiCase{
		roleCase("anonymous → 401", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return expect(f.as("", "GET", q("su"), nil), 401, []string{`"status":401`})
		}),
		roleCase("member: users only, typed", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return expect(f.as("bob", "GET", q("s"), nil), 200, []string{`"type":"user"`, `"name":"Sam"`}, `"type":"role"`)
		}),
		roleCase("moderator without the role: users only", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return expect(f.as("mod", "GET", q("su"), nil), 200, []string{`"items":[`}, `"type":"role"`, `"type":"project"`)
		}),
		roleCase("permitted member: roles", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return expect(f.as("sam", "GET", q("su"), nil), 200, []string{`{"id":"support","name":"support","username":"","avatar":"","type":"role"}`})
		}),
		roleCase("permitted member: the role first, before a full page of users", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			for i := range 3 {
				f.mustUser("sup" + string(rune('a'+i)))
			}
			return expect(f.as("sam", "GET", q("su")+"&limit=2", nil), 200,
				[]string{`{"items":[{"id":"support","name":"support","username":"","avatar":"","type":"role"},{"id":`})
		}),
		roleCase("permitted member: the project type", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return expect(f.as("sam", "GET", q("p"), nil), 200,
				[]string{`{"id":"p1","name":"Project p1","username":"","avatar":"","type":"project","memberCount":3}`})
		}),
		roleCase("holder whom MayUse refuses: roles, no project", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			f.giveRole("staff", "alice")
			return expect(f.as("alice", "GET", q("p"), nil), 200, []string{`"items":[`}, `"type":"project"`)
		}),
		roleCase("superuser → 403", messaging.Config{}, func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", "GET", q("su"), nil), 403, []string{`"status":403`})
		}),
	})
}

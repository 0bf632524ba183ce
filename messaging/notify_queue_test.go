package messaging_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

// The digest goes out once a day at the site's hour, to digest-mode
// members only, and lists exactly the conversations with unread messages
// they haven't muted.
func TestNotify_Digest(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{DigestHour: 8})
	nf.must(nf.pm.SetPreferences(nf.id("bob"), messaging.Preferences{EmailNotifications: messaging.EmailDigest}))
	unread, _ := nf.start("alice", []string{"bob"}, "", "are you there?")
	read, _ := nf.start("carol", []string{"alice", "bob"}, "Read one", "old news")
	nf.must(nf.pm.MarkRead(nf.id("bob"), read.Id))
	muted, _ := nf.start("alice", []string{"bob", "carol"}, "Muted one", "noise")
	nf.must(nf.pm.SetMuted(nf.id("bob"), muted.Id, true))
	group, _ := nf.start("carol", []string{"alice", "bob"}, "Team", "agenda")
	nf.send("alice", group.Id, "and more")

	digests := func(name string) []sunkMail {
		var out []sunkMail
		for _, m := range nf.sink.to(email(name)) {
			if strings.Contains(m.Subject, "with unread messages") {
				out = append(out, m)
			}
		}
		return out
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Truncate(24 * time.Hour)
	stepApp(t, nf.pm, tomorrow.Add(7*time.Hour+59*time.Minute))
	if got := digests("bob"); len(got) != 0 {
		t.Fatalf("%d digests before the hour", len(got))
	}
	stepApp(t, nf.pm, tomorrow.Add(8*time.Hour))
	stepApp(t, nf.pm, tomorrow.Add(20*time.Hour)) // later the same day: no second one
	got := digests("bob")
	if len(got) != 1 {
		t.Fatalf("bob got %d digests, want 1", len(got))
	}
	d := got[0]
	if d.Subject != "2 conversations with unread messages on Chat" {
		t.Errorf("subject %q", d.Subject)
	}
	for _, part := range []string{d.Text, d.HTML} {
		for _, want := range []string{appURL + "/t/" + unread.Id, appURL + "/t/" + group.Id, "Alice", "Team"} {
			if !strings.Contains(part, want) {
				t.Errorf("digest lacks %q:\n%s", want, part)
			}
		}
		for _, not := range []string{read.Id, muted.Id} {
			if strings.Contains(part, not) {
				t.Errorf("digest lists %s, read or muted:\n%s", not, part)
			}
		}
	}
	if d.Header.Get("List-Unsubscribe") == "" {
		t.Error("digest without List-Unsubscribe")
	}
	nf.wantMails("bob", 0) // and no per-conversation email
	if got := digests("carol"); len(got) != 0 {
		t.Errorf("carol, in conversation mode, got %d digests", len(got))
	}

	// The next day, with nothing unread, there is no digest.
	nf.must(nf.pm.MarkRead(nf.id("bob"), unread.Id))
	nf.must(nf.pm.MarkRead(nf.id("bob"), group.Id))
	stepApp(t, nf.pm, tomorrow.Add(32*time.Hour))
	if got := digests("bob"); len(got) != 1 {
		t.Errorf("bob got %d digests after reading everything, want still 1", len(got))
	}
}

// A restart loses nothing: the queue is in the database. The first app
// fans out and "dies" with one email in the middle of its SMTP
// conversation (state sending); a second app on a copy of its data dir
// sends every pending email, the interrupted one after its lease.
func TestNotify_RestartLosesNothing(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	thread, _ := nf.start("alice", []string{"bob", "carol", "dave"}, "Team", "hello")
	nf.send("alice", thread.Id, "anyone?")
	// The background worker runs and is stopped as OnTerminate does.
	messaging.StartNotifierForTest(nf.pm)
	messaging.StopNotifierForTest(nf.pm)
	nf.step(0)
	_, err := nf.app.DB().NewQuery(`UPDATE messaging_notifications SET state = 'sending', attempts = 1,
		next_attempt = strftime('%Y-%m-%d %H:%M:%fZ', 'now', '+10 minutes') WHERE user = {:u}`).
		Bind(map[string]any{"u": nf.id("carol")}).Execute()
	nf.must(err)
	if got := nf.states(); got["waiting"] != 2 || got["sending"] != 1 {
		t.Fatalf("states before the restart %v", got)
	}
	nf.app.ClearBootstrap() // closes the databases, as a stopped process would

	app2, err := tests.NewTestApp(nf.app.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app2.Cleanup()
	pm2, err := messaging.Register(app2, messaging.Config{NotifyDelaySeconds: int(notifyDelay / time.Second)})
	nf.must(err)
	mailTo(app2, nf.sink)
	messaging.ReplaceEmailLinksForTest(pm2, testLinks)

	stepApp(t, pm2, time.Now().Add(notifyDelay+time.Second))
	nf.wantMails("bob", 1)
	nf.wantMails("dave", 1)
	nf.wantMails("carol", 0) // its lease is not over yet
	stepApp(t, pm2, time.Now().Add(11*time.Minute))
	m := nf.wantMails("carol", 1)[0]
	if m.Subject != "2 new messages from Alice in 'Team'" {
		t.Errorf("subject %q", m.Subject)
	}
	nf.wantMails("bob", 1)
}

// Many members sending at once into one thread while the worker fans out
// in the background: still one window, and one email, per recipient.
func TestNotify_ConcurrentSendsOneWindow(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	thread, _ := nf.start("alice", []string{"bob", "carol", "dave"}, "Busy", "start")
	messaging.StartNotifierForTest(nf.pm)
	const perSender = 15
	var wg sync.WaitGroup
	for _, who := range []string{"alice", "carol"} {
		for g := range 2 {
			wg.Go(func() {
				for i := range perSender {
					if _, err := nf.pm.Send(nf.id(who), thread.Id, fmt.Sprintf("%s %d/%d", who, g, i)); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	messaging.StopNotifierForTest(nf.pm)
	nf.step(0)
	rows, err := nf.app.FindAllRecords(messaging.CollectionNameNotifications)
	nf.must(err)
	perUser := map[string]int{}
	for _, r := range rows {
		perUser[r.GetString("user")]++
	}
	for _, who := range []string{"bob", "dave"} {
		if perUser[nf.id(who)] != 1 {
			t.Errorf("%s has %d windows, want 1", who, perUser[nf.id(who)])
		}
	}
	nf.step(notifyDelay + time.Second)
	for _, who := range []string{"bob", "dave"} {
		m := nf.wantMails(who, 1)[0]
		want := fmt.Sprintf("%d new messages from ", 1+4*perSender)
		if !strings.HasPrefix(m.Subject, want) || !strings.Contains(m.Subject, "Alice") || !strings.Contains(m.Subject, "Carol") {
			t.Errorf("%s: subject %q, want %q…", who, m.Subject, want)
		}
	}
	for _, who := range []string{"alice", "carol"} {
		if got := len(nf.sink.to(email(who))); got > 1 {
			t.Errorf("%s got %d emails", who, got)
		}
	}
}

// With no delay and the worker running, an email goes out without anyone
// driving the worker: the commit wakes it.
func TestNotify_WorkerSendsOnItsOwn(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{NotifyDelaySeconds: -1})
	messaging.StartNotifierForTest(nf.pm)
	defer messaging.StopNotifierForTest(nf.pm)
	nf.start("alice", []string{"bob"}, "", "quick one")
	deadline := time.Now().Add(20 * time.Second)
	for len(nf.sink.to(email("bob"))) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	nf.wantMails("bob", 1)
}

// Templates are settings: checked when saved, used when sending.
func TestNotify_TemplateSettings(t *testing.T) {
	t.Parallel()
	rec := "/api/collections/" + messaging.CollectionNameSettings + "/records/messagingconfig"
	runCases(t, []apiCase{
		{name: "an unknown field in a template → 400 naming it", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"email_subject_template":"{{.Nope}}"}`), 400,
				[]string{fieldError("email_subject_template", "template"), `can't evaluate field Nope`})
		}},
		{name: "a template that doesn't parse → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"digest_html_template":"{{range .Conversations}}"}`), 400,
				[]string{fieldError("digest_html_template", "template")})
		}},
		{name: "a delay out of range → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"notify_delay_seconds":100000}`), 400,
				[]string{fieldError("notify_delay_seconds", "setting_range")})
		}},
		{name: "a good template is kept", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"email_subject_template":"[{{.AppName}}] {{.Count}} from {{.Senders}}","digest_hour":"0","notify_delay_seconds":-1}`), 200,
				[]string{`"email_subject_template":"[{{.AppName}}] {{.Count}} from {{.Senders}}"`, `"notify_delay_seconds":0`, `"digest_hour":0`})
		}},
	})

	nf := newNotifyFixture(t, messaging.Config{})
	s, err := nf.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	nf.must(err)
	s.Set("email_subject_template", "[{{.AppName}}] {{.Count}} from {{.Senders}}")
	s.Set("email_text_template", "{{range .Messages}}{{.Sender}}: {{.Text}}\n{{end}}{{.ThreadURL}}")
	nf.must(nf.app.Save(s))
	thread, _ := nf.start("alice", []string{"bob"}, "", "custom")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	m := nf.wantMails("bob", 1)[0]
	if m.Subject != "[Chat] 1 from Alice" || !strings.HasPrefix(m.Text, "Alice: custom\n"+appURL+"/t/"+thread.Id) {
		t.Errorf("custom templates not used: %q\n%s", m.Subject, m.Text)
	}
	if !strings.Contains(m.HTML, "custom") {
		t.Errorf("the built-in html part is gone:\n%s", m.HTML)
	}
}

package messaging_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// A window turns every message that arrives in it into one email per
// recipient, sent when it closes; the author and a member who replied
// (and so read) get none.
func TestNotify_WindowCoalescesMessages(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	thread, _ := nf.start("alice", []string{"bob", "carol"}, "Team", "first <b>news</b>")
	nf.send("alice", thread.Id, "second")
	nf.send("bob", thread.Id, "reply from bob")
	nf.send("alice", thread.Id, "third")

	nf.step(0)
	if got := nf.sink.received(); len(got) != 0 {
		t.Fatalf("%d emails before the window closed", len(got))
	}
	nf.step(notifyDelay + time.Second)
	nf.step(notifyDelay + 2*time.Second) // nothing more to send

	m := nf.wantMails("carol", 1)[0]
	if want := "4 new messages from Alice and Bob in 'Team'"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	threadURL := appURL + "/t/" + thread.Id
	for _, part := range []string{m.Text, m.HTML} {
		for _, want := range []string{threadURL, "second", "reply from bob", "third", appURL + "/m/" + nf.id("carol") + "/" + thread.Id} {
			if !strings.Contains(part, want) {
				t.Errorf("email part lacks %q:\n%s", want, part)
			}
		}
	}
	if !strings.Contains(m.HTML, "first &lt;b&gt;news&lt;/b&gt;") || strings.Contains(m.HTML, "<b>news") {
		t.Errorf("the html part does not quote the stored, escaped html:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "first <b>news</b>") {
		t.Errorf("the text part does not quote the body:\n%s", m.Text)
	}
	if got := m.Header.Get("List-Unsubscribe"); got != "<"+appURL+"/u/"+nf.id("carol")+">" {
		t.Errorf("List-Unsubscribe %q", got)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	if m.From != "noreply@example.com" {
		t.Errorf("from %q", m.From)
	}
	// Bob replied after Alice's first messages, so he had read them: his
	// email (his window opened with Alice's first message) has only what
	// came after his reply. Alice hears of nothing.
	m = nf.wantMails("bob", 1)[0]
	if want := "1 new message from Alice in 'Team'"; m.Subject != want || strings.Contains(m.Text, "second") ||
		!strings.Contains(m.Text, "third") {
		t.Errorf("bob's email %q:\n%s", m.Subject, m.Text)
	}
	nf.wantMails("alice", 0)

	// Only the first unread message opens a window: while carol and bob
	// haven't read what they were emailed about, more messages send nothing.
	nf.send("alice", thread.Id, "fourth")
	nf.step(0)
	nf.step(2*notifyDelay + time.Second)
	nf.wantMails("carol", 1)
	nf.wantMails("bob", 1)

	// Once carol has read, the next message opens a new window: one more
	// email, about it alone, with a block link since it has one sender.
	nf.must(nf.pm.MarkRead(nf.id("carol"), thread.Id))
	nf.send("alice", thread.Id, "fifth")
	nf.step(2*notifyDelay + 2*time.Second)
	nf.step(3*notifyDelay + 3*time.Second)
	m = nf.wantMails("carol", 2)[1]
	if want := "1 new message from Alice in 'Team'"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	if strings.Contains(m.Text, "fourth") || !strings.Contains(m.Text, appURL+"/b/"+nf.id("carol")+"/"+nf.id("alice")) {
		t.Errorf("second email:\n%s", m.Text)
	}
	nf.wantMails("bob", 1)
}

// Nobody who read in the meantime, muted, opted out, left, blocked the
// author or turned messaging off gets an email — whether that happened
// before the message or while its window was open — while Carol, who did
// none of it, gets hers.
func TestNotify_WhoGetsNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		act  func(nf *notifyFixture, thread string)
		// duringOnly: the act only makes sense once the message exists.
		duringOnly bool
	}{
		{name: "read", duringOnly: true, act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.MarkRead(nf.id("bob"), thread))
		}},
		{name: "read up to the message", duringOnly: true, act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.MarkReadUpTo(nf.id("bob"), thread, "99"))
		}},
		{name: "muted", act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.SetMuted(nf.id("bob"), thread, true))
		}},
		{name: "emails none", act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.SetPreferences(nf.id("bob"), messaging.Preferences{EmailNotifications: messaging.EmailNone}))
		}},
		{name: "digest instead", act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.SetPreferences(nf.id("bob"), messaging.Preferences{EmailNotifications: messaging.EmailDigest}))
		}},
		{name: "left", act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.Leave(nf.id("bob"), thread))
		}},
		{name: "blocked the author", act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.Block(nf.id("bob"), nf.id("alice")))
		}},
		{name: "messaging off", act: func(nf *notifyFixture, thread string) {
			nf.setOff("bob")
		}},
	}
	for _, c := range cases {
		for _, during := range []bool{false, true} {
			if c.duringOnly && !during {
				continue
			}
			name := c.name + " before the message"
			if during {
				name = c.name + " while the window is open"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				nf := newNotifyFixture(t, messaging.Config{})
				thread, _ := nf.start("carol", []string{"alice", "bob"}, "Team", "hello")
				nf.must(nf.pm.MarkRead(nf.id("bob"), thread.Id))
				nf.must(nf.pm.MarkRead(nf.id("carol"), thread.Id))
				if !during {
					c.act(nf, thread.Id)
				}
				nf.send("alice", thread.Id, "news")
				nf.step(0)
				if during {
					c.act(nf, thread.Id)
				}
				nf.step(notifyDelay + time.Second)
				nf.wantMails("bob", 0)
				nf.wantMails("carol", 1)
			})
		}
	}
}

// Reading cancels the member's open window at once (visible in the
// dashboard), not only when the worker finds nothing to send.
func TestNotify_ReadCancelsTheWindow(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	thread, _ := nf.start("alice", []string{"bob"}, "", "hi")
	nf.step(0)
	if got := nf.states(); got["waiting"] != 1 {
		t.Fatalf("states %v, want one waiting window", got)
	}
	nf.must(nf.pm.MarkRead(nf.id("bob"), thread.Id))
	if got := nf.states(); got["read"] != 1 || got["waiting"] != 0 {
		t.Fatalf("states after reading %v, want the window read", got)
	}

	// Reading part of a window keeps it open, and the email has only what
	// is still unread when it goes out.
	nf.send("alice", thread.Id, "one")
	two := nf.send("alice", thread.Id, "two")
	nf.send("alice", thread.Id, "three")
	nf.step(0)
	nf.must(nf.pm.MarkReadUpTo(nf.id("bob"), thread.Id, two.Id))
	if got := nf.states(); got["waiting"] != 1 {
		t.Fatalf("states after reading part %v, want the window still open", got)
	}
	nf.step(notifyDelay + time.Second)
	m := nf.wantMails("bob", 1)[0]
	if m.Subject != "1 new message from Alice" || strings.Contains(m.Text, "two") || !strings.Contains(m.Text, "three") {
		t.Errorf("email after reading part: %q\n%s", m.Subject, m.Text)
	}
}

// An SMTP server that refuses is retried with backoff; once it recovers
// everything is delivered, once.
func TestNotify_SMTPOutageThenRecovery(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	thread, _ := nf.start("alice", []string{"bob", "carol"}, "Team", "hello")
	nf.sink.setRefuse(true)
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	if got := nf.states(); got["retry"] != 2 {
		t.Fatalf("states during the outage %v, want 2 to retry", got)
	}
	rows, err := nf.app.FindAllRecords(messaging.CollectionNameNotifications)
	nf.must(err)
	for _, r := range rows {
		if r.GetInt("attempts") != 1 || !strings.Contains(r.GetString("last_error"), "try again later") {
			t.Errorf("attempts %d, last_error %q", r.GetInt("attempts"), r.GetString("last_error"))
		}
	}
	// Within the backoff nothing is tried again.
	nf.sink.setRefuse(false)
	nf.step(notifyDelay + 10*time.Second)
	if got := nf.sink.received(); len(got) != 0 {
		t.Fatalf("%d emails before the backoff ended", len(got))
	}
	nf.send("alice", thread.Id, "still there?")
	nf.step(notifyDelay + 2*time.Minute)
	nf.step(3 * notifyDelay)
	for _, who := range []string{"bob", "carol"} {
		m := nf.wantMails(who, 1)[0]
		if m.Subject != "2 new messages from Alice in 'Team'" {
			t.Errorf("%s: subject %q", who, m.Subject)
		}
	}
	if got := nf.states(); got["sent"] != 2 || got["retry"]+got["waiting"]+got["sending"] != 0 {
		t.Errorf("states after recovery %v", got)
	}
}

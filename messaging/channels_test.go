package messaging_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
)

// recorder is a Go channel that keeps what it is given; it fails while
// failures > 0.
type recorder struct {
	name     string
	text     bool
	mu       sync.Mutex
	got      []messaging.Notification
	failures int
	tries    int
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Deliver(_ context.Context, n *messaging.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries++
	if r.failures > 0 {
		r.failures--
		return errors.New("bridge down")
	}
	r.got = append(r.got, *n)
	return nil
}

// to returns the notifications delivered to user id.
func (r *recorder) to(id string) []messaging.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []messaging.Notification
	for _, n := range r.got {
		if n.Recipient.ID == id {
			out = append(out, n)
		}
	}
	return out
}

// textRecorder is a recorder that asks for message text.
type textRecorder struct{ *recorder }

func (t textRecorder) IncludeText() bool { return true }

// A channel registered in Go gets one notification per recipient and
// window, alongside the email, with what the window holds; text only for
// a channel that asks for it.
func TestChannels_GoChannelReceivesWindows(t *testing.T) {
	t.Parallel()
	plain := &recorder{name: "chat"}
	texty := textRecorder{&recorder{name: "push"}}
	nf := newNotifyFixture(t, messaging.Config{Channels: []messaging.Channel{plain}})
	nf.must(nf.pm.AddChannel(texty))
	thread, first := nf.start("alice", []string{"bob", "carol"}, "Team", "first <b>news</b>")
	nf.send("carol", thread.Id, "second")
	nf.step(0)
	if got := len(plain.to(nf.id("bob"))); got != 0 {
		t.Fatalf("%d notifications before the window closed", got)
	}
	nf.step(notifyDelay + time.Second)
	nf.step(notifyDelay + 2*time.Second)

	got := plain.to(nf.id("bob"))
	if len(got) != 1 {
		t.Fatalf("bob got %d notifications on chat, want 1", len(got))
	}
	n := got[0]
	if n.Channel != "chat" || n.Attempt != 1 || n.Recipient.Name != "Bob" || n.Thread.ID != thread.Id ||
		n.Thread.Title != "Team" || n.Thread.URL != appURL+"/t/"+thread.Id || n.Count != 2 || n.InboxURL != appURL+"/" {
		t.Errorf("notification %+v", n)
	}
	if len(n.Senders) != 2 || n.Senders[0].ID != nf.id("alice") || n.Senders[1].Name != "Carol" {
		t.Errorf("senders %+v", n.Senders)
	}
	if len(n.Messages) != 2 || n.Messages[0].ID != first.Id || n.Messages[0].Sender.Name != "Alice" ||
		n.Messages[1].Seq != 2 || n.Messages[0].Created.IsZero() {
		t.Errorf("messages %+v", n.Messages)
	}
	for _, m := range n.Messages {
		if m.Body != "" || m.HTML != "" {
			t.Errorf("text given to a channel that did not ask for it: %+v", m)
		}
	}
	// Carol replied, so she had read Alice's message; Alice hears of
	// Carol's only, never of her own.
	if got := plain.to(nf.id("carol")); len(got) != 0 {
		t.Errorf("carol's notifications %+v, want none", got)
	}
	if got := plain.to(nf.id("alice")); len(got) != 1 || got[0].Count != 1 || got[0].Senders[0].Name != "Carol" {
		t.Errorf("alice's notifications %+v, want one of Carol's message", got)
	}
	pushed := texty.to(nf.id("bob"))
	if len(pushed) != 1 || pushed[0].Messages[0].Body != "first <b>news</b>" ||
		!strings.Contains(pushed[0].Messages[0].HTML, "first &lt;b&gt;news&lt;/b&gt;") {
		t.Errorf("push notifications %+v, want the text", pushed)
	}
	nf.wantMails("bob", 1) // email is unaffected
}

// A failing channel is retried with backoff through the queue and
// delivered once; the email beside it is not held up.
func TestChannels_FailingChannelIsRetried(t *testing.T) {
	t.Parallel()
	ch := &recorder{name: "chat", failures: 1}
	nf := newNotifyFixture(t, messaging.Config{Channels: []messaging.Channel{ch}})
	nf.start("alice", []string{"bob"}, "", "hello")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	nf.wantMails("bob", 1)
	rows, err := nf.app.FindAllRecords(messaging.CollectionNameNotifications)
	nf.must(err)
	var row string
	for _, r := range rows {
		if r.GetString("channel") == "chat" {
			row = r.Id
			if r.GetString("state") != "retry" || r.GetInt("attempts") != 1 || r.GetString("last_error") != "bridge down" {
				t.Errorf("after a failure: state %q, attempts %d, last_error %q", r.GetString("state"), r.GetInt("attempts"), r.GetString("last_error"))
			}
		}
	}
	nf.step(notifyDelay + 10*time.Second) // within the backoff
	if ch.tries != 1 {
		t.Fatalf("tried %d times within the backoff", ch.tries)
	}
	nf.step(notifyDelay + 2*time.Minute)
	nf.step(notifyDelay + time.Hour)
	got := ch.to(nf.id("bob"))
	if len(got) != 1 || got[0].Attempt != 2 || got[0].ID != row {
		t.Fatalf("delivered %+v, want once, on attempt 2, as row %s", got, row)
	}
	if s := nf.states(); s["sent"] != 2 {
		t.Errorf("states %v, want the email and the chat row sent", s)
	}
}

// Channels follow the email's rules about who is notified, except the
// email mode: a member who wants no email still gets the channel.
func TestChannels_WhoGetsNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		act  func(nf *notifyFixture, thread string)
		want int
	}{
		{name: "read within the delay", want: 0, act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.MarkRead(nf.id("bob"), thread))
		}},
		{name: "muted", want: 0, act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.SetMuted(nf.id("bob"), thread, true))
		}},
		{name: "blocked the author", want: 0, act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.Block(nf.id("bob"), nf.id("alice")))
		}},
		{name: "left", want: 0, act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.Leave(nf.id("bob"), thread))
		}},
		{name: "messaging off", want: 0, act: func(nf *notifyFixture, thread string) {
			nf.setOff("bob")
		}},
		{name: "emails none still gets channels", want: 1, act: func(nf *notifyFixture, thread string) {
			nf.must(nf.pm.SetPreferences(nf.id("bob"), messaging.Preferences{EmailNotifications: messaging.EmailNone}))
		}},
	}
	for _, c := range cases {
		for _, during := range []bool{false, true} {
			if c.name == "read within the delay" && !during {
				continue
			}
			name := c.name + " before the message"
			if during {
				name = c.name + " while the window is open"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ch := &recorder{name: "chat"}
				nf := newNotifyFixture(t, messaging.Config{Channels: []messaging.Channel{ch}})
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
				if got := len(ch.to(nf.id("bob"))); got != c.want {
					t.Errorf("bob got %d, want %d", got, c.want)
				}
				if got := len(ch.to(nf.id("carol"))); got != 1 {
					t.Errorf("carol got %d, want 1", got)
				}
			})
		}
	}
}

// OnNotify sees every channel delivery before it happens and may change
// or stop it.
func TestChannels_OnNotify(t *testing.T) {
	t.Parallel()
	ch := &recorder{name: "chat"}
	nf := newNotifyFixture(t, messaging.Config{Channels: []messaging.Channel{ch}})
	nf.pm.OnNotify().BindFunc(func(e *messaging.NotifyEvent) error {
		if e.Notification.Recipient.ID == nf.id("carol") {
			return nil // not delivered
		}
		e.Notification.Thread.Title = "[" + e.Channel + "] " + e.Notification.Thread.Title
		return e.Next()
	})
	nf.start("alice", []string{"bob", "carol"}, "Team", "hello")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	if got := ch.to(nf.id("bob")); len(got) != 1 || got[0].Thread.Title != "[chat] Team" {
		t.Errorf("bob's notifications %+v", got)
	}
	if got := ch.to(nf.id("carol")); len(got) != 0 {
		t.Errorf("a stopped delivery went out: %+v", got)
	}
	nf.wantMails("carol", 1) // the hook is about channels, not email
}

// Channel names are checked when registered.
func TestChannels_Names(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	for _, name := range []string{"", "email", "webhook", "Chat", "has space", strings.Repeat("x", 31)} {
		if err := f.pm.AddChannel(&recorder{name: name}); err == nil {
			t.Errorf("channel name %q accepted", name)
		}
	}
	f.must(f.pm.AddChannel(&recorder{name: "chat"}))
	if err := f.pm.AddChannel(&recorder{name: "chat"}); err == nil {
		t.Error("a second channel named chat accepted")
	}
	if _, err := messaging.Register(f.app, messaging.Config{WebhookURL: "ftp://x"}); err == nil {
		t.Error("Config with a bad WebhookURL accepted")
	}
}

// The channel migrations go down and up again: down drops the other
// channels' rows (their windows can't share the old index) and the
// fields, keeps the email rows; up brings the per-channel window back.
func TestSchema_ChannelsDownUp(t *testing.T) {
	t.Parallel()
	ch := &recorder{name: "chat"}
	nf := newNotifyFixture(t, messaging.Config{Channels: []messaging.Channel{ch}})
	nf.setWebhook("https://example.com/x", testSecret, true)
	nf.start("alice", []string{"bob"}, "", "hello")
	nf.step(0)
	if s := nf.states(); s["waiting"] != 3 {
		t.Fatalf("states %v, want email, chat and webhook windows", s)
	}
	nf.must(nf.app.RunInTransaction(func(tx core.App) error {
		if err := messaging.MigrateWebhookSettingsDownForTest(tx); err != nil {
			return err
		}
		return messaging.MigrateChannelsDownForTest(tx)
	}))
	n, err := nf.app.FindCollectionByNameOrId(messaging.CollectionNameNotifications)
	nf.must(err)
	s, err := nf.app.FindCollectionByNameOrId(messaging.CollectionNameSettings)
	nf.must(err)
	if n.Fields.GetByName("channel") != nil || s.Fields.GetByName("webhook_secret") != nil {
		t.Fatal("down left the channel or webhook fields")
	}
	if got := nf.states(); got["waiting"] != 1 {
		t.Fatalf("states after down %v, want the email window alone", got)
	}
	nf.must(nf.app.RunInTransaction(func(tx core.App) error {
		if err := messaging.MigrateChannelsUpForTest(tx); err != nil {
			return err
		}
		return messaging.MigrateWebhookSettingsUpForTest(tx)
	}))
	nf.send("alice", mustThreadOf(nf, "bob"), "again")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	nf.wantMails("bob", 1)
	if got := ch.to(nf.id("bob")); len(got) != 1 || got[0].Count != 1 { // its new window opens at the new message
		t.Errorf("chat after up: %+v", got)
	}
}

// mustThreadOf is the one thread the named user is in.
func mustThreadOf(nf *notifyFixture, name string) string {
	nf.t.Helper()
	r, err := nf.app.FindFirstRecordByData(messaging.CollectionNameThreadMembers, "user", nf.id(name))
	nf.must(err)
	return r.GetString("thread")
}

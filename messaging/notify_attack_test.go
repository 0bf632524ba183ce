package messaging_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// An attacker's review of the notification pipeline: every member is
// hostile. These tests pin who gets an email about what, and what an
// email may contain.

// mailText is every part of an email, headers included, for "never
// contains" checks.
func mailText(m sunkMail) string {
	var b strings.Builder
	for k, vs := range m.Header {
		b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	b.WriteString(m.Subject + "\n" + m.Text + "\n" + m.HTML)
	return b.String()
}

func wantNone(t *testing.T, m sunkMail, secrets ...string) {
	t.Helper()
	all := mailText(m)
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("email %q contains %q:\n%s", m.Subject, s, all)
		}
	}
}

func wantAll(t *testing.T, m sunkMail, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(m.Text, s) || !strings.Contains(m.HTML, s) {
			t.Errorf("email %q lacks %q:\ntext:\n%s\nhtml:\n%s", m.Subject, s, m.Text, m.HTML)
		}
	}
}

// A member removed from a group and added back hears only of what was
// written after they came back: not of what was said while they were out
// (whether the worker fanned it out before or after their return), and
// not of the unread messages from before their removal either (a
// re-added member starts with the history read). Someone who was never a
// member hears nothing.
func TestNotifyAttack_RemovedAndReadded(t *testing.T) {
	t.Parallel()
	for _, fanOutFirst := range []bool{true, false} {
		name := "fan-out while out"
		if !fanOutFirst {
			name = "fan-out after the return"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			nf := newNotifyFixture(t, messaging.Config{})
			thread, _ := nf.start("alice", []string{"bob", "carol"}, "Team", "before-removal")
			nf.step(0) // carol's window opens
			nf.must(nf.pm.RemoveMember(nf.id("alice"), thread.Id, nf.id("carol")))
			nf.send("alice", thread.Id, "while-out-secret")
			if fanOutFirst {
				nf.step(0)
			}
			nf.must(nf.pm.AddMembers(nf.id("alice"), thread.Id, []string{nf.id("carol")}))
			nf.send("alice", thread.Id, "after-return")
			nf.step(0)
			nf.step(notifyDelay + time.Second)
			nf.step(2*notifyDelay + time.Second)
			m := nf.wantMails("carol", 1)[0]
			wantAll(t, m, "after-return")
			wantNone(t, m, "while-out-secret", "before-removal")
			nf.wantMails("dave", 0)
			nf.wantMails("alice", 0)
		})
	}
}

// A member who was removed (not left) while the window was open gets
// nothing, and neither does one removed before the message.
func TestNotifyAttack_RemovedGetsNothing(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	thread, _ := nf.start("alice", []string{"bob", "carol", "dave"}, "Team", "hello-everyone")
	nf.step(0)
	nf.must(nf.pm.RemoveMember(nf.id("alice"), thread.Id, nf.id("carol")))
	nf.must(nf.pm.RemoveMember(nf.id("alice"), thread.Id, nf.id("dave")))
	nf.send("alice", thread.Id, "after-removal-secret")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	nf.wantMails("carol", 0)
	nf.wantMails("dave", 0)
	wantAll(t, nf.wantMails("bob", 1)[0], "hello-everyone", "after-removal-secret")
}

// A message deleted before its email goes out is not in it (nor is an
// email sent when it was the window's only message); an edited message is
// quoted as it reads now.
func TestNotifyAttack_DeletedAndEditedMessages(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	thread, _ := nf.start("alice", []string{"bob"}, "Team", "kept-message")
	doomed := nf.send("alice", thread.Id, "doomed-secret")
	edited := nf.send("alice", thread.Id, "original-wording")
	only, onlyMsg := nf.start("alice", []string{"carol"}, "Alone", "lone-doomed-secret")
	nf.step(0)
	nf.must(nf.pm.DeleteMessage(nf.id("alice"), doomed.Id))
	nf.must(nf.pm.DeleteMessage(nf.id("alice"), onlyMsg.Id))
	_, err := nf.pm.Edit(nf.id("alice"), edited.Id, "current-wording")
	nf.must(err)
	nf.step(notifyDelay + time.Second)

	m := nf.wantMails("bob", 1)[0]
	if want := "2 new messages from Alice"; m.Subject != want { // a direct conversation
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	wantAll(t, m, "kept-message", "current-wording")
	wantNone(t, m, "doomed-secret", "original-wording")
	nf.wantMails("carol", 0)
	_ = only
}

// In a group, a member who blocked one author hears of the others'
// messages only: not the blocked author's text, nor their name.
func TestNotifyAttack_BlockedAuthorInGroup(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	nf.users["erin"] = nf.mustUser("erin")
	thread, _ := nf.start("alice", []string{"bob", "carol", "erin"}, "Team", "hi-all")
	nf.must(nf.pm.MarkRead(nf.id("carol"), thread.Id))
	nf.must(nf.pm.Block(nf.id("carol"), nf.id("erin")))
	nf.send("erin", thread.Id, "from-blocked-erin")
	nf.send("alice", thread.Id, "from-alice")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	m := nf.wantMails("carol", 1)[0]
	if want := "1 new message from Alice in 'Team'"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	wantAll(t, m, "from-alice")
	wantNone(t, m, "from-blocked-erin", "Erin")

	// Only the blocked author writes: no email at all.
	nf.must(nf.pm.MarkRead(nf.id("carol"), thread.Id))
	nf.send("erin", thread.Id, "erin-again")
	nf.step(2 * notifyDelay)
	nf.step(4 * notifyDelay)
	nf.wantMails("carol", 1)
}

// The digest names only the conversations the member is still in: a group
// they left (with its unread messages) is not listed, by title or link.
func TestNotifyAttack_DigestLeavesOutLeftThreads(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{DigestHour: 8})
	nf.must(nf.pm.SetPreferences(nf.id("bob"), messaging.Preferences{EmailNotifications: messaging.EmailDigest}))
	left, _ := nf.start("alice", []string{"bob", "carol"}, "Left-Title-Secret", "left-body")
	kept, _ := nf.start("carol", []string{"alice", "bob"}, "Kept", "kept-body")
	nf.must(nf.pm.Leave(nf.id("bob"), left.Id))
	nf.send("alice", left.Id, "after-bob-left")
	removed, _ := nf.start("alice", []string{"bob", "carol"}, "Removed-Title-Secret", "removed-body")
	nf.must(nf.pm.RemoveMember(nf.id("alice"), removed.Id, nf.id("bob")))

	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Truncate(24 * time.Hour)
	stepApp(t, nf.pm, tomorrow.Add(9*time.Hour))
	var digests []sunkMail
	for _, m := range nf.sink.to(email("bob")) {
		if strings.Contains(m.Subject, "with unread messages") {
			digests = append(digests, m)
		}
	}
	if len(digests) != 1 {
		t.Fatalf("bob got %d digests, want 1", len(digests))
	}
	d := digests[0]
	if d.Subject != "1 conversation with unread messages on Chat" {
		t.Errorf("subject %q", d.Subject)
	}
	wantAll(t, d, "Kept", kept.Id)
	wantNone(t, d, "Left-Title-Secret", left.Id, "Removed-Title-Secret", removed.Id, "left-body", "kept-body")
}

// Hostile text in an email: a display name and a subject with line breaks
// that try to add headers or recipients, markup in names, subjects and
// bodies. Every header stays one header, the email goes to its one
// recipient only, and the HTML part carries no markup of theirs.
func TestNotifyAttack_HeaderAndMarkupInjection(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	const inject = "\r\nBcc: victim@evil.test\r\nX-Injected: yes\r\n\r\nbody-start"
	eve := nf.mustUser("eve")
	eve.Set("name", "Eve"+inject+"<script>alert(1)</script>")
	nf.must(nf.app.Save(eve))
	nf.users["eve"] = eve
	// Carol's own name, in the To header, tries the same.
	carol := nf.users["carol"]
	carol.Set("name", "Carol"+inject)
	nf.must(nf.app.Save(carol))

	thread, _ := nf.start("eve", []string{"bob", "carol"}, "Team", "<script>alert(2)</script><img src=x onerror=alert(3)>")
	// The subject, if the API lets line breaks through at all, is written
	// straight into the record here.
	_, err := nf.app.DB().NewQuery("UPDATE threads SET subject = {:s} WHERE id = {:id}").
		Bind(map[string]any{"s": "Team" + inject + "<script>alert(4)</script>", "id": thread.Id}).Execute()
	nf.must(err)
	nf.step(0)
	nf.step(notifyDelay + time.Second)

	if got := nf.sink.to("victim@evil.test"); len(got) != 0 {
		t.Fatalf("%d emails to an injected recipient", len(got))
	}
	for _, who := range []string{"bob", "carol"} {
		m := nf.wantMails(who, 1)[0]
		if len(m.To) != 1 || m.To[0] != email(who) {
			t.Errorf("%s's email went to %v", who, m.To)
		}
		for _, h := range []string{"X-Injected", "Bcc"} {
			if v, ok := m.Header[h]; ok {
				t.Errorf("%s's email has an injected header %s: %q", who, h, v)
			}
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("subject spans lines: %q", m.Subject)
		}
		for _, tag := range []string{"<script", "<img"} {
			if strings.Contains(strings.ToLower(m.HTML), tag) {
				t.Errorf("%s's html part carries %q:\n%s", who, tag, m.HTML)
			}
		}
		if !strings.Contains(m.HTML, "&lt;script&gt;alert(2)") {
			t.Errorf("%s's html part does not show the body escaped:\n%s", who, m.HTML)
		}
	}
}

// The queue holds no message text: outbox and notification rows (their
// last_error included, after an SMTP failure) carry ids, counts and
// states only.
func TestNotifyAttack_QueueHoldsNoText(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	const secret = "queue-body-secret"
	nf.start("alice", []string{"bob", "carol"}, "Subject-Secret", secret)
	nf.sink.setRefuse(true)
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	if got := nf.states(); got["retry"] != 2 {
		t.Fatalf("states %v, want 2 to retry", got)
	}
	for _, c := range []string{messaging.CollectionNameOutbox, messaging.CollectionNameNotifications} {
		rows, err := nf.app.FindAllRecords(c)
		nf.must(err)
		for _, r := range rows {
			raw, err := r.MarshalJSON()
			nf.must(err)
			for _, s := range []string{secret, "Subject-Secret"} {
				if strings.Contains(string(raw), s) {
					t.Errorf("%s row holds %q: %s", c, s, raw)
				}
			}
		}
	}
}

// However a member plays leave and rejoin, or is removed and added back,
// a window stays one email: re-adding opens no second window while the
// first is open, and membership notes notify no one.
func TestNotifyAttack_RejoinFloodOneEmailPerWindow(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	thread, _ := nf.start("alice", []string{"bob", "carol"}, "Team", "round-0")
	nf.step(0)
	for i := 1; i <= 5; i++ {
		nf.must(nf.pm.RemoveMember(nf.id("alice"), thread.Id, nf.id("carol")))
		nf.must(nf.pm.AddMembers(nf.id("alice"), thread.Id, []string{nf.id("carol")}))
		nf.send("alice", thread.Id, "round-"+string(rune('0'+i)))
		nf.step(0)
	}
	if got := nf.states(); got["waiting"] != 2 { // bob's and carol's one window each
		t.Fatalf("states %v, want 2 windows", got)
	}
	nf.step(notifyDelay + time.Second)
	nf.step(2*notifyDelay + time.Second)
	m := nf.wantMails("carol", 1)[0]
	wantAll(t, m, "round-5")
	wantNone(t, m, "round-0", "round-4") // she was re-added after them
	nf.wantMails("bob", 1)
}

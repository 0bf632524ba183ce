//go:build unix

package main

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestNotificationEmailsOfTheApp is issue 11's "Done when", tried as a new
// user would but with a test SMTP server for the mail catcher: the real
// binary, SMTP and the app URL set through PocketBase's settings API, a
// delay of 2 s in messaging_settings, two members. Reading along sends
// nothing; stepping away gives one email for three messages; its
// one-click unsubscribe link works (and only through a POST, and not once
// tampered with); a notification pending when the app stops arrives once
// after it starts again on the same data dir.
func TestNotificationEmailsOfTheApp(t *testing.T) {
	bin := appBinary(t)
	const (
		delay  = 2 * time.Second
		appURL = "https://inbox.example.test"
	)
	dataDir := filepath.Join(t.TempDir(), "pb_data")
	if out, err := exec.Command(bin, "superuser", "upsert", "root@example.com", "notify-root-1", "--dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("superuser: %v\n%s", err, out)
	}
	sink := newMailSink(t)
	p := serve(t, ".", bin, "--dir", dataDir)
	root := login(t, p.base, "_superusers", "root@example.com", "notify-root-1")
	must(t, 200, "PATCH", p.base+"/api/settings", root, map[string]any{
		"meta": map[string]any{"appURL": appURL},
		"smtp": map[string]any{"enabled": true, "host": "127.0.0.1", "port": sink.port},
	})
	must(t, 200, "PATCH", p.base+"/api/collections/messaging_settings/records/messagingconfig", root,
		map[string]any{"notify_delay_seconds": int(delay / time.Second)})

	member := func(name string) (id, token string) {
		email := strings.ToLower(name) + "@example.com"
		u := must(t, 200, "POST", p.base+"/api/collections/users/records", "", map[string]any{"email": email,
			"password": "notify-pass-1", "passwordConfirm": "notify-pass-1", "name": name, "username": strings.ToLower(name)})
		return u["id"].(string), login(t, p.base, "users", email, "notify-pass-1")
	}
	bobID, bob := member("Bob")
	_, alice := member("Alice")
	const bobEmail = "bob@example.com"

	// Bob reads along: each message is read as soon as it arrives.
	start := must(t, 200, "POST", p.base+"/api/messaging/threads", alice, map[string]any{"recipients": []string{bobID}, "body": "Hi Bob"})
	thread := start["thread"].(map[string]any)["id"].(string)
	threadURL := p.base + "/api/messaging/threads/" + thread
	must(t, 200, "POST", threadURL+"/read", bob, nil)
	for _, body := range []string{"Lunch?", "At noon."} {
		must(t, 200, "POST", threadURL+"/messages", alice, map[string]any{"body": body})
		must(t, 200, "POST", threadURL+"/read", bob, nil)
	}
	time.Sleep(delay + 1500*time.Millisecond) // past every window, plus a worker tick
	if got := sink.count(); got != 0 {
		t.Fatalf("%d emails while Bob read along, want none: %q", got, sink.subjects())
	}

	// Bob steps away: three messages, one email after the delay.
	sent := time.Now()
	for _, body := range []string{"Are you there?", "The *review* moved to 3pm.", "Bring the printouts <b>please</b>."} {
		must(t, 200, "POST", threadURL+"/messages", alice, map[string]any{"body": body})
	}
	first := sink.wait(t, 1, delay+10*time.Second)
	if early := first.at.Sub(sent); early < delay-200*time.Millisecond {
		t.Errorf("the email came %v after the first message, before the %v delay", early, delay)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := sink.count(); got != 1 {
		t.Fatalf("%d emails after Bob stepped away, want exactly one: %q", got, sink.subjects())
	}
	if len(first.to) != 1 || first.to[0] != bobEmail {
		t.Errorf("the email went to %v, want only %s", first.to, bobEmail)
	}
	if first.subject != "3 new messages from Alice" {
		t.Errorf("subject %q, want %q", first.subject, "3 new messages from Alice")
	}
	for _, want := range []string{"Are you there?", "review", "Bring the printouts <b>please</b>.", appURL + "/t/" + thread} {
		if !strings.Contains(first.text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, first.text)
		}
	}
	if post := first.header.Get("List-Unsubscribe-Post"); post != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", post)
	}
	m := regexp.MustCompile(`^<` + regexp.QuoteMeta(appURL) + `(/api/messaging/email/unsubscribe/[^>]+)>$`).
		FindStringSubmatch(first.header.Get("List-Unsubscribe"))
	if m == nil {
		t.Fatalf("List-Unsubscribe %q is not a link on the app URL", first.header.Get("List-Unsubscribe"))
	}
	unsubscribe := p.base + m[1] // the app URL is not this test server's
	mode := func() string {
		return must(t, 200, "GET", p.base+"/api/messaging/preferences", bob, nil)["emailNotifications"].(string)
	}

	// The unsubscribe link: a GET (a mail scanner) changes nothing, a
	// tampered one is refused, the one-click POST turns emails off.
	if status, page := call(t, "GET", unsubscribe, "", nil); status != 200 || !strings.Contains(page, "<form") {
		t.Errorf("GET of the unsubscribe link: %d, want 200 and a confirmation form:\n%s", status, page)
	}
	if got := mode(); got != "default" {
		t.Fatalf("after a GET of the unsubscribe link, Bob's emails are %q, want unchanged (default)", got)
	}
	tampered := unsubscribe[:len(unsubscribe)-3] + map[bool]string{true: "AAA", false: "BBB"}[!strings.HasSuffix(unsubscribe, "AAA")]
	if status := oneClick(t, tampered); status != 400 {
		t.Errorf("one-click POST of a tampered link: %d, want 400", status)
	}
	if got := mode(); got != "default" {
		t.Fatalf("after a tampered link, Bob's emails are %q, want unchanged (default)", got)
	}
	if status := oneClick(t, unsubscribe); status != 200 {
		t.Fatalf("one-click POST of the unsubscribe link: %d, want 200", status)
	}
	if got := mode(); got != "none" {
		t.Fatalf("after the one-click unsubscribe, Bob's emails are %q, want none", got)
	}

	// A notification pending when the app stops is sent once after it
	// starts again. Bob takes emails again; the window is stored, then the
	// app is killed before it is due and stays down past its due time.
	must(t, 200, "PATCH", p.base+"/api/messaging/preferences", bob, map[string]any{"emailNotifications": "conversation"})
	must(t, 200, "POST", threadURL+"/read", bob, nil)
	must(t, 200, "POST", threadURL+"/messages", alice, map[string]any{"body": "Still coming?"})
	pending := p.base + "/api/collections/messaging_notifications/records?filter=" +
		"(user%3D%27" + bobID + "%27%26%26state%3D%27waiting%27)"
	for deadline := time.Now().Add(delay / 2); ; time.Sleep(50 * time.Millisecond) {
		if n := must(t, 200, "GET", pending, root, nil)["totalItems"].(float64); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no waiting notification for Bob within half the delay")
		}
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
	time.Sleep(delay + 500*time.Millisecond)
	if got := sink.count(); got != 1 {
		t.Fatalf("%d emails while the app was down, want still one", got)
	}
	p = serve(t, ".", bin, "--dir", dataDir)
	again := sink.wait(t, 2, 10*time.Second)
	time.Sleep(2 * time.Second) // a second copy would come within a worker tick or two
	if got := sink.count(); got != 2 {
		t.Fatalf("%d emails after the restart, want exactly one more: %q", got, sink.subjects())
	}
	if again.subject != "1 new message from Alice" || !strings.Contains(again.text, "Still coming?") {
		t.Errorf("after the restart: %q\n%s", again.subject, again.text)
	}
}

// oneClick is a mail client's RFC 8058 unsubscribe: a POST, no session.
func oneClick(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// mailSink is an SMTP server on loopback (emersion/go-smtp, as in
// messaging/notify_helpers_test.go, smaller) that keeps every email.
type mailSink struct {
	port  int
	mu    sync.Mutex
	mails []sunkEmail
}

type sunkEmail struct {
	at            time.Time
	to            []string
	header        mail.Header
	subject, text string
}

func newMailSink(t *testing.T) *mailSink {
	s := &mailSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkConn{sink: s, t: t}, nil }))
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *mailSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mails)
}

func (s *mailSink) subjects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.mails {
		out = append(out, strings.Join(m.to, ",")+": "+m.subject)
	}
	return out
}

// wait returns the n-th email once it has arrived.
func (s *mailSink) wait(t *testing.T, n int, timeout time.Duration) sunkEmail {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s.mu.Lock()
		if len(s.mails) >= n {
			m := s.mails[n-1]
			s.mu.Unlock()
			return m
		}
		s.mu.Unlock()
	}
	t.Fatalf("no email #%d within %v (have %q)", n, timeout, s.subjects())
	return sunkEmail{}
}

type sinkConn struct {
	sink *mailSink
	t    *testing.T
	to   []string
}

func (c *sinkConn) Mail(string, *smtp.MailOptions) error { return nil }
func (c *sinkConn) Rcpt(to string, _ *smtp.RcptOptions) error {
	c.to = append(c.to, to)
	return nil
}
func (c *sinkConn) Reset()        { c.to = nil }
func (c *sinkConn) Logout() error { return nil }

func (c *sinkConn) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		c.t.Errorf("undecodable email: %v\n%s", err, raw)
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	e := sunkEmail{at: time.Now(), to: c.to, header: msg.Header, subject: subject}
	e.text = textPart(msg.Header.Get("Content-Type"), msg.Body)
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	c.sink.mails = append(c.sink.mails, e)
	return nil
}

// textPart finds the text/plain part (multipart.Reader undoes
// quoted-printable).
func textPart(contentType string, body io.Reader) string {
	mt, params, _ := mime.ParseMediaType(contentType)
	if mt == "text/plain" {
		b, _ := io.ReadAll(body)
		return string(b)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return ""
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return ""
		}
		if s := textPart(part.Header.Get("Content-Type"), part); s != "" {
			return s
		}
	}
}

package messaging_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/mailer"
)

// smtpSink is a real SMTP server on loopback (emersion/go-smtp) that
// keeps what it receives; while refusing, it answers every message with
// a temporary failure, as a server in trouble would.
type smtpSink struct {
	t      testing.TB
	addr   *net.TCPAddr
	mu     sync.Mutex
	mails  []sunkMail
	refuse bool
	tries  int
}

// sunkMail is one delivered email, decoded.
type sunkMail struct {
	From    string
	To      []string
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

func newSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	s := &smtpSink{t: t}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().(*net.TCPAddr)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpSink) setRefuse(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = v
}

// received returns the emails delivered so far.
func (s *smtpSink) received() []sunkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkMail(nil), s.mails...)
}

// to returns the emails delivered to addr.
func (s *smtpSink) to(addr string) []sunkMail {
	var out []sunkMail
	for _, m := range s.received() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

type sinkSession struct {
	sink *smtpSink
	from string
	to   []string
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.sink.mu.Lock()
	defer ss.sink.mu.Unlock()
	ss.sink.tries++
	if ss.sink.refuse {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := decodeMail(raw)
	if err != nil {
		ss.sink.t.Errorf("undecodable email: %v\n%s", err, raw)
		return err
	}
	m.From, m.To = ss.from, ss.to
	ss.sink.mu.Lock()
	defer ss.sink.mu.Unlock()
	ss.sink.mails = append(ss.sink.mails, m)
	return nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

// decodeMail reads the headers and the text and HTML parts.
func decodeMail(raw []byte) (sunkMail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return sunkMail{}, err
	}
	out := sunkMail{Header: msg.Header}
	out.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	err = walkParts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &out)
	return out, err
}

func walkParts(contentType, encoding string, body io.Reader, out *sunkMail) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkParts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, out); err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(encoding, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	switch mediaType {
	case "text/plain":
		out.Text = text
	case "text/html":
		out.HTML = text
	}
	return nil
}

// appURL is the application URL the notification tests give PocketBase.
const appURL = "https://chat.example.com"

// mailTo points app's mail at sink: SMTP settings as a site owner sets
// them in the dashboard. The test app would otherwise keep every email in
// its TestMailer, so a handler after the test app's puts PocketBase's own
// SMTP client back.
func mailTo(app *tests.TestApp, sink *smtpSink) {
	s := app.Settings()
	s.SMTP.Enabled, s.SMTP.Host, s.SMTP.Port = true, "127.0.0.1", sink.addr.Port
	s.Meta.AppURL, s.Meta.AppName = appURL+"/", "Chat"
	s.Meta.SenderAddress, s.Meta.SenderName = "noreply@example.com", "Chat"
	app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
		Id:       "testRealSMTP",
		Priority: -99998,
		Func: func(e *core.MailerEvent) error {
			st := e.App.Settings().SMTP
			e.Mailer = &mailer.SMTPClient{Host: st.Host, Port: st.Port}
			return e.Next()
		},
	})
}

// notifyFixture is a fixture whose mail goes to a loopback SMTP server,
// with one-click links of known URLs (testLinks).
type notifyFixture struct {
	*fixture
	sink *smtpSink
}

// notifyDelay is the window the notification tests configure; the tests
// move the worker's clock past it instead of waiting.
const notifyDelay = 60 * time.Second

func newNotifyFixture(t testing.TB, cfg messaging.Config) *notifyFixture {
	t.Helper()
	if cfg.NotifyDelaySeconds == 0 {
		cfg.NotifyDelaySeconds = int(notifyDelay / time.Second)
	}

	f := newFixture(t, cfg)
	t.Cleanup(f.app.Cleanup)
	nf := &notifyFixture{fixture: f, sink: newSMTPSink(t)}
	mailTo(f.app, nf.sink)
	messaging.ReplaceEmailLinksForTest(f.pm, testLinks)
	return nf
}

func testLinks(recipient, thread, sender string) (unsubscribe, mute, block string) {
	unsubscribe = appURL + "/u/" + recipient
	if thread != "" {
		mute = appURL + "/m/" + recipient + "/" + thread
	}
	if sender != "" {
		block = appURL + "/b/" + recipient + "/" + sender
	}
	return
}

// step runs the worker as of now+after until it has nothing left to do.
func (nf *notifyFixture) step(after time.Duration) {
	nf.t.Helper()
	stepApp(nf.t, nf.pm, time.Now().Add(after))
}

func stepApp(t testing.TB, pm *messaging.Messaging, at time.Time) {
	t.Helper()
	for i := 0; ; i++ {
		more, err := messaging.NotifyStepForTest(pm, at)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			return
		}
		if i > 1000 {
			t.Fatal("the worker never runs out of work")
		}
	}
}

// email is a user's address in the fixture.
func email(name string) string { return name + "@example.com" }

// wantMails fails unless exactly n conversation emails went to name
// (digests, which go out at a time of day, are left out).
func (nf *notifyFixture) wantMails(name string, n int) []sunkMail {
	nf.t.Helper()
	var got []sunkMail
	for _, m := range nf.sink.to(email(name)) {
		if !strings.Contains(m.Subject, "with unread messages") {
			got = append(got, m)
		}
	}
	if len(got) != n {
		subjects := make([]string, len(got))
		for i, m := range got {
			subjects[i] = m.Subject
		}
		nf.t.Fatalf("%s got %d emails %q, want %d", name, len(got), subjects, n)
	}
	return got
}

// states counts the notifications by state.
func (nf *notifyFixture) states() map[string]int {
	nf.t.Helper()
	rows, err := nf.app.FindAllRecords(messaging.CollectionNameNotifications)
	nf.must(err)
	out := map[string]int{}
	for _, r := range rows {
		out[r.GetString("state")]++
	}
	return out
}

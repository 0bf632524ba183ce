package messaging_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

const testSecret = "0123456789abcdef-test-secret"

// hookSink is a webhook receiver on loopback; it answers each request
// with the next of statuses (200 once they run out).
type hookSink struct {
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []hookRequest
}

// hookRequest is one request received, and whether it was answered 2xx.
type hookRequest struct {
	Header http.Header
	Body   []byte
	OK     bool
}

func newHookSink(t testing.TB, statuses ...int) *hookSink {
	h := &hookSink{statuses: statuses}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		status := http.StatusOK
		if len(h.statuses) > 0 {
			status, h.statuses = h.statuses[0], h.statuses[1:]
		}
		h.got = append(h.got, hookRequest{Header: r.Header.Clone(), Body: body, OK: status < 300})
		h.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte("boom"))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookSink) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

// verifyWebhook is a receiver's check, written from the README alone:
// the signature over "t.body" and a timestamp at most 5 minutes old.
func verifyWebhook(secret, header string, body []byte, now time.Time) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("no timestamp")
	}
	if age := now.Sub(time.Unix(t, 0)); age > 5*time.Minute || age < -5*time.Minute {
		return errors.New("too old")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("bad signature")
	}
	return nil
}

// setWebhook saves the webhook settings as a site owner would.
func (f *fixture) setWebhook(url, secret string, text bool) {
	f.t.Helper()
	s, err := f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	f.must(err)
	s.Set("webhook_url", url)
	s.Set("webhook_secret", secret)
	s.Set("webhook_include_text", text)
	f.must(f.app.Save(s))
}

// webhookBody is the payload as a receiver decodes it.
type webhookBody struct {
	Type      string            `json:"type"`
	ID        string            `json:"id"`
	Channel   string            `json:"channel"`
	Attempt   int               `json:"attempt"`
	Recipient map[string]string `json:"recipient"`
	Thread    map[string]string `json:"thread"`
	Count     int               `json:"count"`
	Senders   []map[string]string
	Messages  []map[string]any
}

// The webhook gets one signed POST per recipient and window, with no
// message text unless the site owner turns it on.
func TestWebhook_SignedPayload(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	sink := newHookSink(t)
	nf.setWebhook(sink.srv.URL+"/hooks/messaging", testSecret, false)
	thread, _ := nf.start("alice", []string{"bob", "carol"}, "Team", "secret plans")
	nf.send("alice", thread.Id, "more plans")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	nf.step(notifyDelay + 2*time.Second)

	got := sink.requests()
	if len(got) != 2 {
		t.Fatalf("%d webhook requests, want 2 (bob, carol)", len(got))
	}
	seen := map[string]bool{}
	for _, r := range got {
		if err := verifyWebhook(testSecret, r.Header.Get("X-Messaging-Signature"), r.Body, time.Now()); err != nil {
			t.Errorf("signature: %v (header %q)", err, r.Header.Get("X-Messaging-Signature"))
		}
		if err := verifyWebhook("another-secret-0123456789", r.Header.Get("X-Messaging-Signature"), r.Body, time.Now()); err == nil {
			t.Error("the signature verifies with another secret")
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		if strings.Contains(string(r.Body), "plans") {
			t.Errorf("message text sent with include text off: %s", r.Body)
		}
		var b webhookBody
		if err := json.Unmarshal(r.Body, &b); err != nil {
			t.Fatal(err)
		}
		seen[b.Recipient["name"]] = true
		if b.Type != "notification" || b.Channel != "webhook" || b.Attempt != 1 || b.ID == "" ||
			r.Header.Get("X-Messaging-Id") != b.ID || b.Thread["id"] != thread.Id || b.Thread["title"] != "Team" ||
			b.Thread["url"] != appURL+"/t/"+thread.Id || b.Count != 2 ||
			len(b.Senders) != 1 || b.Senders[0]["id"] != nf.id("alice") || b.Senders[0]["name"] != "Alice" ||
			len(b.Messages) != 2 || b.Messages[1]["seq"] != 2.0 {
			t.Errorf("payload %s", r.Body)
		}
	}
	if !seen["Bob"] || !seen["Carol"] {
		t.Errorf("recipients %v", seen)
	}
	nf.wantMails("bob", 1) // and the email as before

	// With text on, the next window carries it.
	nf.setWebhook(sink.srv.URL+"/hooks/messaging", testSecret, true)
	nf.send("alice", thread.Id, "the <plan>")
	nf.step(0)
	nf.step(2*notifyDelay + time.Second)
	got = sink.requests()
	if len(got) != 4 {
		t.Fatalf("%d webhook requests, want 4", len(got))
	}
	for _, r := range got[2:] {
		if !strings.Contains(string(r.Body), `"text":"the <plan>"`) || !strings.Contains(string(r.Body), `&lt;plan&gt;`) {
			t.Errorf("text missing with include text on: %s", r.Body)
		}
	}
}

// A failing endpoint (500, then 200) is retried with backoff and gets the
// notification once more, then never again.
func TestWebhook_FailingEndpointIsRetried(t *testing.T) {
	t.Parallel()
	nf := newNotifyFixture(t, messaging.Config{})
	sink := newHookSink(t, http.StatusInternalServerError)
	nf.setWebhook(sink.srv.URL, testSecret, false)
	nf.start("alice", []string{"bob"}, "", "hello")
	nf.step(0)
	nf.step(notifyDelay + time.Second)
	if got := sink.requests(); len(got) != 1 || got[0].OK {
		t.Fatalf("requests %d, want one refused", len(got))
	}
	row, err := nf.app.FindFirstRecordByData(messaging.CollectionNameNotifications, "channel", "webhook")
	nf.must(err)
	if row.GetString("state") != "retry" || !strings.Contains(row.GetString("last_error"), "500") {
		t.Errorf("after a 500: state %q, last_error %q", row.GetString("state"), row.GetString("last_error"))
	}
	nf.step(notifyDelay + 10*time.Second) // within the backoff
	if got := sink.requests(); len(got) != 1 {
		t.Fatalf("%d requests within the backoff", len(got))
	}
	nf.step(notifyDelay + 2*time.Minute)
	nf.step(notifyDelay + time.Hour)
	got := sink.requests()
	if len(got) != 2 || !got[1].OK {
		t.Fatalf("%d requests after the backoff, want the second one accepted", len(got))
	}
	var first, second webhookBody
	nf.must(json.Unmarshal(got[0].Body, &first))
	nf.must(json.Unmarshal(got[1].Body, &second))
	if first.ID != second.ID || second.Attempt != 2 {
		t.Errorf("retry id %q attempt %d, want id %q attempt 2", second.ID, second.Attempt, first.ID)
	}
	row, err = nf.app.FindRecordById(messaging.CollectionNameNotifications, row.Id)
	nf.must(err)
	if row.GetString("state") != "sent" {
		t.Errorf("state %q after delivery", row.GetString("state"))
	}
}

// The webhook settings are checked when saved, whoever saves them, and
// the secret is never shown to members nor in in_force.
func TestWebhook_Settings(t *testing.T) {
	t.Parallel()
	rec := "/api/collections/" + messaging.CollectionNameSettings + "/records/messagingconfig"
	withSecret := func(f *fixture) { f.setWebhook("https://hooks.example.com/x", testSecret, false) }
	runCases(t, []apiCase{
		{name: "not http(s) → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"webhook_url":"ftp://example.com/x","webhook_secret":"`+testSecret+`"}`), 400,
				[]string{fieldError("webhook_url", "webhook_url"), `http:// or https://`})
		}},
		{name: "no host → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"webhook_url":"https:///x","webhook_secret":"`+testSecret+`"}`), 400,
				[]string{fieldError("webhook_url", "webhook_url")})
		}},
		{name: "a short secret → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"webhook_url":"https://example.com/x","webhook_secret":"short"}`), 400,
				[]string{fieldError("webhook_secret", "webhook_secret"), `at least 16 characters`})
		}},
		{name: "a URL without a secret → 400", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"webhook_url":"https://example.com/x"}`), 400,
				[]string{fieldError("webhook_url", "webhook_secret_missing")})
		}},
		{name: "good settings → 200, the secret out of in_force", build: func(f *fixture) tests.ApiScenario {
			return expect(f.as("superuser", http.MethodPatch, rec, `{"webhook_url":"https://example.com/x","webhook_secret":"`+testSecret+`","webhook_include_text":true}`), 200,
				[]string{`"webhook_url":"https://example.com/x"`, `"webhook_include_text":true`, `"webhook_secret":"` + testSecret + `"`})
		}},
		{name: "a member can't read the settings", build: func(f *fixture) tests.ApiScenario {
			withSecret(f)
			return expect(f.as("bob", http.MethodGet, rec, nil), 403, []string{onlySuperusers}, testSecret)
		}},
		{name: "a member can't list the settings", build: func(f *fixture) tests.ApiScenario {
			withSecret(f)
			return expect(f.as("bob", http.MethodGet, recordsURL(messaging.CollectionNameSettings, ""), nil), 403,
				[]string{onlySuperusers}, testSecret)
		}},
		{name: "the options don't show the webhook", build: func(f *fixture) tests.ApiScenario {
			withSecret(f)
			return expect(f.as("bob", http.MethodGet, "/api/messaging/options", nil), 200,
				[]string{`"messageOrder"`}, testSecret, "webhook")
		}},
	})

	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	f.setWebhook("https://example.com/x", testSecret, false)
	s, err := f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	f.must(err)
	inForce := s.GetString("in_force")
	if !strings.Contains(inForce, `"webhook_url":"https://example.com/x"`) || strings.Contains(inForce, testSecret) {
		t.Errorf("in_force %s", inForce)
	}
	if l := f.pm.Limits(); l.WebhookSecret != testSecret || l.WebhookURL != "https://example.com/x" {
		t.Errorf("limits %+v", l)
	}
}

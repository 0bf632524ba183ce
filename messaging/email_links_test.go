package messaging_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// Texts of the email link pages the tests look for.
const (
	linkInvalid     = "This link is invalid or has expired."
	linkNotPossible = "This can no longer be done from this link."
	linkUnblockable = "This sender can&#39;t be blocked."
	linkUnsubDone   = "You will no longer get emails about new messages."
	linkMuteDone    = "The conversation is muted."
	linkBlockDone   = "The sender is blocked."
	linkForm        = `<form method="post"><button type="submit">`
)

// mailLinks are one email's links, as paths on the test server.
type mailLinks struct{ unsubscribe, mute, block string }

// links signs recipient's links for an email about thread from sender.
func (f *fixture) links(recipient, thread, sender string) mailLinks {
	f.t.Helper()
	var senderID string
	if sender != "" {
		senderID = f.id(sender)
	}
	u, m, b, err := messaging.EmailLinksForTest(f.pm, f.app, f.id(recipient), thread, senderID)
	f.must(err)
	return mailLinks{linkPath(f.t, u), linkPath(f.t, m), linkPath(f.t, b)}
}

// linkPath is the path of an absolute link; the links must be absolute,
// as an email has no base URL.
func linkPath(t testing.TB, link string) string {
	t.Helper()
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Fatalf("link %q is not an absolute URL", link)
	}
	return u.Path
}

// linkToken is the token part of a link path.
func linkToken(path string) string { return path[strings.LastIndex(path, "/")+1:] }

// post is a POST as a browser's form or a mail client's one-click sends it.
func (f *fixture) post(path, body string) tests.ApiScenario {
	s := f.as("", http.MethodPost, path, body)
	s.Headers = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	return s
}

// noWrites pins that a request saved nothing.
var noWrites = map[string]int{"OnModelCreate": 0, "OnModelUpdate": 0, "OnModelDelete": 0}

// linkState is what the links may change, for bob with alice as sender.
type linkState struct {
	bobEmailsOff, aliceEmailsOff, bobReceiptsOff bool
	bobMutedGroup, bobMutedDirect                bool
	bobBlocksAlice, aliceBlocksBob               bool
}

func (f *fixture) linkState(w world) linkState {
	f.t.Helper()
	bob, err := f.pm.Preferences(f.id("bob"))
	f.must(err)
	alice, err := f.pm.Preferences(f.id("alice"))
	f.must(err)
	bobBlocks, err := f.pm.IsBlocked(f.id("bob"), f.id("alice"))
	f.must(err)
	aliceBlocks, err := f.pm.IsBlocked(f.id("alice"), f.id("bob"))
	f.must(err)
	return linkState{
		bobEmailsOff: bob.EmailNotifications == messaging.EmailNone, aliceEmailsOff: alice.EmailNotifications == messaging.EmailNone, bobReceiptsOff: bob.ReadReceiptsOff,
		bobMutedGroup:  f.member("bob", w.group).GetBool("muted"),
		bobMutedDirect: f.member("bob", w.direct).GetBool("muted"),
		bobBlocksAlice: bobBlocks, aliceBlocksBob: aliceBlocks,
	}
}

// stateIs checks after the request that the state is want, and that the
// page came with the headers that keep its token private.
func stateIs(f *fixture, w world, s tests.ApiScenario, want linkState) tests.ApiScenario {
	s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		for k, v := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
		} {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: %q, want %q", k, got, v)
			}
		}
		if got := f.linkState(w); got != want {
			t.Errorf("state %+v, want %+v", got, want)
		}
	}
	return s
}

func TestEmailLinks(t *testing.T) {
	var none linkState
	runCases(t, []apiCase{
		worldCase("GET unsubscribe asks and changes nothing", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("", "GET", f.links("bob", w.group, "alice").unsubscribe, nil), 200,
				[]string{"Stop email notifications about new messages?", linkForm + "Stop emails</button>"})
			s.ExpectedEvents = noWrites
			return stateIs(f, w, s, none)
		}),
		worldCase("POST unsubscribe (the button) turns bob's emails off", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.post(f.links("bob", w.group, "alice").unsubscribe, ""), 200, []string{linkUnsubDone}, linkForm)
			return stateIs(f, w, s, linkState{bobEmailsOff: true})
		}),
		worldCase("RFC 8058 one-click POST unsubscribes", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.post(f.links("bob", "", "").unsubscribe, "List-Unsubscribe=One-Click"), 200, []string{linkUnsubDone})
			return stateIs(f, w, s, linkState{bobEmailsOff: true})
		}),
		worldCase("unsubscribe keeps the other preferences", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.SetPreferences(f.id("bob"), messaging.Preferences{ReadReceiptsOff: true}))
			s := expect(f.post(f.links("bob", "", "").unsubscribe, ""), 200, []string{linkUnsubDone})
			return stateIs(f, w, s, linkState{bobEmailsOff: true, bobReceiptsOff: true})
		}),
		worldCase("a signed-in user can't turn a link onto themselves", func(f *fixture, w world) tests.ApiScenario {
			s := f.post(f.links("bob", "", "").unsubscribe, "")
			s.Headers["Authorization"] = f.token("alice")["Authorization"]
			return stateIs(f, w, expect(s, 200, []string{linkUnsubDone}), linkState{bobEmailsOff: true})
		}),
		worldCase("GET mute names the conversation and mutes nothing", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("", "GET", f.links("bob", w.group, "alice").mute, nil), 200,
				[]string{"Mute this conversation?", subjectGroup, linkForm + "Mute</button>"})
			s.ExpectedEvents = noWrites
			return stateIs(f, w, s, none)
		}),
		worldCase("POST mute mutes that conversation only", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.post(f.links("bob", w.group, "alice").mute, ""), 200, []string{linkMuteDone})
			return stateIs(f, w, s, linkState{bobMutedGroup: true})
		}),
		worldCase("mute after leaving: not possible, the conversation unnamed", func(f *fixture, w world) tests.ApiScenario {
			l := f.links("bob", w.group, "alice")
			f.must(f.pm.Leave(f.id("bob"), w.group))
			s := expect(f.post(l.mute, ""), 409, []string{linkNotPossible}, subjectGroup)
			s.ExpectedEvents = noWrites
			return s
		}),
		worldCase("GET mute after leaving doesn't name the conversation", func(f *fixture, w world) tests.ApiScenario {
			l := f.links("bob", w.group, "alice")
			f.must(f.pm.Leave(f.id("bob"), w.group))
			return expect(f.as("", "GET", l.mute, nil), 200, []string{"Mute this conversation?"}, subjectGroup)
		}),
		worldCase("GET block names the sender and blocks nothing", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.as("", "GET", f.links("bob", w.group, "alice").block, nil), 200,
				[]string{"Block this sender?", "<strong>Alice</strong>", linkForm + "Block</button>"})
			s.ExpectedEvents = noWrites
			return stateIs(f, w, s, none)
		}),
		worldCase("POST block blocks the sender", func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.post(f.links("bob", w.group, "alice").block, ""), 200, []string{linkBlockDone})
			s.ExpectedEvents = map[string]int{"OnModelCreate": 1}
			return stateIs(f, w, s, linkState{bobBlocksAlice: true})
		}),
		{name: "an unblockable sender: a clear refusal", build: func(f *fixture) tests.ApiScenario {
			// emailLinksFor gives no such link; this stands for one mailed before the sender got the role.
			tok, err := messaging.SignEmailLinkForTest(f.app, f.id("bob"), f.id("bob"), "block", f.id("admin"), time.Hour)
			f.must(err)
			s := expect(f.post("/api/messaging/email/block/"+tok, ""), 409, []string{linkUnblockable})
			s.ExpectedEvents = noWrites
			return s
		}},
		worldCase("the sender's name is escaped", func(f *fixture, w world) tests.ApiScenario {
			f.users["alice"].Set("name", `<script>alert(1)</script>`)
			f.must(f.app.Save(f.users["alice"]))
			return expect(f.as("", "GET", f.links("bob", w.group, "alice").block, nil), 200,
				[]string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, "<script>")
		}),
	})
}

// TestEmailLinksTwice: acting twice is harmless, and the second time
// says the same.
func TestEmailLinksTwice(t *testing.T) {
	twice := func(name string, pick func(mailLinks) string, done string, want linkState) apiCase {
		var path string
		return apiCase{
			name: name,
			build: func(f *fixture) tests.ApiScenario {
				w := f.world()
				path = pick(f.links("bob", w.group, "alice"))
				return stateIs(f, w, expect(f.post(path, ""), 200, []string{done}), want)
			},
			before: func(t testing.TB, _ *fixture, e *core.ServeEvent, _ *tests.ApiScenario) {
				serve(t, e, http.MethodPost, path, nil)
			},
		}
	}
	runCases(t, []apiCase{
		twice("unsubscribe twice", func(l mailLinks) string { return l.unsubscribe }, linkUnsubDone, linkState{bobEmailsOff: true}),
		twice("mute twice", func(l mailLinks) string { return l.mute }, linkMuteDone, linkState{bobMutedGroup: true}),
		twice("block twice", func(l mailLinks) string { return l.block }, linkBlockDone, linkState{bobBlocksAlice: true}),
	})
}

// badLinks are links that must all be refused alike: each returns the
// path to request, built on the world from bob's genuine links.
func badLinks() map[string]func(f *fixture, w world) string {
	sign := func(f *fixture, signer, recipient, action, target string, ttl time.Duration) string {
		tok, err := messaging.SignEmailLinkForTest(f.app, f.id(signer), f.id(recipient), action, target, ttl)
		f.must(err)
		return "/api/messaging/email/" + action + "/" + tok
	}
	return map[string]func(f *fixture, w world) string{
		"tampered signature": func(f *fixture, w world) string {
			p := []byte(f.links("bob", w.group, "alice").unsubscribe)
			i := len(p) - 10 // inside the signature, away from its padding bits
			p[i] = map[bool]byte{true: 'B', false: 'A'}[p[i] == 'A']
			return string(p)
		},
		"recipient swapped in the claims": func(f *fixture, w world) string {
			return editClaims(f.t, f.links("bob", w.group, "alice").unsubscribe, "id", f.id("alice"))
		},
		"another thread's id in a mute token": func(f *fixture, w world) string {
			return editClaims(f.t, f.links("bob", w.group, "alice").mute, "tgt", w.direct)
		},
		"signed with alice's key for bob": func(f *fixture, w world) string {
			return sign(f, "alice", "bob", "unsubscribe", "", time.Hour)
		},
		"a mute token on the block URL": func(f *fixture, w world) string {
			return "/api/messaging/email/block/" + linkToken(f.links("bob", w.group, "alice").mute)
		},
		"a block token on the unsubscribe URL": func(f *fixture, w world) string {
			return "/api/messaging/email/unsubscribe/" + linkToken(f.links("bob", w.group, "alice").block)
		},
		"an unknown action": func(f *fixture, w world) string {
			return "/api/messaging/email/delete/" + linkToken(f.links("bob", w.group, "alice").unsubscribe)
		},
		"expired": func(f *fixture, w world) string {
			return sign(f, "bob", "bob", "unsubscribe", "", -time.Minute)
		},
		"after a password change": func(f *fixture, w world) string {
			p := f.links("bob", w.group, "alice").unsubscribe
			f.users["bob"].SetPassword("another-pass-2")
			f.must(f.app.Save(f.users["bob"]))
			return p
		},
		"bob's auth token": func(f *fixture, w world) string {
			return "/api/messaging/email/unsubscribe/" + f.token("bob")["Authorization"]
		},
		"unsigned (alg none)": func(f *fixture, w world) string {
			tok := linkToken(f.links("bob", w.group, "alice").unsubscribe)
			parts := strings.Split(tok, ".")
			return "/api/messaging/email/unsubscribe/" + b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "."
		},
		"a deleted user's link": func(f *fixture, w world) string {
			p := f.links("dave", "", "").unsubscribe
			f.must(f.app.Delete(f.users["dave"]))
			return p
		},
		"garbage": func(*fixture, world) string { return "/api/messaging/email/unsubscribe/not-a-token" },
	}
}

// TestEmailLinksRefused: every bad link changes nothing and gets the same
// page, so none tells whether a user exists or what was wrong.
func TestEmailLinksRefused(t *testing.T) {
	var cases []apiCase
	for name, bad := range badLinks() {
		cases = append(cases, worldCase(name, func(f *fixture, w world) tests.ApiScenario {
			s := expect(f.post(bad(f, w), "List-Unsubscribe=One-Click"), 400, []string{linkInvalid}, linkForm, "Alice", subjectGroup)
			s.ExpectedEvents = noWrites
			return stateIs(f, w, s, linkState{})
		}))
	}
	// One case compares every bad link's page, GET and POST, byte for byte.
	var paths []string
	cases = append(cases, apiCase{
		name: "all refusals are the same page",
		build: func(f *fixture) tests.ApiScenario {
			w := f.world()
			for _, bad := range badLinks() {
				paths = append(paths, bad(f, w))
			}
			return expect(f.as("", "GET", "/api/messaging/email/mute/x", nil), 400, []string{linkInvalid})
		},
		before: func(t testing.TB, _ *fixture, e *core.ServeEvent, _ *tests.ApiScenario) {
			mux, err := e.Router.BuildMux()
			if err != nil {
				t.Fatal(err)
			}
			var first []byte
			for _, p := range paths {
				for _, method := range []string{http.MethodGet, http.MethodPost} {
					rec := recordResponse(mux, newRequest(tests.ApiScenario{Method: method, URL: p}))
					if rec.Code != http.StatusBadRequest {
						t.Errorf("%s %s: status %d", method, p, rec.Code)
					}
					if first == nil {
						first = rec.Body.Bytes()
					} else if !bytes.Equal(first, rec.Body.Bytes()) {
						t.Errorf("%s %s: a different page:\n%s\nwant:\n%s", method, p, rec.Body, first)
					}
				}
			}
		},
	})
	runCases(t, cases)
}

// editClaims changes one claim of a link's token and keeps its signature.
func editClaims(t testing.TB, path, claim, value string) string {
	t.Helper()
	tok := linkToken(path)
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	claims[claim] = value
	edited, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(edited)
	return strings.TrimSuffix(path, tok) + strings.Join(parts, ".")
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestEmailLinksFor: no mute link without a thread, no block link
// without a sender (nor for oneself); every link is absolute.
func TestEmailLinksFor(t *testing.T) {
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	l := f.links("bob", "", "")
	if l.unsubscribe == "" || l.mute != "" || l.block != "" {
		t.Errorf("links %+v, want only unsubscribe", l)
	}
	l = f.links("bob", "sometread123456", "bob")
	if l.mute == "" || l.block != "" {
		t.Errorf("links %+v, want no block link for oneself", l)
	}
	if l = f.links("bob", "sometread123456", "admin"); l.block != "" {
		t.Errorf("links %+v, want no block link for an unblockable sender", l)
	}
	if l = f.links("bob", "sometread123456", "alice"); l.block == "" || l.mute == "" || l.unsubscribe == "" {
		t.Errorf("links %+v, want all three", l)
	}
	if _, _, _, err := messaging.EmailLinksForTest(f.pm, f.app, "nosuchuser1234", "", ""); err == nil {
		t.Error("links for an unknown user: no error")
	}
}

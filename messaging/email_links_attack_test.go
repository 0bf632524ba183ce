package messaging_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
)

// The one-click link pages under attack: hostile names and subjects are
// only ever escaped, nothing from the request (query, Host, the token
// itself) is echoed or followed, and the only way out of a page is the
// app URL of PocketBase's settings.
func TestEmailLinksAttack(t *testing.T) {
	const xss = `"><script>alert(1)</script>`
	hostile := func(f *fixture, w world) {
		a := f.users["alice"]
		a.Set("name", "Alice"+xss)
		f.must(f.app.Save(a))
		_, err := f.app.DB().NewQuery("UPDATE threads SET subject = {:s} WHERE id = {:id}").
			Bind(map[string]any{"s": "Plans" + xss, "id": w.group}).Execute()
		f.must(err)
	}
	headers := func(s tests.ApiScenario) tests.ApiScenario {
		s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
			if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy %q", got)
			}
			if loc := res.Header.Get("Location"); loc != "" {
				t.Errorf("redirects to %q", loc)
			}
		}
		return s
	}
	runCases(t, []apiCase{
		worldCase("block page escapes the sender's name", func(f *fixture, w world) tests.ApiScenario {
			hostile(f, w)
			return headers(expect(f.as("", "GET", f.links("bob", w.group, "alice").block, nil), 200,
				[]string{"<strong>Alice&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</strong>"}, "<script>"))
		}),
		worldCase("mute page escapes the subject", func(f *fixture, w world) tests.ApiScenario {
			hostile(f, w)
			return headers(expect(f.as("", "GET", f.links("bob", w.group, "alice").mute, nil), 200,
				[]string{"<strong>Plans&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</strong>"}, "<script>"))
		}),
		worldCase("no redirect parameter, Host header or token is echoed", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("", "GET", f.links("bob", w.group, "alice").mute+
				"?redirect=https://evil.test/&next=https://evil.test/&return_to=//evil.test", nil)
			s.Headers = map[string]string{"Host": "evil.test", "X-Forwarded-Host": "evil.test"}
			return headers(expect(s, 200, []string{"Mute this conversation?"}, "evil.test", "eyJ"))
		}),
		worldCase("a bad token with markup is not reflected", func(f *fixture, w world) tests.ApiScenario {
			s := f.as("", "GET", "/api/messaging/email/mute/%3Cscript%3Ealert(1)%3C%2Fscript%3E", nil)
			return headers(expect(s, 400, []string{linkInvalid}, "<script>", "alert(1)"))
		}),
		worldCase("POST after the page: only the app URL to go to", func(f *fixture, w world) tests.ApiScenario {
			s := f.post(f.links("bob", w.group, "alice").mute+"?redirect=https://evil.test/", "redirect=https://evil.test/")
			s.Headers["Origin"] = "https://evil.test"
			s.Headers["Referer"] = "https://evil.test/x"
			return headers(expect(s, 200, []string{linkMuteDone}, "evil.test"))
		}),
	})
}

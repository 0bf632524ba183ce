package messaging_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
)

func searchURL(q string, extra ...string) string {
	u := "/api/messaging/search?q=" + url.QueryEscape(q)
	for i := 0; i+1 < len(extra); i += 2 {
		u += "&" + extra[i] + "=" + url.QueryEscape(extra[i+1])
	}
	return u
}

// Who finds what: only messages of threads the caller is a current member
// of, never a system note, never another thread's body.
func TestSearch_Callers(t *testing.T) {
	t.Parallel()
	get := func(who, q string, extra ...func(w world) []string) func(f *fixture, w world) tests.ApiScenario {
		return func(f *fixture, w world) tests.ApiScenario {
			var args []string
			for _, e := range extra {
				args = append(args, e(w)...)
			}
			return f.as(who, http.MethodGet, searchURL(q, args...), nil)
		}
	}
	thread := func(pick func(w world) string) func(w world) []string {
		return func(w world) []string { return []string{"thread", pick(w)} }
	}
	group := thread(func(w world) string { return w.group })
	direct := thread(func(w world) string { return w.direct })
	cases := []apiCase{
		worldCase("member finds the word in all their threads, marked", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("alice", "alpha")(f, w), http.StatusOK,
				[]string{`"body":"` + bodyGroupAlice + `"`, `"body":"` + bodyDirectAlice + `"`, `"body":"` + bodyBlocked + `"`,
					`"snippet":"group-<mark>alpha</mark>-from-alice"`,
					`"subject":"` + subjectGroup + `"`, `"kind":"direct"`, `"username":"bob"`},
				bodyOthers, `"body":"`+bodyGroupBob+`","deleted":false,"system":false,"seq":2,"created":"`)
		}),
		worldCase("member searches one thread", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("bob", "alpha", direct)(f, w), http.StatusOK,
				[]string{`"body":"` + bodyDirectAlice + `"`, `"nextCursor":""`},
				bodyGroupAlice, bodyBlocked, bodyOthers, subjectGroup)
		}),
		worldCase("non-member finds nothing from others' threads", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("dave", "alpha")(f, w), http.StatusOK,
				[]string{`"items":[]`, `"threads":[]`}, allBodies...)
		}),
		worldCase("non-member searching a thread → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("dave", "alpha", direct)(f, w), http.StatusNotFound,
				[]string{`"status":404`}, allBodies...)
		}),
		worldCase("left member finds nothing from the thread, own words included", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("carol", "group")(f, w), http.StatusOK,
				[]string{`"items":[]`}, allBodies...)
		}),
		worldCase("left member searching the thread → 404", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("carol", "charlie", group)(f, w), http.StatusNotFound,
				[]string{`"status":404`}, allBodies...)
		}),
		worldCase("blocked member still finds the history the thread shows them", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("erin", "alpha")(f, w), http.StatusOK,
				[]string{`"body":"` + bodyBlocked + `"`}, bodyGroupAlice, bodyDirectAlice, bodyOthers)
		}),
		worldCase("system notes are not searchable", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("alice", "conversation")(f, w), http.StatusOK,
				[]string{`"items":[]`}, "left the conversation")
		}),
		worldCase("empty query → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("alice", "  ")(f, w), http.StatusBadRequest,
				[]string{`"q":{"code":"validation_messaging_search_empty"`}, allBodies...)
		}),
		worldCase("query of operators only → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("alice", `"* ^ ( ) : -`)(f, w), http.StatusBadRequest,
				[]string{`"q":{"code":"validation_messaging_search_empty"`}, allBodies...)
		}),
		worldCase("too long → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("alice", strings.Repeat("a", 201))(f, w), http.StatusBadRequest,
				[]string{`"q":{"code":"validation_messaging_search_too_long"`}, allBodies...)
		}),
		worldCase("too many words → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(get("alice", strings.Repeat("alpha ", 17))(f, w), http.StatusBadRequest,
				[]string{`"q":{"code":"validation_messaging_search_too_many_words"`}, allBodies...)
		}),
		worldCase("bad cursor → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, searchURL("alpha", "before", "x'--"), nil), http.StatusBadRequest,
				[]string{`"before":{"code":"validation_messaging_bad_cursor"`}, allBodies...)
		}),
		worldCase("bad limit → 400", func(f *fixture, w world) tests.ApiScenario {
			return expect(f.as("alice", http.MethodGet, searchURL("alpha", "limit", "-1"), nil), http.StatusBadRequest,
				[]string{`"limit":{"code":"validation_messaging_not_a_number"`}, allBodies...)
		}),
		{name: "bodies are HTML-escaped in the snippet", build: func(f *fixture) tests.ApiScenario {
			f.start("alice", []string{"bob"}, "", `<script>alert("x")</script> hello & <b>bye</b>`)
			return expect(f.as("bob", http.MethodGet, searchURL("hello"), nil), http.StatusOK,
				[]string{`"snippet":"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; <mark>hello</mark> &amp; &lt;b&gt;bye&lt;/b&gt;"`})
		}},
	}
	runCases(t, cases)
}

// ids searches as user and returns the hits' bodies, newest first.
func (f *fixture) search(user, q string, opts messaging.SearchOptions) []string {
	f.t.Helper()
	page, err := f.pm.Search(f.id(user), q, opts)
	if err != nil {
		f.t.Fatalf("search %q: %v", q, err)
	}
	out := make([]string, 0, len(page.Items))
	for _, h := range page.Items {
		out = append(out, h.Body)
	}
	return out
}

// Whatever a member types, the query means "these words": FTS5 syntax in
// it is text, and no input makes it a 500 or reaches another thread.
func TestSearch_QueryInjection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	mine, _ := f.start("alice", []string{"bob"}, "", "apple pie near the café, naïve résumé 東京 🍎 x*y")
	f.send("bob", mine.Id, "banana OR split")
	f.send("alice", mine.Id, `quote " and ( paren ) and body:colon`)
	f.start("carol", []string{"dave"}, "", "apple secret of carol banana")

	cases := []struct {
		q    string
		want []string // bodies alice finds, newest first; nil: none
		err  bool     // a 400 (ErrInvalid)
	}{
		{q: "apple", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
		{q: `"apple"`, want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
		{q: "apple OR banana"}, // OR is a word: no message has all three
		{q: "banana OR", want: []string{"banana OR split"}},
		{q: "NEAR(apple pie)"}, // as FTS5 syntax it would match; as words, "near apple" isn't there
		{q: "apple NOT pie", want: nil},
		{q: "body:secret"}, // a column filter is text: "body" "secret"
		{q: "thread:secret"},
		{q: "{body thread}:secret"},
		{q: "secret"}, // carol's thread
		{q: "*", err: true},
		{q: "^apple", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
		{q: "app*"}, // the star is text, not a prefix
		{q: `"`, err: true},
		{q: `""`, err: true},
		{q: `"unbalanced`},
		{q: `quote " and`, want: []string{`quote " and ( paren ) and body:colon`}},
		{q: "( paren )", want: []string{`quote " and ( paren ) and body:colon`}},
		{q: "body:colon", want: []string{`quote " and ( paren ) and body:colon`}},
		{q: "cafe naive resume", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
		{q: "CAFÉ", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
		{q: "東京", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
		{q: "🍎", err: true},
		{q: "x*y", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
		{q: "spl"}, // whole words only
		{q: "SPLIT", want: []string{"banana OR split"}},
		{q: "'; DROP TABLE messages; --"},
		{q: "\x00apple", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
		{q: "apple\x00 NEAR", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}}, // "near" is in it
		{q: "\x1f\x7f\u200b", err: true},
		{q: "apple\u3000pie", want: []string{"apple pie near the café, naïve résumé 東京 🍎 x*y"}},
	}
	for _, c := range cases {
		page, err := f.pm.Search(f.id("alice"), c.q, messaging.SearchOptions{})
		if c.err {
			if !errors.Is(err, messaging.ErrInvalid) {
				t.Errorf("%q: want ErrInvalid, got %v", c.q, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		var got []string
		for _, h := range page.Items {
			got = append(got, h.Body)
			if strings.Contains(h.Body, "secret") {
				t.Errorf("%q: found carol's message", c.q)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.q, got, c.want)
		}
	}
}

// A hit is the message as the thread shows it: its html and edit time
// too, after an edit.
func TestSearch_HitsAreWholeMessages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	_, msg := f.start("alice", []string{"bob"}, "", "first words")
	edited, err := f.pm.Edit(f.id("alice"), msg.Id, "second words")
	f.must(err)
	page, err := f.pm.Search(f.id("bob"), "second", messaging.SearchOptions{})
	f.must(err)
	if len(page.Items) != 1 {
		t.Fatalf("hits: %+v", page.Items)
	}
	h := page.Items[0]
	if h.HTML != edited.GetString("html") || h.HTML == "" || h.Edited == "" || h.Files == nil {
		t.Errorf("hit %+v, want html %q and the edit time", h.MessageView, edited.GetString("html"))
	}
	if page, _ := f.pm.Search(f.id("bob"), "first", messaging.SearchOptions{}); len(page.Items) != 0 {
		t.Errorf("the old version was found: %+v", page.Items)
	}
}

package messaging_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// hostileBodies try to get script, event handlers, foreign URLs or raw
// markup through either renderer.
var hostileBodies = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`![x](javascript:alert(1))`,
	`![x](https://evil.example/a.png "t" onerror="alert(1)")`,
	`[click](javascript:alert(1))`,
	`[click](JaVaScRiPt:alert(1))`,
	`[click](java&#x09;script:alert(1))`,
	`[click](&#106;avascript:alert(1))`,
	`[click](javascript&colon;alert(1))`,
	`[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`[click](vbscript:msgbox(1))`,
	`[click](//evil.example/x)`,
	`[click](/relative/path)`,
	`<javascript:alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="https://ok.example" onclick="alert(1)">x</a>`,
	`[x](https://ok.example "title\" onmouseover=\"alert(1)")`,
	`[x](<https://ok.example" onmouseover="alert(1)>)`,
	`**<img src=x onerror=alert(1)>**`,
	"`<script>alert(1)</script>`",
	"```html\n<script>alert(1)</script>\n```",
	`> <iframe src="https://evil.example"></iframe>`,
	`<svg><script>alert(1)</script></svg>`,
	`<svg onload=alert(1)>`,
	`<style>body{display:none}</style>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<details open ontoggle=alert(1)>`,
	`&lt;script&gt;alert(1)&lt;/script&gt;`,
	`&#60;script&#62;alert(1)&#60;/script&#62;`,
	`<<script>script>alert(1)<</script>/script>`,
	`<!-- --><script>alert(1)</script>`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	`[a](https://ok.example)<script>alert(1)</script>`,
	`*[a](javascript:alert(1))*`,
	`- [a](javascript:alert(1))`,
	`[ref]` + "\n\n" + `[ref]: javascript:alert(1)`,
	`https://ok.example/"><script>alert(1)</script>`,
	`http://ok.example/x?a=<img src=x onerror=alert(1)>`,
	`www.ok.example/"onmouseover="alert(1)`,
	`<form action="https://evil.example"><input name=x></form>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<object data="javascript:alert(1)"></object>`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
	`# <img src=x onerror=alert(1)> heading`,
	`Heading` + "\n===\n" + `<script>alert(1)</script>`,
}

// Allowed elements and attributes of a message's html; anything else
// failing checkSafeHTML is a sanitizer hole.
var (
	safeElements = []string{"p", "br", "em", "strong", "del", "ul", "ol", "li", "code", "pre", "blockquote", "a"}
	safeSchemes  = []string{"http", "https", "mailto"}
)

const wantRel = "nofollow noopener ugc"

// checkSafeHTML parses out as a browser would and fails on any element,
// attribute or URL outside the allow-list, and on a link without the rel.
func checkSafeHTML(t testing.TB, in, out string) {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(out), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatalf("%q: unparsable html %q: %v", in, out, err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.ElementNode:
			if !slices.Contains(safeElements, n.Data) {
				t.Errorf("%q: element <%s> in %q", in, n.Data, out)
			}
			rel := ""
			for _, a := range n.Attr {
				switch {
				case n.Data == "a" && a.Key == "href":
					u, err := url.Parse(a.Val)
					if err != nil || !slices.Contains(safeSchemes, strings.ToLower(u.Scheme)) {
						t.Errorf("%q: href %q in %q", in, a.Val, out)
					}
				case n.Data == "a" && a.Key == "rel":
					rel = a.Val
				case n.Data == "a" && a.Key == "target" && a.Val == "_blank":
				case n.Data == "ol" && a.Key == "start":
				default:
					t.Errorf("%q: attribute %s=%q on <%s> in %q", in, a.Key, a.Val, n.Data, out)
				}
			}
			if n.Data == "a" && rel != wantRel {
				t.Errorf("%q: link with rel %q in %q", in, rel, out)
			}
		case html.CommentNode, html.DoctypeNode:
			t.Errorf("%q: comment or doctype in %q", in, out)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
}

// Every hostile body, in both formats, through the Go API: the stored
// html (what the API, live events and emails show) holds nothing that
// runs script.
func TestFormat_HostileInputIsSafe(t *testing.T) {
	t.Parallel()
	for _, format := range []string{messaging.FormatPlain, messaging.FormatMarkdown} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, messaging.Config{TextFormat: format})
			thread, _ := f.start("alice", []string{"bob"}, "", "hi")
			for _, body := range hostileBodies {
				msg := f.send("alice", thread.Id, body)
				out := msg.GetString("html")
				if out == "" {
					t.Errorf("%q: empty html", body)
				}
				checkSafeHTML(t, body, out)
				if strings.Contains(strings.ToLower(out), "<a ") && !strings.Contains(out, `rel="`+wantRel+`"`) {
					t.Errorf("%q: link without rel in %q", body, out)
				}
			}
		})
	}
}

// What each format makes of ordinary text.
func TestFormat_Rendering(t *testing.T) {
	t.Parallel()
	link := func(u string) string { return `<a href="` + u + `" rel="` + wantRel + `" target="_blank">` }
	cases := []struct{ format, body, want string }{
		{"plain", "a < b & c", "<p>a &lt; b &amp; c</p>"},
		{"plain", "line one\nline two\n\nnext paragraph", "<p>line one<br>\nline two</p>\n<p>next paragraph</p>"},
		{"plain", "see https://example.com/x?a=1&b=2.", "<p>see " + link("https://example.com/x?a=1&amp;b=2") + "https://example.com/x?a=1&amp;b=2</a>.</p>"},
		{"plain", "**not bold** <b>x</b>", "<p>**not bold** &lt;b&gt;x&lt;/b&gt;</p>"},
		{"plain", "javascript:alert(1)", "<p>javascript:alert(1)</p>"},
		{"markdown", "*em* **strong** `code`", "<p><em>em</em> <strong>strong</strong> <code>code</code></p>"},
		{"markdown", "[site](https://example.com)", "<p>" + link("https://example.com") + "site</a></p>"},
		{"markdown", "mail [me](mailto:a@example.com)", `<p>mail <a href="mailto:a@example.com" rel="` + wantRel + `" target="_blank">me</a></p>`},
		{"markdown", "bare https://example.com here", "<p>bare " + link("https://example.com") + "https://example.com</a> here</p>"},
		{"markdown", "- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"},
		{"markdown", "3. three\n4. four", "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>"},
		{"markdown", "> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"},
		{"markdown", "```\nx < 1\n```", "<pre><code>x &lt; 1\n</code></pre>"},
		{"markdown", "one\ntwo", "<p>one<br>\ntwo</p>"},
		{"markdown", "# Title", "<p>Title</p>"},
		{"markdown", "![a cat](https://example.com/cat.png)", "<p>a cat</p>"},
		{"markdown", "<b>typed tags</b> stay text", "<p>&lt;b&gt;typed tags&lt;/b&gt; stay text</p>"},
		{"markdown", "[bad](javascript:alert(1)) *[x](/relative)*", "<p>bad <em>x</em></p>"},
		{"markdown", "<javascript:alert(1)>", "<p>javascript:alert(1)</p>"},
	}
	apps := map[string]*fixture{}
	threads := map[string]string{}
	for _, format := range []string{"plain", "markdown"} {
		apps[format] = newFixture(t, messaging.Config{TextFormat: format})
		thread, _ := apps[format].start("alice", []string{"bob"}, "", "hi")
		threads[format] = thread.Id
	}
	for _, c := range cases {
		msg := apps[c.format].send("alice", threads[c.format], c.body)
		if got := msg.GetString("html"); got != c.want {
			t.Errorf("%s %q:\n got %q\nwant %q", c.format, c.body, got, c.want)
		}
		checkSafeHTML(t, c.body, msg.GetString("html"))
	}
}

// The site owner switches to Markdown in the settings: new messages
// render as Markdown, older ones keep the html they were written with.
// System notes are plain whatever the format (they quote names).
func TestFormat_SettingAppliesToNewMessages(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{{name: "switch to markdown", build: func(f *fixture) tests.ApiScenario {
		thread, before := f.start("alice", []string{"bob", "carol"}, "", "**before**")
		s := expect(f.as("superuser", http.MethodPatch,
			recordsURL(messaging.CollectionNameSettings, "/messagingconfig"), map[string]any{"text_format": "markdown"}),
			200, []string{`"text_format":"markdown"`, `"in_force":{`, `"text_format":"markdown"`})
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			after := f.send("alice", thread.Id, "**after**")
			if got := after.GetString("html"); got != "<p><strong>after</strong></p>" {
				t.Errorf("new message html %q", got)
			}
			old, _ := app.FindRecordById(messaging.CollectionNameMessages, before.Id)
			if got := old.GetString("html"); got != "<p>**before**</p>" {
				t.Errorf("old message html %q", got)
			}
			if err := f.pm.Leave(f.id("carol"), thread.Id); err != nil {
				t.Fatal(err)
			}
			page, err := f.pm.Messages(f.id("alice"), thread.Id, "", 1)
			if err != nil || len(page.Items) != 1 || !page.Items[0].System || !strings.HasPrefix(page.Items[0].HTML, "<p>") ||
				strings.Contains(page.Items[0].HTML, "<em>") {
				t.Errorf("system note: %+v %v", page.Items, err)
			}
		}
		return s
	}}, {name: "unknown format refused", build: func(f *fixture) tests.ApiScenario {
		return expect(f.as("superuser", http.MethodPatch,
			recordsURL(messaging.CollectionNameSettings, "/messagingconfig"), map[string]any{"text_format": "html"}),
			400, []string{`"text_format":{"code":"validation_messaging_text_format"`})
	}}})
}

// A client's html is never stored: the records API create and update
// replace it with the rendering of the body.
func TestFormat_ClientHTMLIgnored(t *testing.T) {
	t.Parallel()
	evil := `<img src=x onerror=alert(1)>`
	runCases(t, []apiCase{
		{name: "records API create", build: func(f *fixture) tests.ApiScenario {
			thread, _ := f.start("alice", []string{"bob"}, "", "hi")
			return expect(f.as("alice", http.MethodPost, recordsURL(messaging.CollectionNameMessages, ""),
				map[string]any{"thread": thread.Id, "body": "hello", "html": evil, "edited": "2020-01-01 00:00:00.000Z"}),
				200, []string{`"html":"<p>hello</p>"`, `"edited":""`}, "onerror")
		}},
		{name: "records API update by a superuser keeps the stored html", build: func(f *fixture) tests.ApiScenario {
			_, msg := f.start("alice", []string{"bob"}, "", "hi")
			return expect(f.as("superuser", http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+msg.Id),
				map[string]any{"html": evil}), 200, []string{`"html":"<p>hi</p>"`, `"edited":""`}, "onerror")
		}},
	})
}

// The thread page and the inbox preview carry the stored html.
func TestFormat_MessageViewHasHTML(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	thread, _ := f.start("alice", []string{"bob"}, "", "see https://example.com")
	page, err := f.pm.Messages(f.id("bob"), thread.Id, "", 10)
	if err != nil || len(page.Items) != 1 {
		t.Fatal(page, err)
	}
	if !strings.Contains(page.Items[0].HTML, `<a href="https://example.com" rel="`+wantRel+`"`) {
		t.Errorf("html %q", page.Items[0].HTML)
	}
	inbox, err := f.pm.Inbox(f.id("bob"), messaging.InboxQuery{})
	if err != nil || len(inbox.Items) != 1 || inbox.Items[0].LastMessage.HTML != page.Items[0].HTML {
		t.Errorf("inbox: %+v %v", inbox.Items, err)
	}
}

package messaging

import (
	"bytes"
	"html"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Text formats. A message's html is rendered once, when its body is
// written (created or edited), and stored beside it: the API, the live
// events and email notifications all show the same markup without
// rendering again,
// and a change of the site's format applies to new writes only. Every
// rendering ends in the sanitizer, whose allow-list is the whole of what
// can come out: the renderers below never emit raw HTML, and if one did,
// the policy would still drop it.

// Text formats, the values of the text_format setting.
const (
	FormatPlain    = "plain"
	FormatMarkdown = "markdown"
)

// linkRel is the rel of every link in a message: user content, not
// endorsed, no window.opener for the target.
const linkRel = "nofollow noopener ugc"

// formatter renders bodies; one per Messaging, safe for concurrent use
// (goldmark and bluemonday policies are, once built).
type formatter struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

func newFormatter() *formatter {
	return &formatter{md: newMarkdown(), policy: newPolicy()}
}

// newPolicy is the allow-list of the markup a message may contain: the
// safe subset, links only to http, https and mailto, no attributes but a
// link's href and the rel and target the renderers set.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "em", "strong", "del", "ul", "ol", "li", "code", "pre", "blockquote")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	p.AllowAttrs("target").Matching(regexp.MustCompile(`^_blank$`)).OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	// A backstop: the renderers set linkRel on every link already.
	p.RequireNoFollowOnLinks(true)
	return p
}

// newMarkdown is CommonMark without raw HTML (typed tags stay text),
// with strikethrough and bare http(s) URLs linked, and hard line breaks
// as chat users expect. Headings render as paragraphs and images as their
// alt text (see subsetRenderer); the sanitizer drops what else is left.
func newMarkdown() goldmark.Markdown {
	raw := []any{parser.NewHTMLBlockParser(), parser.NewRawHTMLParser()}
	blocks := without(parser.DefaultBlockParsers(), raw)
	inlines := without(parser.DefaultInlineParsers(), raw)
	return goldmark.New(
		goldmark.WithParser(parser.NewParser(
			parser.WithBlockParsers(blocks...),
			parser.WithInlineParsers(inlines...),
			parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
			parser.WithASTTransformers(util.Prioritized(linkAttrs{}, 100)),
		)),
		goldmark.WithExtensions(
			extension.Strikethrough,
			extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
		),
		goldmark.WithRendererOptions(
			gmhtml.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(subsetRenderer{}, 100)),
		),
	)
}

// without drops the parsers of the same types as drop.
func without(in []util.PrioritizedValue, drop []any) []util.PrioritizedValue {
	out := make([]util.PrioritizedValue, 0, len(in))
	for _, v := range in {
		if !slices.ContainsFunc(drop, func(d any) bool { return reflect.TypeOf(d) == reflect.TypeOf(v.Value) }) {
			out = append(out, v)
		}
	}
	return out
}

// linkAttrs gives every link the message rel and a new tab, and turns a
// link to anything but http, https or mailto into its plain text (the
// sanitizer would only drop the href, leaving a dead link).
type linkAttrs struct{}

func (linkAttrs) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	var links, bad []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && (n.Kind() == ast.KindLink || n.Kind() == ast.KindAutoLink) {
			links = append(links, n)
		}
		return ast.WalkContinue, nil
	})
	source := reader.Source()
	for _, n := range links {
		switch l := n.(type) {
		case *ast.Link:
			if !safeURL(string(l.Destination)) {
				bad = append(bad, n)
			}
		case *ast.AutoLink:
			if l.AutoLinkType == ast.AutoLinkURL && !safeURL(string(l.URL(source))) {
				bad = append(bad, n)
			}
		}
		n.SetAttributeString("rel", []byte(linkRel))
		n.SetAttributeString("target", []byte("_blank"))
	}
	for _, n := range bad {
		parent := n.Parent()
		if l, ok := n.(*ast.AutoLink); ok {
			parent.ReplaceChild(parent, n, ast.NewString(l.Label(source)))
			continue
		}
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, n, c)
			c = next
		}
		parent.RemoveChild(parent, n)
	}
}

// safeURL reports whether a link may point at u: an absolute http, https
// or mailto URL.
func safeURL(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch strings.ToLower(parsed.Scheme) {
	case "http", "https":
		return parsed.Host != ""
	case "mailto":
		return true
	}
	return false
}

// subsetRenderer renders headings as paragraphs and images as their alt
// text: neither belongs in a chat message, but the words do.
type subsetRenderer struct{}

func (subsetRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString("<p>")
		} else {
			_, _ = w.WriteString("</p>\n")
		}
		return ast.WalkContinue, nil
	})
	reg.Register(ast.KindImage, func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkContinue, nil // the children are the alt text
	})
}

// plainURL finds http(s) URLs in plain text; trailing punctuation is
// trimmed off by plainLink.
var plainURL = regexp.MustCompile(`https?://[^\s<>"'\x60]+`)

// plainParagraphs splits plain text at blank lines.
var plainParagraphs = regexp.MustCompile(`\n[ \t]*\n\s*`)

// render returns the sanitized HTML of body in format.
func (f *formatter) render(format, body string) string {
	var out string
	if format == FormatMarkdown {
		var buf bytes.Buffer
		if err := f.md.Convert([]byte(body), &buf); err != nil {
			out = renderPlain(body)
		} else {
			out = buf.String()
		}
	} else {
		out = renderPlain(body)
	}
	return strings.TrimSpace(f.policy.Sanitize(out))
}

// renderPlain escapes text, keeps paragraphs (blank lines) and line
// breaks, and links http(s) URLs.
func renderPlain(body string) string {
	var b strings.Builder
	for _, para := range plainParagraphs.Split(strings.ReplaceAll(body, "\r\n", "\n"), -1) {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			writeLinked(&b, line)
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}

func writeLinked(b *strings.Builder, line string) {
	last := 0
	for _, loc := range plainURL.FindAllStringIndex(line, -1) {
		url := strings.TrimRight(line[loc[0]:loc[1]], ".,;:!?)]}")
		b.WriteString(html.EscapeString(line[last:loc[0]]))
		b.WriteString(`<a href="` + html.EscapeString(url) + `" rel="` + linkRel + `" target="_blank">` +
			html.EscapeString(url) + `</a>`)
		last = loc[0] + len(url)
	}
	b.WriteString(html.EscapeString(line[last:]))
}

// textFormatSetting is the text_format select field; empty means Config.
var textFormatSetting = setting{name: "text_format", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
	s, _ := raw.(string)
	switch s {
	case "":
		return true, nil
	case FormatPlain, FormatMarkdown:
		l.TextFormat = s
		return false, nil
	}
	return false, validation.NewError("validation_messaging_text_format", `Either "plain" or "markdown", or empty for the default.`)
}}

// bindFormatHooks renders the html of every message written, whoever
// writes it; the client's html is never kept.
func (m *Messaging) bindFormatHooks() {
	m.app.OnRecordCreate(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageRenderNew__", Priority: 10, Func: m.renderNewMessage,
	})
	m.app.OnRecordUpdate(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageRenderUpdate__", Priority: 10, Func: m.renderUpdatedMessage,
	})
	m.app.OnRecordEnrich(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEnrichEvent]{
		Id: "__messagingMessageEnrichHTML__",
		Func: func(e *core.RecordEnrichEvent) error {
			if (&Message{e.Record}).Deleted() {
				e.Record.Set("html", "")
			}
			return e.Next()
		},
	})
}

// renderHTML is the stored html of a message: system notes are always
// plain (they quote names, not Markdown), the rest follows the setting.
func (m *Messaging) renderHTML(msg *Message) string {
	if msg.Deleted() || msg.Body() == "" {
		return ""
	}
	format := m.Limits().TextFormat
	if msg.Author() == "" && !msg.AuthorDeleted() {
		format = FormatPlain
	}
	return m.format.render(format, msg.Body())
}

// renderNewMessage runs after validateNewMessage (priority 10), on the
// trimmed body.
func (m *Messaging) renderNewMessage(e *core.RecordEvent) error {
	msg := &Message{e.Record}
	msg.SetHTML(m.renderHTML(msg))
	msg.SetEdited("")
	return e.Next()
}

// renderUpdatedMessage re-renders only a changed body; otherwise the
// stored html stays (written in the format of its time), whatever the
// client sent.
func (m *Messaging) renderUpdatedMessage(e *core.RecordEvent) error {
	msg, old := &Message{e.Record}, &Message{e.Record.Original()}
	if msg.Body() != old.Body() || msg.Deleted() {
		msg.SetHTML(m.renderHTML(msg))
	} else {
		msg.SetHTML(old.HTML())
	}
	return e.Next()
}

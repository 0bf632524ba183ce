package messaging

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// The pages of the one-click email links (email_links.go): a GET shows a
// confirmation with one POST button and changes nothing, since mail
// scanners and link previews open every link; a POST acts and says what
// happened. Every bad link, whatever is wrong with it, gets the same page.

// emailLinkCSP allows no script, style, frame or foreign form target: the
// pages are plain HTML whose only active part is their own form.
const emailLinkCSP = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// emailLinkText is what one action's pages say.
type emailLinkText struct {
	Title    string // page title
	Question string // the confirmation's heading
	Detail   string // under the question
	Button   string // the one button, which POSTs
	Done     string // the heading after the POST
	Undo     string // how to undo it, under Done
}

// emailLinkCatalog holds every user-facing text of the email link pages,
// kept together for translation.
type emailLinkCatalog struct {
	Lang          string
	Actions       map[string]emailLinkText
	Invalid       string // any bad, expired or revoked link
	InvalidDetail string
	NotPossible   string // mute after leaving, block of a deleted sender
	Unblockable   string
	Failed        string // a server error
	OpenInbox     string
}

// emailLinkTexts returns the English catalog. A function, not a variable,
// so the package keeps no mutable state.
func emailLinkTexts() emailLinkCatalog {
	return emailLinkCatalog{
		Lang: "en",
		Actions: map[string]emailLinkText{
			emailLinkUnsubscribe: {
				Title:    "Email notifications",
				Question: "Stop email notifications about new messages?",
				Detail:   "You will still see new messages when you sign in.",
				Button:   "Stop emails",
				Done:     "You will no longer get emails about new messages.",
				Undo:     "You can turn them back on in your settings.",
			},
			emailLinkMute: {
				Title:    "Mute conversation",
				Question: "Mute this conversation?",
				Detail:   "You will get no notifications about it. It stays in your inbox.",
				Button:   "Mute",
				Done:     "The conversation is muted.",
				Undo:     "You can unmute it from the conversation.",
			},
			emailLinkBlock: {
				Title:    "Block sender",
				Question: "Block this sender?",
				Detail:   "They will no longer be able to start conversations with you or add you to groups. They are not told.",
				Button:   "Block",
				Done:     "The sender is blocked.",
				Undo:     "You can unblock them in your settings.",
			},
		},
		Invalid:       "This link is invalid or has expired.",
		InvalidDetail: "Sign in to change your notification settings.",
		NotPossible:   "This can no longer be done from this link.",
		Unblockable:   "This sender can't be blocked.",
		Failed:        "Something went wrong. Please try again later.",
		OpenInbox:     "Open your inbox",
	}
}

// emailLinkPage is what the template shows. Target is the conversation's
// subject or the sender's name, user-written, so it is only ever escaped.
type emailLinkPage struct {
	Lang, Title, Heading, Target, Detail, Button, InboxURL, InboxLabel string
}

var emailLinkTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
</head>
<body>
<main>
<h1>{{.Heading}}</h1>
{{with .Target}}<p><strong>{{.}}</strong></p>
{{end}}{{with .Detail}}<p>{{.}}</p>
{{end}}{{if .Button}}<form method="post"><button type="submit">{{.Button}}</button></form>
{{end}}<p><a href="{{.InboxURL}}">{{.InboxLabel}}</a></p>
</main>
</body>
</html>
`))

// handleEmailLinkPage (GET) shows the confirmation; it never acts.
func (m *Messaging) handleEmailLinkPage(e *core.RequestEvent) error {
	texts := emailLinkTexts()
	link, err := parseEmailLink(e.App, e.Request.PathValue("action"), e.Request.PathValue("token"))
	if err != nil {
		return m.emailLinkInvalid(e, texts)
	}
	t := texts.Actions[link.action]
	return m.renderEmailLinkPage(e, http.StatusOK, texts, emailLinkPage{
		Title: t.Title, Heading: t.Question, Target: m.emailLinkTarget(link), Detail: t.Detail, Button: t.Button,
	})
}

// handleEmailLinkAction (POST) acts. The confirmation's button and the
// RFC 8058 one-click POST (body "List-Unsubscribe=One-Click") both land
// here; the body is not read, as the signed link is the only authority
// and no CSRF token could come with a one-click POST.
func (m *Messaging) handleEmailLinkAction(e *core.RequestEvent) error {
	texts := emailLinkTexts()
	link, err := parseEmailLink(e.App, e.Request.PathValue("action"), e.Request.PathValue("token"))
	if err != nil {
		return m.emailLinkInvalid(e, texts)
	}
	t := texts.Actions[link.action]
	outcome, err := m.actOnEmailLink(link)
	switch {
	case err != nil:
		e.App.Logger().Error("messaging: email link action failed", "action", link.action, "error", err)
		return m.renderEmailLinkPage(e, http.StatusInternalServerError, texts, emailLinkPage{Title: t.Title, Heading: texts.Failed})
	case outcome == emailLinkUnblockable:
		return m.renderEmailLinkPage(e, http.StatusConflict, texts, emailLinkPage{Title: t.Title, Heading: texts.Unblockable})
	case outcome == emailLinkNotPossible:
		return m.renderEmailLinkPage(e, http.StatusConflict, texts, emailLinkPage{Title: t.Title, Heading: texts.NotPossible})
	}
	return m.renderEmailLinkPage(e, http.StatusOK, texts, emailLinkPage{Title: t.Title, Heading: t.Done, Detail: t.Undo})
}

// emailLinkInvalid is the one answer to every bad link, GET or POST.
func (m *Messaging) emailLinkInvalid(e *core.RequestEvent, texts emailLinkCatalog) error {
	return m.renderEmailLinkPage(e, http.StatusBadRequest, texts, emailLinkPage{
		Title: texts.Invalid, Heading: texts.Invalid, Detail: texts.InvalidDetail,
	})
}

// emailLinkTarget names what a confirmation is about: the subject of a
// conversation the recipient is still in, or the sender's name. A
// conversation they left stays unnamed, so the page tells no more than
// the email did.
func (m *Messaging) emailLinkTarget(link emailLink) string {
	switch link.action {
	case emailLinkMute:
		if _, err := activeMember(m.app, link.user.Id, link.target); err != nil {
			return ""
		}
		thread, err := m.app.FindRecordById(CollectionNameThreads, link.target)
		if err != nil {
			return ""
		}
		return (&Thread{thread}).Subject()
	case emailLinkBlock:
		users, err := m.membersByID([]string{link.target})
		if err != nil {
			return ""
		}
		if u, ok := users[link.target]; ok {
			if u.Name != "" {
				return u.Name
			}
			return u.Username
		}
	}
	return ""
}

// renderEmailLinkPage writes a page with headers that keep the token
// where it is: no referrer, no caching, no indexing.
func (m *Messaging) renderEmailLinkPage(e *core.RequestEvent, status int, texts emailLinkCatalog, p emailLinkPage) error {
	p.Lang = texts.Lang
	p.InboxLabel = texts.OpenInbox
	p.InboxURL = strings.TrimRight(e.App.Settings().Meta.AppURL, "/") + "/"
	var buf bytes.Buffer
	if err := emailLinkTemplate.Execute(&buf, p); err != nil {
		return err
	}
	h := e.Response.Header()
	h.Set("Content-Security-Policy", emailLinkCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex")
	return e.HTML(status, buf.String())
}

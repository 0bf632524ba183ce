package messaging

import (
	"bytes"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// Email templates. The site owner replaces any of the six built-in
// templates with a setting of messaging_settings (the subject and text
// parts are Go text/template, the HTML part html/template); an empty
// setting keeps the built-in one. A template is parsed and run against
// sample data when the settings are saved, so a typo or an unknown field
// is a 400 there, never a failed email later. The data is EmailData.

// emailTemplates are the site's own templates, "" meaning built-in.
type emailTemplates struct {
	Subject       string `json:"subject,omitzero"`
	Text          string `json:"text,omitzero"`
	HTML          string `json:"html,omitzero"`
	DigestSubject string `json:"digest_subject,omitzero"`
	DigestText    string `json:"digest_text,omitzero"`
	DigestHTML    string `json:"digest_html,omitzero"`
}

// EmailData is what the email templates see.
type EmailData struct {
	AppName string // Settings > Application name
	AppURL  string // Settings > Application URL
	// Recipient is the member's display name.
	Recipient string
	// Conversation email: the conversation's title, its link in the
	// inbox, how many new messages from whom ("Alice and Bob"), the last
	// few of them, and how many more there were.
	Thread    string
	ThreadURL string
	Count     int
	Senders   string
	Messages  []EmailMessage
	More      int
	// Digest: the conversations with unread messages, newest first.
	Conversations []EmailThread
	// Signed one-click links (empty when not applicable).
	UnsubscribeURL string
	MuteURL        string
	BlockURL       string
	SettingsURL    string
}

// EmailMessage is one message quoted in a conversation email.
type EmailMessage struct {
	Sender string
	Time   string // "2006-01-02 15:04 UTC"
	// HTML is the message as the inbox renders it (messages.html, already
	// sanitized); Text is its body, trimmed.
	HTML htmltemplate.HTML
	Text string
}

// EmailThread is one line of the digest.
type EmailThread struct {
	Thread string
	URL    string
	Unread int
}

const builtinSubject = `{{.Count}} new message{{if gt .Count 1}}s{{end}} from {{.Senders}}{{if .Thread}} in '{{.Thread}}'{{end}}`

const builtinText = `{{.Count}} new message{{if gt .Count 1}}s{{end}} from {{.Senders}}{{if .Thread}} in '{{.Thread}}'{{end}}:
{{range .Messages}}
{{.Sender}}, {{.Time}}:
{{.Text}}
{{end}}{{if .More}}
… and {{.More}} more.
{{end}}
Open the conversation: {{.ThreadURL}}
{{if .MuteURL}}
Mute this conversation: {{.MuteURL}}{{end}}{{if .BlockURL}}
Block {{.Senders}}: {{.BlockURL}}{{end}}{{if .UnsubscribeURL}}
Stop these emails: {{.UnsubscribeURL}}{{end}}
`

const builtinHTML = `<!doctype html>
<html><body style="font-family:sans-serif;line-height:1.4">
<p><strong>{{.Count}} new message{{if gt .Count 1}}s{{end}} from {{.Senders}}{{if .Thread}} in ‘{{.Thread}}’{{end}}</strong></p>
{{range .Messages}}<div style="margin:1em 0;padding-left:.75em;border-left:3px solid #ccc">
<div style="color:#555;font-size:90%">{{.Sender}}, {{.Time}}</div>
{{.HTML}}
</div>
{{end}}{{if .More}}<p>… and {{.More}} more.</p>
{{end}}<p><a href="{{.ThreadURL}}">Open the conversation</a></p>
<p style="color:#777;font-size:85%">{{if .MuteURL}}<a href="{{.MuteURL}}">Mute this conversation</a> · {{end}}{{if .BlockURL}}<a href="{{.BlockURL}}">Block {{.Senders}}</a> · {{end}}{{if .UnsubscribeURL}}<a href="{{.UnsubscribeURL}}">Stop these emails</a>{{end}}</p>
</body></html>
`

const builtinDigestSubject = `{{len .Conversations}} conversation{{if gt (len .Conversations) 1}}s{{end}} with unread messages{{if .AppName}} on {{.AppName}}{{end}}`

const builtinDigestText = `Conversations with unread messages:
{{range .Conversations}}
- {{.Thread}} ({{.Unread}} unread): {{.URL}}{{end}}
{{if .UnsubscribeURL}}
Stop these emails: {{.UnsubscribeURL}}{{end}}
`

const builtinDigestHTML = `<!doctype html>
<html><body style="font-family:sans-serif;line-height:1.4">
<p><strong>Conversations with unread messages</strong></p>
<ul>{{range .Conversations}}
<li><a href="{{.URL}}">{{.Thread}}</a> ({{.Unread}} unread)</li>{{end}}
</ul>
{{if .UnsubscribeURL}}<p style="color:#777;font-size:85%"><a href="{{.UnsubscribeURL}}">Stop these emails</a></p>{{end}}
</body></html>
`

// sampleEmailData is what a template is tried against when saved.
func sampleEmailData() EmailData {
	return EmailData{AppName: "Site", AppURL: "https://example.com", Recipient: "Carol",
		Thread: "Team", ThreadURL: "https://example.com/t/x", Count: 3, Senders: "Alice and Bob",
		Messages: []EmailMessage{{Sender: "Alice", Time: "2026-01-02 08:00 UTC", HTML: "<p>Hi</p>", Text: "Hi"}},
		More:     2, Conversations: []EmailThread{{Thread: "Team", URL: "https://example.com/t/x", Unread: 3}},
		UnsubscribeURL: "https://example.com/u", MuteURL: "https://example.com/m", BlockURL: "https://example.com/b",
		SettingsURL: "https://example.com/settings"}
}

// executeTemplate parses src as a text or html template and runs it on
// data. missingkey=error and the typed data make an unknown field fail.
func executeTemplate(name, src string, html bool, data EmailData, w io.Writer) error {
	if html {
		t, err := htmltemplate.New(name).Option("missingkey=error").Parse(src)
		if err != nil {
			return err
		}
		return t.Execute(w, data)
	}
	t, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return err
	}
	return t.Execute(w, data)
}

// templateSetting is one template field: empty means built-in; anything
// else must parse and run on sample data.
func templateSetting(name string, html bool, field func(*emailTemplates) *string) setting {
	return setting{name: name, apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		src, _ := raw.(string)
		if strings.TrimSpace(src) == "" {
			return true, nil
		}
		if err := executeTemplate(name, src, html, sampleEmailData(), io.Discard); err != nil {
			return false, validation.NewError("validation_messaging_template", "Invalid template: "+err.Error())
		}
		*field(&l.EmailTemplates) = src
		return false, nil
	}}
}

// renderEmail fills the subject, text and html of an email of the given
// kind from the site's templates or the built-in ones.
func renderEmail(t emailTemplates, digest bool, data EmailData) (subject, text, html string, err error) {
	srcs := [3]string{t.Subject, t.Text, t.HTML}
	builtin := [3]string{builtinSubject, builtinText, builtinHTML}
	if digest {
		srcs = [3]string{t.DigestSubject, t.DigestText, t.DigestHTML}
		builtin = [3]string{builtinDigestSubject, builtinDigestText, builtinDigestHTML}
	}
	var out [3]string
	for i := range srcs {
		src := srcs[i]
		if src == "" {
			src = builtin[i]
		}
		var b bytes.Buffer
		if err := executeTemplate("email", src, i == 2, data, &b); err != nil {
			return "", "", "", err
		}
		out[i] = b.String()
	}
	// A subject is one line.
	subject = strings.Join(strings.Fields(out[0]), " ")
	return subject, out[1], out[2], nil
}

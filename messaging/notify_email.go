package messaging

import (
	"cmp"
	"database/sql"
	"errors"
	htmltemplate "html/template"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Sending due notifications. A due row is claimed (state "sending",
// attempts + 1, a lease of sendLease) and committed before the SMTP
// conversation starts; then what it covers is worked out again from the
// messages — the recipient may have read, muted, left, blocked or opted
// out since — and written to it (last_seq, count); then the email goes
// out and the row becomes "sent". A failure puts it in "retry" with
// backoff. A process that dies mid-SMTP leaves the row "sending": once the
// lease is over it is claimed again and sent, so that email may arrive
// twice, never zero times.

// shownMessages is how many messages a conversation email quotes.
const shownMessages = 5

// claimedRow is a notification claimed for sending.
type claimedRow struct {
	ID       string `db:"id"`
	Kind     string `db:"kind"`
	User     string `db:"user"`
	Thread   string `db:"thread"`
	Day      string `db:"day"`
	FirstSeq int    `db:"first_seq"`
	// Channel is "" for email, else a channel's name (channels.go).
	Channel  string `db:"channel"`
	Attempts int    `db:"attempts"`
}

// sendDue claims up to sendsPerStep due rows and sends them one by one.
func (n *notifier) sendDue(now time.Time) (more bool, err error) {
	app := n.m.app
	// A read first: the claim is a write, and most steps of a busy site
	// have nothing due.
	var due int
	err = app.DB().NewQuery(`SELECT COUNT(*) FROM (SELECT 1 FROM messaging_notifications
		WHERE state IN ('waiting', 'retry', 'sending') AND next_attempt <= {:now} LIMIT 1)`).
		Bind(dbx.Params{"now": dbTime(now)}).Row(&due)
	if err != nil || due == 0 {
		return false, err
	}
	var rows []claimedRow
	err = app.DB().NewQuery(`UPDATE messaging_notifications SET state = 'sending', attempts = attempts + 1,
			next_attempt = {:lease}, updated = {:now}
		WHERE id IN (SELECT id FROM messaging_notifications
			WHERE state IN ('waiting', 'retry', 'sending') AND next_attempt <= {:now} ORDER BY next_attempt LIMIT {:n})
		RETURNING id, kind, user, thread, day, first_seq, attempts, channel`).
		Bind(dbx.Params{"lease": dbTime(now.Add(sendLease)), "now": dbTime(now), "n": sendsPerStep}).All(&rows)
	if err != nil {
		return false, err
	}
	// A member's older window of a thread first (one retried after an
	// outage, say): it covers the newer one's messages, which then has
	// nothing left to send.
	slices.SortFunc(rows, func(a, b claimedRow) int {
		return cmp.Or(strings.Compare(a.User, b.User), strings.Compare(a.Thread, b.Thread), cmp.Compare(a.FirstSeq, b.FirstSeq))
	})
	for _, r := range rows {
		n.sendOne(r, now)
	}
	return len(rows) == sendsPerStep, nil
}

// sendOne composes and sends one claimed row and records the outcome.
func (n *notifier) sendOne(r claimedRow, now time.Time) {
	if r.Attempts > maxAttempts {
		n.finish(r, stateFailed, "gave up after "+strconv.Itoa(maxAttempts)+" attempts", now)
		return
	}
	if r.Channel != emailChannel {
		n.deliverChannel(r, now)
		return
	}
	var msg *mailer.Message
	var state string
	var err error
	if r.Kind == notifyDigest {
		msg, state, err = n.composeDigest(r)
	} else {
		msg, state, err = n.composeConversation(r)
	}
	if err == nil && msg != nil {
		err = n.m.app.NewMailClient().Send(msg)
	}
	switch {
	case err != nil && r.Attempts >= maxAttempts:
		n.finish(r, stateFailed, err.Error(), now)
	case err != nil:
		n.retryLater(r, err, now)
	case msg == nil:
		n.finish(r, state, "", now)
	default:
		n.finish(r, stateSent, "", now)
	}
}

// finish records a final state; the row is deleted after keepFinished.
func (n *notifier) finish(r claimedRow, state, lastError string, now time.Time) {
	sentAt := ""
	if state == stateSent {
		sentAt = dbTime(now)
	}
	n.update(r.ID, dbx.Params{"state": state, "last_error": truncate(lastError, 2000), "sent_at": sentAt,
		"next_attempt": purgeTime(now), "updated": dbTime(now)})
}

// retryLater puts a failed send off with backoff.
func (n *notifier) retryLater(r claimedRow, cause error, now time.Time) {
	n.m.app.Logger().Warn("messaging: notification email failed, will retry", "notification", r.ID, "error", cause)
	n.update(r.ID, dbx.Params{"state": stateRetry, "last_error": truncate(cause.Error(), 2000),
		"next_attempt": dbTime(now.Add(backoff(r.Attempts))), "updated": dbTime(now)})
}

func (n *notifier) update(id string, p dbx.Params) {
	if _, err := n.m.app.DB().Update(CollectionNameNotifications, p, dbx.HashExp{"id": id}).Execute(); err != nil {
		// The lease runs out and the row is tried again.
		n.m.app.Logger().Error("messaging: can't record a notification's state", "notification", id, "error", err)
	}
}

// recipient is what the sender needs to know about a notification's
// recipient, read in one query.
type recipient struct {
	Email       string `db:"email"`
	Name        string `db:"name"`
	Mode        string `db:"mode"`
	Member      bool   `db:"member"`
	Muted       bool   `db:"muted"`
	LastReadSeq int    `db:"last_read_seq"`
}

// findRecipient reads the recipient's address, effective mode and (for a
// conversation) membership; ok is false for a user who no longer exists.
func (n *notifier) findRecipient(user, thread string) (rc recipient, ok bool, err error) {
	err = n.m.app.DB().NewQuery(`SELECT u.email AS email, ` + recipientModeSQL + ` AS mode,
			(tm.id IS NOT NULL AND tm."left" = FALSE) AS member, COALESCE(tm.muted, FALSE) AS muted,
			COALESCE(tm.last_read_seq, 0) AS last_read_seq
		FROM users u LEFT JOIN messaging_preferences p ON p.user = u.id
		LEFT JOIN thread_members tm ON tm.user = u.id AND tm.thread = {:thread}
		WHERE u.id = {:user}`).
		Bind(dbx.Params{"user": user, "thread": thread, "default": n.m.Limits().EmailNotifications}).One(&rc)
	if errors.Is(err, sql.ErrNoRows) {
		return rc, false, nil
	}
	if err != nil {
		return rc, false, err
	}
	rc.Name = displayName(n.m.app, user)
	return rc, true, nil
}

// windowMessagesSQL is the messages a conversation window covers (m:
// messages): by someone else, not deleted, not system notes, from
// {:from} on, not from someone the recipient blocks, and not in the range
// of another email (another delivery on the same {:channel}) to them about
// this thread (sent, or being sent).
const windowMessagesSQL = `m.thread = {:thread} AND m.seq >= {:from} AND m.author != '' AND m.author != {:user}
	AND m.deleted = FALSE AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user = {:user} AND b.blocked = m.author)
	AND NOT EXISTS (SELECT 1 FROM messaging_notifications w WHERE w.user = {:user} AND w.thread = {:thread}
		AND w.id != {:id} AND w.channel = {:channel} AND w.state IN ('sent', 'sending') AND m.seq BETWEEN w.first_seq AND w.last_seq)`

// windowLeft counts the messages of window r still to tell its recipient
// about on channel, who has read up to lastRead. With none left, state is
// the row's final state: "read" when the member read past the window's
// start, else "skipped". params are windowMessagesSQL's, for the caller's
// own query of those messages.
func windowLeft(app core.App, r claimedRow, channel string, lastRead int) (params dbx.Params, count, lastSeq int, state string, err error) {
	from := max(r.FirstSeq, lastRead+1)
	params = dbx.Params{"thread": r.Thread, "user": r.User, "from": from, "id": r.ID, "channel": channel}
	err = app.DB().NewQuery(`SELECT COUNT(*), COALESCE(MAX(m.seq), 0) FROM messages m WHERE `+windowMessagesSQL).
		Bind(params).Row(&count, &lastSeq)
	if err != nil || count > 0 {
		return params, count, lastSeq, "", err
	}
	if lastRead >= r.FirstSeq {
		return params, 0, 0, stateRead, nil
	}
	return params, 0, 0, stateSkipped, nil
}

// composeConversation builds the email of a conversation window, or nil
// and the final state when there is nothing left to say.
func (n *notifier) composeConversation(r claimedRow) (*mailer.Message, string, error) {
	app := n.m.app
	rc, ok, err := n.findRecipient(r.User, r.Thread)
	if err != nil {
		return nil, "", err
	}
	if !ok || !rc.Member || rc.Muted || rc.Email == "" || rc.Mode != EmailConversation {
		return nil, stateSkipped, nil
	}
	params, count, lastSeq, state, err := windowLeft(app, r, emailChannel, rc.LastReadSeq)
	if err != nil || state != "" {
		return nil, state, err
	}

	var shown []struct {
		Author  string `db:"author"`
		Body    string `db:"body"`
		HTML    string `db:"html"`
		Created string `db:"created"`
	}
	params["n"] = shownMessages
	err = app.DB().NewQuery(`SELECT author, body, html, created FROM (SELECT m.seq, m.author, m.body, m.html, m.created
		FROM messages m WHERE ` + windowMessagesSQL + ` ORDER BY m.seq DESC LIMIT {:n}) ORDER BY seq`).
		Bind(params).All(&shown)
	if err != nil {
		return nil, "", err
	}
	var authors []string
	err = app.DB().NewQuery(`SELECT m.author FROM messages m WHERE ` + windowMessagesSQL + `
		GROUP BY m.author ORDER BY MIN(m.seq) LIMIT 4`).Bind(params).Column(&authors)
	if err != nil {
		return nil, "", err
	}
	names := make([]string, 0, len(authors))
	for i, a := range authors {
		if i == 3 {
			names = append(names, "others")
			break
		}
		names = append(names, displayName(app, a))
	}
	sender := ""
	if len(authors) == 1 {
		sender = authors[0]
	}
	links, err := n.links(app, r.User, r.Thread, sender)
	if err != nil {
		return nil, "", err
	}

	data := n.baseData(rc, links)
	data.Thread = threadTitle(app, r.Thread, r.User)
	data.ThreadURL = data.AppURL + "/t/" + r.Thread
	data.Count, data.Senders, data.More = count, joinNames(names), count-len(shown)
	for _, s := range shown {
		html := s.HTML
		if html == "" {
			html = "<p>" + htmltemplate.HTMLEscapeString(s.Body) + "</p>"
		}
		data.Messages = append(data.Messages, EmailMessage{Sender: displayName(app, s.Author),
			Time: emailTime(s.Created), HTML: htmltemplate.HTML(html), Text: trimRunes(s.Body, 500)})
	}

	// The range is recorded before the SMTP conversation, so a window
	// opened meanwhile does not repeat these messages.
	if _, err := app.DB().Update(CollectionNameNotifications, dbx.Params{"first_seq": params["from"], "last_seq": lastSeq, "count": count},
		dbx.HashExp{"id": r.ID}).Execute(); err != nil {
		return nil, "", err
	}
	return n.message(rc, links, false, data)
}

// baseData is the part of EmailData every email has.
func (n *notifier) baseData(rc recipient, links emailLinks) EmailData {
	meta := n.m.app.Settings().Meta
	appURL := strings.TrimRight(meta.AppURL, "/")
	return EmailData{AppName: meta.AppName, AppURL: appURL, Recipient: rc.Name,
		UnsubscribeURL: links.Unsubscribe, MuteURL: links.Mute, BlockURL: links.Block, SettingsURL: appURL + "/settings"}
}

// message renders data into an email to rc, with the RFC 8058 one-click
// unsubscribe headers when there is an unsubscribe link.
func (n *notifier) message(rc recipient, links emailLinks, digest bool, data EmailData) (*mailer.Message, string, error) {
	subject, text, html, err := renderEmail(n.m.Limits().EmailTemplates, digest, data)
	if err != nil {
		return nil, "", err
	}
	meta := n.m.app.Settings().Meta
	msg := &mailer.Message{
		From:    mail.Address{Name: meta.SenderName, Address: meta.SenderAddress},
		To:      []mail.Address{{Name: rc.Name, Address: rc.Email}},
		Subject: subject,
		Text:    text,
		HTML:    html,
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
	}
	if links.Unsubscribe != "" {
		msg.Headers["List-Unsubscribe"] = "<" + links.Unsubscribe + ">"
		msg.Headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	return msg, "", nil
}

// threadTitle is the conversation's subject or, without one, the names of
// up to three other members ("" in a direct conversation, whose email
// names the sender already).
func threadTitle(app core.App, threadID, user string) string {
	t, err := app.FindRecordById(CollectionNameThreads, threadID)
	if err != nil {
		return ""
	}
	th := &Thread{t}
	if s := th.Subject(); s != "" || th.Kind() == KindDirect {
		return s
	}
	var names []string
	for _, id := range th.Members() {
		if id != user && len(names) < 3 {
			names = append(names, displayName(app, id))
		}
	}
	return joinNames(names)
}

func emailTime(created string) string {
	t, err := types.ParseDateTime(created)
	if err != nil || t.IsZero() {
		return ""
	}
	return t.Time().UTC().Format("2006-01-02 15:04 UTC")
}

// trimRunes cuts s to n characters, marking the cut.
func trimRunes(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

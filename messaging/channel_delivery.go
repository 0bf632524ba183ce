package messaging

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Queueing and delivering the rows of channels other than email
// (channels.go). The fan-out opens a window per channel beside the email
// one, in the same transaction; the worker claims due rows of every
// channel alike (notify_email.go, sendDue) and hands a channel's rows to
// deliverChannel, which works out again what the window covers — the
// recipient may have read, muted, left, blocked or turned messaging off
// since — records that range, then calls the channel.

// fanOutChannelSQL opens a channel's window for each member in
// (from, to] eligible for this message: as fanOutMessageSQL, without the
// email mode and address (a member's email choice is about email only).
const fanOutChannelSQL = `INSERT OR IGNORE INTO messaging_notifications
	(id, kind, channel, user, thread, day, state, first_seq, last_seq, count, due, attempts, last_error, sent_at, next_attempt, created, updated)
	SELECT ` + newIDSQL + `, 'conversation', {:channel}, tm.user, tm.thread, '', 'waiting', {:seq}, 0, 0, {:due}, 0, '', '', {:due}, {:now}, {:now}
	FROM thread_members tm LEFT JOIN messaging_preferences p ON p.user = tm.user
	WHERE tm.thread = {:thread} AND tm.user > {:from} AND tm.user <= {:to}
		AND tm.user != {:author} AND tm."left" = FALSE AND tm.muted = FALSE AND tm.last_read_seq < {:seq}
		AND tm.request = '' AND NOT COALESCE(p.messaging_off, FALSE)
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user = tm.user AND b.blocked = {:author})`

// fanOutChannels opens the windows of every active channel for the
// members of one fan-out batch (params as for fanOutMessageSQL).
func (n *notifier) fanOutChannels(tx core.App, params dbx.Params) error {
	for _, c := range n.m.activeChannels() {
		params["channel"] = c.Name()
		if _, err := tx.DB().NewQuery(fanOutChannelSQL).Bind(params).Execute(); err != nil {
			return err
		}
	}
	return nil
}

// errDropped is an OnNotify handler's "don't deliver".
var errDropped = errors.New("dropped by an OnNotify handler")

// deliverChannel composes and delivers one claimed channel row and
// records the outcome, as sendOne does for email.
func (n *notifier) deliverChannel(r claimedRow, now time.Time) {
	ch := n.m.channelNamed(r.Channel)
	if ch == nil {
		n.finish(r, stateSkipped, "channel "+r.Channel+" is not registered (or the webhook has no URL)", now)
		return
	}
	note, state, err := n.composeChannel(r, ch)
	if err == nil && note != nil {
		err = n.m.runChannel(ch, note)
	}
	switch {
	case errors.Is(err, errDropped):
		n.finish(r, stateSkipped, err.Error(), now)
	case err != nil && r.Attempts >= maxAttempts:
		n.finish(r, stateFailed, err.Error(), now)
	case err != nil:
		n.retryLater(r, err, now)
	case note == nil:
		n.finish(r, state, "", now)
	default:
		n.finish(r, stateSent, "", now)
	}
}

// runChannel fires OnNotify around the channel's Deliver; a panicking
// channel is a failed attempt, not a dead worker.
func (m *Messaging) runChannel(ch Channel, note *Notification) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("channel %s panicked: %v", ch.Name(), p)
		}
	}()
	dropped := true
	err = m.chans.onNotify.Trigger(&NotifyEvent{App: m.app, Channel: ch.Name(), Notification: note},
		func(e *NotifyEvent) error {
			dropped = false
			ctx, cancel := context.WithTimeout(context.Background(), channelTimeout)
			defer cancel()
			return ch.Deliver(ctx, e.Notification)
		})
	if err == nil && dropped {
		return errDropped
	}
	return err
}

// channelRecipient is what a channel delivery checks about its recipient.
type channelRecipient struct {
	Off         bool `db:"off"`
	Member      bool `db:"member"`
	Muted       bool `db:"muted"`
	LastReadSeq int  `db:"last_read_seq"`
}

// composeChannel builds the Notification of a channel row, or nil and the
// final state when there is nothing left to say.
func (n *notifier) composeChannel(r claimedRow, ch Channel) (*Notification, string, error) {
	app := n.m.app
	var rc channelRecipient
	err := app.DB().NewQuery(`SELECT COALESCE(p.messaging_off, FALSE) AS off,
			(tm.id IS NOT NULL AND tm."left" = FALSE) AS member, COALESCE(tm.muted, FALSE) AS muted,
			COALESCE(tm.last_read_seq, 0) AS last_read_seq
		FROM users u LEFT JOIN messaging_preferences p ON p.user = u.id
		LEFT JOIN thread_members tm ON tm.user = u.id AND tm.thread = {:thread}
		WHERE u.id = {:user}`).Bind(dbx.Params{"user": r.User, "thread": r.Thread}).One(&rc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, stateSkipped, nil
	}
	if err != nil {
		return nil, "", err
	}
	if rc.Off || !rc.Member || rc.Muted {
		return nil, stateSkipped, nil
	}
	params, count, lastSeq, state, err := windowLeft(app, r, r.Channel, rc.LastReadSeq)
	if err != nil || state != "" {
		return nil, state, err
	}

	var rows []struct {
		ID      string `db:"id"`
		Seq     int    `db:"seq"`
		Author  string `db:"author"`
		Body    string `db:"body"`
		HTML    string `db:"html"`
		Created string `db:"created"`
	}
	params["n"] = channelMessages
	err = app.DB().NewQuery(`SELECT id, seq, author, body, html, created FROM (SELECT m.id, m.seq, m.author, m.body,
		m.html, m.created FROM messages m WHERE ` + windowMessagesSQL + ` ORDER BY m.seq DESC LIMIT {:n}) ORDER BY seq`).
		Bind(params).All(&rows)
	if err != nil {
		return nil, "", err
	}
	var authors []string
	params["n"] = channelSenders
	err = app.DB().NewQuery(`SELECT m.author FROM messages m WHERE ` + windowMessagesSQL + `
		GROUP BY m.author ORDER BY MIN(m.seq) LIMIT {:n}`).Bind(params).Column(&authors)
	if err != nil {
		return nil, "", err
	}

	appURL := strings.TrimRight(app.Settings().Meta.AppURL, "/")
	title := threadTitle(app, r.Thread, r.User)
	if title == "" {
		title = directTitle(app, r.Thread, r.User)
	}
	names := map[string]string{}
	user := func(id string) NotificationUser {
		if _, ok := names[id]; !ok {
			names[id] = displayName(app, id)
		}
		return NotificationUser{ID: id, Name: names[id]}
	}
	note := &Notification{ID: r.ID, Channel: r.Channel, Attempt: r.Attempts, Recipient: user(r.User),
		Thread: NotificationThread{ID: r.Thread, Title: title, URL: appURL + "/t/" + r.Thread},
		Count:  count, InboxURL: appURL + "/"}
	for _, a := range authors {
		note.Senders = append(note.Senders, user(a))
	}
	text := false
	if tc, ok := ch.(TextChannel); ok {
		text = tc.IncludeText()
	}
	for _, m := range rows {
		created, _ := types.ParseDateTime(m.Created)
		msg := NotificationMessage{ID: m.ID, Seq: m.Seq, Sender: user(m.Author), Created: created.Time()}
		if text {
			msg.Body, msg.HTML = m.Body, m.HTML
			if msg.HTML == "" {
				msg.HTML = "<p>" + htmltemplate.HTMLEscapeString(m.Body) + "</p>"
			}
		}
		note.Messages = append(note.Messages, msg)
	}

	// The range is recorded before delivery, so a window opened meanwhile
	// does not repeat these messages.
	if _, err := app.DB().Update(CollectionNameNotifications, dbx.Params{"first_seq": params["from"], "last_seq": lastSeq, "count": count},
		dbx.HashExp{"id": r.ID}).Execute(); err != nil {
		return nil, "", err
	}
	return note, "", nil
}

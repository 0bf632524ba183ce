package messaging

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
)

// The daily digest. Once the day's digest hour (UTC) has passed, the
// worker writes that day's digest run, one outbox row keyed by the day
// (a unique index: one run a day, whoever restarts when). The fan-out
// walks the members with unread messages in batches, as for a message,
// and queues one notification per digest-mode member (unique per user
// and day); each is sent like any other notification and lists every
// conversation with unread messages the member hasn't muted. A process
// down at the digest hour sends that day's digest when it comes back,
// the same day.

// digestLimit caps the conversations one digest lists.
const digestLimit = 100

// scheduleDigest writes today's digest run once the hour has come.
func (n *notifier) scheduleDigest(now time.Time) error {
	day := now.Format(time.DateOnly)
	if n.digestDay == day || now.Hour() < n.m.Limits().DigestHour {
		return nil
	}
	_, err := n.m.app.DB().NewQuery(`INSERT OR IGNORE INTO messaging_outbox
		(id, kind, state, message, thread, author, seq, day, due, cursor, attempts, last_error, next_attempt, created, updated)
		VALUES ({:id}, 'digest', 'pending', '', '', '', 0, {:day}, {:now}, '', 0, '', {:now}, {:now}, {:now})`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "day": day, "now": dbTime(now)}).Execute()
	if err == nil {
		n.digestDay = day
	}
	return err
}

// composeDigest builds a member's digest, or nil and the final state when
// they have nothing unread any more or left digest mode.
func (n *notifier) composeDigest(r claimedRow) (*mailer.Message, string, error) {
	app := n.m.app
	rc, ok, err := n.findRecipient(r.User, "")
	if err != nil {
		return nil, "", err
	}
	if !ok || rc.Email == "" || rc.Mode != EmailDigest {
		return nil, stateSkipped, nil
	}
	var threads []struct {
		Thread string `db:"thread"`
		Unread int    `db:"unread"`
	}
	err = app.DB().NewQuery(`SELECT thread, unread FROM thread_members INDEXED BY idx_messaging_members_unread
		WHERE user = {:user} AND unread > 0 AND "left" = 0 AND muted = FALSE AND request = ''
		ORDER BY last_activity DESC LIMIT {:n}`).
		Bind(dbx.Params{"user": r.User, "n": digestLimit}).All(&threads)
	if err != nil {
		return nil, "", err
	}
	if len(threads) == 0 {
		return nil, stateRead, nil
	}
	links, err := n.links(app, r.User, "", "")
	if err != nil {
		return nil, "", err
	}
	data := n.baseData(rc, links)
	for _, t := range threads {
		title := threadTitle(app, t.Thread, r.User)
		if title == "" {
			title = directTitle(app, t.Thread, r.User)
		}
		data.Conversations = append(data.Conversations,
			EmailThread{Thread: title, URL: data.AppURL + "/t/" + t.Thread, Unread: t.Unread})
	}
	if _, err := app.DB().Update(CollectionNameNotifications, dbx.Params{"count": len(threads)},
		dbx.HashExp{"id": r.ID}).Execute(); err != nil {
		return nil, "", err
	}
	return n.message(rc, links, true, data)
}

// directTitle names a direct conversation after the other person.
func directTitle(app core.App, threadID, user string) string {
	t, err := app.FindRecordById(CollectionNameThreads, threadID)
	if err != nil {
		return "Conversation"
	}
	for _, id := range (&Thread{t}).Members() {
		if id != user {
			return displayName(app, id)
		}
	}
	return "Conversation"
}

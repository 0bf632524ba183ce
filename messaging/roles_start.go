package messaging

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Starting a conversation with roles and recipient types ("roles",
// "to") or as an announcement. Holders of the role_message_roles may
// (superusers and Go code always); anyone else gets 403. The group size
// limit counts the explicit recipients only. Each role or type entry is
// read a page at a time: one with at most role_expand_threshold members
// (found within startScanPages pages) joins in the start's transaction,
// a bigger one is written as a job for the background (expansion.go),
// and the sender is answered at once.
//
// Role and type messages are staff messages: their members are added
// whatever their "who can message me" mode and never as requests, the
// anti-spam limits don't apply, but members with messaging off and
// members who blocked the sender are left out (silently: the sender only
// sees the count). Whoever gets the role later is not added.

// startScanPages is how many pages of an entry's members a start reads
// at most to find it small; past that it goes to the background.
const startScanPages = 4

// errNoRoles is the refusal of a caller who may not message roles.
func errNoRoles() error { return errForbidden("You can't message roles.") }

// hasGroupTargets reports whether opts ask for the roles path.
func (o SendOptions) hasGroupTargets() bool {
	return len(o.Roles) > 0 || len(o.To) > 0 || o.Announcement
}

// target is one role or type entry of a start, with the input field that
// named it.
type target struct {
	Recipient
	field string
	t     RecipientType
}

// startTargets checks the roles and to of opts: known types, permission
// (for requests: opts.checkRoles) and no duplicates.
func (m *Messaging) startTargets(sender string, opts SendOptions) ([]target, error) {
	var out []target
	seen := map[Recipient]bool{}
	add := func(r Recipient, field string) error {
		r.Type, r.ID = strings.TrimSpace(r.Type), strings.TrimSpace(r.ID)
		if r.ID == "" {
			return errInvalid(field, "unknown_recipient", "Unknown recipient.")
		}
		t, ok := m.recipientType(r.Type)
		if !ok {
			return errInvalid(field, "unknown_recipient_type", "Unknown recipient type "+strconv.Quote(r.Type)+".")
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, target{Recipient: r, field: field, t: t})
		}
		return nil
	}
	for _, role := range opts.Roles {
		if err := add(Recipient{Type: RecipientTypeRole, ID: role}, "roles"); err != nil {
			return nil, err
		}
	}
	for _, r := range opts.To {
		if err := add(r, "to"); err != nil {
			return nil, err
		}
	}
	if !opts.checkRoles {
		return out, nil
	}
	user, err := m.app.FindRecordById(CollectionNameUsers, sender)
	if err != nil {
		return nil, errNotFound()
	}
	if !m.mayMessageRoles(user) {
		return nil, errNoRoles()
	}
	for _, t := range out {
		if !m.mayUseType(t.t, user) {
			return nil, errNoRoles()
		}
	}
	return out, nil
}

// smallMembers reads up to startScanPages pages of t's members: all of
// them when they are at most threshold (done), else done is false.
func smallMembers(app core.App, t target, threshold int) (ids []string, done bool, err error) {
	after := ""
	for range startScanPages {
		page, next, err := t.t.Members(app, t.ID, after, max(threshold+1, roleWindow))
		if errors.Is(err, ErrUnknownRecipient) {
			if t.Type == RecipientTypeRole {
				return nil, false, errInvalid(t.field, "unknown_role", "Unknown role "+strconv.Quote(t.ID)+".")
			}
			return nil, false, errInvalid(t.field, "unknown_recipient", "Unknown recipient "+strconv.Quote(t.ID)+".")
		}
		if err != nil {
			return nil, false, err
		}
		ids = append(ids, page...)
		if len(ids) > threshold {
			return nil, false, nil
		}
		if next == "" {
			return ids, true, nil
		}
		after = next
	}
	return nil, false, nil
}

// startToTargets is StartWith for roles, types and announcements: a new
// group thread, whatever the number of recipients.
func (m *Messaging) startToTargets(sender string, recipients []string, subject, body string, opts SendOptions) (thread, message *core.Record, err error) {
	targets, err := m.startTargets(sender, opts)
	if err != nil {
		return nil, nil, err
	}
	max := m.Limits().MaxGroupSize
	others, ok := cleanIDs(recipients, max)
	if !ok {
		return nil, nil, errGroupTooLarge("recipients", max)
	}
	others = slices.DeleteFunc(others, func(id string) bool { return id == sender })
	if len(others)+1 > max {
		return nil, nil, errGroupTooLarge("recipients", max)
	}
	if len(others) == 0 && len(targets) == 0 {
		return nil, nil, errInvalid("recipients", "no_recipients", "Choose at least one recipient.")
	}
	threshold := m.Limits().RoleExpandThreshold
	var expanded bool
	err = m.app.RunInTransaction(func(tx core.App) error {
		m.exemptTx(tx) // staff messages: see the top of this file
		var err error
		if message, err = startRetry(tx, sender, others, body, opts.ClientKey); err != nil || message != nil {
			return err
		}
		requests, err := m.checkRecipients(tx, sender, others, "recipients")
		if err != nil {
			return err
		}
		if thread, err = m.createThread(tx, KindGroup, subject, "", sender, others); err != nil {
			return err
		}
		if opts.Announcement {
			if _, err := tx.DB().NewQuery(`UPDATE threads SET announcement = TRUE WHERE id = {:id}`).
				Bind(dbx.Params{"id": thread.Id}).Execute(); err != nil {
				return err
			}
		}
		for _, t := range targets {
			ids, done, err := smallMembers(tx, t, threshold)
			if err != nil {
				return err
			}
			if done {
				if _, err := addExpandedMembers(tx, thread.Id, ids); err != nil {
					return err
				}
				continue
			}
			if err := queueExpansion(tx, thread.Id, t.Recipient); err != nil {
				return err
			}
			expanded = true
		}
		message, err = m.newMessageWith(tx, thread.Id, sender, body, opts)
		if err == nil && (&Message{message}).Seq() == 1 {
			err = markRequests(tx, thread.Id, requests)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if expanded {
		m.expansions.poke()
	}
	thread, err = m.app.FindRecordById(CollectionNameThreads, (&Message{message}).Thread())
	return thread, message, err
}

// queueExpansion writes the job that adds r's members in the background.
func queueExpansion(tx core.App, threadID string, r Recipient) error {
	now := types.NowDateTime().String()
	_, err := tx.DB().NewQuery(`INSERT INTO messaging_expansions
			(id, thread, type, key, cursor, added, state, error, created, updated)
		VALUES ({:id}, {:thread}, {:type}, {:key}, '', 0, 'pending', '', {:now}, {:now})`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "thread": threadID, "type": r.Type, "key": r.ID,
			"now": now}).Execute()
	return err
}

// addExpandedMembersSQL adds the users of {:ids} to {:thread} in one
// statement, with exactly the unread count Recount expects (every
// message by someone else so far: they read nothing yet) and counted_seq
// at the thread's last_seq, read in the same statement: a message
// committed before it is in the count, one after it counts them itself
// (countNewMessage or a fan-out job: counted_seq < seq). OR IGNORE skips
// anyone who is, or was, a member (a member who left is not brought
// back); members with messaging off and members who blocked the thread's
// creator are left out. It returns the users added.
const addExpandedMembersSQL = `INSERT OR IGNORE INTO thread_members
		(id, thread, user, unread, last_read_seq, counted_seq, last_activity, created, updated)
	SELECT substr(lower(hex(randomblob(8))), 1, 15), t.id, u.id,
		(SELECT COUNT(*) FROM messages msg WHERE msg.thread = t.id
			AND (msg.author != '' OR msg.author_deleted) AND msg.author != u.id AND msg.deleted = FALSE),
		0, t.last_seq, COALESCE(NULLIF(t.last_message_at, ''), {:now}), {:now}, {:now}
	FROM threads t JOIN users u ON u.id IN (SELECT value FROM json_each({:ids}))
	WHERE t.id = {:thread}
		AND NOT COALESCE((SELECT p.messaging_off FROM messaging_preferences p WHERE p.user = u.id), FALSE)
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user = u.id AND b.blocked = t.created_by)
	RETURNING user`

// addExpandedMembers adds users to thread (see addExpandedMembersSQL)
// and keeps member_count and the members preview: re-derived while the
// thread is within the preview, else the count moves by the number
// added, so a batch never reads the whole membership.
func addExpandedMembers(tx core.App, threadID string, users []string) ([]string, error) {
	if len(users) == 0 {
		return nil, nil
	}
	var before int
	if err := tx.DB().NewQuery(`SELECT member_count FROM threads WHERE id = {:id}`).
		Bind(dbx.Params{"id": threadID}).Row(&before); err != nil {
		return nil, err
	}
	var added []string
	err := tx.DB().NewQuery(addExpandedMembersSQL).Bind(dbx.Params{"thread": threadID, "ids": inParam(users),
		"now": types.NowDateTime().String()}).Column(&added)
	if err != nil || len(added) == 0 {
		return added, err
	}
	if before < memberPreviewMax {
		return added, refreshThreadMembers(tx, threadID)
	}
	_, err = tx.DB().NewQuery(`UPDATE threads SET member_count = member_count + {:n} WHERE id = {:id}`).
		Bind(dbx.Params{"n": len(added), "id": threadID}).Execute()
	return added, err
}

package messaging

import (
	"encoding/json/v2"
	"slices"
	"strconv"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Bulk actions: one of the per-member actions applied to up to
// MaxBulkThreads conversations at once, and marking everything read. Each
// request is one transaction with one statement per kind of row, whatever
// the number of threads, so counts stay exact (the statements are the
// ones MarkRead and MarkUnread run for one thread) and nothing is half
// done: if any thread is not one the caller is a current member of, the
// whole request is a 404 and nothing changes. The caller's clients get one
// "bulk" live event per request, not one per thread.
//
// "Delete for me" hides a conversation from the member, not from anyone
// else: hidden_before_seq is set to the thread's last seq + 1, the thread
// is marked read and leaves every box (inbox, archived, requests), and its
// messages so far are gone from the member's message pages, last message,
// search and export. When a message is written (or a system note added),
// its seq is at or above the mark, so the thread comes back, showing only
// what came after. The member stays a member; the messages stay for the
// others, and in the records API (they are shared records, not copies).

// notHiddenSQL is true for an inbox row (thread_members tm joined with
// threads t) that "delete for me" doesn't keep out of the boxes: the
// thread has a message at or above the mark (0 when never deleted).
const notHiddenSQL = "t.last_seq >= tm.hidden_before_seq"

// The bulk actions.
const (
	BulkRead      = "read"
	BulkUnread    = "unread"
	BulkArchive   = "archive"
	BulkUnarchive = "unarchive"
	BulkMute      = "mute"
	BulkUnmute    = "unmute"
	BulkTag       = "tag"
	BulkUntag     = "untag"
	BulkDelete    = "delete" // delete for me
)

func bulkActions() []string {
	return []string{BulkRead, BulkUnread, BulkArchive, BulkUnarchive, BulkMute, BulkUnmute, BulkTag, BulkUntag, BulkDelete}
}

// MaxBulkThreads is the most conversations one bulk request may name.
const MaxBulkThreads = 100

// BulkOptions are the extra inputs of some actions.
type BulkOptions struct {
	Tag string // the tag id for BulkTag and BulkUntag: one of the caller's own tags
}

// BulkResult is what a bulk action did: the threads it applied to and the
// caller's unread totals after it. It is also the "bulk" live event's body.
type BulkResult struct {
	Action  string       `json:"action"`
	Threads []string     `json:"threads"`
	Totals  UnreadCounts `json:"totals"`
}

// bulkMember is one membership a bulk action changes.
type bulkMember struct {
	ID          string `db:"id"`
	Thread      string `db:"thread"`
	LastReadSeq int    `db:"last_read_seq"`
	Tags        string `db:"tags"`
}

// BulkAction applies action to user's conversations threadIDs (1 to
// MaxBulkThreads; duplicates count once), in one transaction. Errors:
// ErrInvalid (unknown action, no or too many threads, a missing or
// unknown tag, a conversation that would get more tags than allowed),
// ErrNotFound (any id is not a conversation user is a current member of:
// unknown, left, declined and others' ids are told apart by nothing).
func (m *Messaging) BulkAction(user, action string, threadIDs []string, opts BulkOptions) (BulkResult, error) {
	if !slices.Contains(bulkActions(), action) {
		return BulkResult{}, errInvalid("action", "bad_action", "Unknown action.")
	}
	ids, ok := cleanIDs(threadIDs, MaxBulkThreads)
	if !ok {
		return BulkResult{}, errInvalid("threads", "too_many_threads",
			"At most "+strconv.Itoa(MaxBulkThreads)+" conversations per request.")
	}
	if len(ids) == 0 {
		return BulkResult{}, errInvalid("threads", "required", "Give at least one conversation.")
	}
	if action == BulkTag || action == BulkUntag {
		if opts.Tag == "" {
			return BulkResult{}, errInvalid("tag", "required", "Give the tag.")
		}
		if err := checkOwnTags(m.app, user, "tag", []string{opts.Tag}); err != nil {
			return BulkResult{}, err
		}
	}
	err := m.app.RunInTransaction(func(tx core.App) error {
		members, err := bulkMembers(tx, user, ids)
		if err != nil {
			return err
		}
		memberIDs := make([]string, len(members))
		for i, mb := range members {
			memberIDs[i] = mb.ID
		}
		if err := m.applyBulk(tx, user, action, opts, members, memberIDs); err != nil {
			return err
		}
		if action == BulkRead || action == BulkUnread || action == BulkDelete {
			return m.seenMovedAfterCommit(tx, user, members, memberIDs)
		}
		return nil
	})
	if err != nil {
		return BulkResult{}, err
	}
	return m.bulkDone(user, action, ids)
}

// bulkMembers returns user's current memberships of ids, in one statement
// that costs the same for any mix of known and unknown ids; any id without
// one is ErrNotFound, naming it (the caller could learn as much from the
// thread's own route).
func bulkMembers(tx core.App, user string, ids []string) ([]bulkMember, error) {
	var members []bulkMember
	err := tx.DB().NewQuery(`SELECT id, thread, last_read_seq, COALESCE(NULLIF(tags, ''), '[]') AS tags
		FROM thread_members WHERE user = {:user} AND thread IN (SELECT value FROM json_each({:ids}))
			AND ` + memberIsCurrent + ` AND ` + memberNotDeclined).
		Bind(dbx.Params{"user": user, "ids": inParam(ids)}).All(&members)
	if err != nil {
		return nil, err
	}
	if len(members) == len(ids) {
		return members, nil
	}
	for _, id := range ids {
		if !slices.ContainsFunc(members, func(mb bulkMember) bool { return mb.Thread == id }) {
			return nil, errUnknownThread(id)
		}
	}
	return members, nil
}

// errUnknownThread is the 404 of a bulk request naming a conversation the
// caller is not in; the same whether it exists or not.
func errUnknownThread(id string) error {
	return router.NewNotFoundError("", notFoundIn{validation.Errors{
		"threads": validation.NewError("validation_messaging_unknown_thread", "No such conversation: "+id+"."),
	}})
}

// notFoundIn carries the field shown to the client and the ErrNotFound
// sentinel for errors.Is.
type notFoundIn struct{ validation.Errors }

func (e notFoundIn) Unwrap() []error { return []error{e.Errors, ErrNotFound} }

// applyBulk runs action's one statement (two for reading: the counts and
// the notification windows) over the memberships memberIDs.
func (m *Messaging) applyBulk(tx core.App, user, action string, opts BulkOptions, members []bulkMember, memberIDs []string) error {
	threads := make([]string, len(members))
	for i, mb := range members {
		threads[i] = mb.Thread
	}
	switch action {
	case BulkRead:
		if err := markMembersRead(tx, memberIDs); err != nil {
			return err
		}
		return m.cancelReadWindowsIn(tx, user, threads)
	case BulkUnread:
		_, err := markMembersUnread(tx, memberIDs)
		return err
	case BulkDelete:
		if err := execOnMembers(tx, `unread = 0, archived = FALSE,
			last_read_seq = (SELECT last_seq FROM threads WHERE id = thread_members.thread),
			counted_seq = (SELECT last_seq FROM threads WHERE id = thread_members.thread),
			hidden_before_seq = (SELECT last_seq FROM threads WHERE id = thread_members.thread) + 1`, memberIDs, nil); err != nil {
			return err
		}
		return m.cancelReadWindowsIn(tx, user, threads)
	case BulkArchive, BulkUnarchive:
		return execOnMembers(tx, "archived = {:on}", memberIDs, dbx.Params{"on": action == BulkArchive})
	case BulkMute, BulkUnmute:
		return execOnMembers(tx, "muted = {:on}", memberIDs, dbx.Params{"on": action == BulkMute})
	case BulkTag:
		// The field's limit holds for every thread that gains the tag.
		max := maxTags(tx)
		for _, mb := range members {
			var tags []string
			if err := json.Unmarshal([]byte(mb.Tags), &tags); err != nil {
				return err
			}
			if !slices.Contains(tags, opts.Tag) && len(tags) >= max {
				return errTooManyTags(max)
			}
		}
		return execOnMembers(tx, `tags = json_insert(COALESCE(NULLIF(tags, ''), '[]'), '$[#]', {:tag})`, memberIDs,
			dbx.Params{"tag": opts.Tag}, `NOT EXISTS (SELECT 1 FROM json_each(thread_members.tags) WHERE value = {:tag})`)
	case BulkUntag:
		return execOnMembers(tx, `tags = (SELECT json_group_array(value) FROM json_each(thread_members.tags) WHERE value != {:tag})`,
			memberIDs, dbx.Params{"tag": opts.Tag}, `EXISTS (SELECT 1 FROM json_each(thread_members.tags) WHERE value = {:tag})`)
	}
	return nil
}

// execOnMembers runs one UPDATE of thread_members setting set on the rows
// memberIDs (and, if given, matching where).
func execOnMembers(tx core.App, set string, memberIDs []string, params dbx.Params, where ...string) error {
	_, err := updateMembers(tx, set, memberIDs, params, where...)
	return err
}

// updateMembers is execOnMembers returning the number of rows changed.
func updateMembers(tx core.App, set string, memberIDs []string, params dbx.Params, where ...string) (int64, error) {
	if params == nil {
		params = dbx.Params{}
	}
	params["members"] = inParam(memberIDs)
	cond := "id IN (SELECT value FROM json_each({:members}))"
	for _, w := range where {
		cond += " AND " + w
	}
	res, err := tx.DB().NewQuery("UPDATE thread_members SET " + set + " WHERE " + cond).Bind(params).Execute()
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// bulkDone sends user's one "bulk" live event and returns the result with
// the totals as they are after the commit.
func (m *Messaging) bulkDone(user, action string, threads []string) (BulkResult, error) {
	m.live.bulkChanged(m, user, action, threads)
	totals, err := m.Unread(user)
	return BulkResult{Action: action, Threads: threads, Totals: totals}, err
}

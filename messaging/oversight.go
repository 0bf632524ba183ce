package messaging

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Oversight (issue 14): what superusers may do with conversations they
// are not in, and how members see it. Staff reading is visible to the
// people it concerns: a superuser who opens a conversation through the
// oversight route gives a reason, and its members get a system note
// "Staff viewed this conversation on DATE — reason" (after
// staff_view_notice_delay_days, for an investigation). Reading messages
// through the dashboard (the records API's list and view of messages, as
// a superuser) counts the same, with the reason "dashboard". Each read is
// an audit row; the notice goes out once per superuser, conversation and
// UTC day, so paging through a conversation is one notice. Moderators
// have no oversight: they read what was reported (moderation.go).
//
// The list of conversations (all, or one user's) shows what the
// dashboard does (subject, kind, counts, dates), never message text.

// Audit actions of oversight.
const (
	AuditThreadView  = "thread.view"
	AuditThreadPurge = "thread.purge"
)

// maxNoticeDelayDays is the longest a staff notice may wait.
const maxNoticeDelayDays = 365

// dashboardReason is the reason recorded for reads through the dashboard.
const dashboardReason = "dashboard"

// OversightThread is one conversation as the oversight list shows it.
type OversightThread struct {
	ID            string `db:"id" json:"id"`
	Subject       string `db:"subject" json:"subject"`
	Kind          string `db:"kind" json:"kind"`
	CreatedBy     string `db:"created_by" json:"createdBy"`
	MemberCount   int    `db:"member_count" json:"memberCount"`
	LastSeq       int    `db:"last_seq" json:"lastSeq"`
	LastMessageAt string `db:"last_message_at" json:"lastMessageAt"`
	Created       string `db:"created" json:"created"`
}

// OversightQuery pages the oversight list: every conversation, or User's
// (current and left), newest activity first.
type OversightQuery struct {
	User   string
	Cursor string
	Limit  int
}

const oversightColumns = `t.id, t.subject, t.kind, t.created_by, t.member_count, t.last_seq,
	t.last_message_at, t.created`

// OversightThreads lists conversations for a superuser, newest activity
// first, a page at a time: all of them along the (last_message_at, id)
// index, or one user's through their memberships.
func (m *Messaging) OversightThreads(q OversightQuery) (Page[OversightThread], error) {
	limit := m.limit(q.Limit)
	at, id := "9999-12-31 23:59:59.999Z", "~"
	if q.Cursor != "" {
		var ok bool
		if at, id, ok = strings.Cut(q.Cursor, "|"); !ok {
			return Page[OversightThread]{}, errInvalid("cursor", "bad_cursor", "Invalid cursor.")
		}
	}
	p := dbx.Params{"at": at, "id": id, "n": limit + 1, "user": q.User}
	query := `SELECT ` + oversightColumns + ` FROM threads t
		WHERE (t.last_message_at, t.id) < ({:at}, {:id})
		ORDER BY t.last_message_at DESC, t.id DESC LIMIT {:n}`
	if q.User != "" {
		query = `SELECT ` + oversightColumns + ` FROM thread_members tm JOIN threads t ON t.id = tm.thread
			WHERE tm.user = {:user} AND (t.last_message_at, t.id) < ({:at}, {:id})
			ORDER BY t.last_message_at DESC, t.id DESC LIMIT {:n}`
	}
	page := Page[OversightThread]{Items: []OversightThread{}}
	if err := m.app.DB().NewQuery(query).Bind(p).All(&page.Items); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = last.LastMessageAt + "|" + last.ID
	}
	return page, nil
}

// StaffThread is a conversation as a superuser reads it through
// oversight: what the list shows, and a page of its messages.
type StaffThread struct {
	Thread   OversightThread   `json:"thread"`
	Messages Page[MessageView] `json:"messages"`
}

// StaffRead is a superuser's read of a conversation they need not be in,
// with a reason: the audit row and the members' notice (once per
// superuser, conversation and day) are written before anything is
// returned. before and limit page the messages as Messages does.
// Errors: ErrForbidden for anyone but a superuser, ErrInvalid without a
// reason, ErrNotFound.
func (m *Messaging) StaffRead(viewer *core.Record, threadID, reason, before string, limit int) (*StaffThread, error) {
	if viewer == nil || !viewer.IsSuperuser() {
		return nil, errForbidden("Only superusers can do this.")
	}
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	out := &StaffThread{}
	err = m.app.DB().NewQuery(`SELECT ` + oversightColumns + ` FROM threads t WHERE t.id = {:id}`).
		Bind(dbx.Params{"id": threadID}).One(&out.Thread)
	if err != nil {
		return nil, errNotFound()
	}
	seq := math.MaxInt64
	if before != "" {
		if seq, err = strconv.Atoi(before); err != nil || seq < 1 {
			return nil, errInvalid("before", "bad_cursor", "Invalid cursor.")
		}
	}
	if err := m.recordStaffRead(viewer, []string{threadID}, reason); err != nil {
		return nil, err
	}
	if out.Messages, err = m.staffMessages(threadID, seq, m.limit(limit)); err != nil {
		return nil, err
	}
	return out, nil
}

// staffMessages is a page of a thread's messages, newest first, with no
// membership behind it: deleted bodies stay hidden as for anyone.
func (m *Messaging) staffMessages(threadID string, seq, limit int) (Page[MessageView], error) {
	items, err := m.messageViews(`WHERE thread = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3`, threadID, seq, limit+1)
	if err != nil {
		return Page[MessageView]{}, err
	}
	page := Page[MessageView]{Items: items}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = strconv.Itoa(page.Items[limit-1].Seq)
	}
	return page, nil
}

// recordStaffRead writes, in one transaction, an audit row per thread
// and, the first time that day for this superuser, the members' notice:
// a system note now, or a delayed one (staffNoticesTable).
func (m *Messaging) recordStaffRead(viewer *core.Record, threads []string, reason string) error {
	now := m.clock().UTC()
	day := now.Format(time.DateOnly)
	text := "Staff viewed this conversation on " + day + " — " + reason
	delay := m.Limits().StaffNoticeDelayDays
	return m.app.RunInTransaction(func(tx core.App) error {
		for _, t := range threads {
			var seen int
			err := tx.DB().NewQuery(`SELECT COUNT(*) FROM ` + CollectionNameAudit + `
				WHERE target_collection = {:c} AND target_id = {:t} AND action = {:a} AND actor = {:actor}
					AND created >= {:day}`).
				Bind(dbx.Params{"c": CollectionNameThreads, "t": t, "a": AuditThreadView, "actor": viewer.Id,
					"day": day + " 00:00:00.000Z"}).Row(&seen)
			if err != nil {
				return err
			}
			if err := writeAudit(tx, viewer, AuditThreadView, CollectionNameThreads, t, t, reason,
				map[string]any{"noticeDelayDays": delay}); err != nil {
				return err
			}
			if seen > 0 {
				continue
			}
			if delay > 0 {
				_, err = tx.DB().NewQuery(`INSERT INTO ` + staffNoticesTable + ` (thread, text, due)
					VALUES ({:t}, {:text}, {:due})`).Bind(dbx.Params{"t": t, "text": text,
					"due": now.AddDate(0, 0, delay).Format(types.DefaultDateLayout)}).Execute()
			} else {
				_, err = m.newMessage(tx, t, "", text)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// PostDueStaffNotices posts the delayed staff notices whose day has come,
// each in its own transaction, and returns how many it posted. A cron job
// calls it every 10 minutes; a notice about a conversation purged since
// is dropped.
func (m *Messaging) PostDueStaffNotices() (int, error) {
	type notice struct {
		ID     int64  `db:"id"`
		Thread string `db:"thread"`
		Text   string `db:"text"`
	}
	var due []notice
	err := m.app.DB().NewQuery(`SELECT id, thread, text FROM ` + staffNoticesTable + `
		WHERE due <= {:now} ORDER BY due LIMIT 500`).
		Bind(dbx.Params{"now": m.clock().UTC().Format(types.DefaultDateLayout)}).All(&due)
	if err != nil {
		return 0, err
	}
	posted := 0
	for _, n := range due {
		err := m.app.RunInTransaction(func(tx core.App) error {
			if _, err := tx.DB().Delete(staffNoticesTable, dbx.HashExp{"id": n.ID}).Execute(); err != nil {
				return err
			}
			if _, err := tx.FindRecordById(CollectionNameThreads, n.Thread); err != nil {
				return nil // purged meanwhile
			}
			posted++
			_, err := m.newMessage(tx, n.Thread, "", n.Text)
			return err
		})
		if err != nil {
			return posted, err
		}
	}
	return posted, nil
}

// bindOversight binds the dashboard-read hooks and the notices' cron job.
func (m *Messaging) bindOversight() {
	m.app.OnRecordsListRequest(CollectionNameMessages).Bind(&hook.Handler[*core.RecordsListRequestEvent]{
		Id: "__messagingStaffListRead__", Func: func(e *core.RecordsListRequestEvent) error {
			if !e.HasSuperuserAuth() {
				return e.Next()
			}
			threads := []string{}
			for _, r := range e.Records {
				if t := r.GetString("thread"); !slices.Contains(threads, t) {
					threads = append(threads, t)
				}
			}
			if err := m.recordStaffRead(e.Auth, threads, dashboardReason); err != nil {
				return err
			}
			return e.Next()
		},
	})
	m.app.OnRecordViewRequest(CollectionNameMessages).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingStaffViewRead__", Func: func(e *core.RecordRequestEvent) error {
			if !e.HasSuperuserAuth() {
				return e.Next()
			}
			if err := m.recordStaffRead(e.Auth, []string{e.Record.GetString("thread")}, dashboardReason); err != nil {
				return err
			}
			return e.Next()
		},
	})
	// Earlier bodies are message text too: a read of message_versions
	// counts for the conversations of the versions' messages.
	m.app.OnRecordsListRequest(CollectionNameMessageVersions).Bind(&hook.Handler[*core.RecordsListRequestEvent]{
		Id: "__messagingStaffVersionsListRead__", Func: func(e *core.RecordsListRequestEvent) error {
			if !e.HasSuperuserAuth() || len(e.Records) == 0 {
				return e.Next()
			}
			if err := m.recordVersionsRead(e.Auth, e.Records); err != nil {
				return err
			}
			return e.Next()
		},
	})
	m.app.OnRecordViewRequest(CollectionNameMessageVersions).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingStaffVersionsViewRead__", Func: func(e *core.RecordRequestEvent) error {
			if !e.HasSuperuserAuth() {
				return e.Next()
			}
			if err := m.recordVersionsRead(e.Auth, []*core.Record{e.Record}); err != nil {
				return err
			}
			return e.Next()
		},
	})
	m.app.Cron().MustAdd("__messagingStaffNotices__", "*/10 * * * *", func() {
		if _, err := m.PostDueStaffNotices(); err != nil {
			m.app.Logger().Error("messaging: posting staff notices failed", "error", err)
		}
	})
}

// bindOversightRoutes mounts the superusers' oversight routes.
func (m *Messaging) bindOversightRoutes(se *core.ServeEvent) {
	g := se.Router.Group("/api/messaging/oversight")
	g.Bind(apis.RequireSuperuserAuth())
	g.GET("/threads", func(e *core.RequestEvent) error {
		q := e.Request.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		page, err := m.OversightThreads(OversightQuery{User: q.Get("user"), Cursor: q.Get("cursor"), Limit: limit})
		if err != nil {
			return apiError(err)
		}
		return e.JSON(http.StatusOK, page)
	})
	g.GET("/threads/{id}", func(e *core.RequestEvent) error {
		q := e.Request.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		out, err := m.StaffRead(e.Auth, e.Request.PathValue("id"), q.Get("reason"), q.Get("before"), limit)
		if err != nil {
			return apiError(err)
		}
		return e.JSON(http.StatusOK, out)
	})
	g.POST("/threads/{id}/purge", m.handlePurge)
}

// recordVersionsRead records a superuser's read of message versions as a
// dashboard read of their messages' conversations (one query for the
// page's threads).
func (m *Messaging) recordVersionsRead(viewer *core.Record, versions []*core.Record) error {
	ids := make([]string, 0, len(versions))
	for _, v := range versions {
		ids = append(ids, v.GetString("message"))
	}
	threads := []string{}
	err := m.app.DB().NewQuery(`SELECT DISTINCT thread FROM messages WHERE id IN (SELECT value FROM json_each({:ids}))`).
		Bind(dbx.Params{"ids": inParam(ids)}).Column(&threads)
	if err != nil || len(threads) == 0 {
		return err
	}
	return m.recordStaffRead(viewer, threads, dashboardReason)
}

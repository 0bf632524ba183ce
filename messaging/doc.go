// Package messaging adds private, threaded conversations between the members
// of a PocketBase site: direct and group threads, exact per-member unread
// counts, blocking, muting, archiving, leaving, tags, an HTTP API, a Go API
// with bindable events, and a member-targeted realtime channel.
//
// Its collections ship as Go migrations inside this package (schema*.go),
// so every app that imports it gets them on the next start.
//
// Example usage:
//
//	app := pocketbase.New()
//	pm := messaging.MustRegister(app, messaging.Config{MaxGroupSize: 50})
//	pm.OnMessageSent().BindFunc(func(e *messaging.MessageEvent) error { return e.Next() })
//
// # The story of one message
//
// Every rule is a record-event hook or an API rule, so the HTTP API, the
// records and batch APIs, JS hooks and Go code all take the same path.
// Say Bob replies in a group with Alice (POST /api/messaging/threads/T/messages,
// routes_messages.go, which calls [Messaging.Send]):
//
//  1. Send saves a messages record; OnRecordCreate trims and checks the
//     body (sending.go, normalizeBody; the records API first forces the
//     author to the caller) and format.go stores its html.
//  2. OnRecordCreateExecute (sending.go, insertMessage) opens a transaction:
//     one UPDATE takes the thread's next seq and returns its kind and
//     members; checkCanPost (permissions.go) checks Bob is a current member
//     who may send and, in a direct thread, that the other person can be
//     reached; the row is inserted; countNewMessage (unread.go) gives every
//     other current member one unread and brings the thread back to their
//     inbox (in a thread over Config.FanOutThreshold members, only Bob's
//     row, and a job that fanout.go runs after the commit); queueMessage
//     (notify.go) writes the message's one outbox row. A refusal rolls all
//     of it back.
//  3. After the commit, OnRecordAfterCreateSuccess (sending.go,
//     afterMessageSent) sends the "message" live event to the members'
//     open connections (realtime*.go, live_hooks.go) and fires
//     [Messaging.OnMessageSent].
//  4. Alice opens the thread: [Messaging.Messages] (message_list.go) pages
//     it, [Messaging.MarkRead] (unread.go) zeroes her count and sends "read"
//     to her other tabs.
//
// Around it: who may write to whom is permissions.go, each member's
// "who can message me" and the Requests box are reach.go (its routes
// routes_requests.go, its migration schema_reach.go); one direct thread per
// pair is direct.go; group size, adding and leaving are groups.go; removing
// someone from a group is removal.go; who is a current member is
// membership.go (the API rules check the caller's own thread_members row,
// schema_big_threads.go; threads.members is a preview of the first 1,000
// and threads.member_count the count); a thread's members a page at a
// time, and the bounded members of thread views, are members_page.go;
// counting a message into a big thread's unread counts in the background
// is fanout.go (its migration schema_fanout.go); starting a conversation
// with whole roles or recipient types, small ones at once, is
// roles_start.go, the types and their registry recipient_types.go, the
// background expansion of big ones expansion.go, announcements (only the
// sender and moderators post, replies go to the sender)
// announcements.go, and their migration schema_roles.go;
// read receipts ("seen") are receipts.go; mute, archive and tags are
// member_settings.go; blocks are blocking.go; deleting a message is
// message_deletion.go, rendering bodies into html (plain or Markdown) is
// format.go, editing a message and its earlier versions is editing.go,
// attachments (limits, protected files, multipart sends) are
// attachments.go and attachment_settings.go, keeping deleted bodies for
// the retention days (and the moderators' read of them) is retention.go
// (schema_retention.go), superusers' oversight (the list, audited and
// noticed reads, dashboard reads) is oversight.go and purging a
// conversation oversight_purge.go (schema_oversight.go), background jobs
// in batches run on worker.go's stepWorker, deleting a user is deletion.go and what it does
// to their messages deleted_user_messages.go; the inbox is inbox.go; full-text search is search.go (its
// index, an FTS5 table kept by triggers on messages, is schema_search.go);
// what client filters may reach is relation_guard.go; the site
// owner's limits are settings.go (the few that clients read, options.go)
// and each member's preferences are preferences.go. Email notifications
// are notify.go (the outbox row, the modes, closing windows on read),
// notify_worker.go (the worker: fan-out into windows, cleanup),
// notify_email.go (sending a window's email, retries), notify_digest.go
// (the daily digest) and notify_templates.go (the site's templates);
// channels besides email are channels.go (the Channel interface,
// Notification, OnNotify, registration), channel_delivery.go (their
// windows in the same queue, composing and delivering) and webhook.go
// (the signed webhook and its settings). What a live client needs:
// idempotent sends with a client key are client_keys.go, the after= and
// around= cursors are message_cursors.go, and marking read up to a message
// is read_up_to.go. The signed one-click links in notification emails
// (unsubscribe, mute a conversation, block the sender) and their pages are
// email_links.go and email_links_pages.go. The anti-spam limits
// (account age, new accounts' conversations and recipients, messages per
// minute, their counters) are antispam.go and antispam_cleanup.go (the 429
// itself antispam_errors.go); the
// first-contact budget that learns from declines, blocks, accepts and
// replies is budget.go (its collections schema_budget.go). Bulk actions
// over many conversations and "delete for me" are bulk.go (its mark on
// the membership schema_bulk.go; the read-state statements they share with
// MarkRead and MarkUnread, and mark-all-read, bulk_read.go), a member's
// export as streamed JSON is export.go, and their routes routes_bulk.go.
// Reports are reports.go (filing one, the hold on reported messages),
// reports_evidence.go (the sealed evidence and the views of a report) and
// reports_notify.go (telling moderators and reporters); what moderators
// do with them, and the audit trail, is moderation.go, a member's
// suspension suspension.go (checked in the reach query, permissions.go);
// their routes are routes_reports.go and their collections
// schema_reports.go.
package messaging

package messaging

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Idempotent sends. A client picks a key per message it sends (a UUID, say)
// and sends it again with every retry; the key is the author's own (a
// unique partial index on author, client_key), so nobody else's keys can
// collide with or reveal it. claimClientKey, called by insertMessage inside
// the sending transaction, finds the author's message with that key: a
// retry (same thread, same body) writes nothing and ends in ErrRetried,
// which SendWithKey, StartWithKey and the records API turn into the original
// message; the same key for another thread or body is a 409. Because every
// write in the process is serialized through one connection, two
// concurrent sends with one key can't both pass the check, and the loser
// gets the winner's message. A key binds for clientKeyTTL: an older one is
// freed when reused, and a cron job clears old keys in batches.
//
// client_key is a hidden field: it is never in a records API response, a
// realtime record event or a message list, and no filter may name it.
// Only the response to the send itself shows it back to its author.

const (
	// clientKeyTTL is how long a key binds: long enough for a client's
	// retries after a dropped connection or a restart.
	clientKeyTTL = 24 * time.Hour
	// clientKeyMaxLength and clientKeyPattern keep keys to what fits in a
	// header and an index: UUIDs, ULIDs and the like.
	clientKeyMaxLength = 100
	clientKeyPattern   = `^[A-Za-z0-9._:~\-]*$`
	clientKeyChars     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:~-"
	// idempotencyHeader is the header form of the key, for the records and
	// batch APIs (whose body can't set a hidden field) and for clients that
	// prefer it.
	idempotencyHeader = "Idempotency-Key"
)

var (
	// ErrRetried: a message with this client key was already sent by the
	// same author (nothing was written). SendWithKey, StartWithKey and the
	// records API answer with the original message instead; Go code that
	// saves message records itself sees it as a 409 ApiError.
	ErrRetried = errors.New("messaging: retried send")
	// ErrKeyConflict: the client key was used in the last 24 hours for a
	// message to another thread or with another body.
	ErrKeyConflict = errors.New("messaging: client key used for another message")
)

func errRetried() *router.ApiError {
	return router.NewApiError(http.StatusConflict, "This message was already sent.", ErrRetried)
}

// keyConflictError carries the field error and ErrKeyConflict.
type keyConflictError struct{ validation.Errors }

func (e keyConflictError) Unwrap() []error { return []error{e.Errors, ErrKeyConflict} }

func errKeyConflict() *router.ApiError {
	const msg = "This key was already used for a different message."
	return router.NewApiError(http.StatusConflict, msg, keyConflictError{validation.Errors{
		"clientKey": validation.NewError("validation_messaging_key_conflict", msg),
	}})
}

// checkClientKey validates a key given to the Go or messaging API; the
// records API checks the field's own Max and Pattern.
func checkClientKey(key string) error {
	if len(key) > clientKeyMaxLength || strings.TrimLeft(key, clientKeyChars) != "" {
		return errInvalid("clientKey", "bad_client_key",
			"The client key must be at most 100 letters, digits or . _ : ~ - characters.")
	}
	return nil
}

// keyedMessage is what a retry is compared with.
type keyedMessage struct {
	ID      string `db:"id"`
	Thread  string `db:"thread"`
	Body    string `db:"body"`
	Deleted bool   `db:"deleted"`
	Created string `db:"created"`
	// Changed: deleted or edited since, so the body sent can't be compared.
	Changed bool `db:"changed"`
}

// findKeyed returns author's message with key, or nil. The literal
// conditions of the partial index let SQLite use it.
func findKeyed(app core.App, author, key string) (*keyedMessage, error) {
	var k keyedMessage
	err := app.DB().NewQuery(`SELECT id, thread, body, deleted, created, deleted OR edited != '' AS changed FROM messages
		WHERE author = {:author} AND client_key = {:key} AND client_key != '' AND author != ''`).
		Bind(dbx.Params{"author": author, "key": key}).One(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// liveKeyed returns author's message with key if the key still binds; an
// expired key is cleared (in tx) so that the unique index takes it again.
func liveKeyed(tx core.App, author, key string) (*keyedMessage, error) {
	k, err := findKeyed(tx, author, key)
	if err != nil || k == nil {
		return nil, err
	}
	if k.Created >= types.NowDateTime().Add(-clientKeyTTL).String() {
		return k, nil
	}
	_, err = tx.DB().NewQuery(`UPDATE messages SET client_key = '' WHERE id = {:id}`).
		Bind(dbx.Params{"id": k.ID}).Execute()
	return nil, err
}

// claimClientKey is insertMessage's check, in the sending transaction
// before anything is written: nil when the message's key (if any) is free,
// ErrRetried for a retry, ErrKeyConflict for a different message. A
// deleted or edited original matches on its thread alone, the body sent
// being gone.
func claimClientKey(tx core.App, msg *Message) error {
	key := msg.ClientKey()
	if key == "" || msg.Author() == "" {
		msg.SetClientKey("") // system notes are not retried by clients
		return nil
	}
	k, err := liveKeyed(tx, msg.Author(), key)
	if err != nil || k == nil {
		return err
	}
	if k.Thread != msg.Thread() {
		// Another thread: only its members hear of the conflict, so that
		// a 409 never tells an outsider that a thread id exists.
		if _, err := activeMember(tx, msg.Author(), msg.Thread()); err != nil {
			return err
		}
		return errKeyConflict()
	}
	if !k.Changed && k.Body != msg.Body() {
		return errKeyConflict()
	}
	return errRetried()
}

// originalFor turns ErrRetried from a send by author with key into the
// original message; any other error comes back as is. A unique-index
// failure on client_key counts as a retry too: within one process the
// check in the transaction comes first, but processes sharing pb_data
// only meet at the index.
func originalFor(app core.App, err error, author, key string) (*core.Record, error) {
	if key == "" || !(errors.Is(err, ErrRetried) || isKeyCollision(err)) {
		return nil, err
	}
	k, ferr := findKeyed(app, author, key)
	if ferr != nil || k == nil {
		return nil, err // cleared in between: let the caller retry
	}
	return app.FindRecordById(CollectionNameMessages, k.ID)
}

// SendWithKey is Send with a client-chosen idempotency key (see the
// README): a retry with the same key by the same author within 24 hours
// returns the original message and writes nothing, also when the retries
// run concurrently. An empty key is Send. Errors: those of Send;
// ErrInvalid (malformed key); ErrKeyConflict (the key was used for another
// thread or body).
func (m *Messaging) SendWithKey(author, threadID, body, key string) (*core.Record, error) {
	return m.SendWith(author, threadID, body, SendOptions{ClientKey: key})
}

// SendOptions are the optional parts of a new message.
type SendOptions struct {
	// ClientKey makes the send idempotent (see SendWithKey).
	ClientKey string
	// Files are attachments (see SendFiles).
	Files []*filesystem.File
	// SkipAntiSpam exempts this send (and the thread StartWith makes)
	// from the anti-spam limits (antispam.go), for server code such as
	// imports and bots. No HTTP request can set it.
	SkipAntiSpam bool

	// Roles, To and Announcement are for StartWith only (roles_start.go):
	// every holder of these roles, these recipients of registered types,
	// and whether only the sender and moderators may post. Send refuses
	// them.
	Roles        []string
	To           []Recipient
	Announcement bool
	// checkRoles asks StartWith to check that the sender may use roles
	// and types: set for HTTP requests; Go callers always may.
	checkRoles bool
}

// StartOptions are the options of StartWith: SendOptions, whose Roles, To
// and Announcement only a start uses.
type StartOptions = SendOptions

// SendWith is Send with options: a client key, files, or both.
func (m *Messaging) SendWith(author, threadID, body string, opts SendOptions) (*core.Record, error) {
	if author == "" {
		return nil, errInvalid("author", "no_author", "A message needs an author; use SendSystem for notes.")
	}
	if err := checkClientKey(opts.ClientKey); err != nil {
		return nil, err
	}
	if opts.hasGroupTargets() {
		return nil, errInvalid("roles", "start_only", "Roles, recipient types and announcements start a conversation.")
	}
	msg, err := m.newMessageWith(m.app, threadID, author, body, opts)
	if to, ok, _ := m.announcementRedirect(threadID, err); ok {
		return m.redirectReply(author, to, body, opts) // announcements.go
	}
	if err != nil {
		return originalFor(m.app, err, author, opts.ClientKey)
	}
	return msg, nil
}

// bindClientKeyHooks binds the records API's way in for keys and the
// cleanup job (client_keys_cleanup.go).
func (m *Messaging) bindClientKeyHooks() {
	m.app.OnRecordCreateRequest(CollectionNameMessages).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingMessageClientKey__", Func: m.recordsClientKey,
	})
	m.bindClientKeyCleanup()
}

// recordsClientKey takes a key for a message created through the records
// or batch API from the clientKey body field or the Idempotency-Key header
// (client_key itself is hidden, so only a superuser's body sets it), and
// answers a retry with the original record, as the create would have.
func (m *Messaging) recordsClientKey(e *core.RecordRequestEvent) error {
	msg := &Message{e.Record}
	if msg.ClientKey() == "" {
		info, err := e.RequestInfo()
		if err != nil {
			return err
		}
		key, _ := info.Body["clientKey"].(string)
		if h := e.Request.Header.Get(idempotencyHeader); key == "" {
			key = h
		} else if h != "" && h != key {
			return errInvalid("clientKey", "bad_client_key", "The clientKey field and the Idempotency-Key header differ.")
		}
		msg.SetClientKey(key)
	}
	err := e.Next()
	if err == nil {
		return nil
	}
	original, err := originalFor(e.App, err, msg.Author(), msg.ClientKey())
	if err != nil {
		return err
	}
	if err := apis.EnrichRecord(e.RequestEvent, original); err != nil {
		return err
	}
	return e.JSON(http.StatusOK, original)
}

// startRetry is StartWithKey's check, in its transaction before a thread
// is made: the original message when key already started (or was sent
// into) a thread with these recipients and this body, nil when the key is
// free, ErrKeyConflict otherwise.
func startRetry(tx core.App, sender string, others []string, body, key string) (*core.Record, error) {
	if key == "" {
		return nil, nil
	}
	k, err := liveKeyed(tx, sender, key)
	if err != nil || k == nil {
		return nil, err
	}
	if !k.Changed && k.Body != body {
		return nil, errKeyConflict()
	}
	var n int
	err = tx.DB().NewQuery(`SELECT COUNT(*) FROM thread_members
		WHERE thread = {:thread} AND user IN (SELECT value FROM json_each({:users}))`).
		Bind(dbx.Params{"thread": k.Thread, "users": inParam(others)}).Row(&n)
	if err != nil {
		return nil, err
	}
	if n != len(others) {
		return nil, errKeyConflict()
	}
	return tx.FindRecordById(CollectionNameMessages, k.ID)
}

// requestClientKey is the messaging API's key: the clientKey field or the
// Idempotency-Key header; both at once must agree.
func requestClientKey(e *core.RequestEvent, field string) (string, error) {
	h := e.Request.Header.Get(idempotencyHeader)
	if field != "" && h != "" && field != h {
		return "", errInvalid("clientKey", "bad_client_key", "The clientKey field and the Idempotency-Key header differ.")
	}
	if field == "" {
		field = h
	}
	return field, nil
}

// ownMessageView is the view of a message its author just sent, with the
// client key the author chose.
func ownMessageView(r *core.Record) *MessageView {
	v := messageView(r)
	v.ClientKey = (&Message{r}).ClientKey()
	return v
}

// isKeyCollision reports PocketBase's "validation_not_unique" on
// client_key, bare or inside the records API's ApiError.
func isKeyCollision(err error) bool {
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		if raw, ok := apiErr.RawData().(error); ok {
			err = raw
		}
	}
	var verrs validation.Errors
	return errors.As(err, &verrs) && verrs["client_key"] != nil
}

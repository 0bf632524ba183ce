package messaging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Each test here checks one assumption of realtime_pocketbase.go against
// the real PocketBase, mostly in an app without the plugin, so that a
// failure says PocketBase changed, not the plugin. A failure names what
// changed, why the parking relies on it, and where the assumption is.

// pbChanged fails t with what PocketBase changed and why realtime parking
// relies on it.
func pbChanged(t *testing.T, changed, because string) {
	t.Helper()
	t.Errorf("PocketBase changed %s; realtime parking relies on it because %s; see realtime_pocketbase.go", changed, because)
}

// wrapConnectClient: PocketBase runs a connection with the client a
// connect hook leaves in the event, and the hook's e.Next() returns when,
// and only when, the connection ends, whichever side ends it (closing the
// client's channel ends it on the server's side).
func TestRealtimePocketBase_ConnectHookClientIsTheConnection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		end  func(conn *sseConn, lc *liveClient)
	}{
		{"the browser hangs up", func(conn *sseConn, _ *liveClient) { conn.close() }},
		{"the server hangs up", func(_ *sseConn, lc *liveClient) { lc.closeChannel() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app, srv := bareRealtimeApp(t, nil)
			type connected struct {
				original subscriptions.Client
				lc       *liveClient
			}
			got := make(chan connected, 1)
			ended := make(chan struct{})
			app.OnRealtimeConnectRequest().BindFunc(func(e *core.RealtimeConnectRequestEvent) error {
				original := e.Client
				got <- connected{original, wrapConnectClient(e)}
				defer close(ended)
				return e.Next()
			})

			conn := openSSE(t, srv)
			c := <-got
			if _, ok := c.original.(*subscriptions.DefaultClient); !ok {
				pbChanged(t, fmt.Sprintf("the client of a realtime connection (now %T, was *subscriptions.DefaultClient)", c.original),
					"the wrapper relies on that client's Channel and Discard (see channel and closeChannel)")
			}
			if conn.id != c.lc.Id() {
				pbChanged(t, fmt.Sprintf("the client a connection announces in PB_CONNECT (%q, the connect hook's is %q)", conn.id, c.lc.Id()),
					"the connect hook replaces the event's client with the wrapper")
			}
			if registered, _ := app.SubscriptionsBroker().ClientById(c.lc.Id()); registered != subscriptions.Client(c.lc) {
				pbChanged(t, fmt.Sprintf("which client it registers for a connection (%T, not the connect hook's wrapper)", registered),
					"PocketBase must ask the wrapper for Subscriptions and call its Subscribe, Unsubscribe and Discard")
			}
			go func() {
				select {
				case c.lc.channel() <- subscriptions.Message{Name: "probe", Data: []byte(`{"probe":true}`)}:
				case <-ended:
				}
			}()
			if msg, ok := conn.next(5 * time.Second); !ok || msg.Name != "probe" {
				pbChanged(t, fmt.Sprintf("the channel the SSE loop reads (a message sent on the wrapper's came as %q, %v)", msg.Name, ok),
					"parked clients are reached only through the wrapper's channel")
			}
			select {
			case <-ended:
				pbChanged(t, "when a connect hook's e.Next() returns: before the connection ended",
					"the connect hook forgets the client (closes it, takes it out of the index) when e.Next() returns")
			default:
			}
			tc.end(conn, c.lc)
			select {
			case <-ended:
			case <-time.After(5 * time.Second):
				pbChanged(t, "when a connect hook's e.Next() returns: not when the connection ended",
					"the connect hook forgets the client when e.Next() returns, and a stalled client is hung up by closing its channel")
			}
			if _, open := conn.next(5 * time.Second); open {
				pbChanged(t, "how a connection ends: the stream goes on after e.Next() returned",
					"a hung-up client must lose its connection, so that the SDK reconnects and refetches")
			}
		})
	}
}

// channel and closeChannel: a client's Channel is one channel, the one
// Send sends on, and Discard closes it, any number of times.
func TestRealtimePocketBase_ClientChannelAndDiscard(t *testing.T) {
	t.Parallel()
	const because = "the drain sends on the client's channel directly, and hangUp closes it with Discard once the drain has stopped"
	inner := subscriptions.NewDefaultClient()
	lc := newLiveClient(inner)
	ch := lc.channel()
	if ch != inner.Channel() {
		pbChanged(t, "DefaultClient.Channel: it returns another channel each call", because)
	}
	go inner.Send(subscriptions.Message{Name: "probe"})
	select {
	case msg := <-ch:
		if msg.Name != "probe" {
			pbChanged(t, fmt.Sprintf("DefaultClient.Send: %q came on Channel, not what was sent", msg.Name), because)
		}
	case <-time.After(5 * time.Second):
		pbChanged(t, "DefaultClient.Send: it no longer sends on the client's Channel", because)
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				pbChanged(t, fmt.Sprintf("DefaultClient.Discard: a second call panics (%v)", p), because)
			}
		}()
		lc.closeChannel()
		lc.closeChannel()
	}()
	select {
	case _, open := <-ch:
		if open || !inner.IsDiscarded() {
			pbChanged(t, "DefaultClient.Discard: it no longer closes the client's channel", because)
		}
	case <-time.After(5 * time.Second):
		pbChanged(t, "DefaultClient.Discard: it no longer closes the client's channel", because)
	}
}

// countingClient counts the calls of Discard.
type countingClient struct {
	*subscriptions.DefaultClient
	discards atomic.Int32
}

func (c *countingClient) Discard() {
	c.discards.Add(1)
	c.DefaultClient.Discard()
}

// takeOutOfBroker: Broker.Unregister discards the client and removes it,
// and does nothing for an id it doesn't hold.
func TestRealtimePocketBase_UnregisterDiscards(t *testing.T) {
	t.Parallel()
	b := subscriptions.NewBroker()
	c := &countingClient{DefaultClient: subscriptions.NewDefaultClient()}
	b.Register(c)
	if found, _ := b.ClientById(c.Id()); found != subscriptions.Client(c) {
		pbChanged(t, "Broker.Register: it no longer keys a client by its Id", "unparking puts a client back with Register")
	}
	b.Unregister(c.Id())
	if n := c.discards.Load(); n != 1 || !c.IsDiscarded() {
		pbChanged(t, fmt.Sprintf("Broker.Unregister: it called Discard %d times, not once", n),
			"parking takes a live connection out of the broker with Unregister and suppresses that Discard (takeOutOfBroker); "+
				"if Unregister no longer discards, the suppression and liveClient.close need another look")
	}
	if b.TotalClients() != 0 {
		pbChanged(t, "Broker.Unregister: the client is still in the broker", "a parked client must be out of the broker")
	}

	other := &countingClient{DefaultClient: subscriptions.NewDefaultClient()}
	b.Register(other)
	b.Unregister("not-" + other.Id())
	if other.discards.Load() != 0 || b.TotalClients() != 1 {
		pbChanged(t, "Broker.Unregister of an unknown id: it discarded or removed another client",
			"PocketBase unregisters a parked connection's id when it ends, which must leave the parked client alone")
	}

	// What parking makes of it: out of the broker, channel still open.
	lc := newLiveClient(subscriptions.NewDefaultClient())
	b.Register(lc)
	lc.takeOutOfBroker(b)
	if _, err := b.ClientById(lc.Id()); err == nil || lc.IsDiscarded() {
		t.Errorf("takeOutOfBroker: in the broker %v, discarded %v; want out of it and open", err == nil, lc.IsDiscarded())
	}
}

// isLiveTopic: a subscription key is kept as sent, its options after
// "?options=", and PocketBase's own lookup for RealtimeTopic+"?" matches
// exactly the keys isLiveTopic accepts.
func TestRealtimePocketBase_SubscriptionKeysAndOptions(t *testing.T) {
	t.Parallel()
	withOptions := RealtimeTopic + `?options={"query":{"a":"1"}}`
	for _, key := range []string{
		RealtimeTopic, withOptions, RealtimeTopic + "?", "messagingx", "messaging/x", "messaging_settings/*",
		"messages/*", `messages/*?options={"query":{}}`, "x?messaging", "Messaging",
	} {
		c := subscriptions.NewDefaultClient()
		c.Subscribe(key)
		all := c.Subscriptions()
		if _, ok := all[key]; !ok || len(all) != 1 {
			pbChanged(t, fmt.Sprintf("how a subscription key is stored (%q became %v)", key, slices.Collect(maps.Keys(all))),
				"the live events are named with the stored key, which the SDK listens under")
		}
		if pb := len(c.Subscriptions(RealtimeTopic+"?")) > 0; pb != isLiveTopic(key) {
			pbChanged(t, fmt.Sprintf("the subscription lookup: its match for %q is %v, isLiveTopic says %v", key, pb, isLiveTopic(key)),
				"a live-only client answers PocketBase's lookups by isLiveTopic without asking the real client")
		}
	}
	c := subscriptions.NewDefaultClient()
	c.Subscribe(withOptions)
	if opts := c.Subscriptions()[withOptions]; opts.Query["a"] != "1" {
		pbChanged(t, fmt.Sprintf(`the subscription options format ("?options={json}" read as %+v)`, opts),
			`isLiveTopic takes "messaging?…" for the live topic with options`)
	}
}

// recordingClient records the prefixes of every Subscriptions lookup.
type recordingClient struct {
	*subscriptions.DefaultClient
	mu    sync.Mutex
	calls [][]string
}

func (c *recordingClient) Subscriptions(prefixes ...string) map[string]subscriptions.SubscriptionOptions {
	c.mu.Lock()
	c.calls = append(c.calls, prefixes)
	c.mu.Unlock()
	return c.DefaultClient.Subscriptions(prefixes...)
}

// liveClient.Subscriptions: a record save asks every client in the broker
// Subscriptions(prefix), one prefix a call, for its six record-topic
// prefixes, none of them a live topic; it names its message with the
// subscriber's full key.
func TestRealtimePocketBase_RecordSaveAsksEveryClientForSubscriptions(t *testing.T) {
	t.Parallel()
	app, _ := bareRealtimeApp(t, nil)
	notes := core.NewBaseCollection("notes")
	notes.ListRule, notes.ViewRule = types.Pointer(""), types.Pointer("")
	notes.Fields.Add(&core.TextField{Name: "title"})
	if err := app.Save(notes); err != nil {
		t.Fatal(err)
	}

	key := `notes/*?options={"query":{"fields":"id,title"}}`
	rc := &recordingClient{DefaultClient: subscriptions.NewDefaultClient()}
	rc.Subscribe(key)
	lc := newLiveClient(subscriptions.NewDefaultClient())
	lc.Subscribe(RealtimeTopic)
	app.SubscriptionsBroker().Register(rc)
	app.SubscriptionsBroker().Register(lc)

	note := core.NewRecord(notes)
	note.Set("title", "hello")
	if err := app.Save(note); err != nil {
		t.Fatal(err)
	}

	const because = "a live-only client answers lookups that can't be for RealtimeTopic with nil, without locking or allocating"
	want := []string{"notes/" + note.Id + "?", notes.Id + "/" + note.Id + "?", "notes/*?", notes.Id + "/*?", "notes?", notes.Id + "?"}
	rc.mu.Lock()
	calls := rc.calls
	rc.mu.Unlock()
	var prefixes []string
	for _, call := range calls {
		if len(call) != 1 {
			pbChanged(t, fmt.Sprintf("how a record save looks up subscriptions: a call with prefixes %q", call), because)
			continue
		}
		prefixes = append(prefixes, call[0])
	}
	slices.Sort(prefixes)
	slices.Sort(want)
	if !slices.Equal(prefixes, want) {
		pbChanged(t, fmt.Sprintf("the lookups of a record save: %q, was %q", prefixes, want), because)
	}
	for _, p := range prefixes {
		if isLiveTopic(p) {
			pbChanged(t, fmt.Sprintf("the lookups of a record save: %q is a live-topic prefix", p), because)
		}
		if got, real := lc.Subscriptions(p), lc.Client.Subscriptions(p); len(got) != len(real) {
			t.Errorf("a live-only client answers %q with %v, its subscriptions match %v", p, got, real)
		}
	}
	select {
	case msg := <-rc.Channel():
		if msg.Name != key {
			pbChanged(t, fmt.Sprintf("the name of a record event: %q for the subscription %q", msg.Name, key),
				"the live events are named the same way, with the full key the SDK listens under")
		}
	case <-time.After(5 * time.Second):
		t.Error("the subscriber got no record event")
	}
}

// subscribeRequestClientID and unparkMiddleware: a subscription request's
// body is {clientId, subscriptions} in JSON or form encoding, a router
// middleware can read it before the handler, and the handler finds the
// client in the broker only.
func TestRealtimePocketBase_SubscribeRequestBody(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]bool{}              // client ids the middleware read
	unparkable := map[string]*liveClient{} // parked clients the middleware puts back
	app, srv := bareRealtimeApp(t, func(r *router.Router[*core.RequestEvent]) {
		r.Bind(&hook.Handler[*core.RequestEvent]{Func: func(e *core.RequestEvent) error {
			if id := subscribeRequestClientID(e); id != "" {
				mu.Lock()
				seen[id] = true
				lc := unparkable[id]
				mu.Unlock()
				if lc != nil {
					lc.unpark(e.App.SubscriptionsBroker())
				}
			}
			return e.Next()
		}})
	})
	parked := func(unparkByMiddleware bool) *liveClient {
		lc := newLiveClient(subscriptions.NewDefaultClient())
		app.SubscriptionsBroker().Register(lc)
		lc.park(app.SubscriptionsBroker())
		if unparkByMiddleware {
			mu.Lock()
			unparkable[lc.Id()] = lc
			mu.Unlock()
		}
		return lc
	}
	subs := []string{RealtimeTopic, "notes/*"}
	for _, tc := range []struct {
		name string
		body func(clientID string) (contentType string, body []byte)
	}{
		{"json", func(id string) (string, []byte) {
			raw, _ := json.Marshal(map[string]any{"clientId": id, "subscriptions": subs})
			return "application/json", raw
		}},
		{"form", func(id string) (string, []byte) {
			return "application/x-www-form-urlencoded", []byte(url.Values{"clientId": {id}, "subscriptions": subs}.Encode())
		}},
		{"multipart", func(id string) (string, []byte) {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			_ = w.WriteField("clientId", id)
			for _, s := range subs {
				_ = w.WriteField("subscriptions", s)
			}
			_ = w.Close()
			return w.FormDataContentType(), buf.Bytes()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lc := parked(true)
			contentType, body := tc.body(lc.Id())
			status := postRealtime(t, srv, "", contentType, body)
			mu.Lock()
			read := seen[lc.Id()]
			mu.Unlock()
			if !read {
				pbChanged(t, "the subscription request's body: no clientId read from it with BindBody",
					"a parked client must be put back into the broker before the handler, by its clientId")
			}
			got := slices.Sorted(maps.Keys(lc.Subscriptions()))
			if status != http.StatusNoContent || !slices.Equal(got, subs) {
				pbChanged(t, fmt.Sprintf("the subscription request: status %d, the client now has %q, want 204 and %q", status, got, subs),
					"the middleware reads the body before PocketBase's handler, which must still read it and subscribe the wrapper")
			}
			if !slices.Equal(lc.liveTopics(), []string{RealtimeTopic}) || lc.onlyLive.Load() {
				pbChanged(t, "how the subscription request changes a client's subscriptions (not through its Subscribe and Unsubscribe)",
					"the wrapper keeps its live topics current in them (refresh)")
			}
		})
	}
	t.Run("a parked client left out of the broker", func(t *testing.T) {
		lc := parked(false)
		raw, _ := json.Marshal(map[string]any{"clientId": lc.Id(), "subscriptions": subs})
		if status := postRealtime(t, srv, "", "application/json", raw); status != http.StatusNotFound {
			pbChanged(t, fmt.Sprintf("where the subscription request finds its client: status %d for one out of the broker, was 404", status),
				"unparkMiddleware puts a parked client back into the broker because the handler looks it up there")
		}
	})
}

// clientAuth: after a subscription request, a subscribe hook finds the
// request's auth as a *core.Record under apis.RealtimeClientAuthKey of the
// broker's client (the wrapper), and none for a guest.
func TestRealtimePocketBase_SubscribeRequestSetsAuth(t *testing.T) {
	t.Parallel()
	app, srv := bareRealtimeApp(t, nil)
	user := newRealtimeUser(t, app, "ann")
	token, err := user.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	type subscribed struct {
		client subscriptions.Client
		auth   *core.Record
	}
	got := make(chan subscribed, 1)
	app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		err := e.Next()
		got <- subscribed{e.Client, clientAuth(e.Client)}
		return err
	})
	for _, tc := range []struct {
		name, token string
		want        *core.Record
	}{{"signed in", token, user}, {"guest", "", nil}} {
		lc := newLiveClient(subscriptions.NewDefaultClient())
		app.SubscriptionsBroker().Register(lc)
		raw, _ := json.Marshal(map[string]any{"clientId": lc.Id(), "subscriptions": []string{RealtimeTopic}})
		if status := postRealtime(t, srv, tc.token, "application/json", raw); status != http.StatusNoContent {
			t.Fatalf("%s: status %d", tc.name, status)
		}
		s := <-got
		if s.client != subscriptions.Client(lc) {
			pbChanged(t, fmt.Sprintf("the client a subscribe hook gets (%T, not the one in the broker)", s.client),
				"the subscribe hook indexes and parks the wrapper it gets")
		}
		if (s.auth == nil) != (tc.want == nil) || (s.auth != nil && s.auth.Id != tc.want.Id) {
			pbChanged(t, fmt.Sprintf("where a realtime client's auth is kept: %s, %q holds %T after the subscribe hooks' e.Next()",
				tc.name, apis.RealtimeClientAuthKey, lc.Get(apis.RealtimeClientAuthKey)),
				"the subscribe hook indexes a client by that user, and events go only to clients still signed in as their user")
		}
	}
}

// bindParkedAuth: PocketBase changes the auth of the clients in its broker
// on a user's update, tokenKey change, delete and token secret change; a
// parked client, out of the broker, must end up the same.
func TestRealtimePocketBase_AuthChangesReachParkedClients(t *testing.T) {
	t.Parallel()
	app, _ := bareRealtimeApp(t, nil)
	m, err := Register(app, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ann, bob := newRealtimeUser(t, app, "ann"), newRealtimeUser(t, app, "bob")
	broker := app.SubscriptionsBroker()

	// One client per user in PocketBase's broker, one parked.
	type pair struct{ inBroker, parked subscriptions.Client }
	pairs := map[string]pair{}
	for _, u := range []*core.Record{ann, bob} {
		in := subscriptions.NewDefaultClient()
		broker.Register(in)
		lc := newLiveClient(subscriptions.NewDefaultClient())
		lc.Subscribe(RealtimeTopic)
		broker.Register(lc)
		m.live.add(u.Id, lc)
		lc.park(broker)
		pairs[u.Id] = pair{in, lc}
	}
	signIn := func() {
		for id, p := range pairs {
			u, err := app.FindRecordById(CollectionNameUsers, id)
			if err != nil {
				t.Fatal(err)
			}
			p.inBroker.Set(apis.RealtimeClientAuthKey, u)
			p.parked.Set(apis.RealtimeClientAuthKey, u)
		}
	}
	state := func(c subscriptions.Client) string {
		if a := clientAuth(c); a != nil {
			return a.Id + " " + a.GetString("name")
		}
		return "signed out"
	}

	for _, step := range []struct {
		name   string
		change func() error
		want   map[string]string // user -> state of their clients
	}{
		{"a user's update", func() error { ann.Set("name", "Ann B"); return app.Save(ann) },
			map[string]string{ann.Id: ann.Id + " Ann B", bob.Id: bob.Id + " bob"}},
		{"a user's tokenKey change", func() error { ann.RefreshTokenKey(); return app.Save(ann) },
			map[string]string{ann.Id: "signed out", bob.Id: bob.Id + " bob"}},
		{"the token secret's change", func() error {
			col, err := app.FindCollectionByNameOrId(CollectionNameUsers)
			if err != nil {
				return err
			}
			col.AuthToken.Secret = security.RandomString(50)
			return app.Save(col)
		}, map[string]string{ann.Id: "signed out", bob.Id: "signed out"}},
		{"a user's delete", func() error { return app.Delete(bob) },
			map[string]string{ann.Id: ann.Id + " Ann B", bob.Id: "signed out"}},
	} {
		signIn()
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		for id, p := range pairs {
			if got := state(p.inBroker); got != step.want[id] {
				pbChanged(t, fmt.Sprintf("how it updates its realtime clients' auth after %s: %q, was %q", step.name, got, step.want[id]),
					"parked clients are out of PocketBase's broker, so bindParkedAuth applies the same change to them")
			}
			if got, pb := state(p.parked), state(p.inBroker); got != pb {
				t.Errorf("after %s a parked client is %q, PocketBase's own %q: bindParkedAuth no longer mirrors PocketBase", step.name, got, pb)
			}
		}
	}
}

// bareRealtimeApp is a fresh app (the plugin's migrations ran, its hooks
// are not bound) served by PocketBase's router, realtime included, with
// bind's middlewares.
func bareRealtimeApp(t *testing.T, bind func(*router.Router[*core.RequestEvent])) (*tests.TestApp, *httptest.Server) {
	t.Helper()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	r, err := apis.NewRouter(app) // also binds PocketBase's realtime record and auth hooks
	if err != nil {
		t.Fatal(err)
	}
	if bind != nil {
		bind(r)
	}
	mux, err := r.BuildMux()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return app, srv
}

func newRealtimeUser(t *testing.T, app core.App, name string) *core.Record {
	t.Helper()
	col, err := app.FindCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		t.Fatal(err)
	}
	u := core.NewRecord(col)
	u.SetEmail(name + "@example.com")
	u.SetPassword("secret-pass-1")
	u.Set("name", name)
	if err := app.Save(u); err != nil {
		t.Fatal(err)
	}
	return u
}

// postRealtime sends a subscription request and returns its status.
func postRealtime(t *testing.T, srv *httptest.Server, token, contentType string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+realtimePath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// sseConn is an open realtime connection.
type sseConn struct {
	id     string
	events chan subscriptions.Message
	res    *http.Response
}

func openSSE(t *testing.T, srv *httptest.Server) *sseConn {
	t.Helper()
	res, err := http.Get(srv.URL + realtimePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	c := &sseConn{events: make(chan subscriptions.Message, 16), res: res}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(res.Body)
		var msg subscriptions.Message
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				msg.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				msg.Data = []byte(strings.TrimSpace(strings.TrimPrefix(line, "data:")))
			case line == "" && msg.Name != "":
				c.events <- msg
				msg = subscriptions.Message{}
			}
		}
	}()
	hello, ok := c.next(5 * time.Second)
	var data struct {
		ClientId string `json:"clientId"`
	}
	if !ok || hello.Name != "PB_CONNECT" || json.Unmarshal(hello.Data, &data) != nil {
		t.Fatalf("first event %q %s, want PB_CONNECT", hello.Name, hello.Data)
	}
	c.id = data.ClientId
	return c
}

// next returns the next event, or false if none comes within timeout.
func (c *sseConn) next(timeout time.Duration) (subscriptions.Message, bool) {
	select {
	case msg, ok := <-c.events:
		return msg, ok
	case <-time.After(timeout):
		return subscriptions.Message{}, false
	}
}

func (c *sseConn) close() { c.res.Body.Close() }

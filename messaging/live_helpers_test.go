package messaging_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// serve runs the fixture's app behind a real HTTP server, routes and
// realtime included, the way "serve" does.
func (f *fixture) serve() *httptest.Server {
	f.t.Helper()
	router, err := apis.NewRouter(f.app)
	if err != nil {
		f.t.Fatal(err)
	}
	var srv *httptest.Server
	err = f.app.OnServe().Trigger(&core.ServeEvent{App: f.app, Router: router}, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		srv = httptest.NewServer(mux)
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(srv.Close)
	return srv
}

// sseEvent is one server-sent event.
type sseEvent struct {
	Name string
	Data map[string]any
}

// liveClient is a signed-in realtime connection with its events.
type liveClient struct {
	id     string
	events chan sseEvent
	resp   *http.Response
}

// connect opens a realtime connection as user and subscribes it to topics.
func (f *fixture) connect(srv *httptest.Server, user string, topics ...string) *liveClient {
	f.t.Helper()
	resp, err := http.Get(srv.URL + "/api/realtime")
	if err != nil {
		f.t.Fatal(err)
	}
	c := &liveClient{events: make(chan sseEvent, 100), resp: resp}
	f.t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				_ = json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "data:"))), &ev.Data)
			case line == "" && ev.Name != "":
				c.events <- ev
				ev = sseEvent{}
			}
		}
	}()
	hello := c.next(f.t, 5*time.Second)
	if hello.Name != "PB_CONNECT" {
		f.t.Fatalf("first event %q, want PB_CONNECT", hello.Name)
	}
	c.id, _ = hello.Data["clientId"].(string)
	if status := f.subscribe(srv, c, user, topics...); status != http.StatusNoContent {
		f.t.Fatalf("subscribe as %s: status %d", user, status)
	}
	return c
}

// subscribe replaces c's subscriptions, as the SDK does, and returns the
// status code.
func (f *fixture) subscribe(srv *httptest.Server, c *liveClient, user string, topics ...string) int {
	f.t.Helper()
	body, _ := json.Marshal(map[string]any{"clientId": c.id, "subscriptions": topics})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/realtime", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		for k, v := range f.token(user) {
			req.Header.Set(k, v)
		}
	}
	sub, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	sub.Body.Close()
	return sub.StatusCode
}

// next returns the next event, failing the test after timeout.
func (c *liveClient) next(t testing.TB, timeout time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-c.events:
		if !ok {
			t.Fatal("realtime connection closed")
		}
		return ev
	case <-time.After(timeout):
		t.Fatalf("no realtime event within %s", timeout)
	}
	return sseEvent{}
}

// drain returns every event that arrives within wait.
func (c *liveClient) drain(wait time.Duration) []sseEvent {
	var out []sseEvent
	deadline := time.After(wait)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-deadline:
			return out
		}
	}
}

// request sends one HTTP request to srv as who ("" for a guest,
// "superuser", or a fixture user) and returns the status and body.
func (f *fixture) request(srv *httptest.Server, who, method, path string, body any) (int, string) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if who != "" {
		for k, v := range f.token(who) {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// mustRequest is request that fails the test unless the status is want.
func (f *fixture) mustRequest(srv *httptest.Server, want int, who, method, path string, body any) string {
	f.t.Helper()
	status, out := f.request(srv, who, method, path, body)
	if status != want {
		f.t.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, who, status, want, out)
	}
	return out
}

// enableBatch turns PocketBase's batch API on (it is off by default).
func (f *fixture) enableBatch() {
	f.t.Helper()
	s := f.app.Settings()
	s.Batch.Enabled = true
	s.Batch.MaxRequests = 50
	if err := f.app.Save(s); err != nil {
		f.t.Fatal(err)
	}
}

// batch sends requests through POST /api/batch as who, failing unless
// every one succeeds.
func (f *fixture) batch(srv *httptest.Server, who string, requests ...map[string]any) {
	f.t.Helper()
	f.mustRequest(srv, http.StatusOK, who, http.MethodPost, "/api/batch", map[string]any{"requests": requests})
}

// collect returns the next n events, failing the test if they don't
// arrive within timeout.
func (c *liveClient) collect(t testing.TB, n int, timeout time.Duration) []sseEvent {
	t.Helper()
	out := make([]sseEvent, 0, n)
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("realtime connection closed after %d of %d events: %v", len(out), n, out)
			}
			out = append(out, ev)
		case <-deadline:
			t.Fatalf("got %d of %d events within %s: %v", len(out), n, timeout, out)
		}
	}
	return out
}

// close ends the realtime connection from the client's side.
func (c *liveClient) close() { c.resp.Body.Close() }

// matches reports whether got has every field of want, recursively for
// objects; want is compared as JSON would decode it (numbers as float64).
func matches(got any, want any) bool {
	raw, _ := json.Marshal(want)
	var w any
	_ = json.Unmarshal(raw, &w)
	return matchesJSON(got, w)
}

func matchesJSON(got, want any) bool {
	if w, ok := want.(map[string]any); ok {
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !matchesJSON(g[k], v) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

// eventsAre checks that each client receives exactly want[name], in order
// (each event matching its map), and nothing more within a short wait.
func eventsAre(t testing.TB, clients map[string]*liveClient, want map[string][]map[string]any) {
	t.Helper()
	for u, evs := range want {
		for i, ev := range clients[u].collect(t, len(evs), 5*time.Second) {
			if !matches(ev.Data, evs[i]) {
				t.Errorf("%s event %d: %v, want %v", u, i, ev.Data, evs[i])
			}
		}
	}
	for u, extra := range drainAll(300*time.Millisecond, clients) {
		for _, ev := range extra {
			t.Errorf("%s got an extra event %v", u, ev.Data)
		}
	}
}

// drainAll waits once, then returns what each client received meanwhile:
// one wait for several clients instead of one each.
func drainAll(wait time.Duration, clients map[string]*liveClient) map[string][]sseEvent {
	time.Sleep(wait)
	out := map[string][]sseEvent{}
	for name, c := range clients {
		for done := false; !done; {
			select {
			case ev, ok := <-c.events:
				if !ok {
					done = true
					break
				}
				out[name] = append(out[name], ev)
			default:
				done = true
			}
		}
	}
	return out
}

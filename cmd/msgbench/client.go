package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// api is an HTTP client for one server, over loopback keep-alive
// connections.
type api struct {
	base      string
	hc        *http.Client
	superuser string
}

func newAPI(base string) *api {
	tr := &http.Transport{
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &api{base: base, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// do sends a request and decodes a 2xx JSON answer into out (when not
// nil); any other status is an error carrying the body.
func (a *api) do(ctx context.Context, method, path, token string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (a *api) loginSuperuser(ctx context.Context) error {
	var out struct{ Token string }
	err := a.do(ctx, "POST", "/api/collections/_superusers/auth-with-password", "",
		map[string]string{"identity": superuserEmail, "password": superuserPassword}, &out)
	a.superuser = out.Token
	return err
}

// loginUser signs a user in with their password (bcrypt on the server).
func (a *api) loginUser(ctx context.Context, email string) (string, error) {
	var out struct{ Token string }
	err := a.do(ctx, "POST", "/api/collections/users/auth-with-password", "",
		map[string]string{"identity": email, "password": userPassword}, &out)
	return out.Token, err
}

// tokens mints auth tokens for users through the superuser impersonate
// endpoint (no bcrypt, so thousands take seconds), cached per user.
type tokens struct {
	a  *api
	mu sync.Mutex
	m  map[string]string
}

func (t *tokens) get(ctx context.Context, user string) (string, error) {
	t.mu.Lock()
	tok, ok := t.m[user]
	t.mu.Unlock()
	if ok {
		return tok, nil
	}
	var out struct{ Token string }
	if err := t.a.do(ctx, "POST", "/api/collections/users/impersonate/"+user, t.a.superuser,
		map[string]int{"duration": 4 * 3600}, &out); err != nil {
		return "", err
	}
	t.mu.Lock()
	t.m[user] = out.Token
	t.mu.Unlock()
	return out.Token, nil
}

// getAll mints tokens for users with a few parallel requests.
func (t *tokens) getAll(ctx context.Context, users []string) ([]string, error) {
	out := make([]string, len(users))
	err := forEach(ctx, 8, len(users), func(ctx context.Context, i int) error {
		tok, err := t.get(ctx, users[i])
		out[i] = tok
		return err
	})
	return out, err
}

// forEach runs fn for 0..n-1 on at most workers goroutines and returns the
// first error, after which the remaining items are skipped. fn's context
// ends when forEach returns.
func forEach(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(ctx, i) })
	}
	return g.Wait()
}

type threadRow struct {
	ID      string   `json:"id"`
	Members []string `json:"members"`
}

// sampleThreads returns n random threads of up to 50 members with their
// members.
func (a *api) sampleThreads(ctx context.Context, n int) ([]threadRow, error) {
	var out struct{ Items []threadRow }
	// Small threads only: the big-thread dataset has one of 10,000
	// members, whose members list is a preview (bigthread.go).
	q := url.Values{"perPage": {fmt.Sprint(n)}, "sort": {"@random"}, "fields": {"id,members"}, "skipTotal": {"1"},
		"filter": {"member_count<=50"}}
	err := a.do(ctx, "GET", "/api/collections/threads/records?"+q.Encode(), a.superuser, nil, &out)
	if err == nil && len(out.Items) == 0 {
		err = errors.New("no threads seeded")
	}
	return out.Items, err
}

// userIDs returns the ids of the first n users in creation order.
func (a *api) userIDs(ctx context.Context, n int) ([]string, error) {
	var ids []string
	for page := 1; len(ids) < n; page++ {
		var out struct {
			Items []struct{ ID string }
		}
		q := url.Values{"perPage": {"1000"}, "page": {fmt.Sprint(page)}, "sort": {"email"}, "fields": {"id"}, "skipTotal": {"1"}}
		if err := a.do(ctx, "GET", "/api/collections/users/records?"+q.Encode(), a.superuser, nil, &out); err != nil {
			return nil, err
		}
		if len(out.Items) == 0 {
			break
		}
		for _, it := range out.Items {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) > n {
		ids = ids[:n]
	}
	return ids, nil
}

// sseClient is one realtime connection subscribed to "messaging".
type sseClient struct {
	body io.Closer
}

// sseTransport opens a new connection per stream (no pooling limits).
func newSSEClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: -1,
		DisableCompression:  true,
		DisableKeepAlives:   true,
	}}
}

// connectSSE opens GET /api/realtime, reads PB_CONNECT, subscribes the
// client to topic with the user's token (POST /api/realtime) and hands
// every later event to onEvent, from its own goroutine, until closed.
func connectSSE(ctx context.Context, sse *http.Client, a *api, token, topic string, onEvent func(name string, data []byte)) (*sseClient, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", a.base+"/api/realtime", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := sse.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return nil, fmt.Errorf("GET /api/realtime: %d", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 2048)
	name, data, err := readEvent(br)
	if err != nil || name != "PB_CONNECT" {
		resp.Body.Close()
		return nil, fmt.Errorf("realtime: no PB_CONNECT (%q, %v)", name, err)
	}
	var hello struct{ ClientID string }
	if err := json.Unmarshal(data, &hello); err != nil || hello.ClientID == "" {
		resp.Body.Close()
		return nil, fmt.Errorf("realtime: bad PB_CONNECT %s", data)
	}
	go func() {
		for {
			name, data, err := readEvent(br)
			if err != nil {
				return
			}
			if onEvent != nil {
				onEvent(name, data)
			}
		}
	}()
	err = a.do(ctx, "POST", "/api/realtime", token,
		map[string]any{"clientId": hello.ClientID, "subscriptions": []string{topic}}, nil)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	return &sseClient{body: resp.Body}, nil
}

func (c *sseClient) close() { c.body.Close() }

// readEvent reads one server-sent event.
func readEvent(br *bufio.Reader) (name string, data []byte, err error) {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return "", nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if name != "" || data != nil {
				return name, data, nil
			}
		case bytes.HasPrefix(line, []byte("event:")):
			name = string(bytes.TrimSpace(line[6:]))
		case bytes.HasPrefix(line, []byte("data:")):
			data = append(data, bytes.TrimSpace(line[5:])...)
		}
	}
}

// deliveries timestamps sent messages by body and their arrival at
// member clients.
type deliveries struct {
	sentAt sync.Map // body -> time.Time
	mu     sync.Mutex
	lats   []time.Duration
	seen   map[string]bool
	on     atomic.Bool
}

func (d *deliveries) reset() {
	d.mu.Lock()
	d.lats = nil
	d.seen = map[string]bool{}
	d.mu.Unlock()
	d.sentAt.Clear()
}

func (d *deliveries) onEvent(name string, data []byte) {
	now := time.Now()
	if !d.on.Load() {
		return
	}
	var ev struct {
		Type    string
		Message struct{ Body string }
	}
	if json.Unmarshal(data, &ev) != nil || ev.Type != "message" {
		return
	}
	v, ok := d.sentAt.Load(ev.Message.Body)
	if !ok {
		return
	}
	d.mu.Lock()
	d.lats = append(d.lats, now.Sub(v.(time.Time)))
	d.seen[ev.Message.Body] = true
	d.mu.Unlock()
}

// result returns the delivery latency percentiles and how many of the
// sent messages reached at least one watching member.
func (d *deliveries) result() (p50, p99 float64, delivered, sent int) {
	d.sentAt.Range(func(_, _ any) bool { sent++; return true })
	d.mu.Lock()
	defer d.mu.Unlock()
	lats := slices.Clone(d.lats)
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	p50, p99 = percentiles(lats)
	return p50, p99, len(d.seen), sent
}

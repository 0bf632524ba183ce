package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Helpers of the big-thread measures (bigthread.go): one-at-a-time
// latencies, the role's holders, waiting for the fan-out, checking
// unread counts, and the live clients' arrivals.

// latencyResult is a Result of requests made one at a time: their count,
// latency percentiles, and req/s as one over their mean latency.
func latencyResult(name string, lats []time.Duration, errs int, firstErr string) Result {
	r := Result{Measure: name, Requests: len(lats), Errors: errs, FirstErr: firstErr}
	var sum time.Duration
	for _, l := range lats {
		sum += l
	}
	r.Seconds = sum.Seconds()
	if r.Seconds > 0 {
		r.RPS = float64(len(lats)) / r.Seconds
	}
	r.P50, r.P99 = percentiles(lats)
	return r
}

// roleHolders returns the ids of up to n users holding role.
func (a *api) roleHolders(ctx context.Context, role string, n int) ([]string, error) {
	var out struct {
		Items []struct{ ID string }
	}
	q := url.Values{"perPage": {strconv.Itoa(min(n, 1000))}, "filter": {"roles~'" + role + "'"}, "fields": {"id"}, "skipTotal": {"1"}}
	if err := a.do(ctx, "GET", "/api/collections/users/records?"+q.Encode(), a.superuser, nil, &out); err != nil {
		return nil, err
	}
	ids := make([]string, len(out.Items))
	for i, it := range out.Items {
		ids[i] = it.ID
	}
	return ids, nil
}

// waitFanOuts polls until no counter fan-out is pending (the
// superuser-only messaging_fanouts collection is empty).
func waitFanOuts(ctx context.Context, a *api, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var out struct{ Items []json.RawMessage }
		err := a.do(ctx, "GET", "/api/collections/messaging_fanouts/records?perPage=1&fields=id&skipTotal=1", a.superuser, nil, &out)
		if err != nil {
			return err
		}
		if len(out.Items) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("counter fan-out still pending after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkUnread compares the unread count of n random members of thread
// with the messages they have not read (others', not deleted, not system
// notes, after their last read), as Recount computes it, through the
// superuser records API.
func checkUnread(ctx context.Context, a *api, thread string, n int) (checked, wrong int, err error) {
	var ms struct {
		Items []struct {
			User        string `json:"user"`
			Unread      int    `json:"unread"`
			LastReadSeq int    `json:"last_read_seq"`
			Left        bool   `json:"left"`
		}
	}
	q := url.Values{"perPage": {strconv.Itoa(n)}, "filter": {"thread='" + thread + "'"}, "sort": {"@random"},
		"fields": {"user,unread,last_read_seq,left"}, "skipTotal": {"1"}}
	if err := a.do(ctx, "GET", "/api/collections/thread_members/records?"+q.Encode(), a.superuser, nil, &ms); err != nil {
		return 0, 0, err
	}
	for _, m := range ms.Items {
		if m.Left {
			continue
		}
		var out struct{ TotalItems int }
		// System notes don't count; this very read adds one ("Staff
		// viewed this conversation", oversight.go).
		f := fmt.Sprintf("thread='%s' && seq>%d && author!='%s' && deleted=false && (author!='' || author_deleted=true)",
			thread, m.LastReadSeq, m.User)
		q := url.Values{"perPage": {"1"}, "filter": {f}, "fields": {"id"}}
		if err := a.do(ctx, "GET", "/api/collections/messages/records?"+q.Encode(), a.superuser, nil, &out); err != nil {
			return checked, wrong, err
		}
		checked++
		if out.TotalItems != m.Unread {
			wrong++
		}
	}
	if checked == 0 {
		return 0, 0, errors.New("no member of the big thread to check")
	}
	return checked, wrong, nil
}

// arrivals records when each live client got each expected message.
type arrivals struct {
	mu     sync.Mutex
	sentAt map[string]time.Time
	got    map[string]int
	lats   []time.Duration
	last   map[string]time.Time
}

func newArrivals() *arrivals {
	return &arrivals{sentAt: map[string]time.Time{}, got: map[string]int{}, last: map[string]time.Time{}}
}

// expect notes that body is being sent now.
func (t *arrivals) expect(body string) {
	t.mu.Lock()
	t.sentAt[body] = time.Now()
	t.mu.Unlock()
}

func (t *arrivals) onEvent(_ string, data []byte) {
	now := time.Now()
	var ev struct {
		Type    string
		Message struct{ Body string }
	}
	if json.Unmarshal(data, &ev) != nil || ev.Type != "message" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.sentAt[ev.Message.Body]
	if !ok {
		return
	}
	t.got[ev.Message.Body]++
	t.last[ev.Message.Body] = now
	t.lats = append(t.lats, now.Sub(at))
}

// wait waits until n clients have body and returns the time from its
// sending to the last arrival, or -1 after limit.
func (t *arrivals) wait(ctx context.Context, body string, n int, limit time.Duration) time.Duration {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		t.mu.Lock()
		got, last, at := t.got[body], t.last[body], t.sentAt[body]
		t.mu.Unlock()
		if got >= n {
			return last.Sub(at)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return -1
}

func (t *arrivals) resetLatencies() {
	t.mu.Lock()
	t.lats = nil
	t.mu.Unlock()
}

// percentiles are the per-client delivery latencies so far.
func (t *arrivals) percentiles() (p50, p99 float64) {
	t.mu.Lock()
	lats := append([]time.Duration(nil), t.lats...)
	t.mu.Unlock()
	return percentiles(lats)
}

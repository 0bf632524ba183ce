package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
)

// realtime measures sending with K connected SSE clients subscribed to
// "messaging" (most of them not in the threads written to), the delivery
// latency to watching members, and the server's memory.
func realtime(ctx context.Context, cfg config, a *api, srv *server, fx *fixture, toks *tokens, ds dataset,
	ks []int, send func(*deliveries) func(context.Context, int, int) error, add func(Result), profiled func(string, func()), logf func(string, ...any)) error {

	sse := newSSEClient()
	var clients []*sseClient
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	d := &deliveries{}
	d.reset()
	for _, w := range fx.watchers {
		c, err := connectSSE(ctx, sse, a, w.token, "messaging", d.onEvent)
		if err != nil {
			return fmt.Errorf("watcher: %w", err)
		}
		clients = append(clients, c)
	}
	users, err := a.userIDs(ctx, slices.Max(ks))
	if err != nil {
		return err
	}
	var others atomic.Int64 // events received by the K clients
	connected := 0
	var base float64
	for _, k := range ks {
		if k > connected {
			logf("%s: connecting SSE clients %d..%d", ds.Name, connected+1, k)
			began := time.Now()
			toConnect := make([]string, 0, k-connected)
			for i := connected; i < k; i++ {
				toConnect = append(toConnect, users[i%len(users)])
			}
			tokList, err := toks.getAll(ctx, toConnect)
			if err != nil {
				return err
			}
			more, err := connectClients(ctx, sse, a, tokList, 32, func(string, []byte) { others.Add(1) })
			if err != nil {
				return fmt.Errorf("connecting SSE client: %w", err)
			}
			clients = append(clients, more...)
			connected = k
			logf("%s: %d SSE clients connected in %.1fs", ds.Name, k, time.Since(began).Seconds())
		}
		runtime.GC()
		time.Sleep(500 * time.Millisecond)
		d.reset()
		d.on.Store(true)
		// Saturated: throughput, and delivery latency including the
		// queueing of a server at full load.
		var st stats
		profiled(fmt.Sprintf("realtime-K%d", k), func() { st = load(ctx, cfg.Conc, cfg.Duration, 0, send(d)) })
		rss, peak, anon, file := srv.memory()
		time.Sleep(time.Second) // stragglers
		d.on.Store(false)
		_, satP99, _, _ := d.result()
		// Paced at a fixed rate well below capacity: delivery latency.
		d.reset()
		d.on.Store(true)
		pace := time.Duration(float64(cfg.Conc) / float64(pacedRate) * float64(time.Second))
		load(ctx, cfg.Conc, cfg.Duration, pace, send(d))
		time.Sleep(time.Second)
		d.on.Store(false)
		p50, p99, delivered, sent := d.result()
		r := Result{Measure: "realtime", Dataset: ds.Name, Clients: k, Requests: st.Requests, Errors: st.Errors,
			FirstErr: st.FirstErr, Seconds: st.Seconds, RPS: st.RPS, P50: st.P50, P99: st.P99,
			DeliveryP50: p50, DeliveryP99: p99, DeliverySaturatedP99: satP99, PacedRate: pacedRate,
			Delivered: delivered, Sent: sent, RSSMB: rss, PeakRSSMB: peak, AnonRSSMB: anon, FileRSSMB: file}
		if k == ks[0] {
			base = st.RPS
		} else if base > 0 {
			r.Ref = "realtime K=" + fmt.Sprint(ks[0])
			r.RatioRPS = st.RPS / base
		}
		add(r)
		logf("%s: realtime K=%d delivery at %d msg/s p50 %.2f ms p99 %.2f ms (%d/%d delivered), saturated p99 %.2f ms, RSS %.0f MB (peak %.0f MB; anonymous %.0f, file-backed %.0f)",
			ds.Name, k, pacedRate, p50, p99, delivered, sent, satP99, rss, peak, anon, file)
	}
	return nil
}

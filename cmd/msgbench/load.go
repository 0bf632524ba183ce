package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Driving load: the closed-loop workers of a measure, their stats, and a
// measure with background work beside it.

// stats is one measure's outcome.
type stats struct {
	Requests int
	Errors   int
	Seconds  float64
	RPS      float64
	P50, P99 float64 // ms
	FirstErr string
}

// result is the measure's row for these stats.
func (st stats) result(measure, dataset string) Result {
	return Result{Measure: measure, Dataset: dataset, Requests: st.Requests, Errors: st.Errors, FirstErr: st.FirstErr,
		Seconds: st.Seconds, RPS: st.RPS, P50: st.P50, P99: st.P99}
}

// whileRunning measures with bg called over and over beside the measure,
// until it ends, and returns the measure and how many calls of bg began.
// A call cut short by the measure's end is no error.
func whileRunning(ctx context.Context, measure func() Result, bg func(ctx context.Context) error) (Result, int, error) {
	bgCtx, stop := context.WithCancel(ctx)
	var began atomic.Int64
	done := make(chan error, 1)
	go func() {
		for bgCtx.Err() == nil {
			began.Add(1)
			if err := bg(bgCtx); err != nil && bgCtx.Err() == nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	r := measure()
	stop()
	return r, int(began.Load()), <-done
}

// load runs fn from conc workers, closed loop, for d. Requests started in
// the first fifth (at most 2 s) are warm-up and not counted.
//
// With pace > 0 each worker starts a request every pace (open loop, the
// workers staggered), for a fixed offered rate of conc/pace per second.
func load(ctx context.Context, conc int, d, pace time.Duration, fn func(ctx context.Context, worker, i int) error) stats {
	return loadWarm(ctx, conc, min(d/5, 2*time.Second), d, pace, fn)
}

// loadWarm is load with the warm-up given. A request that ends after ctx
// is cancelled (the measure was cut short) counts neither way.
func loadWarm(ctx context.Context, conc int, warm, d, pace time.Duration, fn func(ctx context.Context, worker, i int) error) stats {
	start := time.Now()
	from, end := start.Add(warm), start.Add(warm+d)
	lats := make([][]time.Duration, conc)
	errs := make([]int, conc)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			next := start.Add(pace * time.Duration(w) / time.Duration(conc))
			for i := 0; ; i++ {
				if pace > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(pace)
				}
				t0 := time.Now()
				if t0.After(end) || ctx.Err() != nil {
					return
				}
				err := fn(ctx, w, i)
				if ctx.Err() != nil {
					return
				}
				if t0.Before(from) {
					continue
				}
				if err != nil {
					errs[w]++
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	var all []time.Duration
	s := stats{Seconds: time.Since(from).Seconds()}
	for w := range conc {
		all = append(all, lats[w]...)
		s.Errors += errs[w]
	}
	s.Requests = len(all)
	s.RPS = float64(len(all)) / s.Seconds
	s.P50, s.P99 = percentiles(all)
	if v, ok := firstErr.Load().(string); ok {
		s.FirstErr = v
	}
	return s
}

func percentiles(d []time.Duration) (p50, p99 float64) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		i := int(p*float64(len(d))+0.5) - 1
		i = max(0, min(i, len(d)-1))
		return float64(d[i]) / float64(time.Millisecond)
	}
	return at(0.50), at(0.99)
}

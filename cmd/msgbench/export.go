package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// exportDataset is what -export-only seeds: one conversation holding
// every message (5 users, so the seeder's default of up to 5 members
// fits), exported by one of its members.
func exportDataset(size string) dataset {
	if size == "full" {
		return dataset{"export100k", 5, 1, 100000}
	}
	return dataset{"export5k", 5, 1, 5000}
}

// measureExport downloads a member's export (GET /api/messaging/export)
// once, reading it as it streams in, and reports the time, the size, the
// messages in it and the server's memory. Its peak RSS (VmHWM) also
// counts the memory-mapped database pages the export reads, so the
// anonymous part (heap, stacks) is sampled every 10 ms during the request:
// its highest value against the one before tells whether the export held
// the messages in memory (it should not: it writes a page at a time).
func measureExport(ctx context.Context, a *api, srv *server, ds dataset, add func(Result), logf func(string, ...any)) error {
	threads, err := a.sampleThreads(ctx, 1)
	if err != nil {
		return err
	}
	if len(threads) == 0 || len(threads[0].Members) == 0 {
		return fmt.Errorf("export: no seeded thread")
	}
	toks := &tokens{a: a, m: map[string]string{}}
	token, err := toks.get(ctx, threads[0].Members[0])
	if err != nil {
		return err
	}
	_, peakBefore, anonBefore, _ := srv.memory()
	var anonMax float64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if _, _, anon, _ := srv.memory(); anon > anonMax {
				anonMax = anon
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	req, err := http.NewRequestWithContext(ctx, "GET", a.base+"/api/messaging/export", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", token)
	began := time.Now()
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("export: status %d", resp.StatusCode)
	}
	var c seqCounter
	if _, err := io.Copy(&c, resp.Body); err != nil {
		return err
	}
	secs := time.Since(began).Seconds()
	close(stop)
	<-sampled
	rss, peak, anon, file := srv.memory()
	// Each message has one "seq"; so does each thread's lastMessage.
	msgs := c.seqs - len(threads)
	add(Result{Measure: "export", Dataset: ds.Name, Requests: 1, Seconds: secs, P50: secs * 1000, P99: secs * 1000,
		RSSMB: rss, PeakRSSMB: peak, AnonRSSMB: anonMax, FileRSSMB: file})
	logf("%s: export of %d messages, %.1f MB in %.2fs; server anonymous memory %.0f MB before, at most %.0f MB during (%.0f MB after); "+
		"peak RSS %.0f MB before, %.0f MB after (file-backed now %.0f MB: the mapped database)",
		ds.Name, msgs, float64(c.bytes)/1e6, secs, anonBefore, anonMax, anon, peakBefore, peak, file)
	if msgs < ds.Messages {
		return fmt.Errorf("export: %d messages, want %d", msgs, ds.Messages)
	}
	return nil
}

// seqCounter counts the bytes written to it and the "seq": keys in them
// (one per message), keeping nothing.
type seqCounter struct {
	bytes, seqs int
	tail        []byte // the end of the last write, for a key split across writes
}

var seqKey = []byte(`"seq":`)

func (c *seqCounter) Write(p []byte) (int, error) {
	c.bytes += len(p)
	buf := append(c.tail, p...)
	c.seqs += bytes.Count(buf, seqKey)
	keep := min(len(seqKey)-1, len(buf))
	c.tail = append(c.tail[:0], buf[len(buf)-keep:]...)
	return len(p), nil
}

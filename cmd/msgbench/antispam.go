package main

import (
	"context"
	"fmt"
	"slices"
)

// The anti-spam measures: the send measure with the anti-spam checks on
// and off, alternating, antiSpamRounds times each (the machine's load
// drifts); the goal compares the medians. "On" keeps every check and
// counter of a send but with limits far above the benchmark's rates (the
// seeded accounts are all new and each sender posts hundreds of messages
// a minute), so that nothing is refused and the cost of checking is what
// is measured. The other measures run with "on" too: the defaults would
// refuse the benchmark's senders after 30 messages.

// antiSpamRounds is how many times each of off and on is measured.
const antiSpamRounds = 3

// antiSpamOn and antiSpamOff are the two settings (messaging_settings'
// anti-spam fields are text: "0" turns a limit off).
var (
	antiSpamOn = map[string]any{"messages_per_minute": "99999", "new_account_days": "7",
		"new_account_conversations_per_day": "10000", "new_account_max_recipients": "1000", "new_people_per_week": "10000"}
	antiSpamOff = map[string]any{"messages_per_minute": "0", "new_account_days": "0",
		"new_account_conversations_per_day": "0", "new_account_max_recipients": "0", "new_people_per_week": "0"}
)

// setAntiSpam turns the anti-spam checks on (roomy limits) or off; a
// settings change takes effect on the next request.
func setAntiSpam(ctx context.Context, a *api, on bool) error {
	s := antiSpamOff
	if on {
		s = antiSpamOn
	}
	if err := a.do(ctx, "PATCH", "/api/collections/messaging_settings/records/messagingconfig", a.superuser, s, nil); err != nil {
		return fmt.Errorf("anti-spam settings: %w", err)
	}
	return nil
}

// measureAntiSpam runs the send measure off then on, antiSpamRounds
// times, and leaves the checks on.
func measureAntiSpam(ctx context.Context, a *api, measure func() Result, add func(Result)) error {
	for round := 1; round <= antiSpamRounds; round++ {
		for _, on := range []bool{false, true} {
			if err := setAntiSpam(ctx, a, on); err != nil {
				return err
			}
			r := measure()
			r.Measure, r.Round = "send(antispam off)", round
			if on {
				r.Measure = "send(antispam on)"
			}
			add(r)
		}
	}
	return setAntiSpam(ctx, a, true)
}

// median returns the median req/s and p99 of a measure's rounds on a
// dataset, and how many rounds there were.
func median(rep *Report, measure, dataset string) (rps, p99 float64, n int) {
	var rs, ps []float64
	for _, r := range rep.Results {
		if r.Measure == measure && r.Dataset == dataset {
			rs, ps = append(rs, r.RPS), append(ps, r.P99)
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	slices.Sort(rs)
	slices.Sort(ps)
	mid := func(v []float64) float64 {
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return mid(rs), mid(ps), len(rs)
}

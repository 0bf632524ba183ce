package main

import (
	"fmt"
	"io"
	"time"
)

// What a run measures: the flags' config and the sizes' plans.

type dataset struct {
	Name                     string
	Users, Threads, Messages int
}

type config struct {
	Size     string
	Duration time.Duration
	Conc     int
	JSON     string
	Bin      string
	WorkDir  string
	Keep     bool
	Profile  bool // run profserve and save a CPU profile of the server per measure
	// NotifyOnly seeds the first dataset only and runs only the
	// notification measures (notify.go) on it.
	NotifyOnly bool
	// NotifyRounds is how many times the notification measures alternate
	// off and on (0: the size's default).
	NotifyRounds int
	// AntiSpamOnly seeds the first dataset only and runs only the send
	// measures with the anti-spam checks off and on (antispam.go).
	AntiSpamOnly bool
	// ExportOnly seeds one conversation of 100,000 messages (small:
	// 5,000) and measures one member's export of it (export.go).
	ExportOnly bool
	// PurgeOnly seeds the first dataset only and measures sends without
	// and during a purge of deleted message bodies (purge.go).
	PurgeOnly bool
	// BigThreadOnly runs only the big-thread measures (bigthread.go),
	// which the full run does last.
	BigThreadOnly bool
	// RolesOnly runs only the role-message measures (roles.go), which no
	// other run does.
	RolesOnly bool
	Out       io.Writer // the table; nil means stdout
	Log       io.Writer // progress; nil means stderr
}

// plan is what a size runs.
type plan struct {
	Datasets []dataset
	Ks       []int // SSE client counts for the realtime measure, on the last dataset
	// GroupSize is the group of the notification measures, on the last
	// dataset.
	GroupSize int
}

func plans(size string) (plan, error) {
	switch size {
	case "small":
		return plan{
			Datasets:  []dataset{{"500msg", 200, 500, 500}, {"5kmsg", 200, 500, 5000}},
			Ks:        []int{0, 50},
			GroupSize: 100,
		}, nil
	case "full":
		return plan{
			Datasets:  []dataset{{"100k", 10000, 100000, 100000}, {"1M", 10000, 100000, 1000000}},
			Ks:        []int{0, 1000, 5000},
			GroupSize: 1000,
		}, nil
	}
	return plan{}, fmt.Errorf("unknown -size %q (small or full)", size)
}

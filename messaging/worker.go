package messaging

import (
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// stepWorker runs a job's step in the background, one batch (one short
// transaction) at a time: started by OnServe, stopped (after the step in
// progress) by OnTerminate, woken after each commit that queued work and
// every second, so that work left by a crash or a restart resumes on
// start. The work itself lives in the database; the worker only decides
// when to take the next step. The counter fan-out (fanout.go) and the
// purge of conversations (oversight_purge.go) use it.
type stepWorker struct {
	app  core.App
	name string
	// step does one batch and reports whether more is waiting.
	step func() (more bool, err error)
	// yield is the shortest pause between two busy steps, the senders'
	// turn at the write lock; rest, when above 0, makes the pause rest
	// times the step's own length when that is longer, so that the worker
	// takes at most 1/(1+rest) of the time however slow its steps get on a
	// busy machine (the notifier's rule, notify_worker.go).
	yield time.Duration
	rest  float64
	wake  chan struct{}
	// life guards quit and done, the running loop's channels.
	life sync.Mutex
	quit chan struct{}
	done chan struct{}
}

func newStepWorker(app core.App, name string, yield time.Duration, rest float64, step func() (bool, error)) *stepWorker {
	return &stepWorker{app: app, name: name, step: step, yield: yield, rest: rest, wake: make(chan struct{}, 1)}
}

// poke wakes the worker without ever blocking the caller.
func (w *stepWorker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *stepWorker) start() {
	w.life.Lock()
	defer w.life.Unlock()
	if w.quit != nil {
		return
	}
	w.quit, w.done = make(chan struct{}), make(chan struct{})
	go w.loop(w.quit, w.done)
}

func (w *stepWorker) stop() {
	w.life.Lock()
	defer w.life.Unlock()
	if w.quit == nil {
		return
	}
	close(w.quit)
	<-w.done
	w.quit, w.done = nil, nil
}

func (w *stepWorker) loop(quit, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		began := time.Now()
		more, err := w.step()
		if err != nil {
			w.app.Logger().Error("messaging: "+w.name, "error", err)
		}
		wait := max(w.yield, time.Duration(w.rest*float64(time.Since(began))))
		if !more || err != nil {
			wait = time.Hour // until poked or ticked
		}
		select {
		case <-quit:
			return
		case <-w.wake:
		case <-tick.C:
		case <-time.After(wait):
		}
	}
}

// runWithApp starts w when app serves and stops it when app terminates;
// id names the two hooks.
func (w *stepWorker) runWithApp(app core.App, id string) {
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id: "__messaging" + id + "Start__", Func: func(e *core.ServeEvent) error {
			w.start()
			return e.Next()
		},
	})
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Id: "__messaging" + id + "Stop__", Func: func(e *core.TerminateEvent) error {
			w.stop()
			return e.Next()
		},
	})
}

package main

import (
	"context"
	"fmt"
)

// fixture is the users and threads the measures use.
type fixture struct {
	senders  []member // one per worker, each in its own thread
	watchers []member // another member of each sender's thread
	readers  []member // random (member, thread) pairs
}

type member struct {
	user, thread, token string
}

func loadFixture(ctx context.Context, a *api, conc int) (*fixture, *tokens, error) {
	toks := &tokens{a: a, m: map[string]string{}}
	threads, err := a.sampleThreads(ctx, 300)
	if err != nil {
		return nil, nil, err
	}
	fx := &fixture{}
	for i, t := range threads {
		if len(t.Members) < 2 {
			continue
		}
		if len(fx.senders) < conc {
			fx.senders = append(fx.senders, member{user: t.Members[0], thread: t.ID})
			fx.watchers = append(fx.watchers, member{user: t.Members[1], thread: t.ID})
		}
		fx.readers = append(fx.readers, member{user: t.Members[i%len(t.Members)], thread: t.ID})
	}
	if len(fx.senders) < conc {
		return nil, nil, fmt.Errorf("only %d threads for %d senders", len(fx.senders), conc)
	}
	for _, list := range [][]member{fx.senders, fx.watchers, fx.readers} {
		for i := range list {
			if list[i].token, err = toks.get(ctx, list[i].user); err != nil {
				return nil, nil, err
			}
		}
	}
	return fx, toks, nil
}

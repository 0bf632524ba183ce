package main

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
)

// What each runner of measures starts with: the app, a superuser, the
// small threads' senders, live clients.

// measuredServer is the app of a measure: started (with -profile, with its
// pprof listener), and a superuser signed in.
type measuredServer struct {
	srv *server
	env []string // the server's environment, for a restart
	a   *api
	// profiled runs fn, saving a CPU profile of the server named name
	// into the work dir with -profile.
	profiled func(name string, fn func())
}

// startMeasured starts the app on dataDir for the measures of dir. The
// caller stops m.srv.
func startMeasured(ctx context.Context, cfg config, bin, dataDir, dir string, logf func(string, ...any)) (*measuredServer, error) {
	env, pprofAddr, err := profileEnv(cfg)
	if err != nil {
		return nil, err
	}
	srv, err := startServer(ctx, bin, dataDir, env)
	if err != nil {
		return nil, err
	}
	m := &measuredServer{srv: srv, env: env, a: newAPI(srv.base)}
	m.profiled = func(name string, fn func()) {
		if pprofAddr == "" {
			fn()
			return
		}
		done := profile(ctx, pprofAddr, cfg.Duration, filepath.Join(dir, name+".pprof"), logf)
		fn()
		<-done
	}
	if err := m.a.loginSuperuser(ctx); err != nil {
		srv.stop()
		return nil, err
	}
	return m, nil
}

// senders turns the anti-spam checks on (with limits the measures stay
// under, antispam.go) and loads the small threads' senders and readers.
func senders(ctx context.Context, a *api, conc int) (*fixture, *tokens, error) {
	if err := setAntiSpam(ctx, a, true); err != nil {
		return nil, nil, err
	}
	return loadFixture(ctx, a, conc)
}

// connectClients opens one live connection per token, subscribed to the
// messaging topic, workers at a time; each event goes to onEvent. On an
// error the clients opened so far are closed.
func connectClients(ctx context.Context, sse *http.Client, a *api, tokens []string, workers int, onEvent func(string, []byte)) ([]*sseClient, error) {
	var mu sync.Mutex
	var clients []*sseClient
	// The streams must outlive forEach, whose context ends with it.
	err := forEach(ctx, workers, len(tokens), func(_ context.Context, i int) error {
		c, err := connectSSE(ctx, sse, a, tokens[i], "messaging", onEvent)
		if err != nil {
			return err
		}
		mu.Lock()
		clients = append(clients, c)
		mu.Unlock()
		return nil
	})
	if err != nil {
		for _, c := range clients {
			c.close()
		}
		return nil, err
	}
	return clients, nil
}

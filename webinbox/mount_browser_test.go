package webinbox_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pbmessaging/pbmessaging/internal/browsertest"
	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pbmessaging/pbmessaging/webinbox"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// TestMountUnderSubPath is a Go developer's own app: the plugin, a page of
// their own at "/", and the inbox mounted at /messages/ with the one
// documented call; the browser test (web/e2e/subpath.e2e.mjs) uses the
// inbox there, deep links and live messages included, and the unread badge
// on the site's page.
func TestMountUnderSubPath(t *testing.T) {
	browsertest.Require(t)
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	messaging.MustRegister(app, messaging.Config{})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/{$}", func(e *core.RequestEvent) error {
			// With the unread badge, from where the inbox is mounted.
			return e.HTML(http.StatusOK, `<p>the site's own page</p>`+
				`<script type="module" src="/messages/badge.js"></script><messaging-unread></messaging-unread>`)
		})
		webinbox.Mount(se.Router, "/messages/")
		return se.Next()
	})

	r, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	var mux http.Handler
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: r}, func(e *core.ServeEvent) error {
		m, err := e.Router.BuildMux()
		mux = m
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	browsertest.Run(t, "subpath.e2e.mjs", "BASE_URL="+srv.URL, "INBOX_URL="+srv.URL+"/messages/")
}

package webinbox_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/webinbox"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// The inbox's routes as Mount serves them under /messages/: the page for
// every inbox path, with the mount point as its base and the CSP; the
// built assets; no page for a missing asset.
func TestMount(t *testing.T) {
	asset := firstAsset(t)
	mount := func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		webinbox.Mount(e.Router, "/messages/")
	}
	page := []string{`<base href="/messages/">`, `<div id="app">`}
	for _, s := range []tests.ApiScenario{
		{Name: "root of the mount", Method: http.MethodGet, URL: "/messages/", ExpectedStatus: 200, ExpectedContent: page,
			AfterTestFunc: headers(map[string]string{"Content-Security-Policy": webinbox.CSP, "Cache-Control": "no-cache"})},
		{Name: "a thread URL answers the page", Method: http.MethodGet, URL: "/messages/t/abc123", ExpectedStatus: 200, ExpectedContent: page,
			AfterTestFunc: headers(map[string]string{"Content-Security-Policy": webinbox.CSP})},
		{Name: "a deep link with a query", Method: http.MethodGet, URL: "/messages/new?to=bob", ExpectedStatus: 200, ExpectedContent: page},
		{Name: "index.html itself", Method: http.MethodGet, URL: "/messages/index.html", ExpectedStatus: 200, ExpectedContent: page},
		{Name: "a built asset, cached for good", Method: http.MethodGet, URL: "/messages/" + asset, ExpectedStatus: 200,
			ExpectedContent: []string{""}, NotExpectedContent: []string{"<base href"},
			AfterTestFunc: headers(map[string]string{"Cache-Control": "public, max-age=31536000, immutable", "Content-Security-Policy": webinbox.CSP})},
		{Name: "the site badge: a script under a stable name, revalidated", Method: http.MethodGet, URL: "/messages/badge.js", ExpectedStatus: 200,
			ExpectedContent: []string{"messaging-unread"}, NotExpectedContent: []string{"<base href"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				headers(map[string]string{"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"})(t, app, res)
				if tag := res.Header.Get("ETag"); len(tag) < 10 || tag[0] != '"' {
					t.Errorf("ETag: got %q, want a strong tag", tag)
				}
			}},
		{Name: "the site badge unchanged: 304", Method: http.MethodGet, URL: "/messages/badge.js", ExpectedStatus: 304,
			Headers: map[string]string{"If-None-Match": badgeTag(t)}},
		{Name: "a missing asset is a 404, not the page", Method: http.MethodGet, URL: "/messages/assets/gone-123.js", ExpectedStatus: 404,
			NotExpectedContent: []string{"<base href"}},
		{Name: "the mount without its slash redirects", Method: http.MethodGet, URL: "/messages", ExpectedStatus: 301},
		{Name: "outside the mount: not the inbox", Method: http.MethodGet, URL: "/other", ExpectedStatus: 404,
			NotExpectedContent: []string{"<base href"}},
	} {
		s.BeforeTestFunc = mount
		s.Test(t)
	}
}

// headers checks response headers.
func headers(want map[string]string) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: got %q, want %q", k, got, v)
			}
		}
	}
}

func TestHandlerRejectsABadBase(t *testing.T) {
	for _, base := range []string{"", "messages/", "/messages", "/a//b/", "/a/../b/"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handler(%q) did not panic", base)
				}
			}()
			webinbox.Handler(base)
		}()
	}
}

// The base is written into the page as it is given, HTML-escaped.
func TestHandlerEscapesTheBase(t *testing.T) {
	s := tests.ApiScenario{
		Method: http.MethodGet, URL: "/a%22b/", ExpectedStatus: 200,
		ExpectedContent:    []string{`<base href="/a&#34;b/">`},
		NotExpectedContent: []string{`<base href="/a"b/">`},
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
			webinbox.Mount(e.Router, `/a"b/`)
		},
	}
	s.Test(t)
}

func firstAsset(t *testing.T) string {
	t.Helper()
	page, err := fsReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(page, "./assets/")
	if i < 0 {
		t.Fatal("no asset in index.html")
	}
	rest := page[i+2:]
	return rest[:strings.IndexByte(rest, '"')]
}

// badgeTag is the ETag the handler gives badge.js: a GET learns it.
func badgeTag(t *testing.T) string {
	t.Helper()
	app, err := tests.NewTestApp()
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	r, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	webinbox.Mount(r, "/messages/")
	mux, err := r.BuildMux()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/messages/badge.js", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == "" {
		t.Fatalf("GET badge.js: %d, ETag %q", rec.Code, rec.Header().Get("ETag"))
	}
	return rec.Header().Get("ETag")
}

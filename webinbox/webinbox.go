// Package webinbox serves the messaging plugin's web inbox: a live
// messenger for members, built from ../web (Preact, Vite, the official
// pocketbase JS SDK) into dist/, which is committed and embedded, so a Go
// build needs no npm step.
//
// The runnable app serves it at "/". In an app of your own, mount it at
// any path, beside your own pb_public:
//
//	pm := messaging.MustRegister(app, messaging.Config{})
//	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
//		webinbox.Mount(se.Router, "/messages/")
//		return se.Next()
//	})
//
// Every path under the mount point that is not a built file answers the
// inbox page, so thread URLs reload and deep links work; the page gets a
// <base href> naming the mount point, from which the inbox finds its
// assets and its router base. The inbox talks to the API at the site's
// root (/api/...), as PocketBase serves it.
//
// Beside the inbox, base+"badge.js" is the unread badge for the site's own
// pages (a <messaging-unread> element; see the README), served under that
// stable name and revalidated on every use.
package webinbox

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

//go:embed all:dist
var dist embed.FS

// CSP is the Content-Security-Policy of every inbox response: no inline
// or foreign script, style or plugin, and the API only on this origin. It
// is defence in depth: message bodies are rendered as text or as the
// API's sanitized HTML anyway.
const CSP = "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; " +
	"style-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"

// basePlaceholder is what web/index.html carries; the page is served with
// the mount point in its place.
const basePlaceholder = `<base href="/">`

// Files returns the built inbox (index.html, assets/, and badge.js, the
// unread badge for the site's own pages), for those who serve it some
// other way.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid path; fs.Sub fails only on invalid ones
	}
	return sub
}

// Mount serves the inbox at base (a path starting and ending with "/",
// e.g. "/messages/") on r: GET base{path...}, plus a redirect from base
// without its trailing slash. It panics on a malformed base, a
// programming error.
func Mount(r *router.Router[*core.RequestEvent], base string) {
	h := Handler(base)
	r.GET(base+"{path...}", h).Bind(apis.Gzip())
	if base != "/" {
		r.GET(strings.TrimSuffix(base, "/"), func(e *core.RequestEvent) error {
			return e.Redirect(http.StatusMovedPermanently, base)
		})
	}
}

// Handler returns the handler Mount binds, for a route whose {path...}
// wildcard holds the path below base: a built file, or else the inbox
// page. Use it to put the inbox behind files of your own (see the app's
// main.go, which serves pb_public first).
func Handler(base string) func(*core.RequestEvent) error {
	if !strings.HasPrefix(base, "/") || !strings.HasSuffix(base, "/") || path.Clean(base+"x") != base+"x" {
		panic("webinbox: base must be a clean path starting and ending with /, got " + base)
	}
	files := Files()
	raw, err := fs.ReadFile(files, "index.html")
	if err != nil {
		panic("webinbox: dist/index.html is missing: run npm run build in web/")
	}
	page := []byte(strings.Replace(string(raw), basePlaceholder, `<base href="`+html.EscapeString(base)+`">`, 1))
	tags := stableTags(files)

	return func(e *core.RequestEvent) error {
		h := e.Response.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		name := e.Request.PathValue("path")
		if name != "" && name != "index.html" && fs.ValidPath(name) {
			if fi, err := fs.Stat(files, name); err == nil && !fi.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					// Built asset names carry a hash of their content.
					h.Set("Cache-Control", "public, max-age=31536000, immutable")
				} else if tag, ok := tags[name]; ok {
					// A stable name (badge.js, which site pages embed):
					// revalidated on every use, so a new build is picked
					// up at once, and answered 304 while unchanged.
					h.Set("Cache-Control", "no-cache")
					h.Set("ETag", tag)
				}
				return e.FileFS(files, name)
			}
			if strings.HasPrefix(name, "assets/") {
				return router.ErrFileNotFound // a stale asset, not a page
			}
		}
		h.Set("Cache-Control", "no-cache")
		return e.Blob(http.StatusOK, "text/html; charset=utf-8", page)
	}
}

// stableTags returns an ETag for every built file at the root besides
// index.html (badge.js): files whose names stay the same from build to
// build, unlike the hashed ones in assets/.
func stableTags(files fs.FS) map[string]string {
	tags := map[string]string{}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic("webinbox: reading dist: " + err.Error()) // embedded: cannot fail
	}
	for _, d := range entries {
		if d.IsDir() || d.Name() == "index.html" {
			continue
		}
		b, err := fs.ReadFile(files, d.Name())
		if err != nil {
			panic("webinbox: reading dist: " + err.Error())
		}
		sum := sha256.Sum256(b)
		tags[d.Name()] = `"` + hex.EncodeToString(sum[:12]) + `"`
	}
	return tags
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pbmessaging/pbmessaging/internal/browsertest"
)

// sitePage is a page of the site's own, in pb_public, with the unread
// badge embedded as the README shows it (the script and the element),
// once as a link of its own and once inside a link of the site's, plus a
// ::part rule of the site's.
const sitePage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>The site's own page</title>
  <script type="module" src="/badge.js"></script>
  <style>messaging-unread::part(badge) { background: rgb(1, 2, 3); }</style>
</head>
<body>
  <header><h1>The site</h1> <messaging-unread id="badge"></messaging-unread></header>
  <main><p><a href="/">Your messages <messaging-unread id="plain" nolink></messaging-unread></a></p></main>
</body>
</html>
`

// TestBadgeInBrowser runs web/e2e/badge.e2e.mjs: the unread badge on a
// page of the app's pb_public, signed out, signed in through the inbox in
// another tab, live as messages arrive and are read, after a dropped
// connection, and on sign-out.
func TestBadgeInBrowser(t *testing.T) {
	browsertest.Require(t)
	bin := appBinary(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pb_public"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pb_public", "site.html"), []byte(sitePage), 0o644); err != nil {
		t.Fatal(err)
	}
	p := serve(t, dir, bin)
	browsertest.Run(t, "badge.e2e.mjs", "BASE_URL="+p.base, "INBOX_URL="+p.base+"/", "SITE_URL="+p.base+"/site.html")
}

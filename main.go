// Command pbmessaging is PocketBase with the messaging plugin: run
// "go run . serve" and open http://127.0.0.1:8090/_/ for the dashboard.
//
// The site lives in the working directory, however the binary was built or
// started: ./pb_data, ./pb_public, ./pb_hooks and ./pb_migrations (the last
// two next to --dir, as in PocketBase). Dev mode (every SQL statement
// printed, message bodies included) is off unless --dev is given.
package main

import (
	"io/fs"
	"log"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/pbmessaging/pbmessaging/internal/seed"
	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pbmessaging/pbmessaging/sqlitedb"
	"github.com/pbmessaging/pbmessaging/webinbox"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/pocketbase/pocketbase/tools/hook"
)

func main() {
	app := pocketbase.NewWithConfig(pocketbase.Config{
		// pocketbase.New() guesses dev mode and the data dir from where
		// the binary lives, and guesses wrong both ways: a cached "go run"
		// runs from the build cache (so pb_data and pb_public would be
		// looked up there, and dev mode is off), while any binary that
		// happens to sit in the temp dir is taken for "go run" and prints
		// every SQL statement. So: dev mode only with --dev, and the data
		// dir relative to the working directory.
		DefaultDev:     false,
		DefaultDataDir: "pb_data",
		DBConnect:      sqlitedb.Connect,
	})

	flags := app.RootCmd.PersistentFlags()
	var publicDir, hooksDir, migrationsDir string
	var hooksWatch, automigrate bool
	flags.StringVar(&publicDir, "publicDir", "pb_public", "the directory to serve static files from")
	flags.StringVar(&hooksDir, "hooksDir", "", "the directory with the JS app hooks (default pb_hooks next to --dir)")
	flags.StringVar(&migrationsDir, "migrationsDir", "", "the directory with the JS migrations (default pb_migrations next to --dir)")
	flags.BoolVar(&hooksWatch, "hooksWatch", true, "restart the app when a pb_hooks file changes")
	// Automigrate is on by default, as in PocketBase's prebuilt binary:
	// a collection changed in the dashboard becomes a migration file in
	// pb_migrations/, to commit and replay on the other copies of the site
	// (otherwise the change lives only in this pb_data). Turn it off with
	// --automigrate=false, e.g. on a production copy whose schema comes only
	// from committed migrations.
	flags.BoolVar(&automigrate, "automigrate", true, "write a migration into pb_migrations/ for every collection change made in the dashboard")
	_ = app.RootCmd.ParseFlags(os.Args[1:])

	jsvm.MustRegister(app, jsvm.Config{
		HooksDir:      hooksDir,
		MigrationsDir: migrationsDir,
		HooksWatch:    hooksWatch,
		HooksPoolSize: 15,
	})
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangJS,
		Dir:          migrationsDir,
		Automigrate:  automigrate,
	})
	pm := messaging.MustRegister(app, messaging.Config{RootCmd: app.RootCmd})
	// "messaging seed" (demo and benchmark data) is the app's, not the
	// plugin's: a site importing messaging doesn't get it.
	pm.Command().AddCommand(seed.Command(app, pm))

	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id: "__pbmessagingPublic__",
		Func: func(e *core.ServeEvent) error {
			if !e.Router.HasRoute(http.MethodGet, "/{path...}") {
				e.Router.GET("/{path...}", siteThenInbox(os.DirFS(publicDir))).Bind(apis.Gzip())
			}
			return e.Next()
		},
		Priority: 999, // last, so a route of your own wins
	})

	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}

// siteThenInbox serves the site's own file from pb_public when there is
// one (its index.html included, so a site can own "/"), and the web inbox
// (webinbox) for every other path: its assets, or its page for / and the
// thread URLs. The inbox is embedded in the binary; pb_public holds only
// the site's files.
func siteThenInbox(public fs.FS) func(*core.RequestEvent) error {
	site := apis.Static(public, false)
	inbox := webinbox.Handler("/")
	return func(e *core.RequestEvent) error {
		name := e.Request.PathValue("path")
		if name == "" {
			name = "index.html"
		}
		if fs.ValidPath(name) {
			if fi, err := fs.Stat(public, name); err == nil && (!fi.IsDir() || fileExists(public, path.Join(name, "index.html"))) {
				return site(e)
			}
		}
		if strings.HasPrefix(name, "api/") {
			return e.NotFoundError("", nil) // an unknown API route is not an inbox page
		}
		return inbox(e)
	}
}

func fileExists(fsys fs.FS, name string) bool {
	fi, err := fs.Stat(fsys, name)
	return err == nil && !fi.IsDir()
}

// Command pbmessaging is PocketBase with the messaging plugin: run
// "go run . serve" and open http://127.0.0.1:8090/_/ for the dashboard.
package main

import (
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pbmessaging/pbmessaging/sqlitedb"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/pocketbase/pocketbase/tools/hook"
)

func main() {
	app := pocketbase.NewWithConfig(pocketbase.Config{
		DefaultDev: isGoRun(), // as pocketbase.New() does
		DBConnect:  sqlitedb.Connect,
	})

	var publicDir string
	app.RootCmd.PersistentFlags().StringVar(&publicDir, "publicDir", defaultPublicDir(), "the directory to serve static files")
	var hooksWatch bool
	app.RootCmd.PersistentFlags().BoolVar(&hooksWatch, "hooksWatch", true, "restart the app when a pb_hooks file changes")
	app.RootCmd.ParseFlags(os.Args[1:])

	jsvm.MustRegister(app, jsvm.Config{HooksWatch: hooksWatch, HooksPoolSize: 15})
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangJS,
		// Dashboard edits become migrations in pb_migrations/, but only
		// while developing with "go run".
		Automigrate: isGoRun(),
	})
	messaging.MustRegister(app, messaging.Config{RootCmd: app.RootCmd})

	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id: "__pbmessagingPublic__",
		Func: func(e *core.ServeEvent) error {
			if !e.Router.HasRoute("GET", "/{path...}") {
				e.Router.GET("/{path...}", apis.Static(os.DirFS(publicDir), true))
			}
			return e.Next()
		},
		Priority: 999,
	})

	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}

// defaultPublicDir is pb_public next to the binary, or in the working
// directory under "go run".
func defaultPublicDir() string {
	if isGoRun() {
		return "./pb_public"
	}
	return filepath.Join(os.Args[0], "../pb_public")
}

func isGoRun() bool {
	return strings.HasPrefix(os.Args[0], os.TempDir())
}

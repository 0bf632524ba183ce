// Command profserve is the app of main.go (PocketBase, jsvm, migratecmd and
// the messaging plugin) plus, when MSGBENCH_PPROF is set to a loopback
// address, a net/http/pprof listener there. msgbench -profile builds and
// benchmarks it instead of the app, so a run can be CPU-profiled:
//
//	go tool pprof -top http://127.0.0.1:6060/debug/pprof/profile?seconds=10
//
// MSGBENCH_NOTIFICATIONS=off registers the plugin with NotificationsOff, the
// baseline of msgbench's notification measures (which always run this
// binary, on and off alike).
package main

import (
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"

	"github.com/pbmessaging/pbmessaging/internal/seed"
	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pbmessaging/pbmessaging/sqlitedb"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
)

func main() {
	if addr := os.Getenv("MSGBENCH_PPROF"); addr != "" {
		go func() { log.Println(http.ListenAndServe(addr, nil)) }()
	}
	app := pocketbase.NewWithConfig(pocketbase.Config{DBConnect: sqlitedb.Connect})
	var hooksWatch bool
	app.RootCmd.PersistentFlags().BoolVar(&hooksWatch, "hooksWatch", false, "restart the app when a pb_hooks file changes")
	app.RootCmd.ParseFlags(os.Args[1:])
	jsvm.MustRegister(app, jsvm.Config{HooksWatch: hooksWatch, HooksPoolSize: 15})
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{TemplateLang: migratecmd.TemplateLangJS})
	pm := messaging.MustRegister(app, messaging.Config{RootCmd: app.RootCmd,
		NotificationsOff: os.Getenv("MSGBENCH_NOTIFICATIONS") == "off"})
	// msgbench seeds through this binary when it profiles.
	pm.Command().AddCommand(seed.Command(app, pm))
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}

//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
)

// The tests in this package drive the real app binary (or "go run"), the
// way a site owner and the README do. They share one build: building the
// app takes most of their time.

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// appBinary builds the app once per test run. It lands in a directory
// under the temp dir, which is where the first "go run" also puts it.
func appBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the app")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "pbmessaging-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "pbmessaging")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is a running "serve" (the binary or "go run"), in a process group
// of its own so that stopping "go run" stops the app it started too.
type proc struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	base   string
	exited chan struct{} // closed once the process has been waited for
	err    error         // its exit error, set before exited is closed
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve starts argv plus "serve --http <free port>" in dir and waits
// until it answers /api/health.
func serve(t *testing.T, dir string, argv ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	argv = append(argv, "serve", "--http", addr)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{cmd: cmd, out: &syncBuffer{}, base: "http://" + addr, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(3 * time.Minute) // "go run" may link first
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			t.Fatalf("%s exited: %v\n%s", strings.Join(argv, " "), p.err, p.out)
		case <-time.After(200 * time.Millisecond):
		}
		resp, err := http.Get(p.base + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
	}
	t.Fatalf("%s did not become healthy\n%s", strings.Join(argv, " "), p.out)
	return nil
}

// stop interrupts the process group, as Ctrl-C would, so that PocketBase
// shuts down cleanly and flushes its logs; it is a no-op once stopped.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
		t.Errorf("serve did not stop on SIGINT\n%s", p.out)
	}
}

// call sends a JSON request and returns the status and body.
func call(t *testing.T, method, url, token string, body any) (int, string) {
	t.Helper()
	var r io.Reader
	if s, ok := body.(string); ok {
		r = strings.NewReader(s)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// must is call that insists on a status and decodes the JSON answer.
func must(t *testing.T, status int, method, url, token string, body any) map[string]any {
	t.Helper()
	got, text := call(t, method, url, token, body)
	if got != status {
		t.Fatalf("%s %s: got %d, want %d: %s", method, url, got, status, text)
	}
	out := map[string]any{}
	if text != "" {
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, text)
		}
	}
	return out
}

func login(t *testing.T, base, collection, identity, password string) string {
	t.Helper()
	res := must(t, 200, "POST", base+"/api/collections/"+collection+"/auth-with-password", "",
		map[string]string{"identity": identity, "password": password})
	return res["token"].(string)
}

// site makes a site directory as a site owner would have it: a page in
// pb_public and a JS hook in pb_hooks.
func site(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"pb_public/index.html": "<h1>site page</h1>",
		"pb_hooks/hello.pb.js": `routerAdd("GET", "/hello-from-hooks", (e) => e.string(200, "hooks loaded"))`,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGoRunServesTheSite runs the README's command, "go run . serve",
// twice (the second run starts the binary go run cached in the build
// cache) from a site directory, and checks that each run finds the site
// there: pb_data, pb_public (the / page), pb_hooks, and pb_migrations,
// where a collection changed through the dashboard's API becomes a
// migration file. Neither run is in dev mode, so no SQL is printed.
func TestGoRunServesTheSite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the app")
	}
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := site(t)
	// A workspace makes the repository's main package runnable from the
	// site directory, so "go run" starts the app with the site as its
	// working directory.
	work := filepath.Join(dir, "go.work")
	if err := os.WriteFile(work, []byte("go 1.27.4\n\nuse "+repo+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goRun := func(args ...string) []string {
		return append([]string{"go", "run", "github.com/pbmessaging/pbmessaging"}, args...)
	}
	t.Setenv("GOWORK", work)

	args := goRun("superuser", "upsert", "admin@example.com", "change-me-please")
	upsert := exec.Command(args[0], args[1:]...)
	upsert.Dir = dir
	if out, err := upsert.CombinedOutput(); err != nil {
		t.Fatalf("superuser upsert: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "pb_data", "data.db")); err != nil {
		t.Fatalf("pb_data is not in the working directory: %v", err)
	}

	for run, change := range []struct {
		method, path string
		body         any
		file         string
	}{
		{"POST", "/api/collections", map[string]any{"name": "notes", "type": "base",
			"fields": []map[string]any{{"name": "title", "type": "text"}}}, "_created_notes.js"},
		{"PATCH", "/api/collections/notes", map[string]any{"fields": []map[string]any{
			{"name": "title", "type": "text"}, {"name": "done", "type": "bool"}}}, "_updated_notes.js"},
	} {
		p := serve(t, dir, goRun()...)
		if code, body := call(t, "GET", p.base+"/", "", nil); code != 200 || body != "<h1>site page</h1>" {
			t.Errorf("run %d: GET / = %d %q, want the site's pb_public/index.html", run+1, code, body)
		}
		if code, body := call(t, "GET", p.base+"/hello-from-hooks", "", nil); code != 200 || body != "hooks loaded" {
			t.Errorf("run %d: the site's pb_hooks were not loaded: %d %q", run+1, code, body)
		}
		admin := login(t, p.base, "_superusers", "admin@example.com", "change-me-please")
		must(t, 200, change.method, p.base+change.path, admin, change.body)
		p.stop(t)

		files, _ := filepath.Glob(filepath.Join(dir, "pb_migrations", "*"+change.file))
		if len(files) != 1 {
			all, _ := filepath.Glob(filepath.Join(dir, "pb_migrations", "*"))
			t.Errorf("run %d: want one pb_migrations/*%s in the working directory, have %v", run+1, change.file, all)
		}
		if out := p.out.String(); strings.Contains(out, "SELECT ") || strings.Contains(out, "INSERT ") {
			t.Errorf("run %d printed SQL without --dev:\n%s", run+1, out)
		}
	}
}

// TestNoMessageBodiesInLogs sends messages carrying a marker every way a
// body reaches the server, successful or not, to the app running without
// --dev from a binary in the temp dir (where PocketBase's own guess would
// take it for "go run" and turn dev mode on). The marker must appear in
// none of the activity log's rows and nowhere in the app's output.
func TestNoMessageBodiesInLogs(t *testing.T) {
	bin := appBinary(t)
	dir := site(t)
	p := serve(t, dir, bin)
	const marker = "SECRET-7f3a9c"
	base := p.base

	for _, u := range []string{"alice", "bob"} {
		must(t, 200, "POST", base+"/api/collections/users/records", "", map[string]string{
			"email": u + "@example.com", "password": "secret-pass-1", "passwordConfirm": "secret-pass-1",
			"name": u, "username": u,
		})
	}
	alice := login(t, base, "users", "alice@example.com", "secret-pass-1")
	bob := login(t, base, "users", "bob@example.com", "secret-pass-1")
	userID := func(token, username string) string {
		res := must(t, 200, "GET", base+"/api/messaging/recipients?q="+username, token, nil)
		for _, it := range res["items"].([]any) {
			if m := it.(map[string]any); m["username"] == username {
				return m["id"].(string)
			}
		}
		t.Fatalf("no user %s", username)
		return ""
	}
	bobID, aliceID := userID(alice, "bob"), userID(bob, "alice")
	start := must(t, 200, "POST", base+"/api/messaging/threads", alice, map[string]any{
		"recipients": []string{bobID}, "subject": "subject " + marker, "body": "first " + marker})
	thread := start["thread"].(map[string]any)["id"].(string)
	reply := base + "/api/messaging/threads/" + thread + "/messages"
	records := base + "/api/collections/messages/records"
	tooLong := marker + strings.Repeat("x", 10001)

	for _, c := range []struct {
		name, url, token string
		body             any
		status           int
	}{
		{"reply", reply, bob, map[string]any{"body": "reply " + marker}, 200},
		{"too long", reply, alice, map[string]any{"body": tooLong}, 400},
		{"malformed JSON", reply, alice, `{"body":"` + marker + `",}`, 400},
		{"body of the wrong type", reply, alice, `{"body":["` + marker + `"]}`, 400},
		{"records API create", records, alice, map[string]any{"thread": thread, "body": "record " + marker}, 200},
		{"records API create, too long", records, alice, map[string]any{"thread": thread, "body": tooLong}, 400},
		{"records API create, unknown thread", records, alice, map[string]any{"thread": "nosuchthread123", "body": marker}, 400},
		{"block", base + "/api/messaging/blocks", bob, map[string]any{"user": aliceID}, 200},
		{"refused: blocked", base + "/api/messaging/threads", alice, map[string]any{"recipients": []string{bobID}, "body": "refused " + marker}, 403},
	} {
		if got, text := call(t, "POST", c.url, c.token, c.body); got != c.status {
			t.Fatalf("%s: got %d, want %d: %s", c.name, got, c.status, text)
		}
	}
	p.stop(t) // flushes the activity log

	db, err := dbx.Open("sqlite", filepath.Join(dir, "pb_data", "auxiliary.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows []struct {
		Message string `db:"message"`
		Data    string `db:"data"`
	}
	if err := db.NewQuery("SELECT message, data FROM _logs").All(&rows); err != nil {
		t.Fatal(err)
	}
	errorRows := 0
	for _, r := range rows {
		if strings.Contains(r.Message+r.Data, marker) {
			t.Errorf("the activity log holds a message body: %s %s", r.Message, r.Data)
		}
		if strings.Contains(r.Data, `"error":`) {
			errorRows++
		}
	}
	// The refusals above are logged, with their details: the test is
	// looking at the right log.
	if errorRows < 5 {
		t.Errorf("want the failed requests in the activity log, found %d error rows of %d", errorRows, len(rows))
	}
	if out := p.out.String(); strings.Contains(out, marker) {
		t.Errorf("the app printed a message body:\n%s", out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

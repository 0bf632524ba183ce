package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// raiseFileLimit lifts the soft open-files limit to the hard one; the
// server, started later, inherits it. 5,000 SSE clients need 5,000 sockets
// on each side.
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}

// repoRoot is the directory of the main module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run msgbench from inside the repository (no go.mod found)")
	}
	return filepath.Dir(mod), nil
}

// buildApp compiles the app (pkg "." is main.go at the repo root) into dir.
func buildApp(dir, pkg string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pbmessaging")
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Env = os.Environ()
	if v := os.Getenv("GOTOOLCHAIN"); v == "" || v == "local" {
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN=auto")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// appCmd runs a CLI subcommand of the app binary and returns its output.
// --dev=false: dev mode prints every SQL statement; both the app and
// profserve default to off, and the flag keeps it so for the benchmark.
func appCmd(bin, dataDir string, args ...string) (string, error) {
	args = append(args, "--dir", dataDir, "--dev=false")
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

var seedLine = regexp.MustCompile(`seeded (\d+) users, (\d+) threads, (\d+) memberships, (\d+) messages \((\d+) rows\) in ([0-9.]+)s`)

var roleSeedLine = regexp.MustCompile(`seeded (\d+) members of role \S+ in [0-9.]+s(?:; their conversation is thread (\w+))?`)

// seed runs "messaging seed" (with extra arguments, if any) and
// "messaging recount" on a fresh dataDir.
func seed(bin, dataDir string, ds dataset, extra ...string) (Seeding, error) {
	s := Seeding{Dataset: ds.Name}
	began := time.Now()
	args := append([]string{"messaging", "seed",
		"--users", strconv.Itoa(ds.Users), "--threads", strconv.Itoa(ds.Threads),
		"--messages", strconv.Itoa(ds.Messages), "--password", userPassword}, extra...)
	out, err := appCmd(bin, dataDir, args...)
	if err != nil {
		return s, err
	}
	s.WallSeconds = time.Since(began).Seconds()
	m := seedLine.FindStringSubmatch(out)
	if m == nil {
		return s, fmt.Errorf("unexpected seed output: %s", out)
	}
	s.Users, _ = strconv.Atoi(m[1])
	s.Threads, _ = strconv.Atoi(m[2])
	s.Members, _ = strconv.Atoi(m[3])
	s.Messages, _ = strconv.Atoi(m[4])
	s.Rows, _ = strconv.Atoi(m[5])
	s.Seconds, _ = strconv.ParseFloat(m[6], 64)
	s.RowsPerSec = float64(s.Rows) / s.Seconds
	s.MessagesPerSec = float64(s.Messages) / s.Seconds
	if rm := roleSeedLine.FindStringSubmatch(out); rm != nil {
		s.RoleMembers, _ = strconv.Atoi(rm[1])
		s.RoleThread = rm[2]
	}

	out, err = appCmd(bin, dataDir, "messaging", "recount")
	if err != nil {
		return s, err
	}
	s.RecountFixed, err = recountFixed(out)
	return s, err
}

// recountFixed reads the number of fixes from "messaging recount"'s output.
func recountFixed(out string) (int, error) {
	rm := regexp.MustCompile(`(\d+) unread count\(s\) fixed`).FindStringSubmatch(out)
	if rm == nil {
		return 0, fmt.Errorf("unexpected recount output: %s", out)
	}
	return strconv.Atoi(rm[1])
}

// setupReference creates the superuser and the bare reference collection
// (bench_notes, filled with a copy of the seeded messages) in dataDir.
func setupReference(bin, dir, dataDir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "pb_migrations"), 0o755); err != nil {
		return err
	}
	if _, err := appCmd(bin, dataDir, "superuser", "upsert", superuserEmail, superuserPassword); err != nil {
		return err
	}
	// Written after seeding: seed runs all migrations first, and this one
	// copies the messages.
	if err := os.WriteFile(filepath.Join(dir, "pb_migrations", "1900000000_bench_notes.js"), []byte(benchNotesMigration), 0o644); err != nil {
		return err
	}
	// Applied now, in its own process: copying the messages leaves a big
	// WAL that would slow the first measures down until checkpointed;
	// the process checkpoints it on exit.
	_, err := appCmd(bin, dataDir, "migrate", "up")
	return err
}

// benchNotesMigration is the reference: a bare PocketBase collection with
// the same members-only rule written in the back-relation form, filled
// with a copy of the seeded messages. It lives in the bench's own
// pb_migrations (next to its --dir), never in the plugin; the app's jsvm
// runs it when "serve" starts.
const benchNotesMigration = `/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const rule = "@request.auth.id != '' && thread.thread_members_via_thread.user ?= @request.auth.id";
  const threads = app.findCollectionByNameOrId("threads");
  const users = app.findCollectionByNameOrId("users");
  const c = new Collection({
    type: "base",
    name: "bench_notes",
    listRule: rule,
    viewRule: rule,
    createRule: rule + " && author = @request.auth.id",
    fields: [
      { name: "thread", type: "relation", collectionId: threads.id, maxSelect: 1, required: true },
      { name: "author", type: "relation", collectionId: users.id, maxSelect: 1 },
      { name: "body", type: "text", max: 1000000 },
      { name: "created", type: "autodate", onCreate: true },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
    indexes: ["CREATE INDEX idx_bench_notes_thread_created ON bench_notes (thread, created)"],
  });
  app.save(c);
  app.db().newQuery("INSERT INTO bench_notes (id, thread, author, body, created, updated) " +
    "SELECT id, thread, author, body, created, updated FROM messages").execute();
}, (app) => {
  app.delete(app.findCollectionByNameOrId("bench_notes"));
});
`

type server struct {
	cmd  *exec.Cmd
	base string
	log  *os.File
	done chan error
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs "serve" on a free loopback port and waits for health.
func startServer(ctx context.Context, bin, dataDir string, env []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logf, err := os.Create(filepath.Join(filepath.Dir(dataDir), "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--http", addr, "--dir", dataDir, "--dev=false", "--hooksWatch=false")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, log: logf, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			logf.Close()
			return nil, fmt.Errorf("server exited: %v (see %s)", err, logf.Name())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(s.base + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, errors.New("server did not become healthy in 3 minutes")
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.log.Close()
}

// memory returns the server's VmRSS, VmHWM (peak) and, of VmRSS, the
// anonymous part (heap, stacks: what connections cost) and the file-backed
// part (mostly the memory-mapped database, which the kernel can reclaim),
// in MB.
func (s *server) memory() (rss, peak, anon, file float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		case "RssAnon:":
			anon = kb / 1024
		case "RssFile:":
			file = kb / 1024
		}
	}
	return rss, peak, anon, file
}

// profile saves a CPU profile of the server's measuring window (after the
// warm-up) to path; the returned channel closes when it is written.
func profile(ctx context.Context, pprofAddr string, d time.Duration, path string, logf func(string, ...any)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-time.After(min(d/5, 2*time.Second)):
		case <-ctx.Done():
			return
		}
		secs := max(1, int(d.Seconds()))
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, secs))
		if err != nil {
			logf("profile: %v", err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			logf("profile: %v", err)
			return
		}
		defer f.Close()
		if _, err := io.Copy(f, resp.Body); err != nil {
			logf("profile: %v", err)
		}
	}()
	return done
}

// profileEnv is the server's environment for a measure: with -profile,
// a pprof listener on a free loopback port, whose address it returns.
func profileEnv(cfg config) (env []string, pprofAddr string, err error) {
	if !cfg.Profile {
		return nil, "", nil
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	pprofAddr = "127.0.0.1:" + fmt.Sprint(port)
	return []string{"MSGBENCH_PPROF=" + pprofAddr}, pprofAddr, nil
}

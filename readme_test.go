package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReadmeWalkthrough runs the README's curl walkthrough, exactly as
// written but for the port, against the real binary, so the README can't
// drift from what the app does.
func TestReadmeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and serves the app")
	}
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (test.sh installs it): %v", tool, err)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile("(?s)## Walkthrough with curl.*?```sh\n(.*?)```").FindSubmatch(readme)
	if section == nil {
		t.Fatal("no walkthrough block in README.md")
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "pbmessaging")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var serveLog bytes.Buffer
	srv := exec.CommandContext(ctx, bin, "serve", "--http", addr, "--dir", filepath.Join(dir, "pb_data"))
	srv.Stdout, srv.Stderr = &serveLog, &serveLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = srv.Wait() }()
	waitHealthy(t, "http://"+addr)

	script := strings.Replace(string(section[1]), "B=http://127.0.0.1:8090", "B=http://"+addr, 1)
	cmd := exec.Command("bash", "-eo", "pipefail", "-c", script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s\nserver log:\n%s", err, out, serveLog.String())
	}
	got := string(out)
	for _, want := range []string{
		`{"threads":1,"messages":1}`,
		`"body": "Count me in!"`,
		`{"threads":1,"messages":2}`,
		`"unread": 2`,
		`"Climbing on Saturday?"`,
		`"message":"Unable to send message."`,
		"Carol left the conversation.",
		`"status":404`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("walkthrough output lacks %s\n%s", want, got)
		}
	}
	if n := strings.Count(got, "204\n"); n != 2 {
		t.Errorf("want two 204 answers (unblock, leave), got %d\n%s", n, got)
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

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("server did not become healthy")
}

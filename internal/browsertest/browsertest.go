// Package browsertest runs the web inbox's browser tests (web/e2e, Node
// with playwright-core driving Debian's chromium) against a running app,
// for the Go tests that start one: the app's own (inbox_browser_test.go)
// and the inbox mounted under a sub-path (webinbox).
package browsertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// WebDir is the repository's web/ folder.
func WebDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "web")
}

// Chromium is the browser the tests drive.
const Chromium = "/usr/bin/chromium"

// Require skips the test when a browser test can't run here: in -short
// mode, or without node, chromium or web/node_modules (./test.sh installs
// them all). With BROWSER_TESTS=required, as ./test.sh sets it, a missing
// tool fails the test instead, so that CI can't pass by skipping them.
func Require(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}

	if _, err := exec.LookPath("node"); err != nil {
		skip(t, "no node: ./test.sh installs it")
	}
	if _, err := os.Stat(Chromium); err != nil {
		skip(t, "no "+Chromium+": ./test.sh installs it (apt-get install chromium)")
	}
	if _, err := os.Stat(filepath.Join(WebDir(), "node_modules", "playwright-core")); err != nil {
		skip(t, "no web/node_modules: run npm ci in web/ (./test.sh does)")
	}
}

func skip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("BROWSER_TESTS") == "required" {
		t.Fatal("BROWSER_TESTS=required: " + why)
	}
	t.Skip(why)
}

// Run runs one e2e script of web/e2e with env added (BASE_URL,
// INBOX_URL, …) and fails the test if any of its tests fails. Its output
// (each test, the measured figures) goes to the test log. Screenshots go
// to artifacts/screenshots at the repository's root (ignored by git).
func Run(t *testing.T, script string, env ...string) {
	t.Helper()
	web := WebDir()
	shots, _ := filepath.Abs(filepath.Join(web, "..", "artifacts", "screenshots"))
	cmd := exec.Command("node", "--test-reporter=spec", filepath.Join("e2e", script))
	cmd.Dir = web
	cmd.Env = append(os.Environ(), append([]string{"SCREENSHOTS=" + shots, "CHROMIUM=" + Chromium}, env...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("node e2e/%s:\n%s", script, out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}

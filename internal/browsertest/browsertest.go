// Package browsertest runs the web inbox's browser tests (web/e2e, Node
// with playwright-core driving Debian's chromium) against a running app,
// for the Go tests that start one: the app's own (inbox_browser_test.go)
// and the inbox mounted under a sub-path (webinbox).
package browsertest

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
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
	RunScripts(t, []string{script}, env...)
}

// RunScripts runs several e2e scripts of web/e2e as Run does, in one node
// process and in the order given: the modules they import are loaded
// once (one browser launch for all), and their tests run one after the
// other, file after file, so a later file may build on what an earlier
// one left.
func RunScripts(t *testing.T, scripts []string, env ...string) {
	t.Helper()
	web := WebDir()
	shots, _ := filepath.Abs(filepath.Join(web, "..", "artifacts", "screenshots"))
	// Static imports in one module: every file's tests are registered, in
	// order, before the first one runs. (node --test would run each file
	// in a process of its own, and Node 20 can't turn that off.)
	var imports, names []string
	for _, s := range scripts {
		name := "./" + path.Join("e2e", s)
		imports = append(imports, fmt.Sprintf("import %q;", name))
		names = append(names, name)
	}
	args := []string{"--test-reporter=spec", "--input-type=module", "-e", strings.Join(imports, " ")}
	cmd := exec.Command("node", args...)
	cmd.Dir = web
	cmd.Env = append(os.Environ(), append([]string{"SCREENSHOTS=" + shots, "CHROMIUM=" + Chromium}, env...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("in web/: node %s %q\n%s", strings.Join(args[:3], " "), args[3], out)
	if err != nil {
		t.Fatalf("browser tests failed (%s): %v", strings.Join(names, ", "), err)
	}
}

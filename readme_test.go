//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeBlock returns the first code block of the given language under the
// README heading that starts with heading.
func readmeBlock(t *testing.T, heading, lang string) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)\n## " + regexp.QuoteMeta(heading) + "[^\n]*\n(?:[^#]|#[^#])*?```" + lang + "\n(.*?)```")
	m := re.FindSubmatch(readme)
	if m == nil {
		t.Fatalf("no %s block under %q in README.md", lang, heading)
	}
	return string(m[1])
}

// TestReadmeWalkthrough follows the README in its own order: serve, then
// "messaging seed" (whose demo users are also called Bob and Carol), then
// the curl walkthrough, exactly as written but for the port. The
// walkthrough checks each answer itself and stops at the first one that
// differs, so the README can't drift from what the app does.
func TestReadmeWalkthrough(t *testing.T) {
	bin := appBinary(t)
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (test.sh installs it): %v", tool, err)
		}
	}
	script := readmeBlock(t, "Walkthrough with curl", "sh")

	dataDir := filepath.Join(t.TempDir(), "pb_data")
	p := serve(t, ".", bin, "--dir", dataDir)
	if out, err := exec.Command(bin, "messaging", "seed", "--dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("messaging seed: %v\n%s", err, out)
	}

	script = strings.Replace(script, "B=http://127.0.0.1:8090", "B="+p.base, 1)
	if !strings.Contains(script, "B="+p.base) {
		t.Fatal("the walkthrough no longer sets B=http://127.0.0.1:8090")
	}
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough stopped: %v\n%s\nserver output:\n%s", err, out, p.out)
	}
	if !strings.HasSuffix(string(out), "Every answer was the documented one.\n") {
		t.Fatalf("walkthrough did not finish:\n%s", out)
	}
	if testing.Verbose() {
		t.Logf("walkthrough output:\n%s", out)
	}
}

// TestReadmeGoAPI follows the README's Go API section as a Go developer
// would, in a fresh module: its commands, with its main.go saved where it
// says. The one change: "go get …@latest" becomes a replace directive to
// this checkout, so the test checks the code at hand rather than a
// published version. The app built from it must then serve the plugin and
// the README's own route.
func TestReadmeGoAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a fresh module; go mod tidy may use the module proxy")
	}
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	mainGo := readmeBlock(t, "Go API", "go")
	if !strings.HasPrefix(mainGo, "package main\n") {
		t.Fatalf("the Go API section's first go block is not a complete main.go:\n%s", mainGo)
	}
	parent := t.TempDir()
	if err := os.WriteFile(filepath.Join(parent, "main.go.readme"), []byte(mainGo), 0o644); err != nil {
		t.Fatal(err)
	}

	var script []string
	seen := map[string]bool{}
	for _, line := range strings.Split(readmeBlock(t, "Go API", "sh"), "\n") {
		switch {
		case strings.HasSuffix(line, "go get github.com/pbmessaging/pbmessaging@latest"):
			line = "go mod edit -replace github.com/pbmessaging/pbmessaging=" + repo
			seen["go get"] = true
		case strings.HasPrefix(line, "# save the main.go"):
			line = "cp ../main.go.readme main.go"
			seen["main.go"] = true
		case strings.HasSuffix(line, "go run . serve"):
			line = strings.TrimSuffix(line, "go run . serve") + "go build -o mysite ."
			seen["go run"] = true
		case strings.HasSuffix(line, "go mod tidy"):
			seen["go mod tidy"] = true
		}
		script = append(script, line)
	}
	for _, step := range []string{"go get", "main.go", "go mod tidy", "go run"} {
		if !seen[step] {
			t.Fatalf("the Go API section's commands lack the %s step", step)
		}
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.Join(script, "\n"))
	cmd.Dir = parent
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's Go API commands failed: %v\n%s", err, out)
	}

	// The app built from the README serves the plugin and the README's route.
	dir := filepath.Join(parent, "mysite")
	p := serve(t, dir, filepath.Join(dir, "mysite"))
	for _, u := range []string{"alice", "bob"} {
		must(t, 200, "POST", p.base+"/api/collections/users/records", "", map[string]string{
			"email": u + "@example.com", "password": "secret-pass-1", "passwordConfirm": "secret-pass-1", "username": u,
		})
	}
	alice := login(t, p.base, "users", "alice@example.com", "secret-pass-1")
	bob := login(t, p.base, "users", "bob@example.com", "secret-pass-1")
	hello := must(t, 200, "POST", p.base+"/api/hello/bob", alice, nil)
	if hello["thread"] == "" || hello["message"] == "" {
		t.Errorf("POST /api/hello/bob = %v", hello)
	}
	if got := must(t, 200, "GET", p.base+"/api/messaging/unread", bob, nil); got["messages"] != 1.0 {
		t.Errorf("bob's unread after the README route: %v", got)
	}
	must(t, 404, "POST", p.base+"/api/hello/nobody", alice, nil)
	p.stop(t)
	if !strings.Contains(p.out.String(), "new message in thread") {
		t.Errorf("the README's OnMessageSent handler did not run:\n%s", p.out)
	}
}

// TestReadmeStaffWalkthrough follows the README's second walkthrough: a
// fresh pb_data seeded with the demo and a role of 10,000, the app
// serving it, and the script, exactly as written but for the port and
// the app's commands ("go run ." becomes the built binary on the same
// data dir).
func TestReadmeStaffWalkthrough(t *testing.T) {
	bin := appBinary(t)
	script := readmeBlock(t, "Walkthrough: roles, moderation and oversight", "sh")
	dataDir := filepath.Join(t.TempDir(), "pb_data")
	if out, err := exec.Command(bin, "messaging", "seed", "--role", "support", "--role-members", "10000", "--dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("messaging seed: %v\n%s", err, out)
	}
	p := serve(t, ".", bin, "--dir", dataDir)
	for old, repl := range map[string]string{
		"B=http://127.0.0.1:8090": "B=" + p.base,
		`APP="go run ."`:          `APP="` + bin + ` --dir ` + dataDir + `"`,
	} {
		if !strings.Contains(script, old) {
			t.Fatalf("the walkthrough no longer says %s", old)
		}
		script = strings.Replace(script, old, repl, 1)
	}
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough stopped: %v\n%s\nserver output:\n%s", err, out, p.out)
	}
	if !strings.HasSuffix(string(out), "Every answer was the documented one.\n") {
		t.Fatalf("walkthrough did not finish:\n%s", out)
	}
}

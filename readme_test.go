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

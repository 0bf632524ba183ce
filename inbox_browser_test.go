package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/internal/browsertest"
)

// TestInboxInBrowser runs the web inbox's browser tests (web/e2e) against
// the app as a site owner runs it, with a thread of 10,000 messages seeded
// for the thread-open timing.
func TestInboxInBrowser(t *testing.T) {
	browsertest.Require(t)
	bin := appBinary(t)
	dir := t.TempDir()
	seed := exec.Command(bin, "messaging", "seed", "--dir", filepath.Join(dir, "pb_data"),
		"--users", "2", "--threads", "1", "--messages", "10000", "--max-members", "2", "--password", "big-thread-1")
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	// A superuser changes site settings in the tests (text format, message order).
	su := exec.Command(bin, "superuser", "upsert", "root@example.com", "browser-root-1", "--dir", filepath.Join(dir, "pb_data"))
	if out, err := su.CombinedOutput(); err != nil {
		t.Fatalf("superuser: %v\n%s", err, out)
	}
	p := serve(t, dir, bin)
	token := login(t, p.base, "users", "user1@example.com", "big-thread-1")
	root := login(t, p.base, "_superusers", "root@example.com", "browser-root-1")
	inbox := must(t, 200, "GET", p.base+"/api/messaging/threads", token, nil)
	big := inbox["items"].([]any)[0].(map[string]any)["id"].(string)

	// One node process and one browser for all the files, in this order:
	// inbox-live starts the conversation the later files use, and checks
	// badge counts that only hold before the others have run.
	browsertest.RunScripts(t, e2eFiles(t, []string{
		"inbox-live.e2e.mjs", "thread.e2e.mjs", "messages.e2e.mjs", "search.e2e.mjs", "a11y.e2e.mjs", "requests.e2e.mjs", "bigthread.e2e.mjs",
		"bulk.e2e.mjs", "biggroup.e2e.mjs", "announce.e2e.mjs", "moderation.e2e.mjs",
	}),
		"BASE_URL="+p.base, "INBOX_URL="+p.base+"/", "SUPERUSER_TOKEN="+root,
		"BIG_THREAD="+big, "BIG_USER=user1@example.com", "BIG_PASSWORD=big-thread-1")
}

// e2eFiles is the list of browser test files to run: all of them, or
// those E2E_FILES names (comma-separated, e.g. E2E_FILES=bulk.e2e.mjs), in
// the order given there. E2E_FILES may also name a file left out of the
// default run.
func e2eFiles(t *testing.T, all []string) []string {
	only := strings.TrimSpace(os.Getenv("E2E_FILES"))
	if only == "" {
		return all
	}
	var files []string
	for f := range strings.SplitSeq(only, ",") {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	t.Logf("E2E_FILES: running only %s", strings.Join(files, ", "))
	return files
}

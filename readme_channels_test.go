package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeChannelExamples builds the Go code of the README's "Webhooks
// and other channels" section as written: the receiver's verify function
// and the complete program registering a channel, so neither drifts from
// the API.
func TestReadmeChannelExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile(`(?s)\n### Webhooks and other channels\n(.*?)\n## `).FindSubmatch(readme)
	if section == nil {
		t.Fatal("no Webhooks and other channels section")
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(section[1], -1)
	var verify, program string
	for _, b := range blocks {
		switch code := string(b[1]); {
		case strings.HasPrefix(code, "func verify("):
			verify = code
		case strings.HasPrefix(code, "package main\n"):
			program = code
		}
	}
	if verify == "" || program == "" {
		t.Fatalf("the section lacks the verify function or the complete program (%d go blocks)", len(blocks))
	}
	dir, err := os.MkdirTemp(".", "_readme_channels")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	verifyFile := "package main\n\nimport (\n\t\"crypto/hmac\"\n\t\"crypto/sha256\"\n\t\"encoding/hex\"\n\t\"errors\"\n\t\"io\"\n" +
		"\t\"net/http\"\n\t\"strconv\"\n\t\"strings\"\n\t\"time\"\n)\n\nvar _ = verify\n\n" + verify
	for name, code := range map[string]string{"main.go": program, "verify.go": verifyFile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", "./"+filepath.Base(dir))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's channel examples don't build: %v\n%s", err, out)
	}
}

// TestReadmeRecipientTypeExample builds the complete main.go of the
// README's recipient types ("everyone in this project") with go vet, in a
// folder of this module (so it uses this checkout), as the channel
// examples are built.
func TestReadmeRecipientTypeExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile(`(?s)\n## Messages to roles, announcements and recipient types\n(.*?)\n## `).FindSubmatch(readme)
	if section == nil {
		t.Fatal("no Messages to roles section")
	}
	var program string
	for _, b := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(section[1], -1) {
		if code := string(b[1]); strings.HasPrefix(code, "package main\n") && strings.Contains(code, "RegisterRecipientType") {
			program = code
		}
	}
	if program == "" {
		t.Fatal("the section lacks the complete recipient-type program")
	}
	dir, err := os.MkdirTemp(".", "_readme_recipients")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "vet", "./"+filepath.Base(dir)).CombinedOutput(); err != nil {
		t.Fatalf("the README's recipient-type example doesn't build: %v\n%s", err, out)
	}
}

package messaging_test

import (
	"bytes"
	"image"
	"image/png"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/filesystem"
)

// upload is one file part of a multipart request.
type upload struct {
	name string
	data []byte
}

// pngData is a real 40x30 PNG, so that PocketBase can make thumbnails.
func pngData(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 40, 30))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	pdfData  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	htmlData = []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
)

// withFiles makes s a multipart/form-data request with the given form
// values (repeated keys for lists) and "files" parts.
func withFiles(t testing.TB, s tests.ApiScenario, values [][2]string, files ...upload) tests.ApiScenario {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range values {
		if err := w.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range files {
		part, err := w.CreateFormFile("files", u.name)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(u.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s.Body = &buf
	headers := map[string]string{"Content-Type": w.FormDataContentType()}
	for k, v := range s.Headers {
		headers[k] = v
	}
	s.Headers = headers
	return s
}

// goFile is an in-memory file for the Go API.
func goFile(t testing.TB, name string, data []byte) *filesystem.File {
	t.Helper()
	f, err := filesystem.NewFileFromBytes(data, name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// storedFiles lists every file under the messages collection's storage
// directory (local disk, PocketBase's default), thumbnails included.
func storedFiles(t testing.TB, app core.App) []string {
	t.Helper()
	col, err := app.FindCollectionByNameOrId(messaging.CollectionNameMessages)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(app.DataDir(), "storage", col.Id)
	var out []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		// .attrs files are the local driver's metadata of each file.
		if !d.IsDir() && !strings.HasSuffix(d.Name(), ".attrs") {
			rel, _ := filepath.Rel(root, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nothingWritten checks after a refused request that no message was added
// and no file reached storage.
func nothingWritten(f *fixture, s tests.ApiScenario) tests.ApiScenario {
	f.t.Helper()
	before, err := f.app.CountRecords(messaging.CollectionNameMessages)
	if err != nil {
		f.t.Fatal(err)
	}
	s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords(messaging.CollectionNameMessages); n != before {
			t.Errorf("messages: %d, want %d", n, before)
		}
		if files := storedFiles(t, app); len(files) != 0 {
			t.Errorf("orphan files in storage: %v", files)
		}
	}
	return s
}

// setSettings saves fields on the settings record, as a site owner would.
func (f *fixture) setSettings(values map[string]any) {
	f.t.Helper()
	r, err := f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range values {
		r.Set(k, v)
	}
	if err := f.app.Save(r); err != nil {
		f.t.Fatal(err)
	}
}

// fileURL is the relative URL of a message's first file, and the path of
// the stored file.
func (f *fixture) fileURL(msg *core.Record) (url, path string) {
	f.t.Helper()
	names := msg.GetStringSlice("files")
	if len(names) == 0 {
		f.t.Fatalf("message %s has no files", msg.Id)
	}
	url = "/api/files/" + msg.Collection().Id + "/" + msg.Id + "/" + names[0]
	return url, filepath.Join(f.app.DataDir(), "storage", msg.BaseFilesPath(), names[0])
}

// fileToken is a file token for the named user ("superuser" too).
func (f *fixture) fileToken(name string) string {
	f.t.Helper()
	rec := f.users[name]
	if name == "superuser" {
		f.token("superuser")
		var err error
		if rec, err = f.app.FindAuthRecordByEmail(core.CollectionNameSuperusers, "root@example.com"); err != nil {
			f.t.Fatal(err)
		}
	}
	tok, err := rec.NewFileToken()
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

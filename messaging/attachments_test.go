package messaging_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/filesystem"
)

// Sending files through the messaging API: every refusal is a 400 on
// "files" (or the usual 403/404) with no message and no stored file.
func TestAttachments_Send(t *testing.T) {
	t.Parallel()
	reply := func(f *fixture, who, thread string, values [][2]string, files ...upload) tests.ApiScenario {
		return withFiles(f.t, f.as(who, http.MethodPost, threadURL(thread, "/messages"), nil), values, files...)
	}
	body := func(b string) [][2]string { return [][2]string{{"body", b}} }
	runCases(t, []apiCase{
		worldCase("image and pdf, empty body → 200 with files and a thumb for the image", func(f *fixture, w world) tests.ApiScenario {
			s := expect(reply(f, "bob", w.group, body(""), upload{"photo.png", pngData(f.t)}, upload{"doc.pdf", pdfData}), 200,
				[]string{`"body":""`, `"files":[{"name":"photo_`, `.png?thumb=100x100"}`, `"name":"doc_`, `.pdf","thumb":""}`})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if files := storedFiles(t, app); len(files) != 2 {
					t.Errorf("stored files: %v", files)
				}
			}
			return s
		}),
		worldCase("no body and no file → 400 empty_body", func(f *fixture, w world) tests.ApiScenario {
			return nothingWritten(f, expect(reply(f, "bob", w.group, body("  ")), 400, []string{fieldError("body", "empty_body")}))
		}),
		worldCase("more files than max_attachments → 400 too_many_files", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"max_attachments": 2})
			return nothingWritten(f, expect(reply(f, "bob", w.group, body("three"),
				upload{"a.txt", []byte("a")}, upload{"b.txt", []byte("b")}, upload{"c.txt", []byte("c")}), 400,
				[]string{fieldError("files", "too_many_files"), `at most 2 files`}))
		}),
		worldCase("file over max_attachment_size → 400 file_too_large", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"max_attachment_size": 100})
			return nothingWritten(f, expect(reply(f, "bob", w.group, body("big"), upload{"big.txt", bytes.Repeat([]byte("x"), 101)}), 400,
				[]string{fieldError("files", "file_too_large"), `the limit is 100 bytes`}))
		}),
		worldCase("file at max_attachment_size → 200", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"max_attachment_size": 100})
			return expect(reply(f, "bob", w.group, body("fits"), upload{"ok.txt", bytes.Repeat([]byte("x"), 100)}), 200,
				[]string{`"name":"ok`})
		}),
		worldCase("HTML named .png (type from the content) → 400 file_type", func(f *fixture, w world) tests.ApiScenario {
			return nothingWritten(f, expect(reply(f, "bob", w.group, body("look"), upload{"photo.png", htmlData}), 400,
				[]string{fieldError("files", "file_type"), `(text/html)`}))
		}),
		worldCase("a type the site owner left out → 400 file_type", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"attachment_types": []string{"image/*"}})
			return nothingWritten(f, expect(reply(f, "bob", w.group, body("pdf"), upload{"doc.pdf", pdfData}), 400,
				[]string{fieldError("files", "file_type"), `(application/pdf)`}))
		}),
		worldCase("image/* pattern lets a png through", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"attachment_types": []string{"image/*"}})
			return expect(reply(f, "bob", w.group, body("png"), upload{"p.png", pngData(f.t)}), 200, []string{`"name":"p`})
		}),
		worldCase("attachments off (-1) → 400 attachments_off", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"max_attachments": -1})
			return nothingWritten(f, expect(reply(f, "bob", w.group, body("hi"), upload{"a.txt", []byte("a")}), 400,
				[]string{fieldError("files", "attachments_off")}))
		}),
		worldCase("attachments off: text still goes", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"max_attachments": -1})
			return expect(reply(f, "bob", w.group, body("just text")), 200, []string{`"body":"just text"`, `"files":[]`})
		}),
		worldCase("non-member with a file → 404, nothing stored", func(f *fixture, w world) tests.ApiScenario {
			return nothingWritten(f, expect(reply(f, "dave", w.group, body("x"), upload{"a.txt", []byte("a")}), 404,
				[]string{notFoundBody}))
		}),
		worldCase("blocked sender with a file → 403, nothing stored", func(f *fixture, w world) tests.ApiScenario {
			return nothingWritten(f, expect(reply(f, "erin", w.blocked, body("x"), upload{"a.png", pngData(f.t)}), 403,
				[]string{refusedBody}))
		}),
		worldCase("start with files (multipart recipients) → 200", func(f *fixture, w world) tests.ApiScenario {
			s := withFiles(f.t, f.as("alice", http.MethodPost, "/api/messaging/threads", nil),
				[][2]string{{"recipients", f.id("carol")}, {"recipients", f.id("dave")}, {"subject", "pics"}},
				upload{"a.png", pngData(f.t)})
			return expect(s, 200, []string{`"subject":"pics"`, `"body":""`, `"files":[{"name":"a`})
		}),
		worldCase("start with a bad file → 400, no thread, nothing stored", func(f *fixture, w world) tests.ApiScenario {
			s := withFiles(f.t, f.as("alice", http.MethodPost, "/api/messaging/threads", nil),
				[][2]string{{"recipients", f.id("carol")}, {"recipients", f.id("dave")}, {"body", "hi"}},
				upload{"a.png", htmlData})
			return countIs(expect(s, 400, []string{fieldError("files", "file_type")}), messaging.CollectionNameThreads, 4)
		}),
		// The default limits (5 × 10 MB) allow more than PocketBase's
		// global 32 MB request body limit.
		worldCase("4 × 9 MB (over PocketBase's 32 MB default body limit) → 200", func(f *fixture, w world) tests.ApiScenario {
			big := bytes.Repeat([]byte("y"), 9<<20)
			return expect(reply(f, "bob", w.group, body("big"), upload{"1.txt", big}, upload{"2.txt", big},
				upload{"3.txt", big}, upload{"4.txt", big}), 200, []string{`"name":"4`})
		}),
		worldCase("body over the largest allowed upload → 413", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"max_attachments": 1, "max_attachment_size": 1000})
			// 32 MB + 1000 bytes is the limit in force now.
			return nothingWritten(f, expect(reply(f, "bob", w.group, body("big"), upload{"1.txt", bytes.Repeat([]byte("z"), 33<<20)}),
				413, []string{`"status":413`}))
		}),
	})
}

// The records and batch APIs pass the same record hooks.
func TestAttachments_RecordsAPI(t *testing.T) {
	t.Parallel()
	create := func(f *fixture, who, thread string, files ...upload) tests.ApiScenario {
		return withFiles(f.t, f.as(who, http.MethodPost, recordsURL(messaging.CollectionNameMessages, ""), nil),
			[][2]string{{"thread", thread}, {"body", ""}}, files...)
	}
	runCases(t, []apiCase{
		worldCase("member creates with a file and no body → 200", func(f *fixture, w world) tests.ApiScenario {
			return expect(create(f, "bob", w.group, upload{"a.png", pngData(f.t)}), 200, []string{`"files":["a`})
		}),
		worldCase("too many files → 400 on files", func(f *fixture, w world) tests.ApiScenario {
			f.setSettings(map[string]any{"max_attachments": 1})
			return nothingWritten(f, expect(create(f, "bob", w.group, upload{"a.txt", []byte("a")}, upload{"b.txt", []byte("b")}), 400,
				[]string{fieldError("files", "too_many_files")}))
		}),
		worldCase("fake extension → 400 on files", func(f *fixture, w world) tests.ApiScenario {
			return nothingWritten(f, expect(create(f, "bob", w.group, upload{"a.pdf", htmlData}), 400,
				[]string{fieldError("files", "file_type")}))
		}),
		worldCase("the author adds a file to a sent message → 400 files_fixed", func(f *fixture, w world) tests.ApiScenario {
			msg, err := f.pm.SendFiles(f.id("bob"), w.group, "see", []*filesystem.File{goFile(f.t, "a.txt", []byte("a"))})
			f.must(err)
			s := withFiles(f.t, f.as("bob", http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+msg.Id), nil),
				nil, upload{"b.txt", []byte("b")})
			return expect(s, 400, []string{fieldError("files", "files_fixed")})
		}),
		worldCase("the author removes a file from a sent message → 400 files_fixed", func(f *fixture, w world) tests.ApiScenario {
			msg, err := f.pm.SendFiles(f.id("bob"), w.group, "see", []*filesystem.File{goFile(f.t, "a.txt", []byte("a"))})
			f.must(err)
			return expect(f.as("bob", http.MethodPatch, recordsURL(messaging.CollectionNameMessages, "/"+msg.Id),
				map[string]any{"files-": msg.GetStringSlice("files")}), 400, []string{fieldError("files", "files_fixed")})
		}),
		worldCase("batch create over the size limit → 400, nothing stored", func(f *fixture, w world) tests.ApiScenario {
			f.enableBatch()
			f.setSettings(map[string]any{"max_attachment_size": 10})
			s := withFiles(f.t, f.as("bob", http.MethodPost, "/api/batch", nil), [][2]string{{"@jsonPayload",
				`{"requests":[{"method":"POST","url":"/api/collections/messages/records","body":{"thread":"` + w.group + `","body":"b"}}]}`}})
			s = withBatchFile(f.t, s, "requests.0.files", upload{"big.txt", bytes.Repeat([]byte("x"), 11)})
			return nothingWritten(f, expect(s, 400, []string{`"code":"validation_messaging_file_too_large"`}))
		}),
	})
}

// withBatchFile rebuilds s's multipart body with one file under key (the
// batch API names files "requests.N.field").
func withBatchFile(t testing.TB, s tests.ApiScenario, key string, u upload) tests.ApiScenario {
	t.Helper()
	raw, _ := readAll(s)
	ct := s.Headers["Content-Type"]
	boundary := ct[strings.Index(ct, "boundary=")+len("boundary="):]
	closing := "--" + boundary + "--"
	head := strings.TrimSuffix(strings.TrimSpace(raw), closing)
	part := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + key + "\"; filename=\"" + u.name +
		"\"\r\nContent-Type: application/octet-stream\r\n\r\n" + string(u.data) + "\r\n" + closing + "\r\n"
	s.Body = strings.NewReader(head + part)
	return s
}

func readAll(s tests.ApiScenario) (string, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(s.Body)
	return buf.String(), err
}

// Only current members of the thread get a message's file, and only with
// their own file token; PocketBase answers 404 to everyone else.
func TestAttachments_FileAccess(t *testing.T) {
	t.Parallel()
	// setup: alice posts an image in the group (alice, bob; carol left).
	setup := func(f *fixture) (world, *core.Record, string) {
		w := f.world()
		msg, err := f.pm.SendFiles(f.id("alice"), w.group, "", []*filesystem.File{goFile(f.t, "pic.png", pngData(f.t))})
		f.must(err)
		url, _ := f.fileURL(msg)
		return w, msg, url
	}
	get := func(f *fixture, url, tokenOf string) tests.ApiScenario {
		if tokenOf != "" {
			sep := "?"
			if strings.Contains(url, "?") {
				sep = "&"
			}
			url += sep + "token=" + f.fileToken(tokenOf)
		}
		return f.as("", http.MethodGet, url, nil)
	}
	denied := func(name, who, suffix string) apiCase {
		return apiCase{name: name, build: func(f *fixture) tests.ApiScenario {
			_, _, url := setup(f)
			return expect(get(f, url+suffix, who), 404, []string{`"status":404`}, "PNG")
		}}
	}
	runCases(t, []apiCase{
		{name: "member with token → 200", build: func(f *fixture) tests.ApiScenario {
			_, _, url := setup(f)
			return expect(get(f, url, "bob"), 200, []string{"PNG"})
		}},
		{name: "member gets the thumbnail, generated on request", build: func(f *fixture) tests.ApiScenario {
			_, _, url := setup(f)
			s := expect(get(f, url+"?thumb=100x100", "bob"), 200, []string{"PNG"})
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				var thumbs int
				for _, p := range storedFiles(t, app) {
					if strings.Contains(p, "thumbs_") && strings.Contains(p, "100x100_") {
						thumbs++
					}
				}
				if thumbs != 1 {
					t.Errorf("no 100x100 thumbnail stored: %v", storedFiles(t, app))
				}
			}
			return s
		}},
		{name: "member with a token from POST /api/files/token → 200", build: func(f *fixture) tests.ApiScenario {
			_, _, url := setup(f)
			return expect(f.as("", http.MethodGet, url, nil), 200, []string{"PNG"})
		}, before: func(t testing.TB, f *fixture, e *core.ServeEvent, s *tests.ApiScenario) {
			var tok struct {
				Token string `json:"token"`
			}
			decodeBytes(t, serve(t, e, http.MethodPost, "/api/files/token", f.token("bob")), &tok)
			s.URL += "?token=" + tok.Token
		}},
		denied("member without a token → 404", "", ""),
		denied("non-member with own token → 404", "dave", ""),
		denied("left member → 404", "carol", ""),
		denied("blocked and not a member → 404", "erin", ""),
		denied("non-member's thumbnail → 404", "dave", "?thumb=100x100"),
		denied("anonymous thumbnail → 404", "", "?thumb=100x100"),
		{name: "auth token instead of a file token → 404", build: func(f *fixture) tests.ApiScenario {
			_, _, url := setup(f)
			return expect(f.as("", http.MethodGet, url+"?token="+f.token("bob")["Authorization"], nil), 404, []string{`"status":404`}, "PNG")
		}},
		{name: "deleted message's file → 404, gone from storage", build: func(f *fixture) tests.ApiScenario {
			_, msg, url := setup(f)
			_, path := f.fileURL(msg)
			f.must(f.pm.DeleteMessage(f.id("alice"), msg.Id))
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				f.t.Errorf("stored file survived the soft delete: %v", err)
			}
			return expect(get(f, url, "bob"), 404, []string{`"status":404`}, "PNG")
		}},
	})
}

// A soft delete empties files (PocketBase deletes them and their
// thumbnails from storage after the commit); views show none.
func TestAttachments_SoftDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")
	msg, err := f.pm.SendFiles(f.id("bob"), thread.Id, "see", []*filesystem.File{goFile(t, "p.png", pngData(t))})
	f.must(err)
	if n := len(storedFiles(t, f.app)); n != 1 {
		t.Fatalf("stored: %d files", n)
	}
	page, err := f.pm.Messages(f.id("alice"), thread.Id, "", 10)
	f.must(err)
	if len(page.Items[0].Files) != 1 || page.Items[0].Files[0].Thumb == "" {
		t.Fatalf("files in the list: %+v", page.Items[0].Files)
	}

	f.must(f.pm.DeleteMessage(f.id("bob"), msg.Id))
	if files := storedFiles(t, f.app); len(files) != 0 {
		t.Errorf("left in storage after the soft delete: %v", files)
	}
	stored, err := f.app.FindRecordById(messaging.CollectionNameMessages, msg.Id)
	f.must(err)
	if got := stored.GetStringSlice("files"); len(got) != 0 {
		t.Errorf("files field after delete: %v", got)
	}
	page, err = f.pm.Messages(f.id("alice"), thread.Id, "", 10)
	f.must(err)
	if !page.Items[0].Deleted || len(page.Items[0].Files) != 0 {
		t.Errorf("deleted message shows files: %+v", page.Items[0])
	}
}

// A settings change applies to the next message, without a restart; the
// settings can't go over the field's ceiling.
func TestAttachments_SettingsTakeEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")
	two := func() []*filesystem.File {
		return []*filesystem.File{goFile(t, "a.txt", []byte("a")), goFile(t, "b.txt", []byte("b"))}
	}
	if _, err := f.pm.SendFiles(f.id("alice"), thread.Id, "", two()); err != nil {
		t.Fatalf("two files under the default: %v", err)
	}
	f.setSettings(map[string]any{"max_attachments": 1})
	if _, err := f.pm.SendFiles(f.id("alice"), thread.Id, "", two()); !errors.Is(err, messaging.ErrInvalid) {
		t.Fatalf("two files over max_attachments 1: %v", err)
	}
	f.setSettings(map[string]any{"max_attachments": 0})
	if _, err := f.pm.SendFiles(f.id("alice"), thread.Id, "", two()); err != nil {
		t.Fatalf("back to the default: %v", err)
	}
	if got := f.pm.Limits(); got.MaxAttachments != 5 || got.MaxAttachmentSize != 10<<20 {
		t.Errorf("limits in force: %+v", got)
	}

	r, err := f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	f.must(err)
	for field, bad := range map[string]any{
		"max_attachments": 11, "max_attachment_size": 26 << 20, "attachment_types": []string{"pdf"},
	} {
		r.Set(field, bad)
		if err := f.app.Save(r); !errors.Is(err, messaging.ErrInvalid) {
			t.Errorf("%s = %v saved: %v", field, bad, err)
		}
		if got := f.pm.Limits(); got.MaxAttachments != 5 || got.MaxAttachmentSize != 10<<20 || len(got.AttachmentTypes) < 5 {
			t.Errorf("%s = %v changed the limits: %+v", field, bad, got)
		}
		r, _ = f.app.FindRecordById(messaging.CollectionNameSettings, "messagingconfig")
	}
}

// Deleting a user keeps their messages readable to the others, body and
// files alike (deletion.go); their soft-deleted messages have no files.
func TestAttachments_UserDeletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")
	kept, err := f.pm.SendFiles(f.id("bob"), thread.Id, "kept", []*filesystem.File{goFile(t, "k.png", pngData(t))})
	f.must(err)
	gone, err := f.pm.SendFiles(f.id("bob"), thread.Id, "gone", []*filesystem.File{goFile(t, "g.png", pngData(t))})
	f.must(err)
	f.must(f.pm.DeleteMessage(f.id("bob"), gone.Id))
	f.must(f.app.Delete(f.users["bob"]))

	files := storedFiles(t, f.app)
	if len(files) != 1 || !strings.HasPrefix(files[0], kept.Id+"/k") {
		t.Errorf("stored after deleting bob: %v", files)
	}
	page, err := f.pm.Messages(f.id("alice"), thread.Id, "", 10)
	f.must(err)
	for _, v := range page.Items {
		if v.ID == kept.Id && (len(v.Files) != 1 || !v.AuthorDeleted) {
			t.Errorf("kept message: %+v", v)
		}
		if v.ID == gone.Id && len(v.Files) != 0 {
			t.Errorf("deleted message shows files: %+v", v)
		}
	}
}

// The live "message" event carries the files; the "deleted" event none.
func TestAttachments_LiveEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	thread, _ := f.start("alice", []string{"bob"}, "", "hi")
	srv := f.serve()
	alice := f.connect(srv, "alice", messaging.RealtimeTopic)
	msg, err := f.pm.SendFiles(f.id("bob"), thread.Id, "", []*filesystem.File{goFile(t, "photo.png", pngData(t))})
	f.must(err)
	want := "/api/files/" + msg.Collection().Id + "/" + msg.Id + "/" + msg.GetStringSlice("files")[0]
	ev := alice.next(t, 5*time.Second)
	files, _ := ev.Data["message"].(map[string]any)["files"].([]any)
	if ev.Data["type"] != "message" || len(files) != 1 || files[0].(map[string]any)["url"] != want ||
		files[0].(map[string]any)["thumb"] != want+"?thumb=100x100" {
		t.Fatalf("message event: %v", ev.Data)
	}
	f.must(f.pm.DeleteMessage(f.id("bob"), msg.Id))
	ev = alice.next(t, 5*time.Second)
	files, _ = ev.Data["message"].(map[string]any)["files"].([]any)
	if ev.Data["type"] != "deleted" || len(files) != 0 {
		t.Fatalf("deleted event: %v", ev.Data)
	}
}

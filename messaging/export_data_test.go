package messaging_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pbmessaging/pbmessaging/messaging"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/filesystem"
)

// (export_test.go is the package's internal test exports; the export's
// tests are here.)

const exportURL = "/api/messaging/export"

// exportDoc is the export's JSON.
type exportDoc struct {
	User    string `json:"user"`
	Threads []struct {
		Thread   messaging.ThreadView    `json:"thread"`
		Messages []messaging.MessageView `json:"messages"`
	} `json:"threads"`
}

// exportOf runs the Go API's export for user and decodes it (failing the
// test on anything but one complete JSON document).
func (f *fixture) exportOf(user string) exportDoc {
	f.t.Helper()
	var buf bytes.Buffer
	f.must(f.pm.Export(f.id(user), &buf))
	var doc exportDoc
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&doc); err != nil || dec.More() {
		f.t.Fatalf("export of %s is not one JSON document (%v): %s", user, err, buf.String())
	}
	return doc
}

// Who exports what: each caller gets exactly what they can read through
// the API, and nobody else's conversations.
func TestExport_Callers(t *testing.T) {
	t.Parallel()
	get := func(f *fixture, who string) tests.ApiScenario { return f.as(who, http.MethodGet, exportURL, nil) }
	runCases(t, []apiCase{
		worldCase("member → own threads and messages, oldest first", func(f *fixture, w world) tests.ApiScenario {
			s := expect(get(f, "alice"), 200, []string{`"user":"` + f.id("alice") + `"`, subjectGroup,
				`"body":"` + bodyGroupAlice + `"`, `"body":"` + bodyGroupBob + `"`, `"body":"` + bodyGroupCarol + `"`,
				`"body":"` + bodyDirectAlice + `"`, `"body":"` + bodyDirectBob + `"`, bodyBlocked, bodyBlockedErin},
				bodyOthers, w.others)
			s.ExpectedEvents = map[string]int{"OnModelUpdate": 0, "OnModelCreate": 0, "OnModelDelete": 0}
			return after(s, func(t testing.TB) {
				doc := f.exportOf("alice")
				if len(doc.Threads) != 3 || doc.Threads[2].Thread.ID != w.group {
					t.Fatalf("threads %+v", doc.Threads)
				}
				var seqs []int
				for _, m := range doc.Threads[2].Messages {
					seqs = append(seqs, m.Seq)
				}
				if len(seqs) != 4 || seqs[0] != 1 || seqs[3] != 4 {
					t.Errorf("group messages by seq %v, want 1..4", seqs)
				}
			})
		}),
		worldCase("left member → not the group they left", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "carol"), 200, []string{`"body":"` + bodyOthers + `"`},
				w.group, subjectGroup, bodyGroupAlice, bodyGroupBob, bodyGroupCarol, bodyDirectAlice)
		}),
		worldCase("non-member of everything → no threads", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "admin"), 200, []string{`"threads":[]`}, allBodies...)
		}),
		worldCase("blocked member → still their own copy of the thread", func(f *fixture, w world) tests.ApiScenario {
			return expect(get(f, "erin"), 200, []string{bodyBlocked, bodyBlockedErin}, bodyGroupAlice, bodyDirectAlice, bodyOthers)
		}),
		worldCase("deleted message → its place, no body", func(f *fixture, w world) tests.ApiScenario {
			f.must(f.pm.DeleteMessage(f.id("bob"), w.directBob.Id))
			return expect(get(f, "alice"), 200, []string{`"id":"` + w.directBob.Id + `"`, `"deleted":true`, bodyDirectAlice},
				bodyDirectBob)
		}),
		worldCase("declined request → left out; pending one → in", func(f *fixture, w world) tests.ApiScenario {
			declined := f.requestFrom("dave")
			f.must(f.pm.DeclineRequest(f.id("alice"), declined))
			tick()
			f.users["erin2"] = f.mustUser("erin2")
			f.start("erin2", []string{"alice"}, "", "first-contact-from-erin2")
			return expect(get(f, "alice"), 200, []string{"first-contact-from-erin2"}, "first-contact-from-dave", declined)
		}),
		worldCase("delete for me → hidden until a new message, then only it", func(f *fixture, w world) tests.ApiScenario {
			_, err := f.pm.BulkAction(f.id("alice"), messaging.BulkDelete, []string{w.direct, w.group}, messaging.BulkOptions{})
			f.must(err)
			f.send("bob", w.group, "after-the-delete")
			return expect(get(f, "alice"), 200, []string{"after-the-delete", bodyBlocked},
				w.direct, bodyDirectAlice, bodyDirectBob, bodyGroupAlice, bodyGroupBob, bodyGroupCarol)
		}),
		worldCase("attachments → names and URLs", func(f *fixture, w world) tests.ApiScenario {
			msg, err := f.pm.SendFiles(f.id("bob"), w.group, "see", []*filesystem.File{goFile(f.t, "plan.txt", []byte("p"))})
			f.must(err)
			name := msg.GetStringSlice("files")[0]
			return expect(get(f, "alice"), 200, []string{name, "/api/files/", `"body":"see"`})
		}),
		worldCase("headers: a JSON download", func(f *fixture, w world) tests.ApiScenario {
			s := expect(get(f, "alice"), 200, []string{`"threads":[`})
			s.AfterTestFunc = func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if res.Header.Get("Content-Type") != "application/json" ||
					!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
					t.Errorf("headers %v", res.Header)
				}
			}
			return s
		}),
	})
}

// A thread longer than a page of the export's reads comes out whole, in
// order, each message once.
func TestExport_Paging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	th, _ := f.start("alice", []string{"bob"}, "", "m0")
	const n = 1200 // over two pages of 500
	for i := 1; i < n; i++ {
		f.send("bob", th.Id, "m")
	}
	doc := f.exportOf("alice")
	if len(doc.Threads) != 1 || len(doc.Threads[0].Messages) != n {
		t.Fatalf("%d threads; messages %d, want %d", len(doc.Threads), len(doc.Threads[0].Messages), n)
	}
	for i, m := range doc.Threads[0].Messages {
		if m.Seq != i+1 {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
	if !strings.Contains(doc.User, f.id("alice")) {
		t.Errorf("user %q", doc.User)
	}
}

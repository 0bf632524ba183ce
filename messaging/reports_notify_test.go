package messaging_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pbmessaging/pbmessaging/messaging"
)

// A new report is one signed POST to the site's webhook, without content.
func TestReports_Webhook(t *testing.T) {
	t.Parallel()
	got := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- r.Header.Get(messaging.WebhookSignatureHeader) + " " + string(body)
	}))
	defer hook.Close()
	f := newFixture(t, messaging.Config{WebhookURL: hook.URL, WebhookSecret: "0123456789abcdef0123"})
	defer f.app.Cleanup()
	w := f.world()
	r := f.report("alice", w.groupBob.Id)
	select {
	case post := <-got:
		if !strings.HasPrefix(post, "t=") || !strings.Contains(post, `"type":"report"`) || !strings.Contains(post, r.ID) ||
			strings.Contains(post, bodyGroupBob) || strings.Contains(post, "rude") {
			t.Errorf("webhook got %s", post)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook POST")
	}
}

// OnReportCreated and OnReportHandled fire once each, after the commit.
func TestReports_Events(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	var seen []string
	f.pm.OnReportCreated().BindFunc(func(e *messaging.ReportEvent) error {
		seen = append(seen, "created:"+e.Report.GetString("state"))
		return e.Next()
	})
	f.pm.OnReportHandled().BindFunc(func(e *messaging.ReportEvent) error {
		seen = append(seen, "handled:"+e.Action+":"+e.Actor.Id)
		return e.Next()
	})
	r := f.report("alice", w.groupBob.Id)
	f.report("alice", w.groupBob.Id) // a repeat fires nothing
	_, err := f.pm.HandleReport(f.users["admin"], r.ID, messaging.ActionDismiss, "fine")
	f.must(err)
	if want := "created:open handled:dismiss:" + f.id("admin"); strings.Join(seen, " ") != want {
		t.Errorf("events %v, want %s", seen, want)
	}
}

// A conversation report holds the reported member's messages in its
// window, and only theirs.
func TestReports_ConversationHold(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	_, err := f.pm.Report(f.id("alice"), messaging.ReportInput{Thread: w.direct, Reason: messaging.ReasonSpam})
	f.must(err)
	if _, err := f.pm.Edit(f.id("bob"), w.directBob.Id, "gone"); !errors.Is(err, messaging.ErrForbidden) {
		t.Errorf("bob's edit: %v", err)
	}
	if _, err := f.pm.Edit(f.id("alice"), w.directAlice.Id, "mine"); err != nil {
		t.Errorf("alice's edit: %v", err)
	}
	later := f.send("bob", w.direct, "after the report")
	if _, err := f.pm.Edit(f.id("bob"), later.Id, "outside the window"); err != nil {
		t.Errorf("bob's later message: %v", err)
	}
}

// Deleting a user clears their ids from reports, drops their suspension
// and leaves the evidence and the audit trail as they were.
func TestReports_UserDeletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	r := f.report("alice", w.groupBob.Id)
	_, err := f.pm.HandleReport(f.users["admin"], r.ID, messaging.ActionSuspend, "abuse")
	f.must(err)
	before := f.reportRow(r.ID)
	f.must(f.app.Delete(f.users["bob"]))
	f.must(f.app.Delete(f.users["alice"]))
	after := f.reportRow(r.ID)
	if after.GetString("author") != "" || after.GetString("reporter") != "" || after.GetString("evidence_hash") != before.GetString("evidence_hash") {
		t.Errorf("report after the deletions %v", after.PublicExport())
	}
	sealedOK(t, after, bodyGroupBob)
	for col, want := range map[string]int{messaging.CollectionNameSuspensions: 0, messaging.CollectionNameAudit: 1} {
		if n, err := f.app.CountRecords(col); err != nil || int(n) != want {
			t.Errorf("%s: %d rows (%v), want %d", col, n, err, want)
		}
	}
}

// The reports migration goes down (collections and settings fields gone)
// and up again, and reports work as before.
func TestSchema_ReportsDownUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, messaging.Config{})
	defer f.app.Cleanup()
	w := f.world()
	f.report("alice", w.groupBob.Id)
	f.must(f.app.RunInTransaction(messaging.MigrateReportsDownForTest))
	for _, c := range []string{messaging.CollectionNameReports, messaging.CollectionNameAudit, messaging.CollectionNameSuspensions} {
		if _, err := f.app.FindCollectionByNameOrId(c); err == nil {
			t.Errorf("down left %s", c)
		}
	}
	settings, err := f.app.FindCollectionByNameOrId(messaging.CollectionNameSettings)
	f.must(err)
	if settings.Fields.GetByName("reports_per_hour") != nil || settings.Fields.GetByName("report_context_messages") != nil {
		t.Error("down left the report settings")
	}
	f.must(f.app.RunInTransaction(messaging.MigrateReportsUpForTest))
	r := f.report("alice", w.groupBob.Id)
	sealedOK(t, f.reportRow(r.ID), bodyGroupBob)
	f.send("bob", w.group, "still sending")
}

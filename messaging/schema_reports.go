package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// Migration of issue 14's reports (reports.go, moderation.go): the reports
// with their sealed evidence, the moderators' audit trail, the staff-only
// messaging suspensions and the two report settings. The three collections
// are superuser-only (every rule nil): members and moderators reach them
// only through the messaging routes, never through the records, batch or
// realtime APIs or an expand. Their ids are text, not relations, so that no
// back-relation filter (users?filter=messaging_reports_via_author…) can
// even name them, and so that a purge or a hard delete of the message or
// thread leaves the report and its evidence as they were.

const reportsMigrationName = "1795000170_messaging_reports.go"

// Collection names of the reports.
const (
	CollectionNameReports     = "messaging_reports"
	CollectionNameAudit       = "messaging_audit"
	CollectionNameSuspensions = "messaging_suspensions"
)

func init() {
	core.AppMigrations.Register(migrateReportsUp, migrateReportsDown, reportsMigrationName)
}

func migrateReportsUp(app core.App) error {
	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	settings.Fields.Add(
		&core.TextField{Name: "reports_per_hour", Max: 5, Pattern: `^[0-9]*$`,
			Help: "Reports a member may file per hour. Empty: the default, 10; 0: no limit."},
		&core.NumberField{Name: "report_context_messages", OnlyInt: true,
			Help: "Messages sealed with a report before and after the reported one (a whole conversation: twice this plus one, the newest). Empty or 0: the default, 5; at most 50."},
	)
	if err := app.Save(settings); err != nil {
		return err
	}

	r := core.NewBaseCollection(CollectionNameReports)
	r.Fields.Add(
		&core.TextField{Name: "reporter", Max: 15, Help: "Who reported (users id); empty once their account is deleted."},
		&core.TextField{Name: "message", Max: 15, Help: "The reported message (messages id); empty for a whole conversation."},
		&core.TextField{Name: "thread", Max: 15, Required: true, Help: "The conversation (threads id)."},
		&core.TextField{Name: "author", Max: 15, Help: "The reported member (users id); empty when nobody in particular, or once their account is deleted."},
		&core.SelectField{Name: "reason", Values: ReportReasons(), MaxSelect: 1, Required: true},
		&core.TextField{Name: "details", Max: maxReportDetails, Help: "The reporter's own words."},
		&core.SelectField{Name: "state", Values: reportStates(), MaxSelect: 1, Required: true},
		&core.SelectField{Name: "outcome", Values: reportOutcomes(), MaxSelect: 1},
		&core.TextField{Name: "handled_by", Max: 15, Help: "The moderator or superuser who handled it (id)."},
		&core.DateField{Name: "handled_at"},
		&core.NumberField{Name: "seq_from", OnlyInt: true, Help: "First seq of the sealed window."},
		&core.NumberField{Name: "seq_to", OnlyInt: true, Help: "Last seq of the sealed window."},
		&core.JSONField{Name: "evidence", MaxSize: 64 << 20,
			Help: "Sealed copy of the reported message, its earlier versions and its neighbours as they were; never changed."},
		&core.TextField{Name: "evidence_hash", Max: 64, Help: "sha256 (hex) of the evidence's canonical JSON."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	r.AddIndex("idx_messaging_reports_queue", false, "state, created, id", "")
	r.AddIndex("idx_messaging_reports_reporter", false, "reporter, created", "")
	r.AddIndex("idx_messaging_reports_message", false, "message", "")
	r.AddIndex("idx_messaging_reports_one", true, "reporter, message", "message != '' AND reporter != ''")
	r.AddIndex("idx_messaging_reports_author", false, "author, thread", "")
	if err := app.Save(r); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameReports, err)
	}

	a := core.NewBaseCollection(CollectionNameAudit)
	a.Fields.Add(
		&core.TextField{Name: "actor", Max: 15, Help: "Who acted (a users or superusers id); empty for server code."},
		&core.TextField{Name: "actor_kind", Max: 20, Help: "user, superuser or system."},
		&core.TextField{Name: "action", Max: 50, Required: true},
		&core.TextField{Name: "target_collection", Max: 50},
		&core.TextField{Name: "target_id", Max: 15},
		&core.TextField{Name: "thread", Max: 15},
		&core.TextField{Name: "reason", Max: maxAuditReason},
		&core.JSONField{Name: "details", MaxSize: 10000, Help: "Ids and states; never message content."},
		&core.AutodateField{Name: "created", OnCreate: true},
	)
	a.AddIndex("idx_messaging_audit_created", false, "created", "")
	a.AddIndex("idx_messaging_audit_target", false, "target_collection, target_id", "")
	if err := app.Save(a); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameAudit, err)
	}

	s := core.NewBaseCollection(CollectionNameSuspensions)
	s.Fields.Add(
		&core.TextField{Name: "user", Max: 15, Required: true, Help: "The suspended member (users id): they may read but not send, start or edit."},
		&core.TextField{Name: "by", Max: 15, Help: "Who suspended them."},
		&core.TextField{Name: "report", Max: 15, Help: "The report that led to it, if any."},
		&core.TextField{Name: "reason", Max: maxAuditReason},
		&core.AutodateField{Name: "created", OnCreate: true},
	)
	s.AddIndex("idx_messaging_suspensions_user", true, "user", "")
	if err := app.Save(s); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameSuspensions, err)
	}
	return nil
}

func migrateReportsDown(app core.App) error {
	for _, name := range []string{CollectionNameSuspensions, CollectionNameAudit, CollectionNameReports} {
		if c, err := app.FindCollectionByNameOrId(name); err == nil {
			if err := app.Delete(c); err != nil {
				return err
			}
		}
	}
	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	settings.Fields.RemoveByName("reports_per_hour")
	settings.Fields.RemoveByName("report_context_messages")
	return app.Save(settings)
}

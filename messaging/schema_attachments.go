package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

const attachmentsMigrationName = "1795000030_messaging_attachments.go"

func init() {
	core.AppMigrations.Register(migrateAttachmentsUp, migrateAttachmentsDown, attachmentsMigrationName)
}

// The files field's own limits are the hard ceiling: PocketBase validates
// them after the plugin's hooks and sizes the records API's request body
// limit from them (MaxSize × MaxSelect + 32 MB), so they are kept modest.
// The site owner's settings (attachments.go) narrow them at run time.
const (
	filesFieldName       = "files"
	filesCeilingCount    = 10
	filesCeilingSize     = 25 << 20
	defaultMaxAttachSize = 10 << 20
	defaultMaxAttachment = 5
)

// attachmentThumbs are the thumbnail sizes PocketBase generates on request
// (?thumb=) for image files.
var attachmentThumbs = []string{"100x100", "480x0"}

// migrateAttachmentsUp adds the protected files field to messages and the
// three attachment settings to messaging_settings.
func migrateAttachmentsUp(app core.App) error {
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	messages.Fields.Add(&core.FileField{
		Name: filesFieldName, MaxSelect: filesCeilingCount, MaxSize: filesCeilingSize,
		Thumbs: attachmentThumbs, Protected: true,
		Help: "Attachments, served only to current members with a file token. Max select, Max size and Mime types " +
			"here are the hard ceiling; messaging_settings sets the limits in force below it.",
	})
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("messaging migration: messages.files: %w", err)
	}

	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	minusOne := -1.0
	settings.Fields.Add(
		&core.NumberField{Name: "max_attachments", OnlyInt: true, Min: types.Pointer(minusOne),
			Help: "Most files per message, at most the files field's Max select (10). Empty or 0: the default, 5. -1: attachments off."},
		&core.NumberField{Name: "max_attachment_size", OnlyInt: true, Min: types.Pointer(0.0),
			Help: "Largest file in bytes (10485760 = 10 MB), at most the files field's Max size (25 MB). Empty or 0: the default, 10 MB."},
		&core.JSONField{Name: "attachment_types", MaxSize: 10000,
			Help: `Allowed file types, detected from the content: e.g. ["image/*","application/pdf"]. ` +
				`Empty: the default (common images, PDF, plain text, CSV, office documents, zip); [] turns attachments off.`},
	)
	if err := app.Save(settings); err != nil {
		return fmt.Errorf("messaging migration: attachment settings: %w", err)
	}
	return nil
}

func migrateAttachmentsDown(app core.App) error {
	if settings, err := app.FindCollectionByNameOrId(CollectionNameSettings); err == nil {
		for _, f := range []string{"max_attachments", "max_attachment_size", "attachment_types"} {
			settings.Fields.RemoveByName(f)
		}
		if err := app.Save(settings); err != nil {
			return err
		}
	}
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil
	}
	messages.Fields.RemoveByName(filesFieldName)
	return app.Save(messages)
}

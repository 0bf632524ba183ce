package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

const formatsMigrationName = "1795000020_messaging_formats.go"

func init() {
	core.AppMigrations.Register(migrateFormatsUp, migrateFormatsDown, formatsMigrationName)
}

// migrateFormatsUp adds messages.html and the text_format setting. The
// messages written before it were plain text: their html is the escaped
// body with its line breaks, in one statement (links in them stay text).
func migrateFormatsUp(app core.App) error {
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	messages.Fields.Add(&core.TextField{Name: "html", Max: 5000000,
		Help: "The body rendered in the site's text format when written; set by the plugin, empty once deleted."})
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("messaging migration: messages.html: %w", err)
	}
	_, err = app.DB().NewQuery(`UPDATE messages SET html = '<p>' || replace(replace(replace(replace(replace(replace(
		body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&#34;'), '''', '&#39;'), char(10), '<br>' || char(10)) || '</p>'
		WHERE NOT deleted AND body != ''`).Execute()
	if err != nil {
		return fmt.Errorf("messaging migration: messages.html: %w", err)
	}

	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	settings.Fields.Add(&core.SelectField{Name: "text_format", Values: []string{FormatPlain, FormatMarkdown}, MaxSelect: 1,
		Help: "How messages are shown: plain text (links made clickable) or Markdown (emphasis, links, lists, code, quotes). Empty: the default, plain. Applies to messages written from now on."})
	return app.Save(settings)
}

func migrateFormatsDown(app core.App) error {
	if settings, err := app.FindCollectionByNameOrId(CollectionNameSettings); err == nil {
		settings.Fields.RemoveByName("text_format")
		if err := app.Save(settings); err != nil {
			return err
		}
	}
	messages, err := app.FindCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil
	}
	messages.Fields.RemoveByName("html")
	return app.Save(messages)
}

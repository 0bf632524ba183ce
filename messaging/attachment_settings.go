package messaging

import (
	"encoding/json/v2"
	"regexp"
	"strconv"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The attachment settings of messaging_settings. The number settings may
// not exceed the files field's ceiling as it is when they are saved (the
// check in attachments.go caps them again, should the ceiling be lowered
// later).

// attachmentCountSetting is max_attachments: 0 or empty for the default,
// -1 for "attachments off", else 1 to the field's MaxSelect.
func attachmentCountSetting() setting {
	return setting{name: "max_attachments", apply: func(app core.App, raw any, l *Limits) (bool, error) {
		f, ok := raw.(float64)
		if !ok || f == 0 {
			return true, nil
		}
		ceiling := filesCeilingCount
		if ff := filesField(app); ff != nil {
			ceiling = max(ff.MaxSelect, 1)
		}
		if f != float64(int(f)) || f < -1 || f > float64(ceiling) {
			return false, validation.NewError("validation_messaging_setting_range",
				"Must be a whole number from 1 to "+strconv.Itoa(ceiling)+
					" (the files field's Max select), 0 for the default or -1 to turn attachments off.")
		}
		l.MaxAttachments = int(f)
		return false, nil
	}}
}

// attachmentSizeSetting is max_attachment_size in bytes: 0 or empty for
// the default, else 1 to the field's MaxSize.
func attachmentSizeSetting() setting {
	return setting{name: "max_attachment_size", apply: func(app core.App, raw any, l *Limits) (bool, error) {
		f, ok := raw.(float64)
		if !ok || f == 0 {
			return true, nil
		}
		ceiling := int64(filesCeilingSize)
		if ff := filesField(app); ff != nil && ff.MaxSize > 0 {
			ceiling = ff.MaxSize
		}
		if f != float64(int64(f)) || f < 1 || f > float64(ceiling) {
			return false, validation.NewError("validation_messaging_setting_range",
				"Must be a whole number of bytes from 1 to "+strconv.FormatInt(ceiling, 10)+
					" (the files field's Max size), or 0 for the default.")
		}
		l.MaxAttachmentSize = int64(f)
		return false, nil
	}}
}

// mimePattern is "type/subtype" or "type/*", lower case.
var mimePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$`)

// attachmentTypesSetting is attachment_types, a JSON list of types and
// "type/*" patterns; null or empty for the default, [] for none (which
// turns attachments off).
func attachmentTypesSetting() setting {
	return setting{name: "attachment_types", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		data, _ := raw.(types.JSONRaw)
		if len(data) == 0 || string(data) == "null" {
			return true, nil
		}
		var list []string
		if err := json.Unmarshal(data, &list); err != nil {
			return false, validation.NewError("validation_messaging_bad_types",
				`A list of file types, such as ["image/*", "application/pdf"], or empty for the default.`)
		}
		clean := make([]string, 0, len(list))
		for _, t := range list {
			t = strings.ToLower(strings.TrimSpace(t))
			if !mimePattern.MatchString(t) {
				return false, validation.NewError("validation_messaging_bad_type",
					"Not a file type: "+strconv.Quote(t)+`; write "type/subtype" or "type/*".`)
			}
			clean = append(clean, t)
		}
		l.AttachmentTypes = clean
		return false, nil
	}}
}

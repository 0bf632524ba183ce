package messaging

import (
	"encoding/json/v2"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
)

// CollectionNameSettings holds the one settings record through which site
// owners change the plugin's limits in the dashboard, without code. An
// empty field falls back to the value in Config.
const CollectionNameSettings = "messaging_settings"

// settingsRecordID is the id of the single settings record.
const settingsRecordID = "messagingconfig"

// Limits are the effective limits and policies: Config, overridden by
// whatever the settings record in the dashboard sets.
type Limits struct {
	MaxGroupSize     int
	MaxBodyLength    int
	SendRoles        []string
	UnblockableRoles []string
}

// Limits returns the limits in force now.
func (m *Messaging) Limits() Limits {
	if l := m.limits.Load(); l != nil {
		return *l
	}
	l := Limits{
		MaxGroupSize:     m.config.MaxGroupSize,
		MaxBodyLength:    m.config.MaxBodyLength,
		SendRoles:        m.config.SendRoles,
		UnblockableRoles: m.config.UnblockableRoles,
	}
	r, err := m.app.FindRecordById(CollectionNameSettings, settingsRecordID)
	if err != nil {
		// Not migrated yet, or removed by a superuser: the config alone
		// (creating the record clears the cache).
		m.limits.Store(&l)
		return l
	}
	if n := r.GetInt("max_group_size"); n >= 2 {
		l.MaxGroupSize = n
	}
	if n := r.GetInt("max_body_length"); n >= 1 {
		l.MaxBodyLength = n
	}
	if roles, ok := roleList(r, "send_roles"); ok {
		l.SendRoles = roles
	}
	if roles, ok := roleList(r, "unblockable_roles"); ok {
		l.UnblockableRoles = roles
	}
	m.limits.Store(&l)
	return l
}

// roleList reads a JSON list of role names; null (unset) means "use the
// config", [] means "none".
func roleList(r *core.Record, field string) ([]string, bool) {
	raw, _ := r.GetRaw(field).(types.JSONRaw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	var roles []string
	if err := json.Unmarshal(raw, &roles); err != nil {
		return nil, false
	}
	return roles, true
}

// bindSettingsHooks keeps the cached limits fresh and the settings record
// single.
func (m *Messaging) bindSettingsHooks() {
	forget := func(e *core.RecordEvent) error {
		m.limits.Store(nil)
		return e.Next()
	}
	m.app.OnRecordAfterCreateSuccess(CollectionNameSettings).Bind(&hook.Handler[*core.RecordEvent]{Id: "__messagingSettingsCreated__", Func: forget})
	m.app.OnRecordAfterUpdateSuccess(CollectionNameSettings).Bind(&hook.Handler[*core.RecordEvent]{Id: "__messagingSettingsUpdated__", Func: forget})
	m.app.OnRecordAfterDeleteSuccess(CollectionNameSettings).Bind(&hook.Handler[*core.RecordEvent]{Id: "__messagingSettingsDeleted__", Func: forget})
	m.app.OnRecordCreate(CollectionNameSettings).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingSettingsSingle__",
		Func: func(e *core.RecordEvent) error {
			if e.Record.Id != settingsRecordID {
				return errInvalid("id", "single_settings", "There is one settings record ("+settingsRecordID+"); edit it instead.")
			}
			return e.Next()
		},
	})
	m.app.OnRecordValidate(CollectionNameSettings).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingSettingsValidate__",
		Func: func(e *core.RecordEvent) error {
			for _, f := range []string{"send_roles", "unblockable_roles"} {
				raw, _ := e.Record.GetRaw(f).(types.JSONRaw)
				if len(raw) == 0 || string(raw) == "null" {
					continue
				}
				var roles []string
				if err := json.Unmarshal(raw, &roles); err != nil {
					return errInvalid(f, "bad_roles", `A list of role names, such as ["admin", "moderator"], or empty for the default.`)
				}
			}
			return e.Next()
		},
	})
}

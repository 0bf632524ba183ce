package messaging

import (
	"encoding/json/v2"
	"slices"
	"strconv"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"
)

// CollectionNameSettings holds the one settings record through which site
// owners change the plugin's limits in the dashboard, without code. An
// empty field falls back to the value in Config; the read-only in_force
// field shows every value in force.
const CollectionNameSettings = "messaging_settings"

// settingsRecordID is the id of the single settings record.
const settingsRecordID = "messagingconfig"

// Limits are the effective limits and policies: Config, overridden by
// whatever the settings record in the dashboard sets.
type Limits struct {
	MaxGroupSize     int      `json:"max_group_size"`
	MaxBodyLength    int      `json:"max_body_length"`
	SendRoles        []string `json:"send_roles"`
	UnblockableRoles []string `json:"unblockable_roles"`
	// TextFormat is FormatPlain or FormatMarkdown.
	TextFormat string `json:"text_format"`
	// EditWindowMinutes is how long an author may edit; -1: never.
	EditWindowMinutes int `json:"edit_window_minutes"`
	// ModeratorRoles may read the earlier versions of edited messages
	// and remove members from any group.
	ModeratorRoles []string `json:"moderator_roles"`
	// MaxAttachments is -1 when attachments are off (see attachments.go).
	MaxAttachments    int      `json:"max_attachments"`
	MaxAttachmentSize int64    `json:"max_attachment_size"`
	AttachmentTypes   []string `json:"attachment_types"`
	// MessageOrder and ComposerPosition are for clients (options.go).
	MessageOrder     string `json:"message_order"`
	ComposerPosition string `json:"composer_position"`
	// Notifications (notify.go): the window in seconds (0: none), the
	// digest's UTC hour, the default email mode and the email templates
	// ("" for the built-in ones, notify_templates.go).
	NotifyDelaySeconds int            `json:"notify_delay_seconds"`
	DigestHour         int            `json:"digest_hour"`
	EmailNotifications string         `json:"email_notifications"`
	EmailTemplates     emailTemplates `json:"email_templates"`
	// The webhook (webhook.go): its URL ("" off), its signing secret
	// (json "-": never in in_force nor any response) and whether its
	// payload carries message text.
	WebhookURL         string `json:"webhook_url"`
	WebhookSecret      string `json:"-"`
	WebhookIncludeText bool   `json:"webhook_include_text"`
	// WhoCanMessage is the mode of members who chose none (reach.go).
	WhoCanMessage string `json:"who_can_message"`
	// Anti-spam (antispam.go): exempt roles and limits, 0 meaning off.
	AntiSpamLimits
	// Reports (reports.go): per member and hour (0: no limit), and the
	// messages sealed on each side of a reported one.
	ReportsPerHour int `json:"reports_per_hour"`
	ReportContext  int `json:"report_context_messages"`
	// Retention of deleted messages (retention.go).
	PrivacyLimits
	// Messages to roles (roles_start.go): who may send them, and the
	// size above which a role is added in the background.
	RoleMessageRoles    []string `json:"role_message_roles"`
	RoleExpandThreshold int      `json:"role_expand_threshold"`
}

// A setting is one field of the settings record: how its stored value is
// checked and where it goes in Limits. Later settings are one more entry
// in the settings table (and a migration adding the field).
type setting struct {
	name string
	// apply reads the raw record value into l. empty reports "not set"
	// (the Config value stays); a non-nil error is the message shown to
	// the site owner.
	apply func(app core.App, raw any, l *Limits) (empty bool, err error)
}

// settings is every setting the dashboard offers.
var settings = []setting{
	intSetting("max_group_size", 2, 1000, func(l *Limits) *int { return &l.MaxGroupSize }),
	intSetting("max_body_length", 1, 1000000, func(l *Limits) *int { return &l.MaxBodyLength }),
	rolesSetting("send_roles", func(l *Limits) *[]string { return &l.SendRoles }),
	rolesSetting("unblockable_roles", func(l *Limits) *[]string { return &l.UnblockableRoles }),
	textFormatSetting,
	editWindowSetting,
	rolesSetting("moderator_roles", func(l *Limits) *[]string { return &l.ModeratorRoles }),
	attachmentCountSetting(),
	attachmentSizeSetting(),
	attachmentTypesSetting(),
	choiceSetting("message_order", messageOrders(), func(l *Limits) *string { return &l.MessageOrder }),
	choiceSetting("composer_position", composerPositions(), func(l *Limits) *string { return &l.ComposerPosition }),
	emailModeSetting,
	notifyDelaySetting,
	digestHourSetting,
	templateSetting("email_subject_template", false, func(t *emailTemplates) *string { return &t.Subject }),
	templateSetting("email_text_template", false, func(t *emailTemplates) *string { return &t.Text }),
	templateSetting("email_html_template", true, func(t *emailTemplates) *string { return &t.HTML }),
	templateSetting("digest_subject_template", false, func(t *emailTemplates) *string { return &t.DigestSubject }),
	templateSetting("digest_text_template", false, func(t *emailTemplates) *string { return &t.DigestText }),
	templateSetting("digest_html_template", true, func(t *emailTemplates) *string { return &t.DigestHTML }),
	webhookSecretSetting,
	webhookURLSetting,
	webhookTextSetting,
	choiceSetting("who_can_message", reachModes(), func(l *Limits) *string { return &l.WhoCanMessage }),
	rolesSetting("trusted_roles", func(l *Limits) *[]string { return &l.TrustedRoles }),
	limitSetting("min_account_age_hours", 8760, func(l *Limits) *int { return &l.MinAccountAgeHours }),
	limitSetting("new_account_days", 365, func(l *Limits) *int { return &l.NewAccountDays }),
	limitSetting("new_account_conversations_per_day", 10000, func(l *Limits) *int { return &l.NewAccountConversationsPerDay }),
	limitSetting("new_account_max_recipients", 1000, func(l *Limits) *int { return &l.NewAccountMaxRecipients }),
	limitSetting("messages_per_minute", 99999, func(l *Limits) *int { return &l.MessagesPerMinute }),
	limitSetting("new_people_per_week", 10000, func(l *Limits) *int { return &l.NewPeoplePerWeek }),
	limitSetting("reports_per_hour", 99999, func(l *Limits) *int { return &l.ReportsPerHour }),
	intSetting("report_context_messages", 1, 50, func(l *Limits) *int { return &l.ReportContext }),
	retentionDaysSetting,
	moderatorsReadDeletedSetting,
	deletedUserMessagesSetting,
	staffNoticeDelaySetting,
	rolesSetting("role_message_roles", func(l *Limits) *[]string { return &l.RoleMessageRoles }),
	intSetting("role_expand_threshold", 1, 1000000, func(l *Limits) *int { return &l.RoleExpandThreshold }),
}

// intSetting is a whole number in [min, max]; 0 or empty means the default.
func intSetting(name string, min, max int, field func(*Limits) *int) setting {
	return setting{name: name, apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		f, ok := raw.(float64)
		if !ok || f == 0 {
			return true, nil
		}
		if f != float64(int(f)) || f < float64(min) || f > float64(max) {
			return false, validation.NewError("validation_messaging_setting_range",
				"Must be a whole number from "+strconv.Itoa(min)+" to "+strconv.Itoa(max)+", or 0 for the default.")
		}
		*field(l) = int(f)
		return false, nil
	}}
}

// rolesSetting is a JSON list of role names, each a value of the users
// roles field; null or empty means the default, [] means "none".
func rolesSetting(name string, field func(*Limits) *[]string) setting {
	return setting{name: name, apply: func(app core.App, raw any, l *Limits) (bool, error) {
		data, _ := raw.(types.JSONRaw)
		if len(data) == 0 || string(data) == "null" {
			return true, nil
		}
		var roles []string
		if err := json.Unmarshal(data, &roles); err != nil {
			return false, validation.NewError("validation_messaging_bad_roles",
				`A list of role names, such as ["admin", "moderator"], or empty for the default.`)
		}
		known := knownRoles(app)
		for _, r := range roles {
			if strings.TrimSpace(r) == "" || (known != nil && !slices.Contains(known, r)) {
				return false, validation.NewError("validation_messaging_unknown_role",
					"Unknown role "+strconv.Quote(r)+": add it to the roles field of users first.")
			}
		}
		*field(l) = roles
		return false, nil
	}}
}

// knownRoles lists the values of users.roles, or nil when the site has
// made it something other than a select field.
func knownRoles(app core.App) []string {
	users, err := app.FindCachedCollectionByNameOrId(CollectionNameUsers)
	if err != nil {
		return nil
	}
	if f, ok := users.Fields.GetByName("roles").(*core.SelectField); ok {
		return f.Values
	}
	return nil
}

// defaultLimits are the limits from Config alone.
func (m *Messaging) defaultLimits() Limits {
	return Limits{
		MaxGroupSize:     m.config.MaxGroupSize,
		MaxBodyLength:    m.config.MaxBodyLength,
		SendRoles:        m.config.SendRoles,
		UnblockableRoles: m.config.UnblockableRoles,
		TextFormat:       m.config.TextFormat,
		// A negative Config value means "never", shown as -1.
		EditWindowMinutes: max(m.config.EditWindowMinutes, -1),
		ModeratorRoles:    m.config.ModeratorRoles,
		MaxAttachments:    m.config.MaxAttachments,
		MaxAttachmentSize: m.config.MaxAttachmentSize,
		AttachmentTypes:   m.config.AttachmentTypes,
		MessageOrder:      m.config.MessageOrder,
		ComposerPosition:  m.config.ComposerPosition,
		// NotifyDelaySeconds -1 (no delay) is a 0 s window.
		NotifyDelaySeconds: max(m.config.NotifyDelaySeconds, 0),
		DigestHour:         m.config.DigestHour,
		EmailNotifications: m.config.EmailNotifications,
		WebhookURL:         m.config.WebhookURL,
		WebhookSecret:      m.config.WebhookSecret,
		WebhookIncludeText: m.config.WebhookIncludeText,
		WhoCanMessage:      m.config.WhoCanMessage,
		AntiSpamLimits:     m.config.AntiSpam.limits(),
		ReportsPerHour:     max(m.config.ReportsPerHour, 0),
		ReportContext:      m.config.ReportContext,
		PrivacyLimits:      m.config.Privacy.limits(),
		// Messages to roles (roles_start.go).
		RoleMessageRoles:    m.config.RoleMessageRoles,
		RoleExpandThreshold: m.config.RoleExpandThreshold,
	}
}

// limitsFrom applies the settings record r over Config. Invalid values
// (only reachable by writing the database directly: the hooks refuse
// them) keep the default, and come back as field errors.
func (m *Messaging) limitsFrom(app core.App, r *core.Record) (Limits, validation.Errors) {
	l := m.defaultLimits()
	errs := validation.Errors{}
	for _, s := range settings {
		if _, err := s.apply(app, r.GetRaw(s.name), &l); err != nil {
			errs[s.name] = err
		}
	}
	return l, errs
}

// Limits returns the limits in force now.
func (m *Messaging) Limits() Limits {
	if l := m.limits.Load(); l != nil {
		return *l
	}
	l := m.defaultLimits()
	if r, err := m.app.FindRecordById(CollectionNameSettings, settingsRecordID); err == nil {
		// Not migrated yet, or removed by a superuser: the config alone
		// (creating the record clears the cache).
		l, _ = m.limitsFrom(m.app, r)
	}
	m.limits.Store(&l)
	return l
}

// bindSettingsHooks validates every save of the settings record, keeps it
// single, shows the values in force in it, and keeps the cached limits
// fresh.
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
			return m.checkSettings(e)
		},
	})
	m.app.OnRecordUpdate(CollectionNameSettings).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingSettingsValidate__", Func: m.checkSettings,
	})
	m.app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id: "__messagingSettingsInForce__", Func: m.refreshInForce,
	})
}

// checkSettings refuses invalid values with a message per field, and
// writes the values in force into in_force. It runs on every save, from
// the dashboard, the API or code, before validation.
func (m *Messaging) checkSettings(e *core.RecordEvent) error {
	l, errs := m.limitsFrom(e.App, e.Record)
	if len(errs) > 0 {
		return router.NewBadRequestError("Invalid messaging settings.", invalidError{errs})
	}
	e.Record.Set("in_force", l)
	return e.Next()
}

// refreshInForce rewrites in_force at start-up, since the Config defaults
// behind the empty fields may have changed with the code.
func (m *Messaging) refreshInForce(e *core.ServeEvent) error {
	r, err := e.App.FindRecordById(CollectionNameSettings, settingsRecordID)
	if err == nil {
		l, _ := m.limitsFrom(e.App, r)
		want, _ := json.Marshal(l)
		if got, _ := r.GetRaw("in_force").(types.JSONRaw); string(got) != string(want) {
			if err := e.App.Save(r); err != nil {
				e.App.Logger().Error("messaging: can't show the settings in force", "error", err)
			}
		}
	}
	return e.Next()
}

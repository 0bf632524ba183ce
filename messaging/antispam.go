package messaging

import (
	"slices"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Anti-spam limits. Every limit is a setting (0 turns it off):
//
//   - min_account_age_hours: an account younger than this sends nothing;
//   - an account younger than new_account_days may start
//     new_account_conversations_per_day conversations a (UTC) day, each
//     with at most new_account_max_recipients others, and may not grow a
//     group beyond that either (AddMembers);
//   - everyone sends at most messages_per_minute messages a minute.
//
// Holders of the moderator or trusted roles, superusers (records and batch
// API) and Go code that asks (SendOptions.SkipAntiSpam) are exempt. The
// checks are record hooks: sending.go's insertMessage calls
// checkSendLimits and checkStartRecipients in its transaction, and a new
// thread with a created_by passes limitNewThread, so the messaging,
// records and batch APIs, JS hooks and Go code all meet them.
//
// Counting is O(1) per send: one upsert of a fixed-window counter in
// rateTable, (user, kind, slot) -> count, in the sending transaction. All
// writes share one connection, so two concurrent sends can't both see the
// count under the limit; a refused send rolls its increment back. A cron
// job deletes expired counters in batches (antispam_cleanup.go).
//
// Over a limit is a 429 (errRateLimited) that says when to retry; its
// data, which the batch API keeps inside its 400, has the code
// "messaging_rate_limited", the limit's name and retryAfter in seconds,
// and the HTTP API adds a Retry-After header (retryAfterHeader).

// AntiSpamLimits are the anti-spam limits in force; 0 turns one off.
type AntiSpamLimits struct {
	// TrustedRoles are exempt from every anti-spam limit, as are the
	// moderator roles.
	TrustedRoles                  []string `json:"trusted_roles"`
	MinAccountAgeHours            int      `json:"min_account_age_hours"`
	NewAccountDays                int      `json:"new_account_days"`
	NewAccountConversationsPerDay int      `json:"new_account_conversations_per_day"`
	NewAccountMaxRecipients       int      `json:"new_account_max_recipients"`
	MessagesPerMinute             int      `json:"messages_per_minute"`
	// NewPeoplePerWeek is the first-contact budget's weekly allowance
	// (budget.go), doubled for accounts 30 days old.
	NewPeoplePerWeek int `json:"new_people_per_week"`
}

// AntiSpamConfig are the anti-spam defaults of Config. For the numbers, 0
// means the default and a negative value turns the limit off.
type AntiSpamConfig struct {
	// TrustedRoles are exempt from the limits. Default: none.
	TrustedRoles []string
	// MinAccountAgeHours: accounts younger than this may not send.
	// Default 0 (off).
	MinAccountAgeHours int
	// NewAccountDays: accounts younger than this are new. Default 7.
	NewAccountDays int
	// NewAccountConversationsPerDay: conversations a new account may
	// start per UTC day. Default 10.
	NewAccountConversationsPerDay int
	// NewAccountMaxRecipients: others a new account may start a
	// conversation with, or grow a group to. Default 5.
	NewAccountMaxRecipients int
	// MessagesPerMinute: messages anyone may send per minute. Default 30.
	MessagesPerMinute int
	// NewPeoplePerWeek: new people an account may start conversations
	// with per week, twice that after 30 days (budget.go). Default 20.
	NewPeoplePerWeek int
}

// antiSpamDefaults fills in the defaults: 0 is the default, negative off
// (kept as -1 so that limits() turns it into 0).
func antiSpamDefaults(c *AntiSpamConfig) {
	def := func(v *int, d int) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = -1
		}
	}
	def(&c.MinAccountAgeHours, -1)
	def(&c.NewAccountDays, 7)
	def(&c.NewAccountConversationsPerDay, 10)
	def(&c.NewAccountMaxRecipients, 5)
	def(&c.MessagesPerMinute, 30)
	def(&c.NewPeoplePerWeek, 20)
}

// limits are c's values as Limits hold them: 0 for off.
func (c AntiSpamConfig) limits() AntiSpamLimits {
	off := func(v int) int { return max(v, 0) }
	return AntiSpamLimits{
		TrustedRoles:                  c.TrustedRoles,
		MinAccountAgeHours:            off(c.MinAccountAgeHours),
		NewAccountDays:                off(c.NewAccountDays),
		NewAccountConversationsPerDay: off(c.NewAccountConversationsPerDay),
		NewAccountMaxRecipients:       off(c.NewAccountMaxRecipients),
		MessagesPerMinute:             off(c.MessagesPerMinute),
		NewPeoplePerWeek:              off(c.NewPeoplePerWeek),
	}
}

// limitSetting is a limit stored as text, so that empty (the default) and
// "0" (off) differ: a number field can't tell them apart.
func limitSetting(name string, maxValue int, field func(*Limits) *int) setting {
	return setting{name: name, apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		s, _ := raw.(string)
		if s == "" {
			return true, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxValue || strconv.Itoa(n) != s {
			return false, validation.NewError("validation_messaging_setting_range",
				"Must be a whole number from 0 (off) to "+strconv.Itoa(maxValue)+", or empty for the default.")
		}
		*field(l) = n
		return false, nil
	}}
}

// Counter kinds in rateTable.
const (
	rateMessages      = "m" // slot: the minute
	rateConversations = "c" // slot: the UTC day
)

// bindAntiSpamHooks binds the limit on new threads, the superuser
// exemption of the records and batch APIs, the Retry-After header and the
// counters' cleanup. Messages are checked by insertMessage (sending.go).
func (m *Messaging) bindAntiSpamHooks() {
	app := m.app
	app.OnRecordCreateExecute(CollectionNameThreads).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingThreadAntiSpam__", Func: m.limitNewThread,
	})
	app.OnRecordCreateRequest(CollectionNameMessages, CollectionNameThreads).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "__messagingSuperuserAntiSpam__",
		Func: func(e *core.RecordRequestEvent) error {
			if e.HasSuperuserAuth() {
				m.unlimited.Store(e.Record, struct{}{})
				defer m.unlimited.Delete(e.Record)
			}
			return e.Next()
		},
	})
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id: "__messagingRetryAfter__",
		Func: func(se *core.ServeEvent) error {
			se.Router.BindFunc(retryAfterHeader)
			return se.Next()
		},
	})
	m.bindRateCleanup()
}

// skipsLimits reports whether the save of r in app was exempted: a
// superuser's request, or Go code's SkipAntiSpam.
func (m *Messaging) skipsLimits(app core.App, r *core.Record) bool {
	if r != nil {
		if _, ok := m.unlimited.Load(r); ok {
			return true
		}
	}
	if info := app.TxInfo(); info != nil {
		_, ok := m.unlimited.Load(info)
		return ok
	}
	return false
}

// exemptTx exempts every save in tx from the limits until it ends.
func (m *Messaging) exemptTx(tx core.App) {
	info := tx.TxInfo()
	m.unlimited.Store(info, struct{}{})
	info.OnComplete(func(txErr error) error {
		m.unlimited.Delete(info)
		return nil
	})
}

// spamSender is what the limits need to know about a sender; nil means
// no limit applies.
type spamSender struct {
	m       *Messaging
	id      string
	limits  AntiSpamLimits
	created time.Time
	now     time.Time
}

// sender reads author's age and roles (one primary-key lookup), or
// returns nil when no limit is on or author is exempt.
func (m *Messaging) sender(app core.App, r *core.Record, author string) (*spamSender, error) {
	if !m.limited(app, r, author) {
		return nil, nil
	}
	var row struct {
		Created types.DateTime          `db:"created"`
		Roles   types.JSONArray[string] `db:"roles"`
	}
	err := app.DB().NewQuery(`SELECT created, roles FROM users WHERE id = {:id}`).
		Bind(dbx.Params{"id": author}).One(&row)
	if err != nil {
		return nil, nil // unknown author: the other rules answer
	}
	return m.senderFrom(author, senderRow{roles: row.Roles, created: row.Created.Time()}), nil
}

// limited reports whether any limit is on and the save of r by author is
// not exempted (superuser request, SkipAntiSpam).
func (m *Messaging) limited(app core.App, r *core.Record, author string) bool {
	l := m.Limits().AntiSpamLimits
	if author == "" || (l.MinAccountAgeHours == 0 && l.MessagesPerMinute == 0 && l.NewPeoplePerWeek == 0 &&
		(l.NewAccountDays == 0 || (l.NewAccountConversationsPerDay == 0 && l.NewAccountMaxRecipients == 0))) {
		return false
	}
	return !m.skipsLimits(app, r)
}

// senderFrom is sender with the author's row already read, or nil when
// their roles exempt them.
func (m *Messaging) senderFrom(author string, who senderRow) *spamSender {
	limits := m.Limits()
	l := limits.AntiSpamLimits
	exempt := slices.Concat(limits.ModeratorRoles, l.TrustedRoles)
	if slices.ContainsFunc(who.roles, func(r string) bool { return slices.Contains(exempt, r) }) {
		return nil
	}
	return &spamSender{m: m, id: author, limits: l, created: who.created, now: m.clock()}
}

// checkAge refuses an account younger than min_account_age_hours.
func (s *spamSender) checkAge() error {
	if s == nil || s.limits.MinAccountAgeHours == 0 {
		return nil
	}
	ready := s.created.Add(time.Duration(s.limits.MinAccountAgeHours) * time.Hour)
	if s.now.Before(ready) {
		return errRateLimited("min_account_age_hours", ready.Sub(s.now),
			"New accounts can send messages "+retryText(s.limits.MinAccountAgeHours*3600)+" after signing up.")
	}
	return nil
}

// isNew reports whether the account is younger than new_account_days, and
// until when.
func (s *spamSender) isNew() (bool, time.Time) {
	if s == nil || s.limits.NewAccountDays == 0 {
		return false, time.Time{}
	}
	until := s.created.AddDate(0, 0, s.limits.NewAccountDays)
	return s.now.Before(until), until
}

// count adds one to the sender's counter of kind in the slot of length
// period holding now, and returns the new count and when the slot ends.
func (s *spamSender) count(app core.App, kind string, period time.Duration) (int, time.Time, error) {
	secs := int64(period / time.Second)
	slot := s.now.Unix() / secs
	ends := time.Unix((slot+1)*secs, 0)
	var n int
	err := app.DB().NewQuery(`INSERT INTO ` + rateTable + ` (user, kind, slot, count, expires)
		VALUES ({:user}, {:kind}, {:slot}, 1, {:expires})
		ON CONFLICT (user, kind, slot) DO UPDATE SET count = count + 1 RETURNING count`).
		Bind(dbx.Params{"user": s.id, "kind": kind, "slot": slot, "expires": ends.Unix()}).Row(&n)
	return n, ends, err
}

// checkSendLimits is insertMessage's check, in the sending transaction
// right after the reach check (checkCanPostAs), whose reading of the
// author's row it reuses: a send costs no extra lookup. A refused send
// (403) is refused before it counts; the 429 tells nothing a 200 would
// not. It returns the sender for checkStartRecipients.
func (m *Messaging) checkSendLimits(tx core.App, r *core.Record, author string, who senderRow) (*spamSender, error) {
	if !m.limited(tx, r, author) {
		return nil, nil
	}
	s := m.senderFrom(author, who)
	if s == nil {
		return nil, nil
	}
	if err := s.checkAge(); err != nil {
		return nil, err
	}
	if max := s.limits.MessagesPerMinute; max > 0 {
		n, ends, err := s.count(tx, rateMessages, time.Minute)
		if err != nil {
			return nil, err
		}
		if n > max {
			return nil, errRateLimited("messages_per_minute", ends.Sub(s.now),
				"You can send "+quantity(max, "message", "messages")+" a minute.")
		}
	}
	return s, nil
}

// checkStartRecipients refuses a new account's first message of a thread
// (seq 1: starting it) with more than new_account_max_recipients others.
func (s *spamSender) checkStartRecipients(seq, members int) error {
	if seq != 1 {
		return nil
	}
	return s.checkRecipients(members - 1)
}

// checkRecipients refuses a new account reaching more than
// new_account_max_recipients others in one conversation.
func (s *spamSender) checkRecipients(others int) error {
	if s == nil || s.limits.NewAccountMaxRecipients == 0 || others <= s.limits.NewAccountMaxRecipients {
		return nil
	}
	if isNew, until := s.isNew(); isNew {
		return errRateLimited("new_account_max_recipients", until.Sub(s.now),
			"New accounts can write to at most "+quantity(s.limits.NewAccountMaxRecipients, "person", "people")+" in one conversation.")
	}
	return nil
}

// limitNewThread applies the limits to a thread someone starts
// (created_by set): the account's age, and a new account's conversations
// per day, counted in the transaction that creates the thread.
func (m *Messaging) limitNewThread(e *core.RecordEvent) error {
	starter := e.Record.GetString("created_by")
	return inRecordTransaction(e, func(tx core.App) error {
		s, err := m.sender(tx, e.Record, starter)
		if err != nil {
			return err
		}
		if err := s.checkAge(); err != nil {
			return err
		}
		if max := s.limitsConversations(); max > 0 {
			n, ends, err := s.count(tx, rateConversations, 24*time.Hour)
			if err != nil {
				return err
			}
			if n > max {
				return errRateLimited("new_account_conversations_per_day", ends.Sub(s.now),
					"New accounts can start "+quantity(max, "conversation", "conversations")+" a day.")
			}
		}
		return e.Next()
	})
}

// limitsConversations is the sender's conversations per day, 0 for none.
func (s *spamSender) limitsConversations() int {
	if isNew, _ := s.isNew(); isNew {
		return s.limits.NewAccountConversationsPerDay
	}
	return 0
}

// checkGroupGrowth is AddMembers' check: a new account may not make a
// group larger than new_account_max_recipients others, and the new people
// among those added come out of user's first-contact budget (budget.go).
func (m *Messaging) checkGroupGrowth(tx core.App, user, thread string, others int, added []string) error {
	s, err := m.sender(tx, nil, user)
	if err != nil {
		return err
	}
	if err := s.checkRecipients(others); err != nil {
		return err
	}
	return s.spendFirstContacts(tx, thread, added)
}

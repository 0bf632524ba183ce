package messaging

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
)

// Migration of issue 12's first-contact budget (budget.go): the weekly
// allowance setting, each member's budget of the week and the record of
// first contacts. Both collections are superuser-only (no rules): a
// member never sees their own figures either, since a drop after a
// decline or a block would tell them about it. Their user ids are text,
// not relations, so that no back-relation filter (users?filter=
// messaging_first_contacts_via_…) can reach them.

const budgetMigrationName = "1795000130_messaging_contact_budget.go"

// Collection names of the budget.
const (
	CollectionNameContactBudgets = "messaging_contact_budgets"
	CollectionNameFirstContacts  = "messaging_first_contacts"
)

func init() {
	core.AppMigrations.Register(migrateBudgetUp, migrateBudgetDown, budgetMigrationName)
}

func migrateBudgetUp(app core.App) error {
	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return fmt.Errorf("messaging migration: %w", err)
	}
	settings.Fields.Add(&core.TextField{Name: "new_people_per_week", Max: 5, Pattern: `^[0-9]*$`,
		Help: "New people an account may start conversations with per week, twice that after 30 days; declines and " +
			"quick blocks cost 2, accepts and replies give 1 back. Empty: the default, 20; 0: no limit."})
	if err := app.Save(settings); err != nil {
		return err
	}
	threads, err := app.FindCollectionByNameOrId(CollectionNameThreads)
	if err != nil {
		return err
	}
	threads.Fields.Add(&core.NumberField{Name: "first_contacts_open", OnlyInt: true, Hidden: true,
		Help: "First contacts in this conversation still waiting for an answer (budget.go): a send looks for one to settle only when it isn't 0."})
	if err := app.Save(threads); err != nil {
		return err
	}

	b := core.NewBaseCollection(CollectionNameContactBudgets)
	b.Fields.Add(
		&core.TextField{Name: "user", Max: 15, Required: true, Help: "The member (users id)."},
		&core.TextField{Name: "week", Max: 10, Required: true, Help: "Monday (UTC) of the week the figure is for, YYYY-MM-DD."},
		&core.NumberField{Name: "used", OnlyInt: true, Help: "Points used this week: 1 per new person, 2 per declined request " +
			"or quick block, 1 back per accept or reply (never below 0). Set it to 0 to give the member their whole week back."},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	b.AddIndex("idx_messaging_contact_budgets_user", true, "user", "")
	if err := app.Save(b); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameContactBudgets, err)
	}

	fc := core.NewBaseCollection(CollectionNameFirstContacts)
	fc.Fields.Add(
		&core.TextField{Name: "sender", Max: 15, Required: true, Help: "Who wrote first (users id)."},
		&core.TextField{Name: "recipient", Max: 15, Required: true, Help: "The new person (users id)."},
		&core.TextField{Name: "thread", Max: 15, Required: true, Help: "The conversation of the first contact."},
		&core.SelectField{Name: "outcome", Values: firstContactOutcomes(), MaxSelect: 1,
			Help: "Empty until the recipient answers: accepted or replied (1 back), declined or blocked within a day (costs 2)."},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	fc.AddIndex("idx_messaging_first_contacts_pair", true, "sender, recipient", "")
	fc.AddIndex("idx_messaging_first_contacts_thread", false, "thread, recipient", "")
	fc.AddIndex("idx_messaging_first_contacts_recipient", false, "recipient", "")
	if err := app.Save(fc); err != nil {
		return fmt.Errorf("messaging migration: %s: %w", CollectionNameFirstContacts, err)
	}
	return nil
}

func migrateBudgetDown(app core.App) error {
	for _, name := range []string{CollectionNameFirstContacts, CollectionNameContactBudgets} {
		if c, err := app.FindCollectionByNameOrId(name); err == nil {
			if err := app.Delete(c); err != nil {
				return err
			}
		}
	}
	if threads, err := app.FindCollectionByNameOrId(CollectionNameThreads); err == nil {
		threads.Fields.RemoveByName("first_contacts_open")
		if err := app.Save(threads); err != nil {
			return err
		}
	}
	settings, err := app.FindCollectionByNameOrId(CollectionNameSettings)
	if err != nil {
		return nil
	}
	settings.Fields.RemoveByName("new_people_per_week")
	return app.Save(settings)
}

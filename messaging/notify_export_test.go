package messaging

import (
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Test access to the notification worker and migrations.
var (
	MigrateEmailModeDownForTest = migrateEmailModeDown
	MigrateEmailModeUpForTest   = migrateEmailModeUp
)

// NotifyStepForTest runs one step of the worker as of now, as the
// background loop would; more reports work left for another step.
func NotifyStepForTest(m *Messaging, now time.Time) (more bool, err error) {
	return m.notify.runStep(now.UTC())
}

// StartNotifierForTest and StopNotifierForTest run the background loop
// as OnServe and OnTerminate do.
func StartNotifierForTest(m *Messaging) { m.notify.start() }

// StopNotifierForTest stops the loop and waits for it.
func StopNotifierForTest(m *Messaging) { m.notify.stop() }

// ReplaceEmailLinksForTest replaces the signer of the one-click links with
// fn, so that tests can compare the links in an email with known URLs.
func ReplaceEmailLinksForTest(m *Messaging, fn func(recipient, thread, sender string) (unsubscribe, mute, block string)) {
	m.notify.links = func(_ core.App, recipient, thread, sender string) (emailLinks, error) {
		u, mu, b := fn(recipient, thread, sender)
		return emailLinks{Unsubscribe: u, Mute: mu, Block: b}, nil
	}
}

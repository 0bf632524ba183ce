package messaging

import "github.com/pocketbase/pocketbase/core"

// replaced by email_links.go at the merge (branch i11-links signs these
// links; until then notification emails carry none).

// emailLinks are the signed one-click links in one notification email.
type emailLinks struct{ Unsubscribe, Mute, Block string } // absolute URLs; Block/Mute empty when not applicable

func (m *Messaging) emailLinksFor(app core.App, recipient, thread, sender string) (emailLinks, error) {
	return emailLinks{}, nil
}

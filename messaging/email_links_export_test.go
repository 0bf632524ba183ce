package messaging

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
)

// EmailLinksForTest returns the links emailLinksFor signs for one email.
func EmailLinksForTest(m *Messaging, app core.App, recipient, thread, sender string) (unsubscribe, mute, block string, err error) {
	l, err := m.emailLinksFor(app, recipient, thread, sender)
	return l.Unsubscribe, l.Mute, l.Block, err
}

// SignEmailLinkForTest signs an email link token that names recipient
// with signer's key and the given lifetime: signer == recipient and a
// positive ttl give a genuine token, anything else a forged or expired
// one.
func SignEmailLinkForTest(app core.App, signer, recipient, action, target string, ttl time.Duration) (string, error) {
	user, err := app.FindRecordById(CollectionNameUsers, signer)
	if err != nil {
		return "", err
	}
	key, err := emailLinkKey(user)
	if err != nil {
		return "", err
	}
	return security.NewJWT(jwt.MapClaims{
		"type":               emailLinkTokenType,
		emailLinkClaimUser:   recipient,
		emailLinkClaimAction: action,
		emailLinkClaimTarget: target,
	}, key, ttl)
}

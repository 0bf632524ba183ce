package messaging

import (
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
)

// One-click links in notification emails: stop message emails
// (unsubscribe, also the List-Unsubscribe URL of RFC 8058), mute this
// conversation, block the sender. They work without signing in, so the
// link itself is the authority: a JWT naming the action, the recipient and
// the target (thread or sender), signed with a key derived from the
// recipient's tokenKey and the users collection's auth token secret, as
// PocketBase's own auth tokens are. So no secret is stored, a token can't
// be forged or moved to another user, action or target, and a password
// change (which renews the tokenKey) or rotating the collection's secret
// revokes every link already mailed. Mail scanners open links, so a GET
// only shows a confirmation page; only a POST acts (the pages are
// email_links_pages.go).

// Email link actions; each is also the URL segment after emailLinkPath.
const (
	emailLinkUnsubscribe = "unsubscribe"
	emailLinkMute        = "mute"
	emailLinkBlock       = "block"
)

const (
	// emailLinkPath is where the links are served:
	// emailLinkPath + action + "/" + token.
	emailLinkPath = "/api/messaging/email/"
	// emailLinkTokenType keeps these tokens apart from PocketBase's own
	// token types (auth, file, verification, ...).
	emailLinkTokenType = "messagingEmailLink"
	// emailLinkTTL is long: the unsubscribe link of a months-old email
	// must still work.
	emailLinkTTL = 365 * 24 * time.Hour
	// emailLinkKeyLabel derives the signing key from the auth key, so an
	// email link never verifies as an auth token nor an auth token as a
	// link, whatever their claims say.
	emailLinkKeyLabel = "pbmessaging email link v1"
)

// Claims of an email link token besides the type and "exp".
const (
	emailLinkClaimUser   = "id"
	emailLinkClaimAction = "act"
	emailLinkClaimTarget = "tgt"
)

// emailLinks are the signed one-click links in one notification email.
// All are absolute URLs on the app URL of PocketBase's settings.
// Unsubscribe is also the email's List-Unsubscribe URL: a POST with the
// body "List-Unsubscribe=One-Click" (RFC 8058) acts, as any POST does.
type emailLinks struct{ Unsubscribe, Mute, Block string } // absolute URLs; Block/Mute empty when not applicable

// emailLinksFor signs recipient's links for one email: Mute for thread
// (none when thread is "") and Block for sender (none when sender is "",
// the recipient, unknown or unblockable).
func (m *Messaging) emailLinksFor(app core.App, recipient, thread, sender string) (emailLinks, error) {
	user, err := app.FindRecordById(CollectionNameUsers, recipient)
	if err != nil {
		return emailLinks{}, err
	}
	base := strings.TrimRight(app.Settings().Meta.AppURL, "/") + emailLinkPath
	link := func(action, target string) (string, error) {
		token, err := newEmailLinkToken(user, action, target, emailLinkTTL)
		if err != nil {
			return "", err
		}
		return base + action + "/" + token, nil
	}
	var links emailLinks
	if links.Unsubscribe, err = link(emailLinkUnsubscribe, ""); err != nil {
		return emailLinks{}, err
	}
	if thread != "" {
		if links.Mute, err = link(emailLinkMute, thread); err != nil {
			return emailLinks{}, err
		}
	}
	if sender != "" && sender != recipient {
		// No link that could only answer "can't be blocked"; the POST
		// checks again, as roles change.
		s, err := app.FindRecordById(CollectionNameUsers, sender)
		if err == nil && !m.isUnblockable(s) {
			if links.Block, err = link(emailLinkBlock, sender); err != nil {
				return emailLinks{}, err
			}
		}
	}
	return links, nil
}

// emailLinkKey is the key user's links are signed with. It changes when
// the user's tokenKey does (a password change) or the site rotates the
// users collection's auth token secret.
func emailLinkKey(user *core.Record) (string, error) {
	if user.TokenKey() == "" {
		return "", core.ErrMissingSigningKey
	}
	return security.HS256(emailLinkKeyLabel, user.TokenKey()+user.Collection().AuthToken.Secret), nil
}

func newEmailLinkToken(user *core.Record, action, target string, ttl time.Duration) (string, error) {
	key, err := emailLinkKey(user)
	if err != nil {
		return "", err
	}
	return security.NewJWT(jwt.MapClaims{
		"type":               emailLinkTokenType,
		emailLinkClaimUser:   user.Id,
		emailLinkClaimAction: action,
		emailLinkClaimTarget: target,
	}, key, ttl)
}

// emailLink is a verified link: who it is for, what it does and to what.
type emailLink struct {
	user   *core.Record
	action string
	target string
}

// errBadEmailLink covers every link that is not good, for whatever
// reason; callers answer them all alike, so a link tells nobody whether a
// user exists or which check failed.
var errBadEmailLink = errors.New("messaging: invalid email link")

// parseEmailLink verifies token for the action its URL names.
func parseEmailLink(app core.App, action, token string) (emailLink, error) {
	if action != emailLinkUnsubscribe && action != emailLinkMute && action != emailLinkBlock {
		return emailLink{}, errBadEmailLink
	}
	// The user's id, unverified, only to find the key to verify with.
	unverified, err := security.ParseUnverifiedJWT(token)
	if err != nil {
		return emailLink{}, errBadEmailLink
	}
	id, _ := unverified[emailLinkClaimUser].(string)
	if id == "" {
		return emailLink{}, errBadEmailLink
	}
	user, err := app.FindRecordById(CollectionNameUsers, id)
	if err != nil {
		return emailLink{}, errBadEmailLink
	}
	key, err := emailLinkKey(user)
	if err != nil {
		return emailLink{}, errBadEmailLink
	}
	claims, err := security.ParseJWT(token, key)
	if err != nil {
		return emailLink{}, errBadEmailLink
	}
	// From here on only verified claims are read.
	typ, _ := claims["type"].(string)
	sub, _ := claims[emailLinkClaimUser].(string)
	act, _ := claims[emailLinkClaimAction].(string)
	target, _ := claims[emailLinkClaimTarget].(string)
	if typ != emailLinkTokenType || sub != user.Id || act != action || (action != emailLinkUnsubscribe && target == "") {
		return emailLink{}, errBadEmailLink
	}
	return emailLink{user: user, action: act, target: target}, nil
}

// setEmailNone turns recipient's message emails off, through the
// preferences API so its rules and hooks apply as for any other writer.
// Doing it twice is harmless.
func (m *Messaging) setEmailNone(recipient string) error {
	return m.setEmailMode(recipient, EmailNone)
}

// emailLinkOutcome is how a POST ended, for the page that answers it.
type emailLinkOutcome int

const (
	emailLinkDone        emailLinkOutcome = iota
	emailLinkNotPossible                  // no longer a member, sender gone
	emailLinkUnblockable                  // the sender holds an unblockable role
)

// actOnEmailLink does what link says, through the Go API, so rules and
// events fire as they do for every other writer. Acting twice is
// harmless: muting a muted conversation, blocking a blocked sender and
// unsubscribing again change nothing.
func (m *Messaging) actOnEmailLink(link emailLink) (emailLinkOutcome, error) {
	switch link.action {
	case emailLinkUnsubscribe:
		return emailLinkDone, m.setEmailNone(link.user.Id)
	case emailLinkMute:
		err := m.SetMuted(link.user.Id, link.target, true)
		if errors.Is(err, ErrNotFound) {
			// Left, removed or the thread is gone: one answer for all.
			return emailLinkNotPossible, nil
		}
		return emailLinkDone, err
	case emailLinkBlock:
		sender, err := m.app.FindRecordById(CollectionNameUsers, link.target)
		if err != nil || sender.Id == link.user.Id {
			return emailLinkNotPossible, nil
		}
		if m.isUnblockable(sender) {
			return emailLinkUnblockable, nil
		}
		err = m.Block(link.user.Id, sender.Id)
		if errors.Is(err, ErrInvalid) {
			return emailLinkNotPossible, nil // a role granted since the check
		}
		return emailLinkDone, err
	}
	return emailLinkNotPossible, nil
}

package messaging

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json/v2"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// The built-in webhook channel: once a site owner sets webhook_url and
// webhook_secret in messaging_settings, every notification window is also
// a signed JSON POST to that URL (one recipient, one conversation), queued
// and retried like email (channels.go). The body is a Notification with
// "type": "notification"; message text only with webhook_include_text.
// The signature header is Stripe-style, so a receiver can check both who
// sent it and that it is fresh:
//
//	X-Messaging-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

const (
	// webhookTimeout bounds one POST, connection included.
	webhookTimeout = 10 * time.Second
	// minWebhookSecret is the shortest secret accepted.
	minWebhookSecret = 16
	// WebhookSignatureHeader carries the timestamp and the signature.
	WebhookSignatureHeader = "X-Messaging-Signature"
	// WebhookIDHeader carries the notification's id, the same on every
	// retry: a receiver that has seen it may answer 2xx and do nothing.
	WebhookIDHeader = "X-Messaging-Id"
)

// webhookChannel is the webhook as a Channel; its settings are read at
// each delivery, so a change in the dashboard applies to the next one.
type webhookChannel struct{ m *Messaging }

func (w *webhookChannel) Name() string { return webhookChannelName }

func (w *webhookChannel) IncludeText() bool { return w.m.Limits().WebhookIncludeText }

// webhookPayload is the JSON body: the notification and its type.
type webhookPayload struct {
	Type          string `json:"type"`
	*Notification `json:",inline"`
}

func (w *webhookChannel) Deliver(ctx context.Context, n *Notification) error {
	l := w.m.Limits()
	body, err := json.Marshal(webhookPayload{Type: "notification", Notification: n})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pbmessaging-webhook/1")
	req.Header.Set(WebhookIDHeader, n.ID)
	req.Header.Set(WebhookSignatureHeader, signWebhook(l.WebhookSecret, time.Now(), body))
	// Redirects are not followed: a POST turned into a GET would be
	// "delivered" nowhere.
	client := &http.Client{Timeout: webhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: the endpoint answered %s: %s", resp.Status, bytes.TrimSpace(snippet))
	}
	return nil
}

// signWebhook is the signature header's value for body sent at t.
func signWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// checkWebhookURL accepts an absolute http or https URL with a host.
func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return validation.NewError("validation_messaging_webhook_url",
			"Must be an absolute http:// or https:// URL with a host, e.g. https://example.com/hooks/messaging, or empty to turn the webhook off.")
	}
	return nil
}

func checkWebhookSecret(s string) error {
	if len([]rune(s)) < minWebhookSecret {
		return validation.NewError("validation_messaging_webhook_secret",
			"Must be at least "+strconv.Itoa(minWebhookSecret)+" characters (a long random string): the webhook is signed with it.")
	}
	return nil
}

// Settings of the webhook (entries of the settings table, the secret
// before the URL, which needs one).
var (
	webhookSecretSetting = setting{name: "webhook_secret", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		s, _ := raw.(string)
		if s == "" {
			return true, nil
		}
		if err := checkWebhookSecret(s); err != nil {
			return false, err
		}
		l.WebhookSecret = s
		return false, nil
	}}
	webhookURLSetting = setting{name: "webhook_url", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		s, _ := raw.(string)
		if s == "" {
			return true, nil
		}
		if err := checkWebhookURL(s); err != nil {
			return false, err
		}
		if l.WebhookSecret == "" {
			return false, validation.NewError("validation_messaging_webhook_secret_missing",
				"Set webhook_secret too (at least "+strconv.Itoa(minWebhookSecret)+" characters): the webhook is signed with it.")
		}
		l.WebhookURL = s
		return false, nil
	}}
	webhookTextSetting = setting{name: "webhook_include_text", apply: func(_ core.App, raw any, l *Limits) (bool, error) {
		if on, _ := raw.(bool); on {
			l.WebhookIncludeText = true
			return false, nil
		}
		return true, nil
	}}
)

// checkWebhookConfig checks the webhook of a Config as the settings do.
func checkWebhookConfig(c Config) error {
	if c.WebhookURL == "" {
		return nil
	}
	if err := checkWebhookURL(c.WebhookURL); err != nil {
		return fmt.Errorf("messaging: WebhookURL: %w", err)
	}
	if err := checkWebhookSecret(c.WebhookSecret); err != nil {
		return fmt.Errorf("messaging: WebhookSecret: %w", err)
	}
	return nil
}

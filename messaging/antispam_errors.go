package messaging

import (
	"errors"
	"strconv"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// The anti-spam refusal (antispam.go, budget.go): a 429 in PocketBase's
// error format that says when to retry, the same data inside the batch
// API's 400, a Retry-After header, and ErrRateLimited / RetryAfter for Go.

// ErrRateLimited: an anti-spam limit refused the send; RetryAfter tells
// when it may succeed.
var ErrRateLimited = errors.New("messaging: rate limited")

// rateLimitField is the key of the 429's data.
const rateLimitField = "rateLimit"

// rateLimitedError carries the field error shown to clients, the retry
// time and the ErrRateLimited sentinel.
type rateLimitedError struct {
	validation.Errors
	retry int
}

func (e rateLimitedError) Unwrap() []error { return []error{e.Errors, ErrRateLimited} }

// errRateLimited is the 429 for limit, retry away; msg says what was
// refused, and the message adds when to retry.
func errRateLimited(limit string, retry time.Duration, msg string) *router.ApiError {
	secs := max(int((retry+time.Second-1)/time.Second), 1)
	msg += " Please try again in " + retryText(secs) + "."
	return router.NewTooManyRequestsError(msg, rateLimitedError{retry: secs, Errors: validation.Errors{
		rateLimitField: validation.NewError("messaging_rate_limited", msg).
			SetParams(map[string]any{"limit": limit, "retryAfter": secs}),
	}})
}

// retryText says secs in the largest unit that keeps it readable,
// rounding up so that retrying when told always works.
func retryText(secs int) string {
	switch {
	case secs < 120:
		return quantity(secs, "second", "seconds")
	case secs < 120*60:
		return quantity((secs+59)/60, "minute", "minutes")
	case secs < 48*3600:
		return quantity((secs+3599)/3600, "hour", "hours")
	}
	return quantity((secs+86399)/86400, "day", "days")
}

// quantity is "1 one" or "n many": the refusals name their limits.
func quantity(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// RetryAfter reports, for an error refused by an anti-spam limit, how many
// seconds to wait before trying again.
func RetryAfter(err error) (seconds int, ok bool) {
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) {
		return 0, false
	}
	var rl rateLimitedError
	raw, _ := apiErr.RawData().(error)
	if raw == nil || !errors.As(raw, &rl) {
		return 0, false
	}
	return rl.retry, true
}

// retryAfterHeader adds Retry-After to every 429 of an anti-spam limit,
// from the messaging API or the records API alike. The error response is
// written after the handlers return, so the header still goes out.
func retryAfterHeader(e *core.RequestEvent) error {
	err := e.Next()
	if secs, ok := RetryAfter(err); ok {
		e.Response.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	return err
}

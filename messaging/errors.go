package messaging

import (
	"errors"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Sentinel errors. Every error the Go API returns is a *router.ApiError
// (ready to return from a route or a hook) that matches one of these with
// errors.Is.
var (
	// ErrRefused: the message can't be delivered (blocked, messaging off,
	// role not allowed). Its public text never says which.
	ErrRefused = errors.New("messaging: refused")
	// ErrNotFound: the thread or message does not exist or the caller is
	// not a current member; the two are indistinguishable on purpose.
	ErrNotFound = errors.New("messaging: not found")
	// ErrInvalid: bad input; the ApiError's data names the field.
	ErrInvalid = errors.New("messaging: invalid input")
	// ErrForbidden: a member may not do this (delete someone else's
	// message, leave a direct thread).
	ErrForbidden = errors.New("messaging: forbidden")
)

// refusedMessage is the one public text for every refused send, so that a
// blocked sender can't tell a block from "messaging is off".
const refusedMessage = "Unable to send message."

func errRefused() *router.ApiError {
	return router.NewForbiddenError(refusedMessage, ErrRefused)
}

func errNotFound() *router.ApiError {
	return router.NewNotFoundError("The requested resource wasn't found.", ErrNotFound)
}

func errForbidden(msg string) *router.ApiError {
	return router.NewForbiddenError(msg, ErrForbidden)
}

// invalidError carries both the field errors shown to the client and the
// ErrInvalid sentinel for errors.Is.
type invalidError struct {
	validation.Errors
}

func (e invalidError) Unwrap() []error { return []error{e.Errors, ErrInvalid} }

// errInvalid builds a 400 whose data names the offending field, in
// PocketBase's {"field":{"code","message"}} shape.
func errInvalid(field, code, msg string) *router.ApiError {
	return router.NewBadRequestError(msg, invalidError{validation.Errors{
		field: validation.NewError("validation_messaging_"+code, msg),
	}})
}

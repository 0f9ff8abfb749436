package account

import (
	"errors"
	"time"
)

// Sentinel errors; the web layer picks the status code and the words.
var (
	ErrNotFound           = errors.New("account: not found")
	ErrInvalidCredentials = errors.New("account: e-mail or password is wrong")
	ErrTokenInvalid       = errors.New("account: link is invalid, used or expired")
	ErrSessionInvalid     = errors.New("account: session expired or revoked")
	ErrForbidden          = errors.New("account: not allowed for this role")
	ErrDisabled           = errors.New("account: user is disabled")
)

// FieldErrors maps a form field to what is wrong with it. The empty key
// holds an error about the form as a whole.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	for k, v := range f {
		if k == "" {
			return "account: " + v
		}
		return "account: " + k + ": " + v
	}
	return "account: invalid input"
}

// RateLimitedError says an action was refused because it was tried too
// often, and when it may be tried again.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return "account: too many attempts; retry after " + e.RetryAfter.Round(time.Second).String()
}

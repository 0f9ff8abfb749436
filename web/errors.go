package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/errs"
)

// handleError turns any error a handler returns into a status and a
// friendly page that says what to do and leaks nothing internal.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, title, msg := http.StatusInternalServerError, "Something went wrong",
		"We could not finish this request. Please try again in a moment; if it keeps happening, contact support."
	var he *echo.HTTPError
	var rl *account.RateLimitedError
	switch {
	case errors.As(err, &rl):
		status, title = http.StatusTooManyRequests, "Too many attempts"
		msg = "For your security we paused this for a while. Try again in " + humanWait(rl) + "."
		c.Response().Header().Set("Retry-After", retryAfter(rl))
	case errors.Is(err, account.ErrNotFound):
		status, title, msg = http.StatusNotFound, "Page not found", "There is nothing here. It may have been removed, or the link is mistyped."
	case errors.Is(err, account.ErrForbidden):
		status, title, msg = http.StatusForbidden, "Not allowed", "Your role in this organisation does not allow this. Ask an owner."
	case errors.As(err, &he):
		status = he.Code
		title, msg = statusWords(status)
		if m, ok := he.Message.(string); ok && status < 500 && m != http.StatusText(status) {
			msg = m
		}
	}
	if status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if err := render(c, status, errs.Error(s.page(c, title, ""), status, title, msg)); err != nil {
		s.log.ErrorContext(c.Request().Context(), "error page failed", "err", err)
	}
}

func statusWords(status int) (string, string) {
	switch status {
	case http.StatusNotFound:
		return "Page not found", "There is nothing here. It may have been removed, or the link is mistyped."
	case http.StatusForbidden:
		return "Not allowed", "You do not have access to this page."
	case http.StatusMethodNotAllowed:
		return "Not allowed", "This page cannot be used that way."
	case http.StatusTooManyRequests:
		return "Too many attempts", "Please wait a little and try again."
	case http.StatusRequestEntityTooLarge:
		return "Too large", "What you sent is larger than we accept."
	}
	if status >= 500 {
		return "Something went wrong", "We could not finish this request. Please try again in a moment."
	}
	return "Request not understood", "Please go back and try again."
}

func humanWait(rl *account.RateLimitedError) string {
	m := int(rl.RetryAfter.Minutes() + 0.999)
	if m <= 1 {
		return "a minute"
	}
	return strconv.Itoa(m) + " minutes"
}

func retryAfter(rl *account.RateLimitedError) string {
	return strconv.Itoa(int(rl.RetryAfter.Seconds() + 0.5))
}

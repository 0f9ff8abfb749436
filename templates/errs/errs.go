// Package errs renders the error page. Handlers pick the status and the
// words; this page adds nothing that could leak internals.
package errs

import "net/http"

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func defaultTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "We can't find that page"
	case http.StatusForbidden:
		return "You don't have access to this"
	case http.StatusTooManyRequests:
		return "Too many tries"
	case http.StatusUnauthorized:
		return "Please log in"
	}
	if status >= 500 {
		return "Something went wrong on our side"
	}
	return "That didn't work"
}

func defaultMessage(status int) string {
	switch status {
	case http.StatusNotFound:
		return "The link may be old or mistyped. Check it, or start again from the home page."
	case http.StatusForbidden:
		return "Your role in this organisation doesn't allow it. An owner or admin can help."
	case http.StatusTooManyRequests:
		return "Please wait a minute, then try again."
	case http.StatusUnauthorized:
		return "Log in and try again."
	}
	if status >= 500 {
		return "Please try again in a moment. If it keeps happening, let us know."
	}
	return "Please go back and try again."
}

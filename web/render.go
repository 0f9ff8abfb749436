package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// htmx request and response headers, spelled in one place.
const (
	hxRequest  = "HX-Request"
	hxBoosted  = "HX-Boosted"
	hxRedirect = "HX-Redirect"
	hxRefresh  = "HX-Refresh"
	hxTarget   = "HX-Target"
)

// isFragmentRequest reports whether htmx asked for part of a page. Boosted
// navigation wants whole pages.
func isFragmentRequest(c echo.Context) bool {
	h := c.Request().Header
	return h.Get(hxRequest) == "true" && h.Get(hxBoosted) != "true"
}

// render writes a whole page.
func render(c echo.Context, status int, page templ.Component) error {
	return write(c, status, page)
}

// renderForm writes the whole page, or only the form when htmx posted it.
// Our choice for 422: htmx swaps 4xx responses only when told to, so forms
// answer a validation failure with 422 plus the re-rendered form, and the
// page's htmx config lets 422 swap (see templates/layout).
func renderForm(c echo.Context, status int, page, fragment templ.Component) error {
	if isFragmentRequest(c) {
		return write(c, status, fragment)
	}
	return write(c, status, page)
}

func write(c echo.Context, status int, comp templ.Component) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Add("Vary", hxRequest)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// redirect sends the browser elsewhere after a POST. htmx ignores headers
// on 3xx responses, so it gets a 200 with HX-Redirect instead of a 303.
func redirect(c echo.Context, url string) error {
	if c.Request().Header.Get(hxRequest) == "true" {
		c.Response().Header().Set(hxRedirect, url)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

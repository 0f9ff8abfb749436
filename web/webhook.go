package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/connection"
	"tidings/internal/whatsapp"
)

// webhookVerify answers Meta's subscription handshake for one connection.
func (s *Server) webhookVerify(c echo.Context) error {
	route, err := s.deps.Connections.RouteFor(c.Request().Context(), c.Param("key"))
	if errors.Is(err, connection.ErrNotFound) {
		return c.NoContent(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	challenge, ok := whatsapp.VerifyHandshake(c.QueryParams(), route.VerifyToken)
	if !ok {
		return c.NoContent(http.StatusForbidden)
	}
	return c.String(http.StatusOK, challenge)
}

// webhookReceive stores an event batch durably, then acknowledges it. The
// signature is checked over the raw bytes before anything is parsed; a bad
// one stores nothing. Parsing and applying happen in the worker, so a
// payload we do not understand is kept and flagged, never a 500 that makes
// Meta retry for days.
func (s *Server) webhookReceive(c echo.Context) error {
	key := c.Param("key")
	route, err := s.deps.Connections.RouteFor(c.Request().Context(), key)
	if errors.Is(err, connection.ErrNotFound) {
		return c.NoContent(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, whatsapp.MaxWebhookBody+1))
	if err != nil {
		return c.NoContent(http.StatusBadRequest)
	}
	if len(body) > whatsapp.MaxWebhookBody {
		return c.NoContent(http.StatusRequestEntityTooLarge)
	}
	if !whatsapp.VerifySignature(route.AppSecret, body, c.Request().Header.Get("X-Hub-Signature-256")) {
		return c.NoContent(http.StatusUnauthorized)
	}
	if err := s.deps.Inbox.Store(c.Request().Context(), key, body); err != nil {
		s.log.ErrorContext(c.Request().Context(), "webhook not stored", "err", err)
		return c.NoContent(http.StatusServiceUnavailable)
	}
	return c.NoContent(http.StatusOK)
}

// Package web is Tidings' HTTP layer: the route table, middleware, and one
// handler per action. Handlers parse the request, call the capability
// packages under internal/, and render templates; all rules live below.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"tidings/internal/account"
	"tidings/internal/campaign"
	"tidings/internal/connection"
	"tidings/internal/contact"
	"tidings/internal/delivery"
	"tidings/internal/platform/config"
	"tidings/internal/platform/mail"
	"tidings/internal/template"
)

// Deps is everything the web layer needs, built by cmd/tidings.
type Deps struct {
	Config   config.Config
	Log      *slog.Logger
	Accounts *account.Service
	// Templates serves the message templates pages.
	Templates *template.Service
	// Connections and Inbox serve the WhatsApp settings and webhooks.
	Connections *connection.Service
	Inbox       *delivery.Inbox
	// Contacts serves the contacts pages and imports.
	Contacts *contact.Service
	// Campaigns serves the campaign pages.
	Campaigns *campaign.Service
	// Outbox is the dev mail outbox; nil outside `tidings dev`.
	Outbox *mail.Outbox
	// FakePhoneURL is the sandbox's fake phone, linked in dev.
	FakePhoneURL string
	// Ready reports whether the database is reachable and migrated.
	Ready    func(ctx context.Context) error
	Registry *prometheus.Registry
}

// Server holds the Echo instance and the handlers' shared state.
type Server struct {
	echo    *echo.Echo
	deps    Deps
	acc     *account.Service
	log     *slog.Logger
	store   sessions.Store
	csrf    csrf
	metrics *httpMetrics
	handler http.Handler
}

// New builds the server: middleware in order, then the route table.
func New(d Deps) *Server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{echo: e, deps: d, acc: d.Accounts, log: d.Log,
		csrf: csrf{key: d.Config.SecretKey, secure: d.Config.Secure()}}
	e.IPExtractor = ipExtractor(d.Config.TrustedProxies)
	maxAge := int(d.Config.SessionMaxAge / time.Second)
	s.store = newPGStore(d.Accounts, d.Config.Secure(), maxAge, s.metaFromRequest)
	s.metrics = newHTTPMetrics(d.Registry)
	e.HTTPErrorHandler = s.handleError

	e.Use(s.recoverPanic)
	e.Use(s.observe)
	e.Use(securityHeaders(d.Config.Secure()))
	s.routes()

	// Go's cross-origin protection rejects state-changing browser requests
	// from other origins (Sec-Fetch-Site / Origin) before Echo sees them.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Cross-origin request refused.", http.StatusForbidden)
	}))
	s.handler = cop.Handler(e)
	return s
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Echo exposes the router, for the route-complete test sweeps.
func (s *Server) Echo() *echo.Echo { return s.echo }

// ipExtractor believes X-Forwarded-For only from configured proxies; by
// default the client is the TCP peer, so a spoofed header dodges nothing.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		n := netipToIPNet(p)
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func (s *Server) metaFromRequest(r *http.Request) account.Meta {
	ip, _ := netip.ParseAddr(s.echo.IPExtractor(r))
	return account.Meta{IP: ip.Unmap(), UserAgent: r.UserAgent()}
}

func (s *Server) meta(c echo.Context) account.Meta { return s.metaFromRequest(c.Request()) }

func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.ErrorContext(c.Request().Context(), "panic", "route", c.Path(), "panic", r)
				err = errors.New("web: panic in handler")
			}
		}()
		return next(c)
	}
}

// observe logs one line per request and feeds the metrics. It logs the
// route pattern, never the raw URL: query strings carry one-time tokens.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.observe(c.Request().Method, route, status, d)
		if route != "/metrics" && route != "/healthz" {
			s.log.InfoContext(c.Request().Context(), "request", "method", c.Request().Method, "route", route,
				"status", status, "ms", strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64))
		}
		return nil
	}
}

package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/web/paths"
)

// Keys of request-scoped values.
const (
	ctxSession = "session"
	ctxUser    = "user"
	ctxOrgs    = "orgs"
	ctxOrg     = "org"
)

// withSession loads the gorilla session (if any) and the signed-in user.
func (s *Server) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.store.Get(c.Request(), sessionCookie(s.deps.Config.Secure()))
		if err != nil {
			return err
		}
		c.Set(ctxSession, sess)
		if uid, ok := int64Value(sess.Values[keyUserID]); ok && uid > 0 {
			u, err := s.acc.UserByID(c.Request().Context(), uid)
			if err != nil && !errors.Is(err, account.ErrNotFound) {
				return err
			}
			if err == nil {
				c.Set(ctxUser, &u)
				// Any page may then carry personal data (the user menu).
				c.Response().Header().Set("Cache-Control", "no-store")
			}
		}
		return next(c)
	}
}

func currentSession(c echo.Context) *sessions.Session {
	s, _ := c.Get(ctxSession).(*sessions.Session)
	return s
}

func currentUser(c echo.Context) *account.User {
	u, _ := c.Get(ctxUser).(*account.User)
	return u
}

func currentOrg(c echo.Context) *account.OrgRole {
	o, _ := c.Get(ctxOrg).(*account.OrgRole)
	return o
}

func sessionRowID(c echo.Context) int64 {
	if s := currentSession(c); s != nil {
		id, _ := strconv.ParseInt(s.ID, 10, 64)
		return id
	}
	return 0
}

// requireUser sends anonymous visitors to the login page and back.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			next := c.Request().URL.Path
			if c.Request().Method != http.MethodGet {
				next = paths.Dashboard
			}
			return redirect(c, paths.Login+"?"+url.Values{"next": {next}}.Encode())
		}
		return next(c)
	}
}

// requireOrg picks the organisation the user works in: the one in the
// session if they still belong to it, else their first.
func (s *Server) requireOrg(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		orgs, err := s.acc.OrgsOf(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		if len(orgs) == 0 {
			return echo.NewHTTPError(http.StatusForbidden, "You are not a member of any organisation. Ask an owner to invite you again.")
		}
		chosen := &orgs[0]
		if want, ok := int64Value(currentSession(c).Values[keyOrgID]); ok {
			for i := range orgs {
				if orgs[i].ID == want {
					chosen = &orgs[i]
				}
			}
		}
		c.Set(ctxOrgs, orgs)
		c.Set(ctxOrg, chosen)
		return next(c)
	}
}

// requirePolicies holds users who have not accepted the current terms and
// privacy policy at the acceptance page (policy §13).
func (s *Server) requirePolicies(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		pending, err := s.acc.PendingPolicies(c.Request().Context(), currentUser(c).ID)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return redirect(c, paths.AcceptPolicies)
		}
		return next(c)
	}
}

// requireRole lets through members whose role is at least min.
func requireRole(min string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if o := currentOrg(c); o == nil || !account.RoleAtLeast(o.Role, min) {
				return account.ErrForbidden
			}
			return next(c)
		}
	}
}

// actor describes the signed-in user acting in their current org.
func (s *Server) actor(c echo.Context) account.Actor {
	o := currentOrg(c)
	return account.Actor{OrgID: o.ID, UserID: currentUser(c).ID, Role: o.Role, Meta: s.meta(c)}
}

// startSession renews the session at login: the old row is ended and a
// new id issued, so a planted session id never becomes a signed-in one.
func (s *Server) startSession(c echo.Context, userID, orgID int64) error {
	sess := currentSession(c)
	if id := sessionRowID(c); id > 0 {
		if err := s.acc.EndSession(c.Request().Context(), id); err != nil {
			return err
		}
	}
	sess.ID = ""
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	sess.Values[keyUserID] = userID
	if orgID > 0 {
		sess.Values[keyOrgID] = orgID
	}
	return sess.Save(c.Request(), c.Response())
}

// endSession signs out of this browser.
func (s *Server) endSession(c echo.Context) error {
	sess := currentSession(c)
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// safeNext keeps a post-login redirect on our own site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	// Browsers read "\" as "/", so "/\evil.example" is another site.
	if next == "" || err != nil || u.IsAbs() || u.Host != "" || len(next) > 1 && next[1] == '/' || next[0] != '/' ||
		strings.ContainsRune(next, '\\') {
		return paths.Dashboard
	}
	return next
}

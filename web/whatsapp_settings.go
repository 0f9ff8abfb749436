package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/connection"
	"tidings/internal/whatsapp"
	"tidings/templates/components"
	"tidings/templates/settings"
	"tidings/web/paths"
)

func (s *Server) whatsappShow(c echo.Context) error {
	d, err := s.whatsappData(c, "")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, settings.WhatsApp(s.page(c, "WhatsApp number", "whatsapp"), d))
}

// whatsappData builds the page; the form is prefilled from the stored
// connection, never with its secrets.
func (s *Server) whatsappData(c echo.Context, testErr string) (settings.WhatsAppData, error) {
	a := s.actor(c)
	d := settings.WhatsAppData{CanManage: account.RoleAtLeast(a.Role, account.RoleAdmin), TestError: testErr}
	conn, err := s.deps.Connections.Get(c.Request().Context(), a.OrgID, a.UserID)
	switch {
	case errors.Is(err, connection.ErrNotFound):
		d.Form = settings.WhatsAppForm{APIBaseURL: s.deps.Connections.DefaultBaseURL, APIVersion: s.deps.Connections.DefaultVersion}
		return d, nil
	case err != nil:
		return d, err
	}
	sec, err := s.deps.Connections.Secrets(conn)
	if err != nil {
		return d, err
	}
	d.Connected = true
	d.DisplayNumber, d.VerifiedName, d.Quality = conn.DisplayPhoneNumber, conn.VerifiedName, conn.QualityRating
	d.Tier, d.Throughput, d.Stopped = conn.MessagingLimitTier, conn.ThroughputLevel, conn.StopReason
	if conn.CheckedAt != nil {
		d.CheckedAt = components.FormatTime(*conn.CheckedAt, time.UTC)
	}
	d.WebhookURL = s.deps.Config.BaseURL.String() + paths.WhatsAppWebhook(conn.WebhookKey)
	d.VerifyToken = sec.VerifyToken
	d.Form = settings.WhatsAppForm{WABAID: conn.WABAID, PhoneNumberID: conn.PhoneNumberID,
		APIBaseURL: conn.APIBaseURL, APIVersion: conn.APIVersion, Editing: true}
	return d, nil
}

func (s *Server) whatsappSave(c echo.Context) error {
	a := s.actor(c)
	in := connection.Input{WABAID: c.FormValue("waba_id"), PhoneNumberID: c.FormValue("phone_number_id"),
		APIBaseURL: c.FormValue("api_base_url"), APIVersion: c.FormValue("api_version"),
		AccessToken: c.FormValue("access_token"), AppSecret: c.FormValue("app_secret")}
	_, err := s.deps.Connections.Save(c.Request().Context(), a.OrgID, a.UserID, in)
	var fe connection.FieldErrors
	switch {
	case errors.As(err, &fe):
		d, derr := s.whatsappData(c, "")
		if derr != nil {
			return derr
		}
		d.Form.WABAID, d.Form.PhoneNumberID, d.Form.APIBaseURL, d.Form.APIVersion = in.WABAID, in.PhoneNumberID, in.APIBaseURL, in.APIVersion
		d.Form.Errors = components.FormErrors(fe)
		p := s.page(c, "WhatsApp number", "whatsapp")
		return renderForm(c, http.StatusUnprocessableEntity, settings.WhatsApp(p, d), settings.WhatsAppFormFragment(p, d.Form))
	case err != nil:
		return err
	}
	// Bring the account's templates in now, so the templates page is
	// ready; a failure (wrong token…) shows when the connection is tested.
	syncCtx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	if _, err := s.deps.Templates.Sync(syncCtx, a.OrgID, a.UserID); err != nil {
		s.log.WarnContext(syncCtx, "template sync after connecting failed", "org_id", a.OrgID, "err", err)
	}
	s.flash(c, "success", "Connection saved. Test it to see your number's quality and limits.")
	return redirect(c, paths.WhatsApp)
}

// whatsappTest asks Meta about the number; Meta's refusal is shown in
// plain words on the page, not as an error page.
func (s *Server) whatsappTest(c echo.Context) error {
	a := s.actor(c)
	_, err := s.deps.Connections.Test(c.Request().Context(), a.OrgID, a.UserID)
	var apiErr *whatsapp.APIError
	switch {
	case errors.Is(err, connection.ErrNotFound):
		return echo.ErrNotFound
	case errors.As(err, &apiErr):
		return s.whatsappTestFailed(c, "Meta refused: "+apiErr.Explain()+" (code "+strconv.Itoa(apiErr.Code)+")")
	case whatsapp.Classify(err) == whatsapp.ClassTransient && err != nil:
		return s.whatsappTestFailed(c, "Could not reach the WhatsApp API. Check the API address and try again.")
	case err != nil:
		return err
	}
	s.flash(c, "success", "The connection works.")
	return redirect(c, paths.WhatsApp)
}

func (s *Server) whatsappTestFailed(c echo.Context, msg string) error {
	d, err := s.whatsappData(c, msg)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, settings.WhatsApp(s.page(c, "WhatsApp number", "whatsapp"), d))
}

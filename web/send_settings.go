package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/campaign"
	"tidings/internal/contact"
	"tidings/templates/components"
	"tidings/templates/settings"
	"tidings/web/paths"
)

func (s *Server) sendSettingsShow(c echo.Context) error {
	a := s.actor(c)
	st, err := s.deps.Campaigns.SendSettings(c.Request().Context(), a.OrgID, a.UserID)
	if err != nil {
		return err
	}
	d := sendSettingsData(a.Role, sendingForm(st))
	return render(c, http.StatusOK, settings.Sending(s.page(c, "Sending", "sending"), d))
}

func sendSettingsData(role string, f settings.SendingForm) settings.SendingData {
	return settings.SendingData{CanManage: account.RoleAtLeast(role, account.RoleAdmin),
		BuiltinOptOut: contact.OptOutWords, BuiltinOptIn: contact.OptInWords, Form: f}
}

// sendingForm fills the form from the stored settings.
func sendingForm(st campaign.SendSettings) settings.SendingForm {
	return settings.SendingForm{CapCount: strconv.Itoa(st.CapCount), CapDays: strconv.Itoa(st.CapDays),
		OptOutKeywords: strings.Join(st.OptOutKeywords, ", "), OptInKeywords: strings.Join(st.OptInKeywords, ", "),
		OptOutPayloads:     strings.Join(st.OptOutPayloads, "\n"),
		OptOutConfirmation: st.OptOutConfirmation, OptInConfirmation: st.OptInConfirmation,
		PauseErrorPercent: strconv.FormatFloat(st.PauseErrorRate*100, 'f', -1, 64), SendRate: strconv.Itoa(st.SendRate),
		Connected: st.Connected}
}

func (s *Server) sendSettingsSave(c echo.Context) error {
	a := s.actor(c)
	in := campaign.SendSettingsInput{CapCount: c.FormValue("cap_count"), CapDays: c.FormValue("cap_days"),
		OptOutKeywords: c.FormValue("optout_keywords"), OptInKeywords: c.FormValue("optin_keywords"),
		OptOutPayloads: c.FormValue("optout_payloads"), OptOutConfirmation: c.FormValue("optout_confirmation"),
		OptInConfirmation: c.FormValue("optin_confirmation"), PauseErrorPercent: c.FormValue("pause_error_percent"),
		SendRate: c.FormValue("send_rate")}
	_, err := s.deps.Campaigns.SaveSendSettings(c.Request().Context(), a.OrgID, a.UserID, in)
	var fe campaign.FieldErrors
	switch {
	case errors.As(err, &fe):
		st, lerr := s.deps.Campaigns.SendSettings(c.Request().Context(), a.OrgID, a.UserID)
		if lerr != nil {
			return lerr
		}
		f := settings.SendingForm{CapCount: in.CapCount, CapDays: in.CapDays, OptOutKeywords: in.OptOutKeywords,
			OptInKeywords: in.OptInKeywords, OptOutPayloads: in.OptOutPayloads, OptOutConfirmation: in.OptOutConfirmation,
			OptInConfirmation: in.OptInConfirmation, PauseErrorPercent: in.PauseErrorPercent, SendRate: in.SendRate,
			Connected: st.Connected, Errors: components.FormErrors(fe)}
		p := s.page(c, "Sending", "sending")
		return renderForm(c, http.StatusUnprocessableEntity, settings.Sending(p, sendSettingsData(a.Role, f)), settings.SendingFormFragment(p, f))
	case err != nil:
		return err
	}
	s.flash(c, "success", "Sending settings saved.")
	return redirect(c, paths.SendSettings)
}

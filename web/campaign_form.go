package web

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/campaign"
	"tidings/internal/platform/phone"
	"tidings/templates/campaigns"
	"tidings/templates/components"
	"tidings/web/paths"
)

// campaignParam loads the path's campaign of the current org; another
// org's id is a 404 like a missing one.
func (s *Server) campaignParam(c echo.Context) (campaign.Campaign, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return campaign.Campaign{}, echo.ErrNotFound
	}
	cp, err := s.deps.Campaigns.Get(c.Request().Context(), s.actor(c).OrgID, id)
	return cp, campaignErr(err)
}

// campaignErr maps the campaign room's not-found to a 404.
func campaignErr(err error) error {
	if errors.Is(err, campaign.ErrNotFound) {
		return echo.ErrNotFound
	}
	return err
}

func canEditCampaigns(c echo.Context) bool {
	o := currentOrg(c)
	return o != nil && account.RoleAtLeast(o.Role, account.RoleAdmin)
}

// campaignForm reads the editor's fields (a POST body, or the query of an
// htmx GET that previews unsaved changes).
func campaignForm(c echo.Context) campaigns.Form {
	f := campaigns.Form{Name: c.FormValue("name"), WindowStart: c.FormValue("window_start"), WindowEnd: c.FormValue("window_end"),
		Mapping: campaign.Mapping{}}
	f.TemplateID, _ = strconv.ParseInt(c.FormValue("template_id"), 10, 64)
	values, _ := c.FormParams()
	for name := range values {
		key, ok := strings.CutSuffix(strings.TrimPrefix(name, "map."), ".source")
		if !strings.HasPrefix(name, "map.") || !ok {
			continue
		}
		b := campaign.Binding{Source: c.FormValue(name), Fallback: c.FormValue("map." + key + ".fallback")}
		switch v := c.FormValue("map." + key + ".value"); b.Source {
		case campaign.SourceAttribute:
			b.Key = strings.TrimSpace(v)
		case campaign.SourceText:
			b.Text = v
		}
		f.Mapping[key] = b
	}
	a := campaign.Audience{Match: c.FormValue("audience.match")}
	a.Lists = ids(values["audience.lists"])
	a.Exclude = ids(values["audience.exclude"])
	for _, t := range strings.Split(c.FormValue("audience.tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			a.Tags = append(a.Tags, t)
		}
	}
	for i := range 10 {
		k := strings.TrimSpace(c.FormValue("audience.attr." + strconv.Itoa(i) + ".key"))
		if k != "" {
			a.Attrs = append(a.Attrs, campaign.AttrFilter{Key: k, Value: c.FormValue("audience.attr." + strconv.Itoa(i) + ".value")})
		}
	}
	f.Audience = a
	return f
}

func ids(in []string) []int64 {
	var out []int64
	for _, v := range in {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

func formOf(cp campaign.Campaign) campaigns.Form {
	return campaigns.Form{Name: cp.Name, TemplateID: cp.TemplateID, Mapping: cp.Mapping, Audience: cp.Audience,
		WindowStart: cp.WindowStart, WindowEnd: cp.WindowEnd}
}

// previewData renders the message for a contact of the form's audience:
// the one after (dir "next") or before ("prev") contactID, or that one.
func (s *Server) previewData(c echo.Context, cp campaign.Campaign, f campaigns.Form, errs components.FormErrors, contactID int64, dir string) campaigns.PreviewData {
	ctx, org := c.Request().Context(), s.actor(c).OrgID
	d := campaigns.PreviewData{CampaignID: cp.ID, Mapping: f.Mapping, Errors: errs, BusinessName: currentOrg(c).Name}
	if f.TemplateID > 0 {
		if t, err := s.deps.Campaigns.Template(ctx, org, f.TemplateID); err == nil {
			d.Template = &t
		}
	}
	from, back := max(contactID-1, 0), false
	switch dir {
	case "next":
		from = contactID
	case "prev":
		from, back = contactID, true
	}
	sample, err := s.deps.Campaigns.SampleContact(ctx, org, f.Audience, from, back)
	if errors.Is(err, campaign.ErrEmptyAudience) && from > 0 {
		// Past either end: wrap around to the first contact.
		sample, err = s.deps.Campaigns.SampleContact(ctx, org, f.Audience, 0, false)
	}
	if err == nil {
		d.Contact = &sample
	}
	if d.Template != nil {
		d.Message = campaign.RenderPreview(d.Template.Template, f.Mapping, sample)
	}
	return d
}

// CheckInlineMax is the largest audience whose pre-send check runs while
// the editor page renders (≈0.2 s at 100,000 contacts); above it the page
// loads first and fetches the check (≈2 s at a million) afterwards.
var CheckInlineMax int64 = 200_000

// editorData fills the editor for cp with the form's values.
func (s *Server) editorData(c echo.Context, cp campaign.Campaign, f campaigns.Form, errs components.FormErrors) (campaigns.EditorData, error) {
	ctx, org := c.Request().Context(), s.actor(c).OrgID
	d := campaigns.EditorData{Campaign: cp, Form: f, Errors: errs, CanEdit: canEditCampaigns(c), TZ: orgLocation(c)}
	var err error
	if d.Templates, err = s.deps.Campaigns.Templates(ctx, org); err != nil {
		return d, err
	}
	if d.Lists, err = s.deps.Contacts.Lists(ctx, org); err != nil {
		return d, err
	}
	if d.Count, err = s.deps.Campaigns.Count(ctx, org, f.Audience); err != nil {
		d.CountErr = true
	}
	contactID, _ := strconv.ParseInt(c.QueryParam("contact"), 10, 64)
	d.Preview = s.previewData(c, cp, f, errs, contactID, c.QueryParam("dir"))
	if d.Count <= CheckInlineMax || c.QueryParam("check") == "1" {
		chk, err := s.deps.Campaigns.Check(ctx, org, cp.ID)
		if err != nil {
			return d, err
		}
		d.Check = &chk
	}
	if u := currentUser(c); u != nil && u.PhoneE164 != "" {
		d.UserPhone = phone.Mask(u.PhoneE164)
	}
	at := s.deps.Campaigns.Clock().Now().In(d.TZ).AddDate(0, 0, 1)
	at = time.Date(at.Year(), at.Month(), at.Day(), 9, 0, 0, 0, d.TZ)
	if cp.ScheduledAt != nil {
		at = cp.ScheduledAt.In(d.TZ)
	}
	d.ScheduleDate, d.ScheduleTime = at.Format("2006-01-02"), at.Format("15:04")
	return d, nil
}

// renderEditor writes the editor with the given status (422 with errors).
func (s *Server) renderEditor(c echo.Context, status int, cp campaign.Campaign, f campaigns.Form, errs components.FormErrors) error {
	d, err := s.editorData(c, cp, f, errs)
	if err != nil {
		return err
	}
	return render(c, status, campaigns.Editor(s.page(c, cp.Name, "campaigns"), d))
}

// campaignRefusal tells the user why an action did not happen and
// sends them back to the campaign.
func (s *Server) campaignRefusal(c echo.Context, id int64, err error) error {
	var se *campaign.StateError
	var fe campaign.FieldErrors
	switch {
	case errors.As(err, &se):
		s.flash(c, "info", "This campaign is "+strings.ToLower(campaigns.StatusWord(se.Status))+" now, so that is no longer possible.")
	case errors.Is(err, campaign.ErrTemplateNotApproved):
		s.flash(c, "error", "The template is not approved by WhatsApp yet, so nothing was sent.")
	case errors.Is(err, campaign.ErrSuspended):
		s.flash(c, "error", "This organisation is suspended: nothing can be sent. Contact support to find out why.")
	case errors.Is(err, campaign.ErrNoConnection):
		s.flash(c, "error", "Connect a working WhatsApp number in Settings first; nothing was sent.")
	case errors.Is(err, campaign.ErrEmptyAudience):
		s.flash(c, "error", "Nobody matches the audience, so there is no one to render the test for.")
	case errors.As(err, &fe):
		s.flash(c, "error", "Fill in every variable of the template (and save) first; nothing was sent.")
	default:
		return campaignErr(err)
	}
	return redirect(c, paths.Campaign(id))
}

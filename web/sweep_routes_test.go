package web_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"tidings/internal/contact"
	"tidings/web"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// The security sweeps (sweep_test.go) walk this table: one row per
// registered route, saying who may use it and what kind of id its ":id"
// takes. TestSweepRouteTableComplete fails when a route is registered but
// missing here, so a new route cannot skip the tenant, role, CSRF and
// header sweeps. When you add a route, add its row: the audience decides
// what every sweep expects, and Form gives values that would succeed.

// sweepAudience is who a route is for.
type sweepAudience string

const (
	// audPublic pages answer 200 to everyone, signed in or not.
	audPublic sweepAudience = "public"
	// audAnyone routes (log in, sign up, reset, invitations) work with or
	// without a session; their outcome depends on the form, never on a role.
	audAnyone sweepAudience = "anonymous-only-or-any"
	// audUser routes need a signed-in user but no organisation.
	audUser sweepAudience = "user"
	// audMember routes are the app: signed-in members of an org, any role.
	audMember sweepAudience = "app member"
	// audAdmin routes need admin or owner in the current org (none yet).
	audAdmin sweepAudience = "admin-or-owner"
	// audOwner routes need the owner role in the current org.
	audOwner sweepAudience = "owner-only"
	// audOps routes are probes and metrics: no session, not HTML.
	audOps sweepAudience = "ops"
	// audDev routes exist only in `tidings dev` (webtest runs in dev mode).
	audDev sweepAudience = "dev"
	// audWebhook routes are called by other servers, not browsers: no
	// session, no CSRF token; a signature or verify token proves them.
	// Unsigned requests (all the sweeps can send) must get a 4xx and
	// change nothing; signed ones belong in the webhook's own tests.
	audWebhook sweepAudience = "webhook"
)

// sweepIDKind is what a route's path parameter (":id", ":key") names.
// A new kind also needs a value in sweepCtx.param and, for the tenant
// sweep, things of that kind in org A (TestSweepTenantIsolation).
type sweepIDKind string

const (
	idNone       sweepIDKind = ""
	idSession    sweepIDKind = "session"
	idInvite     sweepIDKind = "invite"
	idMember     sweepIDKind = "member user id"
	idMail       sweepIDKind = "dev outbox mail"
	idOrg        sweepIDKind = "organisation"
	idWebhookKey sweepIDKind = "webhook key"
	idImport     sweepIDKind = "contact import"
	idTemplate   sweepIDKind = "message template"
	idContact    sweepIDKind = "contact"
	idList       sweepIDKind = "contact list"
	idCampaign   sweepIDKind = "campaign"
)

type sweepRoute struct {
	Method, Path string
	Aud          sweepAudience
	// ID is what the path's one parameter takes (idNone when it has none).
	ID sweepIDKind
	// FormID names a form field that carries an id of kind FormIDKind
	// (e.g. the org to switch to): the tenant sweep puts another org's ids
	// there and expects a refusal.
	FormID     string
	FormIDKind sweepIDKind
	// Self routes act on the sender's own login or session (log in or out,
	// change password, sign out elsewhere, join): sweeps send them from a
	// throwaway user or browser so the sweep's own browser stays as it was.
	Self bool
	// Form returns values that would succeed for x.Actor (the query for a
	// GET, the body for a POST); nil means none.
	Form func(x *sweepCtx) url.Values
	// Audits names the audit action a GET records (an export of personal
	// data is audited): the GET sweep then lets it append audit entries of
	// that action, and nothing else.
	Audits string
}

const (
	sweepNewPassword   = "Sweep-New-Passphrase-4711"
	sweepResetPassword = "Sweep-Reset-Passphrase-4712"
	sweepJoinPassword  = "Sweep-Join-Passphrase-4713"
	sweepSignupPass    = "Sweep-Signup-Passphrase-4714"
)

var sweepRoutes = []sweepRoute{
	// Operations.
	{Method: http.MethodGet, Path: paths.Healthz, Aud: audOps},
	{Method: http.MethodGet, Path: paths.Readyz, Aud: audOps},
	{Method: http.MethodGet, Path: paths.Metrics, Aud: audOps},

	// Public pages.
	{Method: http.MethodGet, Path: paths.Home, Aud: audPublic},
	{Method: http.MethodGet, Path: paths.PrivacyCentre, Aud: audPublic},
	{Method: http.MethodGet, Path: paths.PrivacyPolicy, Aud: audPublic},
	{Method: http.MethodGet, Path: paths.Terms, Aud: audPublic},

	// Authentication.
	{Method: http.MethodGet, Path: paths.Login, Aud: audAnyone},
	{Method: http.MethodPost, Path: paths.Login, Aud: audAnyone, Self: true, Form: func(x *sweepCtx) url.Values {
		w := x.who()
		return url.Values{"email": {w.Email}, "password": {w.Password}, "next": {paths.Dashboard}}
	}},
	{Method: http.MethodPost, Path: paths.Logout, Aud: audAnyone, Self: true},
	{Method: http.MethodGet, Path: paths.Signup, Aud: audAnyone},
	{Method: http.MethodPost, Path: paths.Signup, Aud: audAnyone, Form: func(x *sweepCtx) url.Values {
		return url.Values{
			"name": {"Sweep Signup"}, "email": {x.fresh("signup")}, "phone": {"07911 123456"}, "password": {sweepSignupPass},
			"business_name": {"Sweep Signup Ltd"}, "industry": {"services"}, "company_size": {"2-10"},
			"country": {"GB"}, "time_zone": {"Europe/London"}, "website": {"sweep.example"},
			"adult": {"on"}, "accept_terms": {"on"}, "accept_privacy": {"on"},
			"terms_version": {strconv.Itoa(x.Terms)}, "privacy_version": {strconv.Itoa(x.Privacy)},
		}
	}},
	// A GET with a link's token is the e-mailed proof of the address; the
	// sweeps use a token that matches nothing.
	{Method: http.MethodGet, Path: paths.VerifyEmail, Aud: audAnyone, Form: func(*sweepCtx) url.Values {
		return url.Values{"token": {"sweep-not-a-real-token-0123456789"}}
	}},
	{Method: http.MethodGet, Path: paths.ResendVerify, Aud: audAnyone},
	{Method: http.MethodPost, Path: paths.ResendVerify, Aud: audAnyone, Form: func(x *sweepCtx) url.Values {
		return url.Values{"email": {x.who().Email}}
	}},
	{Method: http.MethodGet, Path: paths.ForgotPassword, Aud: audAnyone},
	{Method: http.MethodPost, Path: paths.ForgotPassword, Aud: audAnyone, Form: func(x *sweepCtx) url.Values {
		return url.Values{"email": {x.who().Email}}
	}},
	{Method: http.MethodGet, Path: paths.ResetPassword, Aud: audAnyone, Form: func(x *sweepCtx) url.Values {
		return url.Values{"token": {x.ResetToken}}
	}},
	{Method: http.MethodPost, Path: paths.ResetPassword, Aud: audAnyone, Form: func(x *sweepCtx) url.Values {
		return url.Values{"token": {x.ResetToken}, "password": {sweepResetPassword}, "password_confirm": {sweepResetPassword}}
	}},
	{Method: http.MethodGet, Path: paths.AcceptInvite, Aud: audAnyone, Form: func(x *sweepCtx) url.Values {
		return url.Values{"token": {x.InviteToken}}
	}},
	// Accepting signs the browser in (as the new account, when it had none).
	{Method: http.MethodPost, Path: paths.AcceptInvite, Aud: audAnyone, Self: true, Form: func(x *sweepCtx) url.Values {
		return url.Values{"token": {x.InviteToken}, "name": {"Sweep Joiner"}, "password": {sweepJoinPassword},
			"adult": {"on"}, "accept_terms": {"on"}, "accept_privacy": {"on"},
			"terms_version": {strconv.Itoa(x.Terms)}, "privacy_version": {strconv.Itoa(x.Privacy)}}
	}},
	{Method: http.MethodGet, Path: paths.AcceptPolicies, Aud: audUser},
	{Method: http.MethodPost, Path: paths.AcceptPolicies, Aud: audUser, Form: func(*sweepCtx) url.Values {
		return url.Values{"accept_terms": {"on"}, "accept_privacy": {"on"}}
	}},

	// The app.
	{Method: http.MethodGet, Path: paths.Dashboard, Aud: audMember},
	{Method: http.MethodPost, Path: paths.SwitchOrg, Aud: audMember, FormID: "org_id", FormIDKind: idOrg, Form: func(x *sweepCtx) url.Values {
		return url.Values{"org_id": {strconv.FormatInt(x.OrgID, 10)}}
	}},
	{Method: http.MethodGet, Path: paths.Profile, Aud: audMember},
	{Method: http.MethodPost, Path: paths.ChangePassword, Aud: audMember, Self: true, Form: func(x *sweepCtx) url.Values {
		return url.Values{"current_password": {x.who().Password}, "new_password": {sweepNewPassword}, "new_password_confirm": {sweepNewPassword}}
	}},
	{Method: http.MethodGet, Path: paths.Sessions, Aud: audMember},
	{Method: http.MethodPost, Path: paths.SessionRevokePattern, Aud: audMember, ID: idSession},
	{Method: http.MethodPost, Path: paths.SessionsRevokeOthers, Aud: audMember, Self: true},
	{Method: http.MethodGet, Path: paths.Team, Aud: audMember},
	{Method: http.MethodPost, Path: paths.TeamInvite, Aud: audOwner, Form: func(x *sweepCtx) url.Values {
		return url.Values{"email": {x.fresh("invitee")}, "role": {"member"}}
	}},
	{Method: http.MethodPost, Path: paths.InviteRevokePattern, Aud: audOwner, ID: idInvite},
	{Method: http.MethodPost, Path: paths.MemberRolePattern, Aud: audOwner, ID: idMember, Form: func(*sweepCtx) url.Values {
		return url.Values{"role": {"admin"}}
	}},
	{Method: http.MethodPost, Path: paths.MemberRemovePattern, Aud: audOwner, ID: idMember},
	{Method: http.MethodGet, Path: paths.WhatsApp, Aud: audMember},
	{Method: http.MethodPost, Path: paths.WhatsApp, Aud: audAdmin, Form: func(*sweepCtx) url.Values {
		return url.Values{"waba_id": {"102290129340398"}, "phone_number_id": {"106540352242922"},
			"api_base_url": {"http://127.0.0.1:9"}, "api_version": {"v23.0"},
			"access_token": {"EAAGsweepaccesstoken0123456789"}, "app_secret": {"sweepappsecret0123456789"}}
	}},
	// Testing a connection that does not exist (the sweep's orgs have
	// none) is a 404 for those allowed, and a refusal for the rest.
	{Method: http.MethodPost, Path: paths.WhatsAppTest, Aud: audAdmin},
	{Method: http.MethodGet, Path: paths.SendSettings, Aud: audMember},
	{Method: http.MethodPost, Path: paths.SendSettings, Aud: audAdmin, Form: func(*sweepCtx) url.Values {
		return url.Values{"cap_count": {"3"}, "cap_days": {"7"}, "optout_keywords": {"Désabonner"}, "optin_keywords": {""},
			"optout_payloads": {"STOP_PROMOS"}, "optout_confirmation": {"Bye."}, "optin_confirmation": {"Welcome back."},
			"pause_error_percent": {"20"}, "send_rate": {"80"}}
	}},
	{Method: http.MethodGet, Path: paths.Templates, Aud: audMember, Form: func(*sweepCtx) url.Values {
		return url.Values{"status": {"APPROVED"}, "category": {"MARKETING"}}
	}},
	{Method: http.MethodGet, Path: paths.TemplatePattern, Aud: audMember, ID: idTemplate},
	{Method: http.MethodGet, Path: paths.TemplateNew, Aud: audAdmin},
	// The sweep's orgs have no WhatsApp number: creating is a 422 (connect
	// first) and syncing a 404 for those allowed, a refusal for the rest.
	{Method: http.MethodPost, Path: paths.Templates, Aud: audAdmin, Form: sweepTemplateForm},
	{Method: http.MethodPost, Path: paths.TemplatePreview, Aud: audAdmin, Form: sweepTemplateForm},
	{Method: http.MethodPost, Path: paths.TemplatesSync, Aud: audAdmin},

	{Method: http.MethodGet, Path: paths.Contacts, Aud: audMember, Form: func(*sweepCtx) url.Values {
		return url.Values{"q": {"7911"}, "consent": {"opted_in"}, "tag": {"vip"}, "after": {"1"}}
	}},
	{Method: http.MethodGet, Path: paths.ImportNew, Aud: audMember},
	// The sweeps post a form without a file: a 422 for those allowed.
	{Method: http.MethodPost, Path: paths.Imports, Aud: audAdmin},
	{Method: http.MethodGet, Path: paths.ImportPattern, Aud: audMember, ID: idImport},
	{Method: http.MethodGet, Path: paths.ImportStatusPattern, Aud: audMember, ID: idImport},
	{Method: http.MethodGet, Path: paths.ImportRejectedPattern, Aud: audMember, ID: idImport},
	// The sweep's import holds "phone,name" (sweepImportCSV).
	{Method: http.MethodPost, Path: paths.ImportConfirmPattern, Aud: audAdmin, ID: idImport, Form: func(*sweepCtx) url.Values {
		return url.Values{"columns.0": {"phone"}, "columns.1": {"name"}, "has_header": {"true"}, "default_country": {"GB"}, "mode": {"add_new"}}
	}},
	{Method: http.MethodPost, Path: paths.ImportCancelPattern, Aud: audAdmin, ID: idImport},
	{Method: http.MethodGet, Path: paths.ContactPattern, Aud: audMember, ID: idContact},
	// Contact management: by hand, in bulk on a filter, and lists (the
	// deletes last, so the rows before them find what they act on).
	{Method: http.MethodGet, Path: paths.ContactNew, Aud: audMember},
	{Method: http.MethodPost, Path: paths.Contacts, Aud: audMember, Form: func(x *sweepCtx) url.Values {
		return url.Values{"phone": {x.freshPhone()}, "country": {"GB"}, "name": {"Sweep Added"}, "tags": {"sweep"},
			"attr_key.0": {"city"}, "attr_value.0": {"Leeds"}, "consent": {"opt_in"}, "consent.lawful_basis": {"consent"},
			"consent.evidence": {"Said yes at the till"}}
	}},
	{Method: http.MethodGet, Path: paths.ContactEditPattern, Aud: audMember, ID: idContact},
	{Method: http.MethodPost, Path: paths.ContactUpdatePattern, Aud: audMember, ID: idContact, Form: func(x *sweepCtx) url.Values {
		return url.Values{"phone": {"07911 200099"}, "country": {"GB"}, "name": {"Sweep Edited " + sweepRandom()}, "tags": {"edited"}}
	}},
	{Method: http.MethodPost, Path: paths.ContactConsentPattern, Aud: audMember, ID: idContact, Form: func(*sweepCtx) url.Values {
		return url.Values{"kind": {"opt_out"}, "evidence": {"Asked us to stop"}}
	}},
	{Method: http.MethodPost, Path: paths.ContactListAddPattern, Aud: audMember, ID: idContact, FormID: "list_id", FormIDKind: idList,
		Form: func(x *sweepCtx) url.Values { return url.Values{"list_id": {strconv.FormatInt(x.ListID, 10)}} }},
	{Method: http.MethodPost, Path: paths.ContactListRemovePattern, Aud: audMember, ID: idContact, FormID: "list_id", FormIDKind: idList,
		Form: func(x *sweepCtx) url.Values { return url.Values{"list_id": {strconv.FormatInt(x.ListID, 10)}} }},
	{Method: http.MethodGet, Path: paths.ContactsBulk, Aud: audMember, Form: func(*sweepCtx) url.Values {
		return url.Values{"q": {"7911"}, "consent": {"opted_in"}, "tag": {"vip"}, "attr": {"city"}, "value": {"Leeds"}}
	}},
	{Method: http.MethodPost, Path: paths.ContactsBulkTag, Aud: audMember, Form: func(*sweepCtx) url.Values {
		return url.Values{"q": {"07911 200099"}, "tags": {"swept"}, "op": {"add"}}
	}},
	{Method: http.MethodPost, Path: paths.ContactsBulkList, Aud: audMember, FormID: "list_id", FormIDKind: idList, Form: func(x *sweepCtx) url.Values {
		return url.Values{"q": {"07911 200099"}, "list_id": {strconv.FormatInt(x.ListID, 10)}}
	}},
	{Method: http.MethodGet, Path: paths.Lists, Aud: audMember},
	{Method: http.MethodPost, Path: paths.Lists, Aud: audMember, Form: func(*sweepCtx) url.Values {
		return url.Values{"name": {"Sweep list " + sweepRandom()}, "description": {"made by the sweep"}}
	}},
	{Method: http.MethodGet, Path: paths.ListPattern, Aud: audMember, ID: idList, Form: func(*sweepCtx) url.Values {
		return url.Values{"q": {"7911"}, "tag": {"vip"}, "after": {"1"}}
	}},
	{Method: http.MethodPost, Path: paths.ListUpdatePattern, Aud: audMember, ID: idList, Form: func(*sweepCtx) url.Values {
		return url.Values{"name": {"Sweep renamed " + sweepRandom()}, "description": {"renamed by the sweep"}}
	}},
	// The confirmation is the number of contacts the filter matches now:
	// those the create row above added.
	{Method: http.MethodPost, Path: paths.ContactsBulkDelete, Aud: audAdmin, Form: func(x *sweepCtx) url.Values {
		return url.Values{"tag": {"sweep"}, "confirm": {strconv.FormatInt(x.count(contact.Filter{Tag: "sweep"}), 10)}}
	}},
	{Method: http.MethodPost, Path: paths.ListDeletePattern, Aud: audAdmin, ID: idList, Form: func(x *sweepCtx) url.Values {
		return url.Values{"confirm": {x.listName()}}
	}},
	// Deleting needs the contact's name or number typed: every sweep
	// contact has this number.
	{Method: http.MethodPost, Path: paths.ContactDeletePattern, Aud: audAdmin, ID: idContact, Form: func(*sweepCtx) url.Values {
		return url.Values{"confirm": {"+447911200099"}}
	}},
	{Method: http.MethodGet, Path: paths.ContactsExport, Aud: audAdmin, Audits: "contact.export", Form: func(*sweepCtx) url.Values {
		return url.Values{"q": {"7911"}, "consent": {"opted_in"}, "tag": {"vip"}}
	}},

	// Campaigns. The sweep's campaign is a draft without a template: the
	// actions that need one answer with a refusal in words (a redirect with
	// a flash, or the editor with errors), never a 5xx.
	{Method: http.MethodGet, Path: paths.Campaigns, Aud: audMember},
	{Method: http.MethodGet, Path: paths.CampaignNew, Aud: audAdmin},
	{Method: http.MethodPost, Path: paths.Campaigns, Aud: audAdmin, Form: func(*sweepCtx) url.Values {
		return url.Values{"name": {"Sweep campaign"}}
	}},
	{Method: http.MethodGet, Path: paths.CampaignPattern, Aud: audMember, ID: idCampaign},
	{Method: http.MethodGet, Path: paths.CampaignStatusPattern, Aud: audMember, ID: idCampaign},
	{Method: http.MethodGet, Path: paths.CampaignPreviewPattern, Aud: audMember, ID: idCampaign, Form: func(*sweepCtx) url.Values {
		return url.Values{"name": {"Sweep"}, "audience.tags": {"vip"}, "preview_contact": {"1"}, "dir": {"next"}}
	}},
	{Method: http.MethodGet, Path: paths.CampaignCountPattern, Aud: audMember, ID: idCampaign, Form: func(*sweepCtx) url.Values {
		return url.Values{"audience.tags": {"vip"}, "audience.match": {"any"}}
	}},
	{Method: http.MethodPost, Path: paths.CampaignPattern, Aud: audAdmin, ID: idCampaign, Form: func(*sweepCtx) url.Values {
		return url.Values{"name": {"Sweep campaign, renamed"}, "audience.tags": {"vip"}, "window_start": {"09:00"}, "window_end": {"20:00"}}
	}},
	{Method: http.MethodPost, Path: paths.CampaignStartPattern, Aud: audAdmin, ID: idCampaign},
	{Method: http.MethodPost, Path: paths.CampaignSchedulePattern, Aud: audAdmin, ID: idCampaign, Form: func(*sweepCtx) url.Values {
		return url.Values{"date": {"2026-03-09"}, "time": {"09:30"}}
	}},
	{Method: http.MethodPost, Path: paths.CampaignUnschedulePattern, Aud: audAdmin, ID: idCampaign},
	{Method: http.MethodPost, Path: paths.CampaignPausePattern, Aud: audAdmin, ID: idCampaign},
	{Method: http.MethodPost, Path: paths.CampaignResumePattern, Aud: audAdmin, ID: idCampaign},
	{Method: http.MethodPost, Path: paths.CampaignCancelPattern, Aud: audAdmin, ID: idCampaign},
	{Method: http.MethodPost, Path: paths.CampaignDuplicatePattern, Aud: audAdmin, ID: idCampaign},
	{Method: http.MethodPost, Path: paths.CampaignTestSendPattern, Aud: audAdmin, ID: idCampaign},
	{Method: http.MethodPost, Path: paths.CampaignDeletePattern, Aud: audAdmin, ID: idCampaign},

	// Webhooks from Meta.
	{Method: http.MethodGet, Path: paths.WhatsAppWebhookPattern, Aud: audWebhook, ID: idWebhookKey},
	{Method: http.MethodPost, Path: paths.WhatsAppWebhookPattern, Aud: audWebhook, ID: idWebhookKey},

	// Development tools.
	{Method: http.MethodGet, Path: paths.DevOutbox, Aud: audDev},
	{Method: http.MethodGet, Path: paths.DevOutboxPattern, Aud: audDev, ID: idMail},
}

// sweepTemplateForm is a template that passes Meta's rules.
func sweepTemplateForm(x *sweepCtx) url.Values {
	return url.Values{"name": {"sweep_" + sweepRandom()}, "language": {"en_GB"}, "category": {"UTILITY"},
		"body": {"Hi {{1}}, your order is ready."}, "example.1": {"Ann"}, "button.0.type": {"QUICK_REPLY"}, "button.0.text": {"Thanks"}}
}

func (r sweepRoute) key() string { return r.Method + " " + r.Path }

// sweepParamRE finds a path parameter (":id", ":key").
var sweepParamRE = regexp.MustCompile(`:[A-Za-z_]+`)

// TestSweepRouteTableComplete keeps sweepRoutes equal to the registered
// routes, so every sweep covers every route.
func TestSweepRouteTableComplete(t *testing.T) {
	e := webtest.New(t)
	registered := sweepRegistered(e.Server)
	declared := map[string]sweepRoute{}
	for _, r := range sweepRoutes {
		if _, dup := declared[r.key()]; dup {
			t.Errorf("route %s appears twice in the security sweep table", r.key())
		}
		declared[r.key()] = r
		if params := sweepParamRE.FindAllString(r.Path, -1); len(params) > 1 {
			t.Errorf("route %s has %d path parameters: teach the sweeps about more than one", r.key(), len(params))
		} else if (len(params) == 1) != (r.ID != idNone) {
			t.Errorf("route %s: the table's id kind %q does not match the path's parameters %v", r.key(), r.ID, params)
		}
		if (r.FormID == "") != (r.FormIDKind == idNone) {
			t.Errorf("route %s: FormID and FormIDKind go together", r.key())
		}
		switch r.Aud {
		case audPublic, audAnyone, audUser, audMember, audAdmin, audOwner, audOps, audDev, audWebhook:
		default:
			t.Errorf("route %s has unknown audience %q", r.key(), r.Aud)
		}
	}
	for k := range registered {
		if _, ok := declared[k]; !ok {
			t.Errorf("route %s is not in the security sweep table: add it to sweepRoutes in web/sweep_routes_test.go", k)
		}
	}
	for k := range declared {
		if !registered[k] {
			t.Errorf("the security sweep table lists %s, which is not registered: remove or correct its row", k)
		}
	}

	// The dev tools (an unauthenticated view of every e-mail sent, with
	// their tokens) must not exist outside `tidings dev`.
	prod := web.New(web.Deps{Config: e.Config, Log: slog.New(slog.DiscardHandler), Accounts: e.Accounts,
		Registry: prometheus.NewRegistry()})
	for k := range sweepRegistered(prod) {
		if declared[k].Aud == audDev || strings.HasPrefix(strings.TrimPrefix(k, http.MethodGet+" "), "/dev") {
			t.Errorf("a server without the dev outbox still registers %s", k)
		}
	}
}

// sweepRegistered lists a server's routes as "METHOD /path", without the
// catch-all 404 and the static files (served by http.FileServer, no data).
func sweepRegistered(s *web.Server) map[string]bool {
	out := map[string]bool{}
	for _, r := range s.Echo().Routes() {
		if r.Method == echo.RouteNotFound || r.Path == paths.Static+"/*" {
			continue
		}
		out[r.Method+" "+r.Path] = true
	}
	return out
}

package web

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tidings/internal/account"
	"tidings/static"
	"tidings/web/paths"
)

// routes is the one route table, grouped by audience. Reading it top to
// bottom tells what the product does and who may do it.
func (s *Server) routes() {
	e := s.echo

	// Operations: probes and metrics, no session, no CSRF.
	e.GET(paths.Healthz, s.healthz)
	e.GET(paths.Readyz, s.readyz)
	e.GET(paths.Metrics, echo.WrapHandler(promhttp.HandlerFor(s.deps.Registry, promhttp.HandlerOpts{})))
	e.GET(paths.Static+"/*", echo.WrapHandler(http.StripPrefix(paths.Static, static.Handler())))

	// Meta's webhooks: server to server, authenticated by signature.
	e.GET(paths.WhatsAppWebhookPattern, s.webhookVerify)
	e.POST(paths.WhatsAppWebhookPattern, s.webhookReceive)

	// Everything people see goes through CSRF and the session.
	site := audience{e: e, mw: []echo.MiddlewareFunc{s.csrf.middleware, s.withSession}}
	e.RouteNotFound("/*", notFound, site.mw...)

	// Public pages.
	site.GET(paths.Home, s.homeShow)
	site.GET(paths.PrivacyCentre, s.privacyCentreShow)
	site.GET(paths.PrivacyPolicy, s.policyShow(account.PolicyPrivacy))
	site.GET(paths.Terms, s.policyShow(account.PolicyTerms))

	// Authentication (no-store: forms carry tokens and personal data).
	auth := site.with(noStore)
	auth.GET(paths.Login, s.loginShow)
	auth.POST(paths.Login, s.loginCreate)
	auth.POST(paths.Logout, s.logout)
	auth.GET(paths.Signup, s.signupShow)
	auth.POST(paths.Signup, s.signupCreate)
	auth.GET(paths.VerifyEmail, s.emailVerify)
	auth.GET(paths.ResendVerify, s.verifyResendShow)
	auth.POST(paths.ResendVerify, s.verifyResend)
	auth.GET(paths.ForgotPassword, s.passwordForgotShow)
	auth.POST(paths.ForgotPassword, s.passwordForgot)
	auth.GET(paths.ResetPassword, s.passwordResetShow)
	auth.POST(paths.ResetPassword, s.passwordReset)
	auth.GET(paths.AcceptInvite, s.inviteShow)
	auth.POST(paths.AcceptInvite, s.inviteAccept)
	auth.GET(paths.AcceptPolicies, s.policiesAcceptShow, s.requireUser)
	auth.POST(paths.AcceptPolicies, s.policiesAccept, s.requireUser)

	// The app: signed-in members of an organisation who accepted the
	// current policies. Owner-only actions say so on the route.
	app := site.with(noStore, s.requireUser, s.requireOrg, s.requirePolicies)
	app.GET(paths.Dashboard, s.dashboardShow)
	app.POST(paths.SwitchOrg, s.orgSwitch)
	app.GET(paths.Profile, s.profileShow)
	app.POST(paths.ChangePassword, s.passwordChange)
	app.GET(paths.Sessions, s.sessionList)
	app.POST(paths.SessionRevokePattern, s.sessionRevoke)
	app.POST(paths.SessionsRevokeOthers, s.sessionRevokeOthers)
	app.GET(paths.Team, s.teamShow)
	app.GET(paths.WhatsApp, s.whatsappShow)
	app.GET(paths.SendSettings, s.sendSettingsShow)
	// Message templates: members see them; admins and owners create and sync.
	app.GET(paths.Templates, s.templateList)
	app.GET(paths.TemplatePattern, s.templateShow)
	app.GET(paths.TemplateNew, s.templateNew, requireRole(account.RoleAdmin))
	app.POST(paths.Templates, s.templateCreate, requireRole(account.RoleAdmin))
	app.POST(paths.TemplatePreview, s.templatePreview, requireRole(account.RoleAdmin))
	app.POST(paths.TemplatesSync, s.templatesSync, requireRole(account.RoleAdmin))
	app.GET(paths.Contacts, s.contactList)
	app.GET(paths.ImportNew, s.importNew)
	app.GET(paths.ImportPattern, s.importShow)
	app.GET(paths.ImportStatusPattern, s.importStatus)
	app.GET(paths.ImportRejectedPattern, s.importRejected)
	app.GET(paths.ContactPattern, s.contactShow)
	// Campaigns: members see them; admins and owners compose, send and stop.
	app.GET(paths.Campaigns, s.campaignList)
	app.GET(paths.CampaignPattern, s.campaignShow)
	app.GET(paths.CampaignStatusPattern, s.campaignStatus)
	app.GET(paths.CampaignPreviewPattern, s.campaignPreview)
	app.GET(paths.CampaignCountPattern, s.campaignCount)
	app.GET(paths.CampaignNew, s.campaignNew, requireRole(account.RoleAdmin))
	app.POST(paths.Campaigns, s.campaignCreate, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignPattern, s.campaignUpdate, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignStartPattern, s.campaignStart, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignSchedulePattern, s.campaignSchedule, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignUnschedulePattern, s.campaignUnschedule, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignPausePattern, s.campaignPause, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignResumePattern, s.campaignResume, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignCancelPattern, s.campaignCancel, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignDuplicatePattern, s.campaignDuplicate, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignDeletePattern, s.campaignDelete, requireRole(account.RoleAdmin))
	app.POST(paths.CampaignTestSendPattern, s.campaignTestSend, requireRole(account.RoleAdmin))
	admin := app.with(requireRole(account.RoleAdmin))
	admin.POST(paths.WhatsApp, s.whatsappSave)
	admin.POST(paths.WhatsAppTest, s.whatsappTest)
	admin.POST(paths.SendSettings, s.sendSettingsSave)
	admin.POST(paths.ImportConfirmPattern, s.importConfirm)
	admin.POST(paths.ImportCancelPattern, s.importCancel)
	admin.POST(paths.ContactDeletePattern, s.contactDelete)
	admin.GET(paths.ContactsExport, s.contactExport)
	// Contact management: members add, edit, tag and group contacts;
	// deleting (one, many, or a list) needs an admin and a typed
	// confirmation.
	app.GET(paths.ContactNew, s.contactNew)
	app.POST(paths.Contacts, s.contactCreate)
	app.GET(paths.ContactEditPattern, s.contactEdit)
	app.POST(paths.ContactUpdatePattern, s.contactUpdate)
	app.POST(paths.ContactConsentPattern, s.contactConsent)
	app.POST(paths.ContactListAddPattern, s.contactMembershipAdd)
	app.POST(paths.ContactListRemovePattern, s.contactMembershipRemove)
	app.GET(paths.ContactsBulk, s.contactBulk)
	app.POST(paths.ContactsBulkTag, s.contactBulkTag)
	app.POST(paths.ContactsBulkList, s.contactBulkList)
	admin.POST(paths.ContactsBulkDelete, s.contactBulkDelete)
	app.GET(paths.Lists, s.listIndex)
	app.POST(paths.Lists, s.listCreate)
	app.GET(paths.ListPattern, s.listShow)
	app.POST(paths.ListUpdatePattern, s.listUpdate)
	admin.POST(paths.ListDeletePattern, s.listDelete)
	// Uploads: the body is capped before the CSRF check parses it.
	upload := audience{e: e, mw: append([]echo.MiddlewareFunc{s.importBodyLimit}, admin.mw...)}
	upload.POST(paths.Imports, s.importCreate)
	owner := app.with(requireRole(account.RoleOwner))
	owner.POST(paths.TeamInvite, s.teamInvite)
	owner.POST(paths.InviteRevokePattern, s.inviteRevoke)
	owner.POST(paths.MemberRolePattern, s.memberRole)
	owner.POST(paths.MemberRemovePattern, s.memberRemove)

	// Development tools, only in `tidings dev`.
	if s.deps.Outbox != nil {
		dev := site.with(noStore)
		dev.GET(paths.DevOutbox, s.devOutboxList)
		dev.GET(paths.DevOutboxPattern, s.devOutboxShow)
	}
}

// audience is a set of routes that share middleware. Echo's groups would
// register a catch-all 404 route per group, and with an empty prefix that
// would run, say, the app's login redirect for every unknown URL.
type audience struct {
	e  *echo.Echo
	mw []echo.MiddlewareFunc
}

func (a audience) with(mw ...echo.MiddlewareFunc) audience {
	return audience{e: a.e, mw: append(slices.Clone(a.mw), mw...)}
}

func (a audience) GET(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	a.e.GET(path, h, append(slices.Clone(a.mw), mw...)...)
}

func (a audience) POST(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	a.e.POST(path, h, append(slices.Clone(a.mw), mw...)...)
}

func notFound(echo.Context) error { return echo.ErrNotFound }

// Package paths is the one place that spells the application's URLs.
// Routes register these patterns and templates link with these builders,
// so renaming a URL is a one-line change and no template holds a literal.
package paths

import (
	"net/url"
	"strconv"
	"strings"
)

// Public pages.
const (
	Home          = "/"
	PrivacyCentre = "/privacy"
	PrivacyPolicy = "/privacy/policy"
	Terms         = "/terms"
)

// Authentication.
const (
	Login          = "/login"
	Logout         = "/logout"
	Signup         = "/signup"
	VerifyEmail    = "/verify-email"
	ResendVerify   = "/verify-email/resend"
	ForgotPassword = "/password/forgot"
	ResetPassword  = "/password/reset"
	AcceptInvite   = "/invites/accept"
	AcceptPolicies = "/policies/accept"
)

// The signed-in app.
const (
	Dashboard             = "/app"
	Profile               = "/app/account/profile"
	ChangePassword        = "/app/account/password"
	Sessions              = "/app/account/sessions"
	SessionsRevokeOthers  = "/app/account/sessions/revoke-others"
	SessionRevokePattern  = "/app/account/sessions/:id/revoke"
	Team                  = "/app/settings/team"
	TeamInvite            = "/app/settings/team/invites"
	InviteRevokePattern   = "/app/settings/team/invites/:id/revoke"
	MemberRolePattern     = "/app/settings/team/members/:id/role"
	MemberRemovePattern   = "/app/settings/team/members/:id/remove"
	SwitchOrg             = "/app/switch-org"
	WhatsApp              = "/app/settings/whatsapp"
	WhatsAppTest          = "/app/settings/whatsapp/test"
	SendSettings          = "/app/settings/sending"
	Contacts              = "/app/contacts"
	ImportNew             = "/app/contacts/imports/new"
	Imports               = "/app/contacts/imports"
	ImportPattern         = "/app/contacts/imports/:id"
	ImportConfirmPattern  = "/app/contacts/imports/:id/confirm"
	ImportCancelPattern   = "/app/contacts/imports/:id/cancel"
	ImportStatusPattern   = "/app/contacts/imports/:id/status"
	ImportRejectedPattern = "/app/contacts/imports/:id/rejected.csv"
	ContactsExport        = "/app/contacts/export"
	ContactPattern        = "/app/contacts/:id"
	ContactDeletePattern  = "/app/contacts/:id/delete"

	Campaigns                 = "/app/campaigns"
	CampaignNew               = "/app/campaigns/new"
	CampaignPattern           = "/app/campaigns/:id"
	CampaignStatusPattern     = "/app/campaigns/:id/status"
	CampaignPreviewPattern    = "/app/campaigns/:id/preview"
	CampaignCountPattern      = "/app/campaigns/:id/count"
	CampaignStartPattern      = "/app/campaigns/:id/start"
	CampaignSchedulePattern   = "/app/campaigns/:id/schedule"
	CampaignUnschedulePattern = "/app/campaigns/:id/unschedule"
	CampaignPausePattern      = "/app/campaigns/:id/pause"
	CampaignResumePattern     = "/app/campaigns/:id/resume"
	CampaignCancelPattern     = "/app/campaigns/:id/cancel"
	CampaignDuplicatePattern  = "/app/campaigns/:id/duplicate"
	CampaignDeletePattern     = "/app/campaigns/:id/delete"
	CampaignTestSendPattern   = "/app/campaigns/:id/test-send"
)

// Contact management: by hand, in bulk on a filter, and lists.
const (
	ContactNew               = "/app/contacts/new"
	ContactEditPattern       = "/app/contacts/:id/edit"
	ContactUpdatePattern     = "/app/contacts/:id/update"
	ContactConsentPattern    = "/app/contacts/:id/consent"
	ContactListAddPattern    = "/app/contacts/:id/lists/add"
	ContactListRemovePattern = "/app/contacts/:id/lists/remove"
	ContactsBulk             = "/app/contacts/bulk"
	ContactsBulkTag          = "/app/contacts/bulk/tag"
	ContactsBulkList         = "/app/contacts/bulk/list"
	ContactsBulkDelete       = "/app/contacts/bulk/delete"
	Lists                    = "/app/contacts/lists"
	ListPattern              = "/app/contacts/lists/:id"
	ListUpdatePattern        = "/app/contacts/lists/:id/update"
	ListDeletePattern        = "/app/contacts/lists/:id/delete"
)

// Webhooks: called by Meta, not by browsers.
const (
	WhatsAppWebhookPattern = "/webhooks/whatsapp/:key"
)

// Message templates, in the signed-in app.
const (
	Templates       = "/app/templates"
	TemplateNew     = "/app/templates/new"
	TemplatePreview = "/app/templates/preview"
	TemplatesSync   = "/app/templates/sync"
	TemplatePattern = "/app/templates/:id"
)

// Operations.
const (
	Healthz = "/healthz"
	Readyz  = "/readyz"
	Metrics = "/metrics"
	Static  = "/static"
)

// Development tools, registered only by `tidings dev`.
const (
	DevOutbox        = "/dev/outbox"
	DevOutboxPattern = "/dev/outbox/:id"
)

// SessionRevoke is the URL that revokes one session.
func SessionRevoke(id int64) string { return withID(SessionRevokePattern, id) }

// InviteRevoke is the URL that withdraws a pending invitation.
func InviteRevoke(id int64) string { return withID(InviteRevokePattern, id) }

// MemberRole is the URL that changes a member's role.
func MemberRole(id int64) string { return withID(MemberRolePattern, id) }

// MemberRemove is the URL that removes a member from the organisation.
func MemberRemove(id int64) string { return withID(MemberRemovePattern, id) }

// DevOutboxMessage shows one captured e-mail.
func DevOutboxMessage(id int64) string { return withID(DevOutboxPattern, id) }

// Import is an import's page: the mapping step, then its progress.
func Import(id int64) string { return withID(ImportPattern, id) }

// ImportConfirm confirms an import's mapping and attestation.
func ImportConfirm(id int64) string { return withID(ImportConfirmPattern, id) }

// ImportCancel stops a queued or running import.
func ImportCancel(id int64) string { return withID(ImportCancelPattern, id) }

// ImportStatus is the progress fragment an import's page polls.
func ImportStatus(id int64) string { return withID(ImportStatusPattern, id) }

// ImportRejected downloads an import's rejected rows as CSV.
func ImportRejected(id int64) string { return withID(ImportRejectedPattern, id) }

// Contact is a contact's page.
func Contact(id int64) string { return withID(ContactPattern, id) }

// ContactDelete erases a contact.
func ContactDelete(id int64) string { return withID(ContactDeletePattern, id) }

// ContactEdit is the form that edits a contact.
func ContactEdit(id int64) string { return withID(ContactEditPattern, id) }

// ContactUpdate saves an edited contact.
func ContactUpdate(id int64) string { return withID(ContactUpdatePattern, id) }

// ContactConsent records an opt-in or opt-out of a contact.
func ContactConsent(id int64) string { return withID(ContactConsentPattern, id) }

// ContactListAdd puts a contact on a list.
func ContactListAdd(id int64) string { return withID(ContactListAddPattern, id) }

// ContactListRemove takes a contact off a list.
func ContactListRemove(id int64) string { return withID(ContactListRemovePattern, id) }

// List is a list's page: its contacts.
func List(id int64) string { return withID(ListPattern, id) }

// ListUpdate renames a list or changes its description.
func ListUpdate(id int64) string { return withID(ListUpdatePattern, id) }

// ListDelete removes a list (its contacts stay).
func ListDelete(id int64) string { return withID(ListDeletePattern, id) }

// WithQuery adds a query string (a contacts filter, say) to a URL; no
// query leaves it as it is.
func WithQuery(base string, q url.Values) string {
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// Campaign is a campaign's page: the editor while it is a draft or
// scheduled, its report once started.
func Campaign(id int64) string { return withID(CampaignPattern, id) }

// CampaignStatus is the report fragment a running campaign's page polls.
func CampaignStatus(id int64) string { return withID(CampaignStatusPattern, id) }

// CampaignPreview renders the editor's mapping and phone preview.
func CampaignPreview(id int64) string { return withID(CampaignPreviewPattern, id) }

// CampaignCount is the editor's live audience count.
func CampaignCount(id int64) string { return withID(CampaignCountPattern, id) }

// CampaignStart sends a campaign now.
func CampaignStart(id int64) string { return withID(CampaignStartPattern, id) }

// CampaignSchedule sets a campaign's start time.
func CampaignSchedule(id int64) string { return withID(CampaignSchedulePattern, id) }

// CampaignUnschedule turns a scheduled campaign back into a draft.
func CampaignUnschedule(id int64) string { return withID(CampaignUnschedulePattern, id) }

// CampaignPause pauses a running campaign.
func CampaignPause(id int64) string { return withID(CampaignPausePattern, id) }

// CampaignResume resumes a paused campaign.
func CampaignResume(id int64) string { return withID(CampaignResumePattern, id) }

// CampaignCancel cancels a campaign.
func CampaignCancel(id int64) string { return withID(CampaignCancelPattern, id) }

// CampaignDuplicate copies a campaign into a new draft.
func CampaignDuplicate(id int64) string { return withID(CampaignDuplicatePattern, id) }

// CampaignDelete deletes a draft.
func CampaignDelete(id int64) string { return withID(CampaignDeletePattern, id) }

// CampaignTestSend sends the campaign's message to the user's own number.
func CampaignTestSend(id int64) string { return withID(CampaignTestSendPattern, id) }

// WithToken adds a token query parameter, as used by e-mailed links.
func WithToken(base, token string) string {
	return base + "?" + url.Values{"token": {token}}.Encode()
}

// withID fills the ":id" segment of a route pattern.
func withID(pattern string, id int64) string {
	return strings.Replace(pattern, ":id", strconv.FormatInt(id, 10), 1)
}

// WhatsAppWebhook is the webhook URL of one connection, to paste into
// Meta's dashboard (prefix it with the public base URL).
func WhatsAppWebhook(key string) string {
	return strings.Replace(WhatsAppWebhookPattern, ":key", url.PathEscape(key), 1)
}

// Template is a message template's page.
func Template(id int64) string { return withID(TemplatePattern, id) }

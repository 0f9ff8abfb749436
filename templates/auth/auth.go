// Package auth renders sign-up, log-in, e-mail verification, password
// reset, invitation and policy acceptance. Every form page has a full-page
// component and a fragment component holding just the form in a wrapper
// with a stable id; the form posts normally without JavaScript and, with
// htmx, swaps that wrapper (outerHTML) with the fragment the server sends
// back, e.g. on a 422 with errors.
package auth

import (
	"strconv"

	"tidings/templates/components"
)

// FormErrors maps a field name to its message; "" is a form-level error.
type FormErrors = components.FormErrors

// LoginForm is the log-in form as re-rendered after a failed attempt.
type LoginForm struct {
	Email, Next string
	Errors      FormErrors
}

// SignupForm is the sign-up form. The password is never sent back.
type SignupForm struct {
	Name, Email, Phone, BusinessName, Industry, CompanySize, Country, TimeZone, Website string
	Adult, AcceptTerms, AcceptPrivacy                                                   bool
	TermsVersion, PrivacyVersion                                                        int
	Errors                                                                              FormErrors
	Industries, CompanySizes, Countries, TimeZones                                      []components.Option
}

// ForgotForm asks for the address to send a reset link to. Sent switches
// to the confirmation, which never says whether the account exists.
type ForgotForm struct {
	Email  string
	Sent   bool
	Errors FormErrors
}

// ResetForm sets a new password with the token from the e-mailed link.
type ResetForm struct {
	Token  string
	Errors FormErrors
}

// InviteForm accepts an invitation. NeedsAccount asks for a name and a
// password (and the agreements of sign-up); otherwise a signed-in user
// just joins.
type InviteForm struct {
	Token, OrgName, InviterName, Email, Role string
	NeedsAccount                             bool
	Name                                     string
	Errors                                   FormErrors

	// For NeedsAccount, as in sign-up.
	Adult, AcceptTerms, AcceptPrivacy bool
	TermsVersion, PrivacyVersion      int
}

// PoliciesForm asks a signed-in user to accept updated documents.
type PoliciesForm struct {
	Docs   []PendingDoc
	Errors FormErrors
}

// PendingDoc is a document version the user has not accepted yet. Kind is
// used in the field names: accept_<kind> and version_<kind>.
type PendingDoc struct {
	Kind, Title string
	Version     int
	Summary     string
	URL         string
}

func itoa(n int) string { return strconv.Itoa(n) }

// roleSuffix finishes "… invited you to join Acme" with the role.
func roleSuffix(role string) string {
	switch role {
	case "":
		return ""
	case "owner":
		return " as an owner"
	case "admin":
		return " as an admin"
	case "member":
		return " as a member"
	}
	return " as " + role
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// docTitles joins the titles for a heading: "Privacy Policy and Terms of Service".
func docTitles(docs []PendingDoc) string {
	switch len(docs) {
	case 0:
		return "documents"
	case 1:
		return docs[0].Title
	}
	s := ""
	for i, d := range docs {
		switch {
		case i == 0:
		case i == len(docs)-1:
			s += " and "
		default:
			s += ", "
		}
		s += d.Title
	}
	return s
}
